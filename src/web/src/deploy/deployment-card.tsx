/** One deployment as a card: state, time left, endpoint, who started it, actions, and what went wrong. */
import { Alert, Anchor, Button, Card, Code, Collapse, Group, SimpleGrid, Stack, Text } from '@mantine/core';
import { IconArrowsDiff, IconChevronDown, IconChevronRight, IconMessageChatbot } from '@tabler/icons-react';
import { useState, type ReactNode } from 'react';
import { Link } from 'react-router-dom';
import { deploymentLabel, type Deployment } from '../api/deployments';
import { formatDateTime } from '../lib/format';
import { DeploymentStateBadge, EndpointKey, EndpointUrl, TimeLeft } from './deployment-bits';
import { StopButton } from './stop-button';

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Stack gap={2} style={{ minWidth: 0 }}>
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <div style={{ fontSize: 'var(--mantine-font-size-sm)', minWidth: 0 }}>{children}</div>
    </Stack>
  );
}

export function LogTail({ lines }: { lines: string[] }) {
  const [open, setOpen] = useState(false);
  if (lines.length === 0) return null;
  return (
    <div>
      <Button
        variant="subtle"
        size="compact-sm"
        leftSection={open ? <IconChevronDown size={14} aria-hidden /> : <IconChevronRight size={14} aria-hidden />}
        onClick={() => setOpen((o) => !o)}
        aria-expanded={open}
      >
        {open ? 'Hide' : 'Show'} the last {lines.length} log lines
      </Button>
      <Collapse expanded={open}>
        <Code block mt="xs" data-testid="log-tail" style={{ maxHeight: 320, overflow: 'auto', whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
          {lines.join('\n')}
        </Code>
      </Collapse>
    </div>
  );
}

/** `showModel` names the model (the endpoints page); on the model's own tab it would repeat the header. */
export function DeploymentCard({ deployment: d, showModel = false }: { deployment: Deployment; showModel?: boolean }) {
  const ready = d.state === 'ready';
  const label = deploymentLabel(d);
  return (
    <Card withBorder padding="md" component="article" aria-label={`Endpoint ${label}`} data-deployment={d.id} data-testid="deployment-card">
      <Stack gap="sm">
        <Group justify="space-between" wrap="wrap" gap="sm">
          <Group gap="sm" wrap="wrap" style={{ minWidth: 0 }}>
            <Text fw={600} className="break-anywhere">
              {label}
            </Text>
            <DeploymentStateBadge state={d.state} />
            {(ready || d.state === 'starting' || d.state === 'pending') && <TimeLeft deployment={d} />}
          </Group>
          <Group gap="xs">
            {ready && (
              <>
                <Button size="xs" variant="light" component={Link} to={`/playground/${d.id}`} leftSection={<IconMessageChatbot size={14} aria-hidden />}>
                  Open playground
                </Button>
                <Button size="xs" variant="default" component={Link} to={`/compare?ids=${d.id}`} leftSection={<IconArrowsDiff size={14} aria-hidden />}>
                  Compare…
                </Button>
              </>
            )}
            {d.canStop && <StopButton deployment={d} />}
          </Group>
        </Group>
        <SimpleGrid cols={{ base: 2, sm: 3, lg: showModel ? 6 : 5 }} spacing="md" verticalSpacing="sm">
          {showModel && (
            <Fact label="Model">
              <Anchor component={Link} to={`/models/${encodeURIComponent(d.model.slug)}?version=${encodeURIComponent(d.model.version)}&tab=deploy`} size="sm" className="break-anywhere">
                {d.model.slug}@{d.model.version}
              </Anchor>
            </Fact>
          )}
          <Fact label="Template">{d.template}</Fact>
          <Fact label="Engine">{d.engine}</Fact>
          <Fact label="Team">{d.team}</Fact>
          <Fact label="GPUs">{d.gpus}</Fact>
          <Fact label="Created">
            <Text size="sm">{formatDateTime(d.createdAt)}</Text>
            <Text size="xs" c="dimmed" className="break-anywhere">
              {d.createdBy ? `by ${d.createdBy.name}` : `by Model Garden (${d.useCase})`}
            </Text>
          </Fact>
        </SimpleGrid>
        <Group gap="xl" align="flex-start" wrap="wrap">
          <Fact label="Endpoint URL">
            <EndpointUrl url={d.endpointUrl} />
          </Fact>
          {d.endpointKey && d.endpointUrl && (
            <Fact label="Key (Authorization: Bearer)">
              <EndpointKey value={d.endpointKey} />
            </Fact>
          )}
        </Group>
        {d.state === 'starting' && (
          <Text size="sm" c="dimmed">
            Starting the endpoint: the model is being loaded. This page looks again every 2 seconds.
          </Text>
        )}
        {d.state === 'failed' && (
          <Alert color="red" variant="light" title="The endpoint failed" role="status">
            <Stack gap="xs">
              <Text size="sm" style={{ overflowWrap: 'anywhere' }} data-testid="last-error">
                {d.lastError ?? 'No reason was recorded.'}
              </Text>
              <LogTail lines={d.logTail} />
            </Stack>
          </Alert>
        )}
      </Stack>
    </Card>
  );
}
