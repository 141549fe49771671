/** The security scan, file by file: a verdict badge per file and its findings. */
import { Badge, Card, Group, Loader, Stack, Table, Text, Title } from '@mantine/core';
import { ErrorAlert } from '../../components/error-alert';
import { SEVERITY_COLORS, VERDICT_COLORS } from './review-format';
import { useScanReport } from './review-queries';

export function ScanReport({ slug, version, scanned }: { slug: string; version: string; scanned: boolean }) {
  const query = useScanReport(slug, version, scanned);
  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="scan-report-title">
      <Title order={3} size="h4" id="scan-report-title" mb="sm">
        Security scan
      </Title>
      {!scanned ? (
        <Text size="sm" c="dimmed">The files are being scanned. This page updates when the scan has finished.</Text>
      ) : query.isPending ? (
        <Loader size="sm" />
      ) : query.isError ? (
        <ErrorAlert error={query.error} title="The scan report could not be loaded" />
      ) : query.data.items.length === 0 ? (
        <Text size="sm" c="dimmed">No files were scanned.</Text>
      ) : (
        <Stack gap="md">
          {query.data.items.map((f) => (
            <div key={f.path} data-scan-file={f.path}>
              <Group gap="sm" mb={4}>
                <Badge color={VERDICT_COLORS[f.verdict] ?? 'gray'} variant="light">
                  {f.verdict}
                </Badge>
                <Text ff="monospace" size="sm" fw={500}>
                  {f.path}
                </Text>
                <Text size="xs" c="dimmed">
                  {f.format}
                </Text>
              </Group>
              {f.findings.length === 0 ? (
                <Text size="sm" c="dimmed" ml="xs">
                  No findings.
                </Text>
              ) : (
                <Table withTableBorder fz="sm" verticalSpacing={4}>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th w={100}>Severity</Table.Th>
                      <Table.Th w={180}>Code</Table.Th>
                      <Table.Th>Message</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {f.findings.map((x, i) => (
                      <Table.Tr key={`${x.code}-${i}`}>
                        <Table.Td>
                          <Badge size="sm" color={SEVERITY_COLORS[x.severity] ?? 'gray'} variant="light">
                            {x.severity}
                          </Badge>
                        </Table.Td>
                        <Table.Td ff="monospace">{x.code}</Table.Td>
                        <Table.Td>
                          {x.message}
                          {x.offset !== null && (
                            <Text span size="xs" c="dimmed">
                              {' '}
                              (at byte {x.offset})
                            </Text>
                          )}
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              )}
            </div>
          ))}
        </Stack>
      )}
    </Card>
  );
}
