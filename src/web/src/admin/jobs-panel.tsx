/** The background jobs (admins): filter by state, see a failure's error, retry a failed job. */
import { Badge, Button, Card, Group, Select, Stack, Table, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { JOB_STATES, listJobs, retryJob, type Job, type JobState } from '../api/admin';
import { retryTransient } from '../api/queries';
import { ErrorAlert } from '../components/error-alert';
import { formatDateTime } from '../lib/format';

const STATE_COLORS: Record<JobState, string> = { created: 'gray', retry: 'yellow', active: 'blue', completed: 'green', cancelled: 'gray', failed: 'red' };

/** A failed job's error message, from its output. */
function errorOf(job: Job): string {
  const out = job.output as { message?: unknown } | null | undefined;
  if (out && typeof out === 'object' && typeof out.message === 'string') return out.message;
  return job.state === 'failed' && out ? JSON.stringify(out).slice(0, 200) : '';
}

export function JobsPanel() {
  const [state, setState] = useState<JobState | null>(null);
  const client = useQueryClient();
  const jobs = useQuery({ queryKey: ['jobs', state], queryFn: ({ signal }) => listJobs(state, signal), retry: retryTransient, refetchInterval: 10_000 });
  const retry = useMutation({
    mutationFn: (job: Job) => retryJob(job.name, job.id),
    onSettled: () => void client.invalidateQueries({ queryKey: ['jobs'] }),
  });
  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="jobs-title">
      <Stack gap="md">
        <Group justify="space-between" align="flex-end">
          <Title order={2} size="h4" id="jobs-title">
            Background jobs
          </Title>
          <Select
            label="State"
            placeholder="Any state"
            data={[...JOB_STATES]}
            value={state}
            onChange={(v) => setState(v)}
            clearable
            w={180}
          />
        </Group>
        {retry.isError && <ErrorAlert error={retry.error} title="The job could not be retried" />}
        {jobs.isError ? (
          <ErrorAlert error={jobs.error} title="The jobs could not be loaded" />
        ) : jobs.isPending ? (
          <Text size="sm" c="dimmed">Loading…</Text>
        ) : jobs.data.items.length === 0 ? (
          <Text size="sm" c="dimmed">No jobs{state ? ` in state ${state}` : ''}.</Text>
        ) : (
          <Table.ScrollContainer minWidth={800}>
            <Table fz="sm" verticalSpacing={6} aria-label="Background jobs">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Queue</Table.Th>
                  <Table.Th>State</Table.Th>
                  <Table.Th>Tries</Table.Th>
                  <Table.Th>Created</Table.Th>
                  <Table.Th>Finished</Table.Th>
                  <Table.Th>Error</Table.Th>
                  <Table.Th />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {jobs.data.items.map((j) => (
                  <Table.Tr key={j.id}>
                    <Table.Td ff="monospace">{j.name}</Table.Td>
                    <Table.Td>
                      <Badge color={STATE_COLORS[j.state]} variant="light">
                        {j.state}
                      </Badge>
                    </Table.Td>
                    <Table.Td>
                      {j.retryCount}/{j.retryLimit}
                    </Table.Td>
                    <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(j.createdOn)}</Table.Td>
                    <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(j.completedOn)}</Table.Td>
                    <Table.Td c="red" fz="xs" style={{ overflowWrap: 'anywhere' }}>
                      {errorOf(j)}
                    </Table.Td>
                    <Table.Td>
                      {j.state === 'failed' && (
                        <Button size="xs" variant="light" onClick={() => retry.mutate(j)} loading={retry.isPending && retry.variables?.id === j.id}>
                          Retry
                        </Button>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Stack>
    </Card>
  );
}
