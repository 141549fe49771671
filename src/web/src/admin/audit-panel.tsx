/** The audit trail: filters, newest events first with "Load more", a JSON-lines export and chain verification. */
import { Alert, Anchor, Button, Card, Code, Group, List, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { IconDownload, IconShieldCheck } from '@tabler/icons-react';
import { useInfiniteQuery, useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { auditExportUrl, listAudit, verifyAudit, type AuditFilter } from '../api/admin';
import { retryTransient } from '../api/queries';
import { ErrorAlert } from '../components/error-alert';
import { formatDateTime } from '../lib/format';
import { actionLabel } from '../model/review/review-format';

function detailsText(d: Record<string, unknown>): string {
  const s = JSON.stringify(d);
  return s === '{}' ? '' : s.length > 160 ? `${s.slice(0, 157)}…` : s;
}

export function AuditPanel() {
  const [draft, setDraft] = useState<AuditFilter>({});
  const [filter, setFilter] = useState<AuditFilter>({});
  const events = useInfiniteQuery({
    queryKey: ['audit', filter],
    queryFn: ({ pageParam, signal }) => listAudit(filter, pageParam, signal),
    initialPageParam: null as number | null,
    getNextPageParam: (last) => last.nextCursor,
    retry: retryTransient,
  });
  const verify = useMutation({ mutationFn: verifyAudit });
  const items = events.data?.pages.flatMap((p) => p.items) ?? [];
  const field = (key: keyof AuditFilter, label: string, placeholder: string) => (
    <TextInput label={label} placeholder={placeholder} value={draft[key] ?? ''} onChange={(e) => setDraft({ ...draft, [key]: e.currentTarget.value })} />
  );

  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="audit-title">
      <Stack gap="md">
        <Group justify="space-between">
          <Title order={2} size="h4" id="audit-title">
            Audit log
          </Title>
          <Group gap="sm">
            <Anchor href={auditExportUrl(filter)} download="audit.jsonl" size="sm">
              <Group gap={4} wrap="nowrap">
                <IconDownload size={16} aria-hidden />
                Export JSON lines
              </Group>
            </Anchor>
            <Button variant="light" size="xs" leftSection={<IconShieldCheck size={16} aria-hidden />} onClick={() => verify.mutate()} loading={verify.isPending}>
              Verify chain
            </Button>
          </Group>
        </Group>
        {verify.isError && <ErrorAlert error={verify.error} title="The chain could not be verified" />}
        {verify.data &&
          (verify.data.ok ? (
            <Alert color="green" variant="light" title="The chain is intact" role="status">
              All {verify.data.events} events hash correctly, in order.
            </Alert>
          ) : (
            <Alert color="red" variant="light" title="The chain is broken" role="alert">
              <List size="sm">
                {verify.data.problems.map((p, i) => (
                  <List.Item key={i}>
                    {p.seq !== null && <Code>#{p.seq}</Code>} {p.problem}
                  </List.Item>
                ))}
              </List>
            </Alert>
          ))}
        <form
          onSubmit={(e) => {
            e.preventDefault();
            setFilter({ ...draft });
          }}
        >
          <Group align="flex-end" gap="sm">
            {field('model', 'Model', 'model slug')}
            {field('actor', 'Actor', 'username')}
            {field('action', 'Action', 'e.g. submission.approve')}
            <Button type="submit" variant="default">
              Filter
            </Button>
          </Group>
        </form>
        {events.isError ? (
          <ErrorAlert error={events.error} title="The audit log could not be loaded" />
        ) : events.isPending ? (
          <Text size="sm" c="dimmed">Loading…</Text>
        ) : items.length === 0 ? (
          <Text size="sm" c="dimmed">No events match.</Text>
        ) : (
          <Table.ScrollContainer minWidth={800}>
            <Table fz="sm" verticalSpacing={6} aria-label="Audit events">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>#</Table.Th>
                  <Table.Th>When</Table.Th>
                  <Table.Th>Who</Table.Th>
                  <Table.Th>What</Table.Th>
                  <Table.Th>Target</Table.Th>
                  <Table.Th>Details</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((e) => (
                  <Table.Tr key={e.seq}>
                    <Table.Td c="dimmed">{e.seq}</Table.Td>
                    <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(e.at)}</Table.Td>
                    <Table.Td>{e.actorName}</Table.Td>
                    <Table.Td title={e.action}>{actionLabel(e.action)}</Table.Td>
                    {/* Ids (deployments, runs) are long: cut to the cell, the whole id on hover. */}
                    <Table.Td ff="monospace" title={e.targetId} style={{ whiteSpace: 'nowrap', maxWidth: 220, overflow: 'hidden', textOverflow: 'ellipsis' }}>
                      {e.targetId}
                    </Table.Td>
                    <Table.Td ff="monospace" c="dimmed" fz="xs" style={{ overflowWrap: 'anywhere', minWidth: 280 }}>
                      {detailsText(e.details)}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
        {events.hasNextPage && (
          <Group justify="center">
            <Button variant="default" onClick={() => void events.fetchNextPage()} loading={events.isFetchingNextPage}>
              Load more
            </Button>
          </Group>
        )}
      </Stack>
    </Card>
  );
}
