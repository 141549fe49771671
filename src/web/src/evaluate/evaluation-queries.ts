/** React Query hooks for evaluation suites and a version's runs (polled while any is unfinished). */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { DEPLOYMENTS_KEY } from '../api/deployments';
import { listEvaluations, listSuites, requestEvaluation, UNFINISHED_RUN_STATES, type EvaluationRun } from '../api/evaluations';
import { retryTransient } from '../api/queries';

/** How often unfinished runs are looked at again. */
const POLL_MS = 2000;

const runsKey = (slug: string, version: string) => ['evaluations', slug, version] as const;
const unfinished = (runs: EvaluationRun[] | undefined) => (runs ?? []).filter((r) => UNFINISHED_RUN_STATES.includes(r.state));

export function useSuites() {
  return useQuery({ queryKey: ['suites'], queryFn: ({ signal }) => listSuites(signal), retry: retryTransient, staleTime: 30_000 });
}

/**
 * This version's runs. When one finishes, the model (its benchmarks) and the endpoints (a run
 * starts and stops its own) are fetched again.
 */
export function useEvaluations(slug: string, version: string) {
  const client = useQueryClient();
  const query = useQuery({
    queryKey: runsKey(slug, version),
    queryFn: ({ signal }) => listEvaluations(slug, version, signal),
    retry: retryTransient,
    refetchInterval: (q) => (unfinished(q.state.data).length > 0 ? POLL_MS : false),
  });
  const waiting = useRef(new Set<string>());
  useEffect(() => {
    const runs = query.data;
    if (!runs) return;
    const finished = runs.filter((r) => waiting.current.has(r.id) && !UNFINISHED_RUN_STATES.includes(r.state));
    waiting.current = new Set(unfinished(runs).map((r) => r.id));
    if (finished.length === 0) return;
    void client.invalidateQueries({ queryKey: DEPLOYMENTS_KEY });
    if (finished.some((r) => r.state === 'succeeded')) void client.invalidateQueries({ queryKey: ['model', slug] });
  }, [query.data, client, slug]);
  return query;
}

export function useRunSuite(slug: string, version: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (suite: string) => requestEvaluation(slug, version, suite),
    onSuccess: (run) => {
      client.setQueryData<EvaluationRun[]>(runsKey(slug, version), (runs) => [run, ...(runs ?? []).filter((r) => r.id !== run.id)]);
      void client.invalidateQueries({ queryKey: runsKey(slug, version) });
    },
  });
}
