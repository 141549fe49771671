/** The review workflow: a version's submission, its scan report and history, and the review queues. */
import { requestJson } from './client';

export type Stage = 'checks' | 'awaiting_ack' | 'awaiting_signoff' | 'awaiting_approval' | 'approved' | 'rejected';
export type ReviewAction = 'acknowledge' | 'sign-off' | 'approve' | 'reject';

/** Where the review of one version stands; `next` lists what the signed-in user may do now. */
export interface Submission {
  slug: string;
  version: string;
  ownerTeam: string;
  lifecycle: string;
  stage: Stage;
  evaluationOnly: boolean;
  submittedBy: string | null;
  submittedAt: string;
  scanVerdict: string | null;
  signedOffBy: string | null;
  approvedBy: string | null;
  rejectReason: string | null;
  next: string[];
}

export interface ScanFinding {
  code: string;
  severity: string;
  message: string;
  offset: number | null;
}

export interface ScanFileReport {
  path: string;
  format: string;
  verdict: string;
  findings: ScanFinding[];
}

export interface HistoryEvent {
  seq: number;
  at: string;
  actorName: string;
  action: string;
  details: Record<string, unknown>;
}

export interface ReviewQueue {
  waitingForYou: Submission[];
  yourTeams: Submission[];
}

const versionPath = (slug: string, version: string) => `/models/${encodeURIComponent(slug)}/versions/${encodeURIComponent(version)}`;

export function getSubmission(slug: string, version: string, signal?: AbortSignal): Promise<Submission> {
  return requestJson<Submission>(`${versionPath(slug, version)}/submission`, { signal });
}

export function getScanReport(slug: string, version: string, signal?: AbortSignal): Promise<{ items: ScanFileReport[] }> {
  return requestJson<{ items: ScanFileReport[] }>(`${versionPath(slug, version)}/scan-report`, { signal });
}

export function getHistory(slug: string, version: string, signal?: AbortSignal): Promise<{ items: HistoryEvent[] }> {
  return requestJson<{ items: HistoryEvent[] }>(`${versionPath(slug, version)}/history`, { signal });
}

export function getReviewQueue(signal?: AbortSignal): Promise<ReviewQueue> {
  return requestJson<ReviewQueue>('/reviews/queue', { signal });
}

/** POST …/submit: queues the security scan; a 422 SUBMISSION_INCOMPLETE lists what is missing. */
export function submitForReview(slug: string, version: string, evaluationOnly: boolean): Promise<Submission> {
  return requestJson<Submission>(`${versionPath(slug, version)}/submit`, { method: 'POST', body: { evaluationOnly } });
}

/** One review step; `text` is the comment (the reason, for reject). */
export function runReviewAction(slug: string, version: string, action: ReviewAction, text: string): Promise<Submission> {
  const trimmed = text.trim();
  const body = action === 'reject' ? { reason: trimmed } : trimmed || action === 'acknowledge' ? { comment: trimmed } : {};
  return requestJson<Submission>(`${versionPath(slug, version)}/${action}`, { method: 'POST', body });
}

/** POST …/benchmarks/{id}/accept: a platform reviewer accepts a result the team reported (not one they typed). */
export function acceptBenchmark(slug: string, version: string, id: number, comment: string): Promise<unknown> {
  const trimmed = comment.trim();
  return requestJson<unknown>(`${versionPath(slug, version)}/benchmarks/${id}/accept`, { method: 'POST', body: trimmed ? { comment: trimmed } : {} });
}

export const STAGE_LABELS: Record<Stage, string> = {
  checks: 'Security scan',
  awaiting_ack: 'Awaiting acknowledgement',
  awaiting_signoff: 'Awaiting sign-off',
  awaiting_approval: 'Awaiting approval',
  approved: 'Approved',
  rejected: 'Rejected',
};

export const STAGE_COLORS: Record<Stage, string> = {
  checks: 'gray',
  awaiting_ack: 'yellow',
  awaiting_signoff: 'blue',
  awaiting_approval: 'violet',
  approved: 'green',
  rejected: 'red',
};
