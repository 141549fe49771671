/**
 * The audit trail on PGlite and PostgreSQL: append-only, hash-chained, linear under concurrent
 * writers, and `garden audit verify` catches a changed, removed or reordered event.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app.js';
import type { Services } from '../src/api/services.js';
import { appendAudit } from '../src/audit/index.js';
import { createLogger } from '../src/core/logger.js';
import { ROOT } from '../src/core/paths.js';
import { systemActor } from '../src/identity/index.js';
import { createTestServices, dbKinds } from './harness.js';

const run = promisify(execFile);
const SYS = systemActor('test');

describe.each(dbKinds())('audit trail on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let url: string;
  let token: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const t = await createTestServices(kind);
    services = t.services;
    token = t.adminToken;
    cleanup = t.cleanup;
    app = await buildApp({ services, logger: createLogger('silent'), webDir: '/nonexistent' });
    url = (await app.listen({ port: 0, host: '127.0.0.1' })).replace('0.0.0.0', '127.0.0.1');
  });
  afterAll(async () => {
    await app?.close();
    await cleanup?.();
  });

  const db = () => services.database.db;
  const exec = (q: ReturnType<typeof sql>) => db().execute(q);

  async function garden(...args: string[]) {
    try {
      const r = await run(process.execPath, [path.join(ROOT, 'bin/garden.js'), ...args], { env: { ...process.env, GARDEN_URL: url, GARDEN_TOKEN: token, GARDEN_CLI_FROM_SOURCE: '1' } });
      return { ...r, code: 0 };
    } catch (err) {
      const e = err as { stdout: string; stderr: string; code: number };
      return { stdout: e.stdout, stderr: e.stderr, code: e.code };
    }
  }

  it('records writes as chained events, queryable by model, actor and action', async () => {
    await app.inject({ method: 'POST', url: '/api/v1/models', payload: { slug: 'audited', name: 'Audited', ownerTeam: 'alpha' }, headers: { authorization: `Bearer ${token}` } });
    await app.inject({ method: 'PATCH', url: '/api/v1/models/audited', payload: { description: 'changed' }, headers: { authorization: `Bearer ${token}` } });
    const r = await app.inject({ url: '/api/v1/audit?model=audited', headers: { authorization: `Bearer ${token}` } });
    const items = r.json<{ items: { action: string; actorName: string; seq: number; prevHash: string; hash: string }[] }>().items;
    expect(items.map((e) => [e.action, e.actorName])).toEqual([
      ['model.update', 'admin'],
      ['model.create', 'admin'],
    ]);
    expect(items[0]?.prevHash).toBe(items[1]?.hash);
    const exported = await app.inject({ url: '/api/v1/audit/export?model=audited', headers: { authorization: `Bearer ${token}` } });
    expect(exported.headers['content-type']).toMatch(/ndjson/);
    expect(exported.body.trim().split('\n').map((l) => JSON.parse(l).action)).toEqual(['model.create', 'model.update']);
  });

  it('stays one linear chain when many transactions append at once', async () => {
    await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        db().transaction(async (tx) => {
          await appendAudit(tx, SYS, { action: 'test.parallel', targetType: 'test', targetId: String(i) });
        }),
      ),
    );
    const v = await services.audit.verify(SYS);
    expect(v).toMatchObject({ ok: true, problems: [] });
    expect(v.events).toBeGreaterThanOrEqual(27);
  });

  it('refuses UPDATE, DELETE and TRUNCATE of events', async () => {
    for (const q of [sql`UPDATE audit_events SET actor_name = 'mallory' WHERE seq = 1`, sql`DELETE FROM audit_events WHERE seq = 1`, sql`TRUNCATE audit_events`]) {
      await expect(exec(q)).rejects.toThrow();
    }
  });

  it('garden audit verify passes an intact trail and fails (exit 1) on a changed, removed or reordered event', async () => {
    const ok = await garden('audit', 'verify');
    expect([ok.code, ok.stdout]).toEqual([0, expect.stringMatching(/audit trail intact: \d+ events/)]);

    // Someone with database access bypasses the guard and rewrites history.
    await exec(sql`ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change`);
    await exec(sql`UPDATE audit_events SET details = '{"description":"forged"}'::jsonb WHERE seq = 2`);
    const changed = await garden('audit', 'verify');
    expect(changed.code).toBe(1);
    expect(changed.stdout).toMatch(/AUDIT TRAIL BROKEN/);
    expect(changed.stdout).toMatch(/event 2: its content does not match its hash/);
    const json = JSON.parse((await garden('audit', 'verify', '--json')).stdout) as { ok: boolean; problems: { seq: number }[] };
    expect(json.ok).toBe(false);
    expect(json.problems[0]?.seq).toBe(2);
  });

  it('detects a removed event, a reordering, and events cut off the end, through the service and `garden audit verify`', async () => {
    const restore = async () => {
      // Start over on a clean chain for each tampering (the guard is off, as for a forger).
      await exec(sql`ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change`);
      await exec(sql`DELETE FROM audit_events`);
      await exec(sql`UPDATE audit_head SET seq = 0, hash = 'genesis' WHERE id = 1`);
      for (let i = 0; i < 5; i++) {
        await db().transaction(async (tx) => {
          await appendAudit(tx, SYS, { action: 'test.event', targetType: 'test', targetId: String(i) });
        });
      }
      expect((await services.audit.verify(SYS)).ok).toBe(true);
    };
    const problems = async () => (await services.audit.verify(SYS)).problems.map((p) => p.problem).join(' | ');
    /** The command as an operator runs it: exit 1, and the lines naming what broke where. */
    const broken = async () => {
      const r = await garden('audit', 'verify');
      expect([r.code, r.stdout], r.stderr).toEqual([1, expect.stringMatching(/^AUDIT TRAIL BROKEN \(\d+ events read\):/)]);
      return r.stdout;
    };

    await restore();
    await exec(sql`DELETE FROM audit_events WHERE seq = 3`);
    expect(await problems()).toMatch(/missing|previous-hash/);
    const removed = await broken();
    expect(removed).toMatch(/event 4: expected event 3 here: events are missing or were renumbered/);
    expect(removed).toMatch(/event 4: its previous-hash field does not match the event before it/);
    expect(removed).not.toMatch(/event [1235]:/);

    await restore();
    await exec(sql`UPDATE audit_events SET seq = -2 WHERE seq = 2`);
    await exec(sql`UPDATE audit_events SET seq = 2 WHERE seq = 3`);
    await exec(sql`UPDATE audit_events SET seq = 3 WHERE seq = -2`);
    expect(await problems()).toMatch(/content does not match its hash|previous-hash/);
    const reordered = await broken();
    expect(reordered).toMatch(/event 2: its previous-hash field does not match the event before it/);
    expect(reordered).toMatch(/event 2: its content does not match its hash/);
    expect(reordered).toMatch(/event 3: its previous-hash field does not match the event before it/);

    await restore();
    await exec(sql`DELETE FROM audit_events WHERE seq = 5`);
    expect(await problems()).toMatch(/removed from the end/);
    expect(await broken()).toMatch(/event –: the chain ends at event 4 but the head records event 5: events were removed from the end/);
    await exec(sql`ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_change`);
  });
});
