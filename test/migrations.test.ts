/**
 * Starting several processes on one database at once: on PostgreSQL (replicas starting together)
 * they migrate one after the other under an advisory lock and the schema is applied exactly once;
 * on PGlite, which serves one process per data folder, a second process is refused with a clear
 * error instead of silently losing writes, and a lock left by a killed process is taken over.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { MIGRATIONS_DIR, ROOT } from '../src/core/paths.js';

const WORKER = path.join(ROOT, 'test', 'fixtures', 'migrate-worker.ts');
const journal = JSON.parse(readFileSync(path.join(MIGRATIONS_DIR, 'meta/_journal.json'), 'utf8')) as { entries: { tag: string }[] };
const lastTag = journal.entries.at(-1)!.tag;

function worker(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(!inject('postgresUrl'))('migrations on PostgreSQL', () => {
  it('two processes migrating a fresh database at the same moment both succeed, and every migration is applied once', async () => {
    const url = inject('postgresUrl')!;
    const name = `garden_migrate_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const u = new URL(url);
    u.pathname = `/${name}`;
    try {
      // Both connect first, then start migrating together.
      const goAt = String(Date.now() + 4000);
      const [a, b] = await Promise.all([worker({ GARDEN_DATABASE_URL: u.toString(), GO_AT: goAt }), worker({ GARDEN_DATABASE_URL: u.toString(), GO_AT: goAt })]);
      expect([a.code, a.stderr.slice(0, 400)]).toEqual([0, '']);
      expect([b.code, b.stderr.slice(0, 400)]).toEqual([0, '']);
      expect(JSON.parse(a.stdout)).toEqual({ schemaVersion: lastTag });
      expect(JSON.parse(b.stdout)).toEqual({ schemaVersion: lastTag });
      const c = new pg.Client({ connectionString: u.toString() });
      await c.connect();
      try {
        const applied = await c.query<{ hash: string }>('SELECT hash FROM drizzle.__drizzle_migrations');
        expect(applied.rows.length).toBe(journal.entries.length);
        expect(new Set(applied.rows.map((r) => r.hash)).size).toBe(journal.entries.length);
        const tables = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public' AND tablename IN ('models', 'benchmark_results', 'audit_events', 'deployments')`);
        expect(tables.rows[0]?.n).toBe(4);
        const boss = await c.query<{ present: boolean }>(`SELECT to_regclass('pgboss.version') IS NOT NULL AS present`);
        expect(boss.rows[0]?.present).toBe(true);
      } finally {
        await c.end();
      }
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  }, 120_000);
});

describe('the embedded database (PGlite) and several processes', () => {
  it('refuses a second process on the same data folder with a clear error, and takes over a lock whose process is gone', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'garden-lock-'));
    dirs.push(dir);
    cpSync(inject('pgliteTemplate'), path.join(dir, 'db'), { recursive: true });
    // The first process migrates and stays open; the second starts while it runs.
    const first = worker({ GARDEN_DATA_DIR: dir, HOLD_MS: '8000' });
    const lockFile = path.join(dir, 'db.lock');
    for (let i = 0; i < 600; i++) {
      try {
        if (readFileSync(lockFile, 'utf8').trim()) break;
      } catch {
        /* not yet */
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const holder = Number(readFileSync(lockFile, 'utf8'));
    const second = await worker({ GARDEN_DATA_DIR: dir });
    expect(second.code).not.toBe(0);
    expect(second.stderr).toContain(`is in use by process ${holder}`);
    expect(second.stderr).toMatch(/one process at a time/);
    expect((await first).code).toBe(0);

    // A lock left by a process that no longer exists (killed) does not block the next start.
    const gone = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => gone.on('exit', r));
    writeFileSync(lockFile, `${gone.pid}\n`);
    const third = await worker({ GARDEN_DATA_DIR: dir });
    expect([third.code, third.stderr.slice(0, 400)]).toEqual([0, '']);
    expect(JSON.parse(third.stdout)).toEqual({ schemaVersion: lastTag });
  }, 120_000);
});
