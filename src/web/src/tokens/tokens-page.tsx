/** Route "/tokens": the signed-in user's API tokens, with "Create token" and "Revoke". */
import { Badge, Button, Card, Container, Group, Modal, Stack, Table, Text, Title } from '@mantine/core';
import { IconPlus } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { retryTransient } from '../api/queries';
import { listTokens, revokeToken, tokenState, TOKENS_KEY, type ApiToken, type TokenState } from '../api/tokens';
import { useAuth } from '../auth/auth-context';
import { ErrorAlert } from '../components/error-alert';
import { formatDateTime } from '../lib/format';
import { CreateTokenModal } from './create-token-modal';

const STATE_COLORS: Record<TokenState, string> = { active: 'green', expired: 'gray', revoked: 'red' };
const SCOPE_COLORS: Record<string, string> = { read: 'blue', write: 'teal', deploy: 'orange', admin: 'grape' };

export function TokensPage() {
  const { me } = useAuth();
  const client = useQueryClient();
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<ApiToken | null>(null);
  useEffect(() => {
    document.title = 'API tokens · Model Garden';
  }, []);
  const tokens = useQuery({ queryKey: TOKENS_KEY, queryFn: ({ signal }) => listTokens(signal), retry: retryTransient });
  const revoke = useMutation({
    mutationFn: (t: ApiToken) => revokeToken(t.id),
    onSuccess: () => setRevoking(null),
    onSettled: () => void client.invalidateQueries({ queryKey: TOKENS_KEY }),
  });
  const items = tokens.data ? [...tokens.data.items].sort((a, b) => b.createdAt.localeCompare(a.createdAt)) : [];

  return (
    <Container size={1280} px="lg" py="lg">
      <Stack gap="lg">
        <Group justify="space-between" align="flex-end">
          <div>
            <Title order={1} size="h2">
              API tokens
            </Title>
            <Text size="sm" c="dimmed" mt={4}>
              Tokens let scripts, CI jobs and the <Text span ff="monospace">garden</Text> CLI act as you. Send one as{' '}
              <Text span ff="monospace">{'Authorization: Bearer <token>'}</Text>.
            </Text>
          </div>
          <Button leftSection={<IconPlus size={16} aria-hidden />} onClick={() => setCreating(true)}>
            Create token
          </Button>
        </Group>
        <Card withBorder padding="lg" component="section" aria-label="Your tokens">
          {tokens.isError ? (
            <ErrorAlert error={tokens.error} title="The tokens could not be loaded" />
          ) : tokens.isPending ? (
            <Text size="sm" c="dimmed">
              Loading…
            </Text>
          ) : items.length === 0 ? (
            <Text size="sm" c="dimmed">
              You have no API tokens yet.
            </Text>
          ) : (
            <Table.ScrollContainer minWidth={900}>
              <Table fz="sm" verticalSpacing={8} aria-label="API tokens">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Name</Table.Th>
                    <Table.Th>Scopes</Table.Th>
                    <Table.Th>Created</Table.Th>
                    <Table.Th>Expires</Table.Th>
                    <Table.Th>Last used</Table.Th>
                    <Table.Th>State</Table.Th>
                    <Table.Th />
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {items.map((t) => {
                    const state = tokenState(t);
                    return (
                      <Table.Tr key={t.id} data-token={t.name} data-state={state}>
                        <Table.Td fw={500} style={{ overflowWrap: 'anywhere' }}>
                          {t.name}
                        </Table.Td>
                        <Table.Td>
                          <Group gap={4}>
                            {t.scopes.map((s) => (
                              <Badge key={s} size="sm" variant="light" color={SCOPE_COLORS[s] ?? 'gray'}>
                                {s}
                              </Badge>
                            ))}
                          </Group>
                        </Table.Td>
                        <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(t.createdAt)}</Table.Td>
                        <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(t.expiresAt)}</Table.Td>
                        <Table.Td style={{ whiteSpace: 'nowrap' }}>{t.lastUsedAt ? formatDateTime(t.lastUsedAt) : <Text span c="dimmed" size="sm">never</Text>}</Table.Td>
                        <Table.Td>
                          <Badge color={STATE_COLORS[state]} variant={state === 'active' ? 'light' : 'outline'} data-testid="token-state">
                            {state}
                          </Badge>
                        </Table.Td>
                        <Table.Td ta="right">
                          {state === 'active' && (
                            <Button size="xs" variant="light" color="red" onClick={() => setRevoking(t)} aria-label={`Revoke ${t.name}`}>
                              Revoke
                            </Button>
                          )}
                        </Table.Td>
                      </Table.Tr>
                    );
                  })}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
        </Card>
      </Stack>
      <CreateTokenModal opened={creating} onClose={() => setCreating(false)} isAdmin={me.user.platformRole === 'admin'} />
      <Modal
        opened={revoking !== null}
        onClose={() => {
          setRevoking(null);
          revoke.reset();
        }}
        title="Revoke token?"
      >
        <Stack gap="md">
          <Text size="sm">
            Anything using “{revoking?.name}” stops working at once. This cannot be undone.
          </Text>
          {revoke.isError && <ErrorAlert error={revoke.error} title="The token could not be revoked" />}
          <Group justify="flex-end">
            <Button
              variant="default"
              onClick={() => {
                setRevoking(null);
                revoke.reset();
              }}
            >
              Cancel
            </Button>
            <Button color="red" loading={revoke.isPending} onClick={() => revoking && revoke.mutate(revoking)}>
              Revoke token
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Container>
  );
}
