/**
 * The durable job queue (pg-boss, in the same PostgreSQL / PGlite database): scans, benchmarks and
 * every later background task. Jobs survive restarts; a worker that dies mid-job (kill -9) leaves
 * the job active until it expires, then it is retried with backoff. Handlers must be idempotent: a
 * job can run again after a crash. A job sent with `tx` is created in that transaction, so it
 * exists exactly when the change that asked for it commits.
 */
import { sql, type SQL } from 'drizzle-orm';
import PgBoss from 'pg-boss';
import { JOB_SCHEMA, queryRows, type Database, type Tx } from '../core/db/index.js';
import type { Logger } from '../core/logger.js';

export interface QueueSpec {
  /** Attempts after the first. */
  retryLimit: number;
  /** Seconds before the first retry; doubled each time with backoff. */
  retryDelaySeconds: number;
  /** A job still active after this long is taken to have died with its worker, and retried. */
  expireInSeconds: number;
  /** Jobs of this queue one process runs at the same time. */
  concurrency: number;
}

export interface JobContext {
  id: string;
  /** 0 on the first attempt. */
  retryCount: number;
}

export type JobHandler<T> = (data: T, job: JobContext) => Promise<unknown>;

export type JobState = 'created' | 'retry' | 'active' | 'completed' | 'cancelled' | 'failed';

export interface JobView {
  id: string;
  name: string;
  state: JobState;
  data: unknown;
  /** The handler's result, or the error of the last failed attempt. */
  output: unknown;
  retryCount: number;
  retryLimit: number;
  createdOn: string;
  startedOn: string | null;
  completedOn: string | null;
  startAfter: string;
}

export interface QueueOptions {
  /** Poll interval of workers (seconds); tests use less. */
  pollSeconds?: number;
  /** How often expired jobs are looked for (seconds). */
  maintenanceSeconds?: number;
}

/** pg-boss's parameterized SQL as Drizzle SQL, so a job can be sent inside a Drizzle transaction. */
function txAdapter(tx: Tx): PgBoss.Db {
  return {
    executeSql: async (text: string, values: unknown[]) => {
      const parts = text.split(/\$(\d+)/);
      const chunks: SQL[] = parts.map((p, i) => {
        if (i % 2 === 0) return sql.raw(p);
        const v = values[Number(p) - 1] ?? null;
        return sql`${v !== null && typeof v === 'object' && !(v instanceof Date) ? JSON.stringify(v) : v}`;
      });
      return { rows: await queryRows(tx, sql.join(chunks, sql``)) };
    },
  };
}

export function createJobQueue(database: Database, logger: Logger, opts: QueueOptions = {}) {
  const boss = new PgBoss({
    db: { executeSql: (text: string, values: unknown[]) => database.executeSql(text, values) },
    schema: JOB_SCHEMA,
    migrate: true,
    schedule: true,
    supervise: true,
    maintenanceIntervalSeconds: opts.maintenanceSeconds ?? 30,
  });
  boss.on('error', (err) => logger.error({ err }, 'job queue error'));
  const handlers = new Map<string, { spec: QueueSpec; handler: JobHandler<unknown> }>();
  let started = false;

  /** Declares a queue and how its jobs are handled (before start). */
  function register<T>(name: string, spec: QueueSpec, handler: JobHandler<T>): void {
    handlers.set(name, { spec, handler: handler as JobHandler<unknown> });
  }

  async function ensureQueues(): Promise<void> {
    for (const [name, { spec }] of handlers) {
      const queue = { name, retryLimit: spec.retryLimit, retryDelay: spec.retryDelaySeconds, retryBackoff: true, expireInSeconds: spec.expireInSeconds };
      if (await boss.getQueue(name)) await boss.updateQueue(name, queue);
      else await boss.createQueue(name, queue);
    }
  }

  /** Connects; with `workers`, this process also runs jobs. */
  async function start(o: { workers: boolean }): Promise<void> {
    if (started) return;
    await boss.start();
    started = true;
    await ensureQueues();
    if (!o.workers) return;
    for (const [name, { spec, handler }] of handlers) {
      for (let i = 0; i < spec.concurrency; i++) {
        await boss.work(name, { pollingIntervalSeconds: opts.pollSeconds ?? 2, batchSize: 1, includeMetadata: true }, async (jobs) => {
          for (const job of jobs) {
            const ctx = { id: job.id, retryCount: job.retryCount };
            try {
              return await handler(job.data, ctx);
            } catch (err) {
              logger.warn({ err, job: job.id, queue: name, attempt: ctx.retryCount + 1 }, 'job failed');
              throw err;
            }
          }
          return undefined;
        });
      }
    }
  }

  async function stop(): Promise<void> {
    if (!started) return;
    started = false;
    await boss.stop({ graceful: true, wait: true, timeout: 10_000 });
  }

  /**
   * Queues a job (inside `tx` when given). `singletonKey`: at most one queued job per key, so
   * sending twice for the same thing does not run it twice.
   */
  async function send(name: string, data: object, o: { tx?: Tx; singletonKey?: string; startAfterSeconds?: number } = {}): Promise<string | null> {
    if (!handlers.has(name)) throw new Error(`no queue ${name}`);
    if (!started) await boss.start().then(() => (started = true)).then(ensureQueues);
    return boss.send(name, data, {
      ...(o.singletonKey ? { singletonKey: o.singletonKey } : {}),
      ...(o.startAfterSeconds ? { startAfter: o.startAfterSeconds } : {}),
      ...(o.tx ? { db: txAdapter(o.tx) } : {}),
    });
  }

  /** Jobs for the admin page, newest first. */
  async function list(f: { state?: JobState | undefined; name?: string | undefined; id?: string | undefined; limit?: number | undefined } = {}): Promise<JobView[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    if (f.state) where.push(`state = $${values.push(f.state)}`);
    if (f.name) where.push(`name = $${values.push(f.name)}`);
    if (f.id) where.push(`id = $${values.push(f.id)}::uuid`);
    values.push(Math.min(f.limit ?? 100, 500));
    const { rows } = await database.executeSql(
      `SELECT id, name, state, data, output, retry_count, retry_limit, created_on, started_on, completed_on, start_after
         FROM ${JOB_SCHEMA}.job ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY created_on DESC LIMIT $${values.length}`,
      values,
    );
    const iso = (v: unknown) => (v ? new Date(v as string).toISOString() : null);
    return (rows as Record<string, unknown>[]).map((r) => ({
      id: String(r.id),
      name: String(r.name),
      state: r.state as JobState,
      data: r.data,
      output: r.output,
      retryCount: Number(r.retry_count),
      retryLimit: Number(r.retry_limit),
      createdOn: iso(r.created_on) as string,
      startedOn: iso(r.started_on),
      completedOn: iso(r.completed_on),
      startAfter: iso(r.start_after) as string,
    }));
  }

  async function get(name: string, id: string): Promise<JobView | null> {
    return (await list({ name, id, limit: 1 }))[0] ?? null;
  }

  /** Runs a failed job again. */
  async function retry(name: string, id: string): Promise<void> {
    await boss.retry(name, id);
  }

  /** Runs `name` on a cron schedule (UTC), e.g. housekeeping. */
  async function schedule(name: string, cron: string): Promise<void> {
    await boss.schedule(name, cron, {});
  }

  return { register, start, stop, send, list, get, retry, schedule, queues: () => [...handlers.keys()] };
}

export type JobQueue = ReturnType<typeof createJobQueue>;
