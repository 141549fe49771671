/** The state of an evaluation run, with a spinner while it is queued or running. */
import { Badge, Loader } from '@mantine/core';
import type { RunState } from '../api/evaluations';

const COLORS: Record<RunState, string> = { queued: 'gray', running: 'blue', succeeded: 'green', failed: 'red' };

export function RunStateBadge({ state }: { state: RunState }) {
  const busy = state === 'queued' || state === 'running';
  return (
    <Badge
      color={COLORS[state]}
      variant={busy ? 'light' : 'filled'}
      leftSection={busy ? <Loader size={10} color={COLORS[state]} aria-hidden /> : undefined}
      data-testid="run-state"
      data-state={state}
    >
      {state}
    </Badge>
  );
}
