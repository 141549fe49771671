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
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
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

describe('migration 0012 (benchmark provenance) on existing rows', () => {
  it('marks the results a suite run wrote as measured (naming the run) and everything typed as reported', async () => {
    // The schema as it was before 0012: the migrations folder with its journal cut there.
    const before = mkdtempSync(path.join(tmpdir(), 'garden-mig-'));
    dirs.push(before);
    cpSync(MIGRATIONS_DIR, before, { recursive: true });
    const cut = journal.entries.findIndex((e) => e.tag.startsWith('0012_'));
    writeFileSync(path.join(before, 'meta/_journal.json'), JSON.stringify({ ...journal, entries: journal.entries.slice(0, cut) }));
    const client = await PGlite.create({ extensions: { pg_trgm } });
    try {
      await migratePglite(drizzlePglite(client), { migrationsFolder: before });
      await client.exec(`
        INSERT INTO teams (slug, name) VALUES ('t', 't');
        INSERT INTO models (slug, name, owner_team_id) VALUES ('m', 'm', 1);
        INSERT INTO model_versions (model_id, version, version_sort) VALUES (1, '1.0.0', '1.0.0');
        INSERT INTO evaluation_suites (name, task, metrics, revision) VALUES ('run-by-garden', 'text-classification', '{accuracy,f1}', 2), ('typed', 'question-answering', '{accuracy}', 1);
        INSERT INTO evaluation_runs (id, suite, suite_revision, version_id, state, results, finished_at) VALUES
          ('00000000-0000-4000-8000-000000000001', 'run-by-garden', 1, 1, 'succeeded', '[{"metric":"accuracy","value":0.5,"higherIsBetter":true}]', now() - interval '2 days'),
          ('00000000-0000-4000-8000-000000000002', 'run-by-garden', 2, 1, 'succeeded', '[{"metric":"accuracy","value":0.8333333333333334,"higherIsBetter":true},{"metric":"f1","value":0.81,"higherIsBetter":true}]', now() - interval '1 day'),
          ('00000000-0000-4000-8000-000000000003', 'run-by-garden', 2, 1, 'failed', NULL, now());
        INSERT INTO benchmark_results (version_id, position, suite, suite_version, metric, value) VALUES
          (1, 0, 'typed', NULL, 'accuracy', 0.99),
          (1, 1, 'run-by-garden', '2', 'accuracy', 0.97),
          (1, 100, 'run-by-garden', '2', 'accuracy', 0.8333333333333334),
          (1, 101, 'run-by-garden', '2', 'f1', 0.81),
          (1, 102, 'run-by-garden', '1', 'accuracy', 0.5);
      `);
      await migratePglite(drizzlePglite(client), { migrationsFolder: MIGRATIONS_DIR });
      const rows = (await client.query<{ position: number; source: string; run_id: string | null; accepted_at: string | null }>('SELECT position, source, run_id, accepted_at FROM benchmark_results ORDER BY position')).rows;
      expect(rows.map((r) => [r.position, r.source, r.run_id, r.accepted_at])).toEqual([
        [0, 'reported', null, null], // typed on another suite
        [1, 'reported', null, null], // typed on the run's suite, a number the run did not measure
        [100, 'measured', '00000000-0000-4000-8000-000000000002', null],
        [101, 'measured', '00000000-0000-4000-8000-000000000002', null],
        [102, 'reported', null, null], // an older run's number is not what the latest run measured
      ]);
    } finally {
      await client.close();
    }
  }, 120_000);
});
