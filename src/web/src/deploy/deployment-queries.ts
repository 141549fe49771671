/** React Query hooks for deployments: lists and one deployment (polled while they move), start and stop. */
import { useMutation, useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  DEPLOYMENTS_KEY,
  getDeployment,
  getEvalLimits,
  getTeamQuota,
  listDeployments,
  listTeams,
  listTemplates,
  MOVING_STATES,
  startEvalEndpoint,
  stopDeployment,
  type Deployment,
  type DeploymentFilter,
} from '../api/deployments';
import { retryTransient } from '../api/queries';

/** The per-team quota queries; changing the defaults changes what they answer. */
export const TEAM_QUOTA_KEY = 'team-quota';

/** How often a starting or stopping endpoint is looked at again. */
const POLL_MS = 2000;

const moving = (items: Deployment[] | undefined) => (items ?? []).some((d) => MOVING_STATES.includes(d.state));

/** Deployments matching `f`, live ones first; polls while any is starting or stopping. */
export function useDeployments(f: DeploymentFilter, opts: { refetchMs?: number } = {}) {
  return useQuery({
    queryKey: [...DEPLOYMENTS_KEY, 'list', f],
    queryFn: async ({ signal }) => sortLiveFirst(await listDeployments(f, signal)),
    retry: retryTransient,
    refetchInterval: (q) => (moving(q.state.data) ? POLL_MS : (opts.refetchMs ?? false)),
  });
}

export function useDeployment(id: string) {
  return useQuery({
    queryKey: [...DEPLOYMENTS_KEY, 'one', id],
    queryFn: ({ signal }) => getDeployment(id, signal),
    retry: retryTransient,
    refetchInterval: (q) => (q.state.data && MOVING_STATES.includes(q.state.data.state) ? POLL_MS : false),
  });
}

/** Live (starting, ready, stopping) before the rest; newest first within each. */
export function sortLiveFirst(items: Deployment[]): Deployment[] {
  const rank = (d: Deployment) => (d.state === 'ready' || MOVING_STATES.includes(d.state) ? 0 : 1);
  return [...items].sort((a, b) => rank(a) - rank(b) || b.createdAt.localeCompare(a.createdAt));
}

function useRefreshDeployments() {
  const client = useQueryClient();
  return (d: Deployment) => {
    client.setQueryData([...DEPLOYMENTS_KEY, 'one', d.id], d);
    void client.invalidateQueries({ queryKey: DEPLOYMENTS_KEY });
  };
}

export function useStartEvalEndpoint(slug: string, version: string) {
  const refresh = useRefreshDeployments();
  return useMutation({ mutationFn: (team: string | null) => startEvalEndpoint(slug, version, team), onSuccess: refresh });
}

export function useStopDeployment() {
  const refresh = useRefreshDeployments();
  return useMutation({ mutationFn: (d: Deployment) => stopDeployment(d.id), onSuccess: refresh });
}

export function useTemplates() {
  return useQuery({ queryKey: ['deployment-templates'], queryFn: ({ signal }) => listTemplates(signal), retry: retryTransient, staleTime: 30_000 });
}

export function useEvalLimits() {
  return useQuery({ queryKey: ['eval-limits'], queryFn: ({ signal }) => getEvalLimits(signal), retry: retryTransient, staleTime: 30_000 });
}

export function useTeams() {
  return useQuery({ queryKey: ['teams'], queryFn: ({ signal }) => listTeams(signal), retry: retryTransient, staleTime: 30_000 });
}

/** The quota that applies to each team (its own or the defaults), in the order given. */
export function useTeamQuotas(teams: string[]) {
  return useQueries({
    queries: teams.map((team) => ({ queryKey: [TEAM_QUOTA_KEY, team], queryFn: ({ signal }: { signal: AbortSignal }) => getTeamQuota(team, signal), retry: retryTransient, staleTime: 30_000 })),
  });
}
