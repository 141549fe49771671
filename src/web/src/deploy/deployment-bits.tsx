/** Small pieces every deployment view shares: the state badge, the live countdown and the copyable endpoint URL. */
import { ActionIcon, Badge, Code, CopyButton, Group, Loader, Text, Tooltip, type BadgeProps } from '@mantine/core';
import { IconCheck, IconCopy, IconEye, IconEyeOff } from '@tabler/icons-react';
import { useEffect, useState } from 'react';
import type { Deployment, DeploymentState } from '../api/deployments';
import { formatDateTime, formatTimeLeft } from '../lib/format';

const STATE_COLORS: Record<DeploymentState, string> = {
  pending: 'gray',
  starting: 'blue',
  running: 'green',
  ready: 'green',
  failed: 'red',
  stopping: 'orange',
  stopped: 'gray',
  expired: 'gray',
};

export function DeploymentStateBadge({ state, ...props }: { state: DeploymentState } & Omit<BadgeProps, 'color' | 'children'>) {
  const busy = state === 'starting' || state === 'pending' || state === 'stopping';
  return (
    <Badge
      color={STATE_COLORS[state]}
      variant={state === 'ready' || state === 'failed' ? 'filled' : 'light'}
      leftSection={busy ? <Loader size={10} color={STATE_COLORS[state]} aria-hidden /> : undefined}
      data-testid="deployment-state"
      data-state={state}
      {...props}
    >
      {state}
    </Badge>
  );
}

/** The current time, moved on every `everyMs` (the countdowns need no finer grain). */
export function useNow(everyMs = 30_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

/** "3 h 12 min left" until the endpoint expires, updated every 30 s; nothing for stopped ones. */
export function TimeLeft({ deployment }: { deployment: Pick<Deployment, 'expiresAt' | 'state'> }) {
  const now = useNow();
  const { expiresAt, state } = deployment;
  if (!expiresAt) return <Text span size="sm" c="dimmed">no expiry</Text>;
  if (state === 'stopped' || state === 'failed') return <Text span size="sm" c="dimmed">—</Text>;
  const label = formatTimeLeft(expiresAt, now);
  const soon = new Date(expiresAt).getTime() - now < 15 * 60_000;
  return (
    <Tooltip label={`Expires ${formatDateTime(expiresAt)}`} withArrow openDelay={300}>
      <Text span size="sm" c={label === 'expired' ? 'dimmed' : soon ? 'orange' : undefined} fw={500} data-testid="time-left" style={{ whiteSpace: 'nowrap' }}>
        {label}
      </Text>
    </Tooltip>
  );
}

/** The endpoint's key, hidden until asked for; copying works either way. */
export function EndpointKey({ value }: { value: string }) {
  const [shown, setShown] = useState(false);
  return (
    <Group gap={4} wrap="nowrap" style={{ minWidth: 0 }}>
      <Code className="break-anywhere" data-testid="endpoint-key">
        {shown ? value : '•'.repeat(16)}
      </Code>
      <Tooltip label={shown ? 'Hide key' : 'Show key'} withArrow>
        <ActionIcon variant="subtle" size="sm" color="gray" onClick={() => setShown(!shown)} aria-label={shown ? 'Hide endpoint key' : 'Show endpoint key'}>
          {shown ? <IconEyeOff size={14} /> : <IconEye size={14} />}
        </ActionIcon>
      </Tooltip>
      <CopyButton value={value} timeout={1500}>
        {({ copied, copy }) => (
          <Tooltip label={copied ? 'Copied' : 'Copy endpoint key'} withArrow>
            <ActionIcon variant="subtle" size="sm" color={copied ? 'teal' : 'gray'} onClick={copy} aria-label={copied ? 'Endpoint key copied' : 'Copy endpoint key'}>
              {copied ? <IconCheck size={14} /> : <IconCopy size={14} />}
            </ActionIcon>
          </Tooltip>
        )}
      </CopyButton>
    </Group>
  );
}

export function EndpointUrl({ url }: { url: string | null }) {
  if (!url) return <Text span size="sm" c="dimmed">not yet</Text>;
  return (
    <Group gap={4} wrap="nowrap" style={{ minWidth: 0 }}>
      <Code className="break-anywhere" data-testid="endpoint-url">
        {url}
      </Code>
      <CopyButton value={url} timeout={1500}>
        {({ copied, copy }) => (
          <Tooltip label={copied ? 'Copied' : 'Copy endpoint URL'} withArrow>
            <ActionIcon variant="subtle" size="sm" color={copied ? 'teal' : 'gray'} onClick={copy} aria-label={copied ? 'Endpoint URL copied' : 'Copy endpoint URL'}>
              {copied ? <IconCheck size={14} /> : <IconCopy size={14} />}
            </ActionIcon>
          </Tooltip>
        )}
      </CopyButton>
    </Group>
  );
}
