/**
 * Deployments through the API with the real local runner and a real ONNX model: an evaluation
 * endpoint starts and answers, policy and quota refuse what they should before anything starts,
 * stop and the reaper end processes, a crashed endpoint is marked failed with its log, a
 * "restarted" server re-adopts what still runs and restarts what does not, dry runs print
 * manifests, and an evaluation suite run records benchmark results.
 */
import type { FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app.js';
import { createServices, type Services } from '../src/api/services.js';
import { resolveVersion, runImport, VersionFields } from '../src/catalog/index.js';
import { queryRows } from '../src/core/db/index.js';
import { createLogger } from '../src/core/logger.js';
import { classifierEvalJsonl, generateTextClassifier } from '../src/demo-models/index.js';
import { systemActor, type Scope } from '../src/identity/index.js';
import { makeEntry } from './factories.js';
import { createTestServices, dbKinds } from './harness.js';

const SYS = systemActor('test');
const classifier = generateTextClassifier();

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any -- response bodies checked by the assertions
const json = async (res: Response): Promise<Json> => res.json();

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe.each(dbKinds())('deployments on %s', (kind) => {
  let app: FastifyInstance;
  let services: Services;
  let dataDir: string;
  let cleanup: () => Promise<void>;
  const tokens: Record<string, string> = {};

  async function call(who: string, method: string, url: string, payload?: unknown) {
    const res = await app.inject({ method: method as 'GET', url: `/api/v1${url}`, payload: payload as string, headers: { authorization: `Bearer ${tokens[who]}` } });
    return { status: res.statusCode, body: res.body ? res.json() : {} };
  }
  const pidOf = async (id: string) => Number((await queryRows<{ pid: string }>(services.database.db, sql`SELECT handle->>'pid' AS pid FROM deployments WHERE id = ${id}`))[0]?.pid);
  const ready = (id: string) => until(`deployment ${id}`, async () => {
    const r = await call('eve', 'GET', `/deployments/${id}`);
    return r.body.state === 'starting' ? undefined : r.body;
  });

  beforeAll(async () => {
    const t = await createTestServices(kind, { jobs: { pollSeconds: 0.5, maintenanceSeconds: 5 } });
    ({ services, cleanup, dataDir } = t);
    const db = services.database.db;
    await runImport(SYS, db, services.catalog, [
      makeEntry({ slug: 'router', ownerTeam: 'support', tasks: ['text-classification'], approvedUseCases: ['support ticket routing'], restrictions: ['no automated refund decisions'] }),
      makeEntry({ slug: 'router-exp', ownerTeam: 'support', tasks: ['text-classification'], approvedUseCases: ['support ticket routing'], maturity: 'experimental' }),
    ]);
    for (const slug of ['router', 'router-exp']) {
      const v = await resolveVersion(db, slug, '1.0.0');
      await services.registry.attachGeneratedFiles(SYS, v!.id, [{ path: 'model.onnx', bytes: Buffer.from(classifier.onnx) }]);
    }
    const id = services.identity;
    const admin = (await id.resolveToken(t.adminToken, 'setup'))!;
    for (const [name, role] of [['eve', 'viewer'], ['carl', 'contributor'], ['out', null]] as const) {
      await id.createUser(SYS, { username: name, platformRole: 'none' });
      if (role) await id.addMembership(SYS, 'support', name, role);
      tokens[name] = (await id.createToken(admin, { name: 't', scopes: ['read', 'write', 'deploy'] as Scope[], expiresInDays: 1, username: name })).token;
    }
    tokens.admin = t.adminToken;
    app = await buildApp({ services, logger: createLogger('silent'), webDir: '/nonexistent' });
    await services.jobs.start({ workers: true });
  });
  afterAll(async () => {
    await app?.close();
    await cleanup?.();
  });

  it('starts an evaluation endpoint that serves the real model over OIP v2, then stops it', async () => {
    // Viewers read and try their team's endpoints; starting one (the team's quota, a process) is for contributors.
    const byViewer = await call('eve', 'POST', '/models/router/versions/1.0.0/eval-endpoint', { team: 'support' });
    expect([byViewer.status, byViewer.body.error.code]).toEqual([403, 'FORBIDDEN']);
    const dryByViewer = await call('eve', 'POST', '/deployments?dryRun=true', { model: 'router@1.0.0', template: 'evaluation', team: 'support', useCase: 'evaluation', environment: 'evaluation' });
    expect(dryByViewer.status).toBe(403);
    expect((await call('eve', 'GET', '/deployments?slug=router&live=true')).body).toEqual([]);
    const started = await call('carl', 'POST', '/models/router/versions/1.0.0/eval-endpoint', {});
    expect([started.status, started.body.state, started.body.environment, started.body.template]).toEqual([202, 'starting', 'evaluation', 'evaluation']);
    const d = await ready(started.body.id);
    expect(d.state).toBe('ready');
    const hours = (Date.parse(d.expiresAt) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(3.9);
    expect(hours).toBeLessThanOrEqual(4);
    // The endpoint itself, as any OIP client would call it: with its key, shown to its team only.
    expect(d.endpointKey).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const withKey = { authorization: `Bearer ${d.endpointKey}` };
    const refused = await fetch(`${d.endpointUrl}/v2/models/router/infer`, { method: 'POST', body: '{}' });
    expect([refused.status, ((await refused.json()) as { error: string }).error]).toEqual([401, expect.stringMatching(/key/)]);
    expect((await fetch(`${d.endpointUrl}/v2/models/router/ready`)).status).toBe(200); // probes need no key
    const outsider = await call('out', 'GET', `/deployments/${d.id}`);
    expect([outsider.status, outsider.body.endpointKey]).toEqual([200, null]);
    const meta = await json(await fetch(`${d.endpointUrl}/v2/models/router`, { headers: withKey }));
    expect(meta.inputs[0]).toMatchObject({ name: 'text', datatype: 'BYTES' });
    const infer = await fetch(`${d.endpointUrl}/v2/models/router/infer`, { method: 'POST', headers: withKey, body: JSON.stringify({ inputs: [{ name: 'text', shape: [2], datatype: 'BYTES', data: ['I was charged twice on my invoice', 'my parcel never arrived, where is the delivery'] }] }) });
    const body = await json(infer);
    expect(body.outputs.find((o: { name: string }) => o.name === 'label').data).toEqual(['billing', 'shipping']);
    // The playground through the server: outputs with latency; a malformed OIP body gets the protocol's error.
    const tried = await call('eve', 'POST', `/deployments/${d.id}/try`, { inputs: ['I cannot log in to my account, password reset fails'] });
    expect(tried.status).toBe(200);
    expect(tried.body.outputs).toEqual(['account']);
    expect(tried.body.latencies[0]).toBeGreaterThan(0);
    const bad = await call('eve', 'POST', `/deployments/${d.id}/try`, { mode: 'oip', oip: { inputs: [{ name: 'text', shape: [1], datatype: 'FP32', data: [1] }] } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/BYTES|datatype|FP32/i);
    expect((await fetch(`${d.endpointUrl}/v2/health/ready`)).status).toBe(200); // still serving
    // Someone outside the team can neither use nor stop it; a viewer of the team uses it but cannot stop it.
    expect((await call('out', 'POST', `/deployments/${d.id}/stop`)).status).toBe(403);
    const viewerStop = await call('eve', 'POST', `/deployments/${d.id}/stop`);
    expect([viewerStop.status, viewerStop.body.error.code, viewerStop.body.error.message]).toEqual([403, 'FORBIDDEN', expect.stringMatching(/contributors of team support/)]);
    expect((await call('eve', 'GET', `/deployments/${d.id}`)).body).toMatchObject({ state: 'ready', canStop: false });
    const stopped = await call('carl', 'POST', `/deployments/${d.id}/stop`);
    expect([stopped.status, stopped.body.state]).toEqual([200, 'stopped']);
    expect(alive(await pidOf(d.id))).toBe(false);
    await expect(fetch(`${d.endpointUrl}/v2/health/live`)).rejects.toThrow();
  });

  it('refuses by policy and by quota before anything starts, with stable codes', async () => {
    const prod = (model: string, useCase: string, who = 'carl') => call(who, 'POST', '/deployments', { model, template: 'low-latency', team: 'support', useCase, environment: 'production' });
    const exp = await prod('router-exp@1.0.0', 'support ticket routing');
    expect([exp.status, exp.body.error.code]).toEqual([403, 'POLICY_REFUSED']);
    expect(exp.body.error.message).toMatch(/experimental/);
    const wrongUse = await prod('router@1.0.0', 'credit scoring');
    expect([wrongUse.status, wrongUse.body.error.code]).toEqual([403, 'POLICY_REFUSED']);
    expect((await prod('router@1.0.0', 'support ticket routing', 'eve')).status).toBe(403); // contributors deploy
    const broken = await call('carl', 'POST', '/deployments', { model: 'router@1.0.0', template: 'low-latency', team: 'support', useCase: 'support ticket routing', overrides: { autoscaling: { minReplicas: 5, maxReplicas: 2 } } });
    expect([broken.status, broken.body.error.code]).toEqual([422, 'MANIFEST_INVALID']);
    const dry = await call('carl', 'POST', '/deployments?dryRun=true', { model: 'router@1.0.0', template: 'low-latency', team: 'support', useCase: 'support ticket routing' });
    expect(dry.status).toBe(200);
    expect(dry.body.manifests[0]).toMatchObject({ kind: 'LocalEndpoint', model: 'router@1.0.0', workers: 1, memoryMb: 4096, healthIntervalMs: 10_000, hangAfterMs: 30_000 }); // the low-latency template
    // Quota: one evaluation endpoint for the team; the second start is refused and nothing is recorded.
    expect((await call('admin', 'PUT', '/teams/support/quota', { maxEvalEndpoints: 1, maxGpus: null })).status).toBe(204);
    const first = await call('carl', 'POST', '/models/router/versions/1.0.0/eval-endpoint', {});
    const second = await call('carl', 'POST', '/models/router/versions/1.0.0/eval-endpoint', {});
    expect([second.status, second.body.error.code]).toEqual([429, 'QUOTA_EXCEEDED']);
    await ready(first.body.id);
    await call('carl', 'POST', `/deployments/${first.body.id}/stop`);
    expect((await call('admin', 'PUT', '/teams/support/quota', { maxEvalEndpoints: null, maxGpus: null })).status).toBe(204);
    const live = await call('eve', 'GET', '/deployments?slug=router&live=true');
    expect(live.body).toEqual([]);
  });

  it('the owner team may evaluate a draft before submitting it; others cannot see it', async () => {
    await services.catalog.createVersion(SYS, 'router', VersionFields.parse({ version: '3.0.0-rc.1' }));
    const v = await resolveVersion(services.database.db, 'router', '3.0.0-rc.1');
    await services.registry.attachGeneratedFiles(SYS, v!.id, [{ path: 'model.onnx', bytes: Buffer.from(classifier.onnx) }]);
    const started = await call('carl', 'POST', '/models/router/versions/3.0.0-rc.1/eval-endpoint', { wait: true });
    expect([started.status, started.body.state]).toEqual([201, 'ready']);
    await call('carl', 'POST', `/deployments/${started.body.id}/stop`);
    expect((await call('out', 'POST', '/models/router/versions/3.0.0-rc.1/eval-endpoint', { team: 'support' })).status).toBe(404);
    const prod = await call('carl', 'POST', '/deployments', { model: 'router@3.0.0-rc.1', template: 'low-latency', team: 'support', useCase: 'support ticket routing' });
    expect([prod.status, prod.body.error.code]).toEqual([403, 'POLICY_REFUSED']); // production needs an approved version
  });

  it('a production deployment has a stable name; deploying again replaces the live one in place', async () => {
    const spec = { model: 'router@1.0.0', template: 'low-latency', team: 'support', useCase: 'support ticket routing', overrides: { resources: { memory: '1Gi' } } };
    const [dry1, dry2] = [await call('carl', 'POST', '/deployments?dryRun=true', spec), await call('carl', 'POST', '/deployments?dryRun=true', spec)];
    expect(dry1.body.manifests).toEqual(dry2.body.manifests);
    const first = await call('carl', 'POST', '/deployments', { ...spec, wait: true });
    expect([first.status, first.body.state, first.body.name]).toEqual([201, 'ready', dry1.body.deployment.name]);
    const oldPid = await pidOf(first.body.id);
    const second = await call('carl', 'POST', '/deployments', { ...spec, wait: true });
    expect([second.body.state, second.body.name]).toEqual(['ready', first.body.name]);
    expect((await call('carl', 'GET', `/deployments/${first.body.id}`)).body.state).toBe('stopped');
    await until('the replaced process to end', async () => (alive(oldPid) ? undefined : true), 15_000);
    const live = (await call('carl', 'GET', '/deployments?slug=router&live=true')).body;
    expect(live.map((d: { id: string }) => d.id)).toEqual([second.body.id]);
    await call('carl', 'POST', `/deployments/${second.body.id}/stop`);
  });

  it('reaps expired endpoints and marks a crashed one failed with its last log lines', async () => {
    const a = await ready((await call('carl', 'POST', '/models/router/versions/1.0.0/eval-endpoint', {})).body.id);
    const b = await ready((await call('carl', 'POST', '/models/router/versions/1.0.0/eval-endpoint', {})).body.id);
    await services.database.db.execute(sql`UPDATE deployments SET expires_at = now() - interval '1 minute' WHERE id = ${a.id}`);
    expect(await services.deployments.reap()).toBe(1);
    expect((await call('eve', 'GET', `/deployments/${a.id}`)).body.state).toBe('expired');
    const pid = await pidOf(b.id);
    process.kill(pid, 'SIGKILL');
    const failed = await until('crash detection', async () => {
      const r = await call('eve', 'GET', `/deployments/${b.id}`);
      return r.body.state === 'failed' ? r.body : undefined;
    });
    expect(failed.lastError).toMatch(/crash|exit|signal|SIGKILL/i);
    expect(failed.logTail.length).toBeGreaterThan(0);
  });

  it('records an endpoint above its memory limit as failed with reason out_of_memory, while starting and once ready', async () => {
    const evalSpec = { model: 'router@1.0.0', template: 'evaluation', team: 'support', useCase: 'evaluation', environment: 'evaluation', engine: 'local', wait: true };
    // A template limit no ONNX endpoint fits in: the runner kills it while it loads.
    const tiny = await call('carl', 'POST', '/deployments', { ...evalSpec, overrides: { resources: { memory: '64Mi' } } });
    expect(tiny.status).toBe(201);
    const t = (await call('eve', 'GET', `/deployments/${tiny.body.id}`)).body;
    expect([t.state, t.failureReason, t.canStop]).toEqual(['failed', 'out_of_memory', false]);
    expect(t.lastError).toMatch(/above its limit of 64 MB/);
    // An endpoint that starts within its limit and then grows past it (the child allocates after ready).
    process.env.GARDEN_RUNNER_TEST_FAULT = 'leak';
    let grown;
    try {
      grown = await call('carl', 'POST', '/deployments', { ...evalSpec, overrides: { resources: { memory: '512Mi' } } });
    } finally {
      delete process.env.GARDEN_RUNNER_TEST_FAULT;
    }
    expect([grown.status, grown.body.state]).toEqual([201, 'ready']);
    const failed = await until('the out-of-memory kill to be recorded', async () => {
      const r = await call('eve', 'GET', `/deployments/${grown.body.id}`);
      return r.body.state === 'failed' ? r.body : undefined;
    }, 30_000);
    expect(failed).toMatchObject({ failureReason: 'out_of_memory', lastError: expect.stringMatching(/above its limit of 512 MB/) });
    expect(failed.logTail.join('\n')).toMatch(/test fault: leak/);
    const pid = await pidOf(grown.body.id);
    await until('the killed process to be gone', async () => (alive(pid) ? undefined : true), 15_000);
    const audit = (await call('admin', 'GET', `/audit?action=deployment.failed`)).body.items as { targetId: string; details: { reason: string } }[];
    expect(audit.filter((e) => [tiny.body.id, grown.body.id].includes(e.targetId)).map((e) => e.details.reason)).toEqual(['out_of_memory', 'out_of_memory']);
  });

  it('after a restart keeps endpoints that still run and starts again those that ended', async () => {
    const keep = await ready((await call('carl', 'POST', '/models/router/versions/1.0.0/eval-endpoint', {})).body.id);
    const again = await ready((await call('carl', 'POST', '/models/router/versions/1.0.0/eval-endpoint', {})).body.id);
    const keptPid = await pidOf(keep.id);
    await services.runner.stop(again.id); // its process ends, the row still says ready (as after a host reboot)
    const second = await createServices(services.database, { dataDir });
    try {
      const r = await second.deployments.reconcile();
      expect(r).toMatchObject({ kept: 1, restarted: 1 });
      await second.deployments.settle();
      const [k, g] = await Promise.all([second.deployments.get(SYS, keep.id), second.deployments.get(SYS, again.id)]);
      expect([k.state, await pidOf(keep.id)]).toEqual(['ready', keptPid]);
      expect(g.state).toBe('ready');
      expect((await fetch(`${g.endpointUrl}/v2/models/router/ready`)).status).toBe(200);
      await second.deployments.stop(SYS, keep.id);
      await second.deployments.stop(SYS, again.id);
    } finally {
      await second.runner.close();
    }
  });

  it('runs an evaluation suite through a temporary endpoint and records benchmark results', async () => {
    const reg = await call('admin', 'POST', '/suites', { name: 'routing', task: 'text-classification', metrics: ['accuracy', 'f1', 'latency_p95'], dataset: { name: 'tickets.jsonl', text: classifierEvalJsonl(classifier.evalSet) } });
    expect(reg.status).toBe(201);
    const badSuite = await call('admin', 'POST', '/suites', { name: 'bad', task: 'text-classification', metrics: ['rouge_l'], dataset: { name: 'x.jsonl', text: '{"input":"a","expected":"b"}' } });
    expect([badSuite.status, badSuite.body.error.code]).toEqual([400, 'INVALID_INPUT']);
    const run = await call('carl', 'POST', '/models/router/versions/1.0.0/evaluations', { suite: 'routing' });
    expect([run.status, run.body.state]).toEqual([202, 'queued']);
    const done = await until('the suite run', async () => {
      const r = await call('carl', 'GET', `/evaluations/${run.body.id}`);
      return ['succeeded', 'failed'].includes(r.body.state) ? r.body : undefined;
    }, 90_000);
    expect(done.error).toBeNull();
    const acc = done.results.find((r: { metric: string }) => r.metric === 'accuracy').value;
    expect(acc).toBeGreaterThan(0.85);
    const v = (await call('carl', 'GET', '/models/router/versions/1.0.0')).body;
    const bench = v.benchmarks.filter((b: { suite: string }) => b.suite === 'routing');
    expect(bench.map((b: { metric: string }) => b.metric)).toEqual(['accuracy', 'f1', 'latency_p95']);
    expect(bench[0]).toMatchObject({ dataset: 'tickets.jsonl', hardware: expect.stringMatching(/cores/) });
    // Measured by Garden, naming the run; the typed results of the import stay, marked as the team's.
    expect(bench.map((b: { source: string; runId: string }) => [b.source, b.runId])).toEqual(bench.map(() => ['measured', run.body.id]));
    expect(v.benchmarks.filter((b: { suite: string }) => b.suite !== 'routing').every((b: { source: string }) => b.source === 'reported')).toBe(true);
    // Rewriting the version (a compliance review) keeps measured results measured, once each.
    expect((await call('admin', 'PATCH', '/models/router/versions/1.0.0', { compliance: { status: 'approved', reviewedAt: '2026-12-01' } })).status).toBe(200);
    const again = (await call('carl', 'GET', '/models/router/versions/1.0.0')).body.benchmarks.filter((b: { suite: string }) => b.suite === 'routing');
    expect(again.map((b: { metric: string; source: string }) => [b.metric, b.source])).toEqual([['accuracy', 'measured'], ['f1', 'measured'], ['latency_p95', 'measured']]);
    // The temporary endpoint is gone.
    expect((await call('carl', 'GET', '/deployments?slug=router&live=true')).body).toEqual([]);
  });

  it('a submission with a runnable file queues the automatic suites, whose results count as its benchmark', async () => {
    await call('admin', 'POST', '/suites', { name: 'routing-auto', task: 'text-classification', metrics: ['accuracy'], automatic: true, dataset: { name: 'tickets.jsonl', text: classifierEvalJsonl(classifier.evalSet.slice(0, 40)) } });
    await services.catalog.createVersion(SYS, 'router', VersionFields.parse({ version: '2.0.0', card: { intendedUse: 'Route tickets.', limitations: 'English only.', trainingData: 'Generated tickets.' }, approvedUseCases: ['support ticket routing'] }));
    const v = await resolveVersion(services.database.db, 'router', '2.0.0');
    await services.registry.attachGeneratedFiles(SYS, v!.id, [{ path: 'model.onnx', bytes: Buffer.from(classifier.onnx) }]);
    const sub = await call('carl', 'POST', '/models/router/versions/2.0.0/submit', {});
    expect(sub.status).toBe(200); // no benchmark yet: the automatic suite will provide it
    const runs = await until('the automatic run', async () => {
      const r = await call('carl', 'GET', '/models/router/versions/2.0.0/evaluations');
      return r.body.length && r.body.every((x: { state: string }) => ['succeeded', 'failed'].includes(x.state)) ? r.body : undefined;
    }, 90_000);
    expect(runs.map((r: { suite: string; state: string }) => [r.suite, r.state])).toEqual([['routing-auto', 'succeeded']]);
    const version = (await call('carl', 'GET', '/models/router/versions/2.0.0')).body;
    expect(version.benchmarks.find((b: { suite: string }) => b.suite === 'routing-auto')).toMatchObject({ source: 'measured', value: expect.any(Number) });
    expect(version.benchmarks.find((b: { suite: string }) => b.suite === 'routing-auto').value).toBeGreaterThan(0.8);
  });
});
