/** Route "/compare?ids=a,b": the same inputs sent to two to four ready endpoints, outputs and latency side by side. */
import { Alert, Button, Card, Container, Group, MultiSelect, Stack, Table, Text, Textarea, Title } from '@mantine/core';
import { IconInfoCircle, IconPlayerPlay } from '@tabler/icons-react';
import { useMutation } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { compareDeployments, deploymentLabel, type CompareResult } from '../api/deployments';
import { ErrorAlert } from '../components/error-alert';
import { useDeployments } from '../deploy/deployment-queries';
import { DASH, formatMetric } from '../lib/format';
import { linesOf } from '../lib/lines';
import { differingCells } from './differences';

const MAX_INPUTS = 50;

export function ComparePage() {
  const [params, setParams] = useSearchParams();
  const ids = (params.get('ids') ?? '').split(',').filter(Boolean).slice(0, 4);
  const [text, setText] = useState('');
  const live = useDeployments({ live: true });
  const ready = (live.data ?? []).filter((d) => d.state === 'ready');
  const options = ready.map((d) => ({ value: d.id, label: `${deploymentLabel(d)} (${d.team}, ${d.template})` }));
  // Keep picks the user made even when an endpoint has stopped meanwhile, so the reason can be shown.
  const stale = live.data ? ids.filter((id) => !ready.some((d) => d.id === id)) : [];
  const inputs = linesOf(text);
  const run = useMutation({ mutationFn: (v: { ids: string[]; inputs: string[] }) => compareDeployments(v.ids, v.inputs) });

  useEffect(() => {
    document.title = 'Compare endpoints · Model Garden';
  }, []);

  const setIds = (next: string[]) => {
    const p = new URLSearchParams(params);
    if (next.length) p.set('ids', next.join(','));
    else p.delete('ids');
    setParams(p, { replace: true });
  };
  const chosen = ids.filter((id) => !stale.includes(id));
  const canRun = chosen.length >= 2 && chosen.length <= 4 && inputs.length > 0 && inputs.length <= MAX_INPUTS;

  return (
    <Container size={1280} px="lg" py="lg">
      <Stack gap="lg">
        <div>
          <Title order={1} size="h2">
            Compare endpoints
          </Title>
          <Text size="sm" c="dimmed" mt={4}>
            Sends the same inputs to each endpoint in turn and shows their outputs side by side, with median and 95th-percentile latency.
          </Text>
        </div>
        <Card withBorder padding="lg" component="section" aria-label="What to compare">
          <Stack gap="md">
            {live.isError && <ErrorAlert error={live.error} title="The endpoints could not be loaded" />}
            <MultiSelect
              label="Endpoints"
              description="Two to four ready endpoints"
              placeholder={chosen.length >= 4 ? undefined : 'Pick endpoints'}
              data={options}
              value={chosen}
              onChange={setIds}
              maxValues={4}
              searchable
              nothingFoundMessage={live.isPending ? 'Loading…' : 'No ready endpoints'}
              clearable
            />
            {stale.length > 0 && (
              <Alert color="yellow" variant="light" icon={<IconInfoCircle aria-hidden />} role="status">
                {stale.length === 1 ? 'One endpoint in the link is' : `${stale.length} endpoints in the link are`} not ready any more (stopped, expired or failed) and
                {stale.length === 1 ? ' was' : ' were'} left out.
              </Alert>
            )}
            <Textarea
              label="Inputs"
              description={`One per line (up to ${MAX_INPUTS}).`}
              value={text}
              onChange={(e) => setText(e.currentTarget.value)}
              autosize
              minRows={4}
              maxRows={14}
              placeholder={'I was charged twice for my subscription\nHow do I reset my password?'}
              error={inputs.length > MAX_INPUTS ? `At most ${MAX_INPUTS} lines; remove ${inputs.length - MAX_INPUTS}.` : undefined}
              styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
            />
            <Group>
              <Button leftSection={<IconPlayerPlay size={16} aria-hidden />} onClick={() => run.mutate({ ids: chosen, inputs })} loading={run.isPending} disabled={!canRun}>
                Run
              </Button>
              {chosen.length < 2 && (
                <Text size="sm" c="dimmed">
                  Pick at least two endpoints.
                </Text>
              )}
            </Group>
          </Stack>
        </Card>
        {run.isError && <ErrorAlert error={run.error} title="The comparison could not be run" />}
        {run.data && <CompareTable result={run.data} />}
      </Stack>
    </Container>
  );
}

