/** Benchmarks: results on the organisation's evaluation suites for the selected version. */
import { Badge, Button, Card, EmptyState, Group, Stack, Table, Text, Tooltip } from '@mantine/core';
import { IconArrowDown, IconArrowUp, IconChartBar } from '@tabler/icons-react';
import type { Benchmark, VersionView } from '../api/types';
import { useAuth } from '../auth/auth-context';
import { ErrorAlert } from '../components/error-alert';
import { useAcceptBenchmark } from './review/review-queries';
import { formatDate, formatMetric, orDash } from '../lib/format';

/** Where a number comes from: Garden measured it, or the team typed it (and maybe a reviewer accepted it). */
function Provenance({ b, accept }: { b: Benchmark; accept?: { run: (id: number) => void; pending: boolean } }) {
  if (b.source === 'measured') {
    return (
      <Tooltip label="Measured by Garden: a run of this suite against the version" withArrow>
        <Badge variant="light" color="teal" radius="sm" tt="none" data-testid="benchmark-source" data-source="measured">
          measured by Garden
        </Badge>
      </Tooltip>
    );
  }
  return (
    <Group gap={4} wrap="wrap">
      <Tooltip label="Typed in by the model's team; Garden did not measure it" withArrow>
        <Badge variant="light" color="yellow" radius="sm" tt="none" data-testid="benchmark-source" data-source="reported">
          reported by the team
        </Badge>
      </Tooltip>
      {b.accepted && (
        <Text size="xs" c="dimmed" data-testid="benchmark-accepted">
          accepted by {b.accepted.by ?? 'a reviewer'} {formatDate(b.accepted.at.slice(0, 10))}
        </Text>
      )}
      {!b.accepted && accept && (
        <Tooltip label="Count this typed result for the submission's benchmark requirement (audited; not a result you typed yourself)" withArrow multiline w={260}>
          <Button size="compact-xs" variant="light" loading={accept.pending} onClick={() => accept.run(b.id)} data-testid="benchmark-accept">
            Accept
          </Button>
        </Tooltip>
      )}
    </Group>
  );
}

export function BenchmarksTab({ slug, version }: { slug: string; version: VersionView }) {
  const { me } = useAuth();
  const accept = useAcceptBenchmark(slug, version.version);
  const reviewer = me.user.platformRole === 'reviewer' || me.user.platformRole === 'admin';
  if (version.benchmarks.length === 0) {
    return (
      <Card withBorder radius="md" py="xl">
        <EmptyState
          icon={<IconChartBar size={28} aria-hidden />}
          variant="light"
          color="gray"
          title="No benchmark results yet"
          description={`Version ${version.version} has not been evaluated on an organisation suite.`}
        />
      </Card>
    );
  }
  return (
    <Stack gap="sm">
      {accept.isError && <ErrorAlert error={accept.error} title="The result could not be accepted" />}
      <Card withBorder radius="md" p={0}>
        <Table.ScrollContainer minWidth={960} type="native">
          <Table striped highlightOnHover tabularNums verticalSpacing="sm" horizontalSpacing="md" aria-label="Benchmark results">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Suite</Table.Th>
                <Table.Th>Dataset</Table.Th>
                <Table.Th>Metric</Table.Th>
                <Table.Th ta="right">Value</Table.Th>
                <Table.Th>Better</Table.Th>
                <Table.Th>Date</Table.Th>
                <Table.Th>Hardware</Table.Th>
                <Table.Th>Source</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {version.benchmarks.map((b, i) => (
                <Table.Tr key={`${b.id}:${i}`} data-source={b.source}>
                  <Table.Td>
                    <Text size="sm" fw={500} className="break-anywhere">
                      {b.suite}
                    </Text>
                    {b.suiteVersion && (
                      <Text size="xs" c="dimmed">
                        version {b.suiteVersion}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td className="break-anywhere">{orDash(b.dataset)}</Table.Td>
                  <Table.Td>
                    <Text size="sm" ff="monospace" className="break-anywhere">
                      {b.metric}
                    </Text>
                  </Table.Td>
                  <Table.Td ta="right" fw={600}>
                    {formatMetric(b.value)}
                  </Table.Td>
                  <Table.Td>
                    <Tooltip label={b.higherIsBetter ? 'Higher is better' : 'Lower is better'} withArrow>
                      <Group gap={4} wrap="nowrap" c={b.higherIsBetter ? 'teal.8' : 'blue.8'}>
                        {b.higherIsBetter ? <IconArrowUp size={14} aria-hidden /> : <IconArrowDown size={14} aria-hidden />}
                        <Text size="sm" inherit>
                          {b.higherIsBetter ? 'higher' : 'lower'}
                        </Text>
                      </Group>
                    </Tooltip>
                  </Table.Td>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDate(b.date)}</Table.Td>
                  <Table.Td className="break-anywhere">{orDash(b.hardware)}</Table.Td>
                  <Table.Td>
                    <Provenance b={b} {...(reviewer ? { accept: { run: (id: number) => accept.mutate(id), pending: accept.isPending && accept.variables === b.id } } : {})} />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </Card>
    </Stack>
  );
}
