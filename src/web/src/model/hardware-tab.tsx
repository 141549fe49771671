/** Hardware: minimum GPU memory per quantization, recommended GPU, CPU inference and RAM. */
import { Badge, DataList, Grid, Paper, Table, Text, Title } from '@mantine/core';
import type { VersionView } from '../api/types';
import { formatGb, orDash } from '../lib/format';

const ORDER = ['fp32', 'bf16', 'fp16', 'fp8', 'int8', 'int4'];
const rank = (q: string) => {
  const i = ORDER.indexOf(q);
  return i < 0 ? ORDER.length : i;
};

export function HardwareTab({ version }: { version: VersionView }) {
  const hw = version.hardware;
  const rows = Object.entries(hw.minGpuMemoryGb).sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
  return (
    <Grid gap="lg">
      <Grid.Col span={{ base: 12, md: 7 }}>
        <Paper withBorder radius="md" p="md">
          <Title order={3} size="h5" mb="sm">
            Minimum GPU memory by quantization
          </Title>
          {rows.length === 0 ? (
            <Text size="sm" c="dimmed">
              The owner team has not published GPU memory needs for this version.
            </Text>
          ) : (
            <Table.ScrollContainer minWidth={320} type="native">
              <Table striped highlightOnHover tabularNums verticalSpacing="xs" aria-label="Minimum GPU memory by quantization">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Quantization</Table.Th>
                    <Table.Th>Minimum GPU memory</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {rows.map(([q, gb]) => (
                    <Table.Tr key={q}>
                      <Table.Td>
                        <Text ff="monospace" size="sm" className="break-anywhere">
                          {q}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        {gb === null ? (
                          <Text size="sm" c="dimmed" fs="italic">
                            not available
                          </Text>
                        ) : (
                          <Text size="sm" fw={gb === hw.smallestGpuMemoryGb ? 600 : undefined}>
                            {formatGb(gb)}
                            {gb === hw.smallestGpuMemoryGb && (
                              <Badge ml="xs" size="xs" variant="light" color="green">
                                smallest
                              </Badge>
                            )}
                          </Text>
                        )}
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
        </Paper>
      </Grid.Col>
      <Grid.Col span={{ base: 12, md: 5 }}>
        <Paper withBorder radius="md" p="md">
          <Title order={3} size="h5" mb="sm">
            Serving
          </Title>
          <DataList orientation="horizontal" labelWidth={170} withDivider>
            <DataList.Item>
              <DataList.ItemLabel>Recommended GPU</DataList.ItemLabel>
              <DataList.ItemValue className="break-anywhere">{orDash(hw.recommendedGpu)}</DataList.ItemValue>
            </DataList.Item>
            <DataList.Item>
              <DataList.ItemLabel>CPU inference</DataList.ItemLabel>
              <DataList.ItemValue>{hw.cpuInference ? 'Supported' : 'Not supported'}</DataList.ItemValue>
            </DataList.Item>
            <DataList.Item>
              <DataList.ItemLabel>RAM to load</DataList.ItemLabel>
              <DataList.ItemValue>{formatGb(hw.ramGb)}</DataList.ItemValue>
            </DataList.Item>
            <DataList.Item>
              <DataList.ItemLabel>Smallest GPU memory</DataList.ItemLabel>
              <DataList.ItemValue>{formatGb(hw.smallestGpuMemoryGb)}</DataList.ItemValue>
            </DataList.Item>
          </DataList>
        </Paper>
      </Grid.Col>
    </Grid>
  );
}