function CompareTable({ result }: { result: CompareResult }) {
  const { columns, inputs } = result;
  const differing = inputs.map((_, i) =>
    differingCells(
      columns.map((c) => c.outputs[i] ?? null),
      columns.map((c) => c.errors[i] ?? null),
    ),
  );
  const differ = differing.filter((row) => row.some(Boolean)).length;
  return (
    <Card withBorder padding="lg" component="section" aria-label="Comparison">
      <Stack gap="sm">
        <Text size="sm" c="dimmed" data-testid="compare-summary">
          {differ === 0 ? 'All endpoints gave the same outputs.' : `Outputs differ for ${differ} of ${inputs.length} inputs (highlighted).`}
        </Text>
        <Table.ScrollContainer minWidth={300 + columns.length * 220}>
          <Table fz="sm" verticalSpacing={6} withTableBorder withColumnBorders aria-label="Outputs side by side" data-testid="compare-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th w={280}>Input</Table.Th>
                {columns.map((c) => (
                  <Table.Th key={c.deployment.id} style={{ overflowWrap: 'anywhere' }}>
                    {c.deployment.name ?? c.deployment.model}
                    {c.deployment.name && (
                      <Text size="xs" c="dimmed" fw={400}>
                        {c.deployment.model}
                      </Text>
                    )}
                  </Table.Th>
                ))}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {inputs.map((input, i) => (
                <Table.Tr key={i}>
                  <Table.Td style={{ overflowWrap: 'anywhere' }}>{input}</Table.Td>
                  {columns.map((c, j) => {
                    const err = c.errors[i];
                    const diff = differing[i]?.[j] ?? false;
                    return (
                      <Table.Td
                        key={c.deployment.id}
                        bg={diff ? 'var(--mantine-color-yellow-light)' : undefined}
                        data-differs={diff || undefined}
                        style={{ overflowWrap: 'anywhere', whiteSpace: 'pre-wrap' }}
                      >
                        {err ? (
                          <Text span c="red" size="sm">
                            {err}
                          </Text>
                        ) : (
                          <Text span ff="monospace" size="sm">
                            {c.outputs[i] ?? ''}
                          </Text>
                        )}
                        {c.latencies[i] !== undefined && (
                          <Text size="xs" c="dimmed">
                            {formatMetric(c.latencies[i])} ms
                          </Text>
                        )}
                      </Table.Td>
                    );
                  })}
                </Table.Tr>
              ))}
            </Table.Tbody>
            <Table.Tfoot>
              <Table.Tr style={{ borderTop: '2px solid var(--mantine-color-default-border)' }} bg="var(--mantine-color-gray-0)">
                <Table.Th>Summary</Table.Th>
                {columns.map((c) => (
                  <Table.Td key={c.deployment.id} data-testid="compare-column-summary">
                    <Text size="sm">
                      p50 {c.p50 === null ? DASH : `${formatMetric(c.p50)} ms`} · p95 {c.p95 === null ? DASH : `${formatMetric(c.p95)} ms`}
                    </Text>
                    <Text size="sm" c={c.errorCount ? 'red' : 'dimmed'}>
                      {c.errorCount === 1 ? '1 error' : `${c.errorCount} errors`}
                    </Text>
                  </Table.Td>
                ))}
              </Table.Tr>
            </Table.Tfoot>
          </Table>
        </Table.ScrollContainer>
      </Stack>
    </Card>
  );
}
