/** React Query hooks for one version's review: the submission, scan report and history, and the steps. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { isApiError } from '../../api/client';
import { acceptBenchmark, getHistory, getReviewQueue, getScanReport, getSubmission, runReviewAction, submitForReview, type ReviewAction, type Submission } from '../../api/governance';
import { retryTransient } from '../../api/queries';

const reviewKey = (slug: string, version: string) => ['review', slug, version];

/** The submission, or null when the version was never submitted (a 404). Polls while the scan runs. */
export function useSubmission(slug: string, version: string) {
  return useQuery({
    queryKey: [...reviewKey(slug, version), 'submission'],
    queryFn: async ({ signal }) => {
      try {
        return await getSubmission(slug, version, signal);
      } catch (err) {
        if (isApiError(err) && err.status === 404) return null;
        throw err;
      }
    },
    retry: retryTransient,
    // The scan runs as a background job: look again until it has decided.
    refetchInterval: (q) => (q.state.data?.stage === 'checks' ? 2000 : false),
  });
}

export function useScanReport(slug: string, version: string, enabled: boolean) {
  return useQuery({
    queryKey: [...reviewKey(slug, version), 'scan'],
    queryFn: ({ signal }) => getScanReport(slug, version, signal),
    enabled,
    retry: retryTransient,
  });
}

export function useHistory(slug: string, version: string) {
  return useQuery({
    queryKey: [...reviewKey(slug, version), 'history'],
    queryFn: ({ signal }) => getHistory(slug, version, signal),
    retry: retryTransient,
  });
}

export function useReviewQueue() {
  return useQuery({ queryKey: ['review-queue'], queryFn: ({ signal }) => getReviewQueue(signal), retry: retryTransient, staleTime: 10_000 });
}

/** After a step: the review, the model (its lifecycle changed) and the queues are stale. */
function useRefreshAfterStep(slug: string, version: string) {
  const client = useQueryClient();
  return (sub: Submission) => {
    client.setQueryData([...reviewKey(slug, version), 'submission'], sub);
    void client.invalidateQueries({ queryKey: reviewKey(slug, version) });
    void client.invalidateQueries({ queryKey: ['model', slug] });
    void client.invalidateQueries({ queryKey: ['review-queue'] });
  };
}

export function useSubmit(slug: string, version: string) {
  const refresh = useRefreshAfterStep(slug, version);
  return useMutation({ mutationFn: (evaluationOnly: boolean) => submitForReview(slug, version, evaluationOnly), onSuccess: refresh });
}

export function useReviewAction(slug: string, version: string) {
  const refresh = useRefreshAfterStep(slug, version);
  return useMutation({ mutationFn: ({ action, text }: { action: ReviewAction; text: string }) => runReviewAction(slug, version, action, text), onSuccess: refresh });
}

/** A platform reviewer accepts a reported benchmark result: the model (its benchmarks) and the review are stale after. */
export function useAcceptBenchmark(slug: string, version: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => acceptBenchmark(slug, version, id, ''),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['model', slug] });
      void client.invalidateQueries({ queryKey: reviewKey(slug, version) });
    },
  });
}
