/**
 * Per-team evaluation quotas: the endpoints and GPUs each team may hold at once (its own quota
 * where an admin set one, else the defaults), and (admins) changing a team's own quota.
 */
import { Button, Group, Modal, NumberInput, Stack, Table, Text, Title } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { putTeamQuota, type EvalLimits, type Team, type TeamQuota } from '../api/deployments';
import { ErrorAlert } from '../components/error-alert';
import { TEAM_QUOTA_KEY, useTeamQuotas, useTeams } from '../deploy/deployment-queries';

export function TeamQuotas({ defaults, canEdit }: { defaults: EvalLimits; canEdit: boolean }) {
  const teams = useTeams();
  return (
    <Stack gap="xs" component="section" aria-labelledby="team-quotas-title">
      <div>
        <Title order={3} size="h5" id="team-quotas-title">
          Team quotas
        </Title>
        <Text size="sm" c="dimmed" mt={2}>
          What each team may hold at once: its own quota where an admin set one, else the defaults above.
        </Text>
      </div>
      {teams.isError ? (
        <ErrorAlert error={teams.error} title="The teams could not be loaded" />
      ) : teams.isPending ? (
        <Text size="sm" c="dimmed">Loading…</Text>
      ) : teams.data.length === 0 ? (
        <Text size="sm" c="dimmed">No teams yet.</Text>
      ) : (
        <QuotaTable teams={teams.data} defaults={defaults} canEdit={canEdit} />
      )}
    </Stack>
  );
}

function QuotaTable({ teams, defaults, canEdit }: { teams: Team[]; defaults: EvalLimits; canEdit: boolean }) {
  const quotas = useTeamQuotas(teams.map((t) => t.slug));
  const [editing, setEditing] = useState<{ team: Team; quota: TeamQuota } | null>(null);
  const failed = quotas.find((q) => q.isError);
  return (
    <>
      {failed && <ErrorAlert error={failed.error} title="Some team quotas could not be loaded" />}
      <Table.ScrollContainer minWidth={560}>
        <Table fz="sm" verticalSpacing={6} aria-label="Team quotas" maw={760}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Team</Table.Th>
              <Table.Th ta="right">Endpoints</Table.Th>
              <Table.Th ta="right">GPUs</Table.Th>
              <Table.Th w={90} />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {teams.map((team, i) => {
              const q = quotas[i]?.data;
              return (
                <Table.Tr key={team.slug} data-team={team.slug}>
                  <Table.Td>
                    <Text size="sm" fw={600} span>
                      {team.name}
                    </Text>
                    {team.name !== team.slug && (
                      <Text size="xs" c="dimmed" ff="monospace" span ml={6}>
                        {team.slug}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td ta="right" data-testid="quota-endpoints">
                    <Limit value={q?.maxEndpoints} own={q?.own.maxEvalEndpoints} />
                  </Table.Td>
                  <Table.Td ta="right" data-testid="quota-gpus">
                    <Limit value={q?.maxGpus} own={q?.own.maxGpus} />
                  </Table.Td>
                  <Table.Td ta="right">
                    {canEdit && (
                      <Button size="xs" variant="light" disabled={!q} onClick={() => q && setEditing({ team, quota: q })} aria-label={`Edit quota of ${team.slug}`}>
                        Edit
                      </Button>
                    )}
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {editing && <EditQuotaModal key={editing.team.slug} team={editing.team} quota={editing.quota} defaults={defaults} onClose={() => setEditing(null)} />}
    </>
  );
}

/** The number that applies ("…" while loading), marked when it is the installation default. */
function Limit({ value, own }: { value: number | undefined; own: number | null | undefined }) {
  if (value === undefined) return <Text size="sm" c="dimmed" span>…</Text>;
  return (
    <Text size="sm" span title={own === null ? 'The installation default' : 'The team’s own quota'}>
      {value}
      {own === null && (
        <Text size="xs" c="dimmed" span>
          {' '}
          (default)
        </Text>
      )}
    </Text>
  );
}

/** The fields start from the team's own settings: empty means "use the default" (and follow it when it changes). */
function EditQuotaModal({ team, quota, defaults, onClose }: { team: Team; quota: TeamQuota; defaults: EvalLimits; onClose: () => void }) {
  const client = useQueryClient();
  const [endpoints, setEndpoints] = useState<number | string>(quota.own.maxEvalEndpoints ?? '');
  const [gpus, setGpus] = useState<number | string>(quota.own.maxGpus ?? '');
  const asLimit = (v: number | string) => (typeof v === 'number' ? v : null);
  const save = useMutation({
    mutationFn: () => putTeamQuota(team.slug, { maxEvalEndpoints: asLimit(endpoints), maxGpus: asLimit(gpus) }),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: [TEAM_QUOTA_KEY, team.slug] });
      onClose();
    },
  });
  return (
    <Modal opened onClose={onClose} title={`Quota of team “${team.name}”`}>
      <Stack gap="md">
        <Text size="sm" c="dimmed">
          Leave a field empty to use the default.
        </Text>
        <NumberInput
          label="Max evaluation endpoints"
          description={`Running at once; default ${defaults.maxEndpointsPerTeam}`}
          placeholder={`Default (${defaults.maxEndpointsPerTeam})`}
          value={endpoints}
          onChange={setEndpoints}
          min={0}
          max={1000}
          allowDecimal={false}
          allowNegative={false}
          data-autofocus
        />
        <NumberInput
          label="Max GPUs"
          description={`Held at once; default ${defaults.maxGpusPerTeam}`}
          placeholder={`Default (${defaults.maxGpusPerTeam})`}
          value={gpus}
          onChange={setGpus}
          min={0}
          max={1000}
          allowDecimal={false}
          allowNegative={false}
        />
        {save.isError && <ErrorAlert error={save.error} title="The quota was not saved" />}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button loading={save.isPending} onClick={() => save.mutate()}>
            Save quota
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
