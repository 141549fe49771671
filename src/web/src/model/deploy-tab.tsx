/** The "Deploy & evaluate" tab of a version: start a temporary evaluation endpoint, see this version's endpoints, run evaluation suites. */
import { Alert, Button, Card, Group, Loader, Select, Stack, Text, Title, Tooltip } from '@mantine/core';
import { IconInfoCircle, IconRocket } from '@tabler/icons-react';
import { useState } from 'react';
import { isApiError } from '../api/client';
import { useAuth } from '../auth/auth-context';
import { ErrorAlert } from '../components/error-alert';
import { DeploymentCard } from '../deploy/deployment-card';
import { useDeployments, useEvalLimits, useStartEvalEndpoint } from '../deploy/deployment-queries';
import { formatDuration } from '../lib/format';
import { EvaluationSuitesCard } from '../evaluate/evaluation-suites-card';
import { DeployAsCode } from './deploy-as-code';

interface Props {
  slug: string;
  version: string;
  ownerTeam: string;
  tasks: string[];
  approvedUseCases: string[];
  maturity: string;
}

/** The server asks which team to count the endpoint against when the user has several. */
const asksForTeam = (err: unknown) =>
  isApiError(err) && err.code === 'INVALID_INPUT' && JSON.stringify(err.details ?? {}).includes('"team"');

export function DeployTab({ slug, version, ownerTeam, tasks, approvedUseCases, maturity }: Props) {
  const { me } = useAuth();
  // Starting an endpoint needs a contributor (or team lead) of the team it counts against; admins act for any team.
  const admin = me.user.platformRole === 'admin';
  const teams = me.teams.filter((t) => admin || t.role !== 'viewer').map((t) => ({ value: t.slug, label: t.name }));
  const mayStart = admin || teams.length > 0;
  const [team, setTeam] = useState<string | null>(() => (teams.some((t) => t.value === ownerTeam) ? ownerTeam : (teams[0]?.value ?? null)));
  const deployments = useDeployments({ slug, version });
  const limits = useEvalLimits();
  const start = useStartEvalEndpoint(slug, version);
  const needTeam = teams.length > 1 || asksForTeam(start.error);
  const items = deployments.data ?? [];

  return (
    <Stack gap="lg" data-testid="deploy-panel">
      <Card withBorder padding="lg" component="section" aria-labelledby="eval-endpoint-title">
        <Stack gap="md">
          <Group justify="space-between" align="flex-end" wrap="wrap">
            <div style={{ flex: '1 1 320px', minWidth: 0 }}>
              <Title order={3} size="h4" id="eval-endpoint-title">
                Evaluation endpoint
              </Title>
              <Text size="sm" c="dimmed" mt={4}>
                A temporary endpoint serving version {version}, for trying it out in the playground or comparing it with others
                {limits.data ? `. It stops by itself after ${formatDuration(limits.data.lifetimeHours * 3600).replace(/ /g, '\u00a0')} and counts against your team’s quota (${limits.data.maxEndpointsPerTeam} endpoints, ${limits.data.maxGpusPerTeam} GPUs).` : '.'}
              </Text>
            </div>
            <Group gap="sm" align="flex-end">
              {needTeam && teams.length > 0 && (
                <Select label="Team" description="Counts against its quota" data={teams} value={team} onChange={setTeam} allowDeselect={false} w={200} />
              )}
              <Tooltip label="Starting endpoints needs the contributor role in a team; viewers can try the endpoints their team started" disabled={mayStart} withArrow multiline w={280}>
                <span>
                  <Button leftSection={<IconRocket size={16} aria-hidden />} loading={start.isPending} disabled={!mayStart} onClick={() => start.mutate(needTeam ? team : null)}>
                    Start evaluation endpoint
                  </Button>
                </span>
              </Tooltip>
            </Group>
          </Group>
          {!mayStart && (
            <Text size="sm" c="dimmed" data-testid="start-needs-contributor">
              {me.teams.length === 0
                ? 'You are in no team: starting an endpoint needs the contributor role in a team.'
                : `You are a viewer in ${me.teams.length === 1 ? 'your team' : 'your teams'}: starting an endpoint needs the contributor role. Endpoints your team started are listed below.`}
            </Text>
          )}
          {start.isError && !(asksForTeam(start.error) && teams.length > 1) && <ErrorAlert error={start.error} title="The endpoint could not be started" />}
          {start.isError && asksForTeam(start.error) && teams.length > 1 && (
            <Alert color="yellow" variant="light" icon={<IconInfoCircle aria-hidden />} role="status">
              Choose the team the endpoint counts against, then start it again.
            </Alert>
          )}
        </Stack>
      </Card>
      <Stack gap="sm" component="section" aria-labelledby="version-endpoints-title">
        <Title order={3} size="h4" id="version-endpoints-title">
          Endpoints of version {version}
        </Title>
        {deployments.isError ? (
          <ErrorAlert error={deployments.error} title="The endpoints could not be loaded" />
        ) : deployments.isPending ? (
          <Loader size="sm" aria-label="Loading the endpoints" />
        ) : items.length === 0 ? (
          <Text size="sm" c="dimmed">
            No endpoints of this version yet.
          </Text>
        ) : (
          items.map((d) => <DeploymentCard key={d.id} deployment={d} />)
        )}
      </Stack>
      <EvaluationSuitesCard slug={slug} version={version} tasks={tasks} />
      <DeployAsCode slug={slug} version={version} ownerTeam={ownerTeam} approvedUseCases={approvedUseCases} maturity={maturity} />
    </Stack>
  );
}
