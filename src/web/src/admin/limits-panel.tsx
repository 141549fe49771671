/** Evaluation limits: how long an evaluation endpoint lives, the default per-team quotas and each team's own (admins change them). */
import { Button, Card, Group, NumberInput, Stack, Text, Title } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { putEvalLimits, type EvalLimits } from '../api/deployments';
import { ErrorAlert } from '../components/error-alert';
import { TEAM_QUOTA_KEY, useEvalLimits } from '../deploy/deployment-queries';
import { TeamQuotas } from './team-quotas';

export function LimitsPanel({ canEdit }: { canEdit: boolean }) {
  const limits = useEvalLimits();
  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="limits-title">
      <Stack gap="md">
        <div>
          <Title order={2} size="h4" id="limits-title">
            Evaluation limits
          </Title>
          <Text size="sm" c="dimmed" mt={4}>
            Apply to every evaluation endpoint started from now on; a team’s own quota, where set, replaces the defaults.
          </Text>
        </div>
        {limits.isError ? (
          <ErrorAlert error={limits.error} title="The limits could not be loaded" />
        ) : limits.isPending ? (
          <Text size="sm" c="dimmed">Loading…</Text>
        ) : (
          <>
            <LimitsForm key={JSON.stringify(limits.data)} current={limits.data} canEdit={canEdit} />
            <TeamQuotas defaults={limits.data} canEdit={canEdit} />
          </>
        )}
      </Stack>
    </Card>
  );
}

function LimitsForm({ current, canEdit }: { current: EvalLimits; canEdit: boolean }) {
  const client = useQueryClient();
  const [hours, setHours] = useState<number | string>(current.lifetimeHours);
  const [endpoints, setEndpoints] = useState<number | string>(current.maxEndpointsPerTeam);
  const [gpus, setGpus] = useState<number | string>(current.maxGpusPerTeam);
  const save = useMutation({
    mutationFn: putEvalLimits,
    onSuccess: (saved) => {
      client.setQueryData(['eval-limits'], saved);
      // Teams without their own quota now get the new defaults.
      void client.invalidateQueries({ queryKey: [TEAM_QUOTA_KEY] });
    },
  });
  const valid = typeof hours === 'number' && typeof endpoints === 'number' && typeof gpus === 'number';
  const changed = hours !== current.lifetimeHours || endpoints !== current.maxEndpointsPerTeam || gpus !== current.maxGpusPerTeam;
  return (
    <Stack gap="md">
      <Group align="flex-start" gap="lg" wrap="wrap">
        <NumberInput label="Lifetime (hours)" description="0.05 to 168" value={hours} onChange={setHours} min={0.05} max={168} step={1} decimalScale={2} w={200} disabled={!canEdit} />
        <NumberInput label="Max endpoints per team" description="Running at once" value={endpoints} onChange={setEndpoints} min={0} max={1000} allowDecimal={false} w={200} disabled={!canEdit} />
        <NumberInput label="Max GPUs per team" description="Held at once" value={gpus} onChange={setGpus} min={0} max={1000} allowDecimal={false} w={200} disabled={!canEdit} />
      </Group>
      {save.isError && <ErrorAlert error={save.error} title="The limits were not saved" />}
      {canEdit && (
        <Group>
          <Button
            disabled={!valid || !changed}
            loading={save.isPending}
            onClick={() => valid && save.mutate({ lifetimeHours: hours, maxEndpointsPerTeam: endpoints, maxGpusPerTeam: gpus })}
          >
            Save limits
          </Button>
          {save.isSuccess && !changed && (
            <Text size="sm" c="teal" role="status">
              Saved.
            </Text>
          )}
        </Group>
      )}
    </Stack>
  );
}
