/** The audit trail and the job queue (admins; the audit trail also for platform reviewers). */
import { API_BASE, requestEmpty, requestJson } from './client';

export interface AuditEvent {
  seq: number;
  at: string;
  actorId: string | null;
  actorName: string;
  action: string;
  targetType: string;
  targetId: string;
  modelSlug: string | null;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export interface AuditFilter {
  model?: string;
  actor?: string;
  action?: string;
}

export interface AuditVerification {
  ok: boolean;
  events: number;
  problems: { seq: number | null; problem: string }[];
}

export const JOB_STATES = ['created', 'retry', 'active', 'completed', 'cancelled', 'failed'] as const;
export type JobState = (typeof JOB_STATES)[number];

export interface Job {
  id: string;
  name: string;
  state: JobState;
  data: unknown;
  output: unknown;
  retryCount: number;
  retryLimit: number;
  createdOn: string;
  startedOn: string | null;
  completedOn: string | null;
}

/** The filter as a query string; empty fields are left out. */
export function auditQuery(f: AuditFilter, extra: Record<string, string> = {}): string {
  const qs = new URLSearchParams(extra);
  for (const key of ['model', 'actor', 'action'] as const) {
    const v = f[key]?.trim();
    if (v) qs.set(key, v);
  }
  const s = qs.toString();
  return s ? `?${s}` : '';
}

export function listAudit(f: AuditFilter, before: number | null, signal?: AbortSignal): Promise<{ items: AuditEvent[]; nextCursor: number | null }> {
  return requestJson(`/audit${auditQuery(f, { limit: '50', ...(before !== null ? { before: String(before) } : {}) })}`, { signal });
}

/** A plain link (the browser downloads it with the session cookie). */
export function auditExportUrl(f: AuditFilter): string {
  return `${API_BASE}/audit/export${auditQuery(f)}`;
}

export function verifyAudit(): Promise<AuditVerification> {
  return requestJson<AuditVerification>('/audit/verify');
}

export function listJobs(state: JobState | null, signal?: AbortSignal): Promise<{ items: Job[]; queues: string[] }> {
  return requestJson(`/jobs${state ? `?state=${state}` : ''}`, { signal });
}

export function retryJob(name: string, id: string): Promise<void> {
  return requestEmpty(`/jobs/${encodeURIComponent(name)}/${encodeURIComponent(id)}/retry`, { method: 'POST' });
}
