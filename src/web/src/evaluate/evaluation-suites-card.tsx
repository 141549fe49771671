/** The "Evaluation suites" card of the Deploy & evaluate tab: run a registered suite on this version and follow its runs. */
import { Button, Card, Code, Group, Loader, Select, Stack, Text, Title } from '@mantine/core';
import { IconPlayerPlay } from '@tabler/icons-react';
import { useState } from 'react';
import type { Suite } from '../api/evaluations';
import { ErrorAlert } from '../components/error-alert';
import { EvaluationRunCard } from './evaluation-run-card';
import { useEvaluations, useRunSuite, useSuites } from './evaluation-queries';

interface Props {
  slug: string;
  version: string;
  /** The model's tasks: a suite for one of them is chosen first. */
  tasks: string[];
}

const itemsLabel = (n: number) => (n === 1 ? '1 item' : `${n.toLocaleString('en-US')} items`);

export function EvaluationSuitesCard({ slug, version, tasks }: Props) {
  const suites = useSuites();
  const runs = useEvaluations(slug, version);
  const run = useRunSuite(slug, version);
  const runnable = (suites.data ?? []).filter((s): s is Suite & { dataset: NonNullable<Suite['dataset']> } => s.dataset !== null);
  const notRunnable = (suites.data ?? []).length - runnable.length;
  const [picked, setPicked] = useState<string | null>(null);
  const fallback = runnable.find((s) => tasks.includes(s.task)) ?? runnable[0];
  const suite = picked ?? fallback?.name ?? null;
  const items = runs.data ?? [];

  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="eval-suites-title" data-testid="evaluation-suites">
      <Stack gap="md">
        <Group justify="space-between" align="flex-end" wrap="wrap">
          <div style={{ flex: '1 1 320px', minWidth: 0 }}>
            <Title order={3} size="h4" id="eval-suites-title">
              Evaluation suites
            </Title>
            <Text size="sm" c="dimmed" mt={4}>
              Runs a registered suite’s dataset through a temporary endpoint of version {version}; the results become its benchmark results.
              {notRunnable > 0 && ` ${notRunnable === 1 ? 'One suite has' : `${notRunnable} suites have`} no dataset the platform can run and ${notRunnable === 1 ? 'is' : 'are'} not listed.`}
            </Text>
          </div>
          {runnable.length > 0 && (
            <Group gap="sm" align="flex-end" wrap="wrap">
              <Select
                label="Suite"
                data={runnable.map((s) => ({ value: s.name, label: `${s.name} — ${s.task}, ${itemsLabel(s.dataset.items)}` }))}
                value={suite}
                onChange={setPicked}
                allowDeselect={false}
                w={400}
                comboboxProps={{ withinPortal: true }}
              />
              <Button leftSection={<IconPlayerPlay size={16} aria-hidden />} loading={run.isPending} disabled={!suite} onClick={() => suite && run.mutate(suite)}>
                Run suite
              </Button>
            </Group>
          )}
        </Group>
        {suites.isError && <ErrorAlert error={suites.error} title="The suites could not be loaded" />}
        {suites.isPending && <Loader size="sm" aria-label="Loading the suites" />}
        {suites.isSuccess && runnable.length === 0 && (
          <Text size="sm" c="dimmed">
            No suite with a dataset is registered yet. Suites are registered with <Code>garden suite register</Code>.
          </Text>
        )}
        {run.isError && <ErrorAlert error={run.error} title="The suite could not be run" />}
        {runs.isError ? (
          <ErrorAlert error={runs.error} title="The runs could not be loaded" />
        ) : runs.isPending ? (
          <Loader size="sm" aria-label="Loading the runs" />
        ) : items.length === 0 ? (
          <Text size="sm" c="dimmed">
            No runs of this version yet.
          </Text>
        ) : (
          <Stack gap="sm" aria-label={`Runs of version ${version}`} data-testid="evaluation-runs">
            {items.map((r) => (
              <EvaluationRunCard key={r.id} run={r} />
            ))}
          </Stack>
        )}
      </Stack>
    </Card>
  );
}
