/**
 * The job queue on PGlite and PostgreSQL: a worker killed with SIGKILL in the middle of a job
 * leaves it to be retried by the next process, which completes it; jobs sent inside a transaction
 * exist only if it commits; concurrent jobs run at the same time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { ROOT } from '../src/core/paths.js';
import { createLogger } from '../src/core/logger.js';
import { createJobQueue } from '../src/jobs/queue.js';
import { createTestDatabase, dbKinds, type TestDb } from './harness.js';

const WORKER = path.join(ROOT, 'test', 'fixtures', 'job-worker.ts');

function startWorker(env: Record<string, string>): { child: ChildProcess; exit: Promise<{ code: number | null; stdout: string; stderr: string }> } {
  // node itself with tsx as a loader: SIGKILL must hit the worker, not a launcher that outlives it.
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const exit = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
  return { child, exit };
}

async function waitFor(file: string, pattern: RegExp, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (existsSync(file) && pattern.test(readFileSync(file, 'utf8'))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${pattern} in ${file}: ${existsSync(file) ? readFileSync(file, 'utf8') : '(no file)'}`);
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe.each(dbKinds())('job queue on %s', (kind) => {
  it('a job whose worker is killed with SIGKILL mid-run is retried after a restart and completes', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'garden-jobs-'));
    dirs.push(dir);
    const log = path.join(dir, 'log.txt');
    let dbEnv: Record<string, string>;
    let pgDb: TestDb | null = null;
    if (kind === 'pglite') {
      cpSync(inject('pgliteTemplate'), path.join(dir, 'db'), { recursive: true });
      dbEnv = { GARDEN_DATA_DIR: dir };
    } else {
      pgDb = await createTestDatabase('postgres');
      dbEnv = { GARDEN_DATABASE_URL: pgDb.url as string };
    }
    try {
      const first = startWorker({ ...dbEnv, LOG: log, SEND: '1', MODE: 'hang' });
      await waitFor(log, /^start \S+ 0 42$/m, 60_000);
      first.child.kill('SIGKILL');
      expect((await first.exit).code).toBeNull();

      const second = startWorker({ ...dbEnv, LOG: log, MODE: 'finish' });
      const out = await second.exit;
      expect(out.code, out.stderr).toBe(0);
      const lines = readFileSync(log, 'utf8').trim().split('\n');
      const id = (lines[0] ?? '').split(' ')[1];
      expect(lines).toEqual([`sent ${id}`, `start ${id} 0 42`, `start ${id} 1 42`, `done ${id}`]);
      expect(JSON.parse(out.stdout)).toMatchObject({ id, state: 'completed', retryCount: 1, output: { ok: true } });
    } finally {
      await pgDb?.cleanup();
    }
  }, 120_000);

  it('creates a job sent inside a transaction only when it commits, and runs jobs concurrently', async () => {
    const t = await createTestDatabase(kind);
    const queue = createJobQueue(t.database, createLogger('silent'), { pollSeconds: 0.5, maintenanceSeconds: 5 });
    const running = new Set<number>();
    let overlap = 0;
    queue.register<{ n: number }>('test-concurrent', { retryLimit: 0, retryDelaySeconds: 1, expireInSeconds: 30, concurrency: 3 }, async ({ n }) => {
      running.add(n);
      overlap = Math.max(overlap, running.size);
      await new Promise((r) => setTimeout(r, 700));
      running.delete(n);
      return { n };
    });
    try {
      await queue.start({ workers: false });
      await t.database.db
        .transaction(async (tx) => {
          await queue.send('test-concurrent', { n: 0 }, { tx });
          throw new Error('roll back');
        })
        .catch(() => undefined);
      expect(await queue.list({ name: 'test-concurrent' })).toEqual([]);
      for (let n = 1; n <= 3; n++) {
        await t.database.db.transaction(async (tx) => {
          await queue.send('test-concurrent', { n }, { tx });
        });
      }
      await queue.stop();
      await queue.start({ workers: true });
      const until = Date.now() + 20_000;
      while (Date.now() < until && (await queue.list({ name: 'test-concurrent', state: 'completed' })).length < 3) await new Promise((r) => setTimeout(r, 200));
      const jobs = await queue.list({ name: 'test-concurrent' });
      expect(jobs.map((j) => j.state)).toEqual(['completed', 'completed', 'completed']);
      expect(overlap).toBeGreaterThan(1);
    } finally {
      await queue.stop();
      await t.cleanup();
    }
  }, 60_000);
});
