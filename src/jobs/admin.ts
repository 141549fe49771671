/** The job queue as admins see it: listing and retrying, authorized and audited. */
import type { Db } from '../core/db/index.js';
import { appendAudit } from '../audit/index.js';
import { requireAdmin, type Actor } from '../identity/index.js';
import type { JobQueue, JobState, JobView } from './queue.js';

export function createJobAdmin(deps: { db: Db; jobs: JobQueue }) {
  const { db, jobs } = deps;
  return {
    async list(actor: Actor, f: { state?: JobState | undefined; name?: string | undefined; limit?: number | undefined }): Promise<{ items: JobView[]; queues: string[] }> {
      requireAdmin(actor, 'see background jobs');
      return { items: await jobs.list(f), queues: jobs.queues() };
    },
    /** Runs a failed job again. */
    async retry(actor: Actor, name: string, id: string): Promise<void> {
      requireAdmin(actor, 'retry background jobs');
      await jobs.retry(name, id);
      await db.transaction(async (tx) => {
        await appendAudit(tx, actor, { action: 'job.retry', targetType: 'job', targetId: id, details: { queue: name } });
      });
    },
  };
}

export type JobAdmin = ReturnType<typeof createJobAdmin>;
