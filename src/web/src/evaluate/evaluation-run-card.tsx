/** One evaluation run: suite, state, when and where it ran, its results, its error, and its first samples. */
import { Alert, Button, Collapse, Group, Paper, Stack, Table, Text } from '@mantine/core';
import { IconArrowDown, IconArrowUp, IconChevronDown, IconChevronRight } from '@tabler/icons-react';
import { useState } from 'react';
import type { EvaluationRun, RunResult } from '../api/evaluations';
import { formatDateTime } from '../lib/format';
import { formatResult } from './format-result';
import { RunStateBadge } from './run-state-badge';
import { SamplesTable } from './samples-table';

function ResultsTable({ results }: { results: RunResult[] }) {
  return (
    <Table fz="sm" verticalSpacing={4} horizontalSpacing="md" tabularNums withTableBorder aria-label="Results" data-testid="run-results" maw={560}>
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Metric</Table.Th>
          <Table.Th ta="right">Value</Table.Th>
          <Table.Th>Better</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {results.map((r) => (
          <Table.Tr key={r.metric} data-metric={r.metric}>
            <Table.Td ff="monospace" fz="xs">
              {r.metric}
            </Table.Td>
            <Table.Td ta="right" fw={600} data-testid="metric-value" style={{ whiteSpace: 'nowrap' }}>
              {formatResult(r.metric, r.value)}
            </Table.Td>
            <Table.Td>
              <Group gap={4} wrap="nowrap" c={r.higherIsBetter ? 'teal.8' : 'blue.8'}>
                {r.higherIsBetter ? <IconArrowUp size={13} aria-hidden /> : <IconArrowDown size={13} aria-hidden />}
                <Text span size="xs" style={{ whiteSpace: 'nowrap' }}>
                  {r.higherIsBetter ? 'higher' : 'lower'} is better
                </Text>
              </Group>
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

function When({ run }: { run: EvaluationRun }) {
  const parts = [run.startedAt ? `started ${formatDateTime(run.startedAt)}` : `queued ${formatDateTime(run.createdAt)}`];
  if (run.finishedAt) parts.push(`finished ${formatDateTime(run.finishedAt)}`);
  if (run.startedAt && run.finishedAt) {
    const s = (new Date(run.finishedAt).getTime() - new Date(run.startedAt).getTime()) / 1000;
    if (Number.isFinite(s) && s >= 0) parts.push(`took ${s < 10 ? s.toFixed(1) : Math.round(s)} s`);
  }
  return (
    <Text size="xs" c="dimmed" data-testid="run-when">
      {parts.join(' · ')}
      {run.hardware && (
        <>
          {' · on '}
          <Text span inherit c="var(--mantine-color-text)">
            {run.hardware}
          </Text>
        </>
      )}
    </Text>
  );
}

export function EvaluationRunCard({ run }: { run: EvaluationRun }) {
  const [open, setOpen] = useState(false);
  const samples = run.samples ?? [];
  return (
    <Paper withBorder p="sm" radius="sm" component="article" aria-label={`Run of ${run.suite}`} data-testid="evaluation-run" data-run={run.id}>
      <Stack gap="xs">
        <Group justify="space-between" gap="xs" wrap="wrap">
          <Group gap="xs" wrap="wrap" style={{ minWidth: 0 }}>
            <Text fw={600} className="break-anywhere">
              {run.suite}
            </Text>
            <Text size="xs" c="dimmed">
              revision {run.suiteRevision}
            </Text>
            <RunStateBadge state={run.state} />
          </Group>
          <When run={run} />
        </Group>
        {run.state === 'queued' && (
          <Text size="sm" c="dimmed">
            Waiting for a worker. The run starts a temporary endpoint of its own; this list looks again every 2 seconds.
          </Text>
        )}
        {run.state === 'running' && (
          <Text size="sm" c="dimmed">
            Sending the suite’s items to a temporary endpoint; results appear here when it is done.
          </Text>
        )}
        {run.state === 'failed' && (
          <Alert color="red" variant="light" title="The run failed" role="status" p="xs">
            <Text size="sm" style={{ overflowWrap: 'anywhere', whiteSpace: 'pre-wrap' }} data-testid="run-error">
              {run.error ?? 'No reason was recorded.'}
            </Text>
          </Alert>
        )}
        {run.results && run.results.length > 0 && <ResultsTable results={run.results} />}
        {samples.length > 0 && (
          <div>
            <Button
              variant="subtle"
              size="compact-sm"
              leftSection={open ? <IconChevronDown size={14} aria-hidden /> : <IconChevronRight size={14} aria-hidden />}
              onClick={() => setOpen((o) => !o)}
              aria-expanded={open}
            >
              Samples ({samples.length})
            </Button>
            <Collapse expanded={open}>
              <Stack gap={4} mt="xs">
                <Text size="xs" c="dimmed">
                  The first {samples.length} items of the dataset. Outputs that match no expected answer are highlighted.
                </Text>
                <SamplesTable samples={samples} />
              </Stack>
            </Collapse>
          </div>
        )}
      </Stack>
    </Paper>
  );
}
