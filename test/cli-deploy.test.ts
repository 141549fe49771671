/**
 * Deployment as code from the command line, as a CI job runs it: `garden deploy -f` (validation,
 * --dry-run manifests, a KServe deployment against the fake API server), `garden smoke-test`
 * (exit 0 / 1), `garden eval-endpoint start|stop --json` and `garden eval --suite`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { buildApp } from '../src/api/app.js';
import { resolveVersion, runImport } from '../src/catalog/index.js';
import { createLogger } from '../src/core/logger.js';
import { ROOT } from '../src/core/paths.js';
import { createKServeEngine } from '../src/deploy/adapters/kserve/engine.js';
import { validateManifest } from '../src/deploy/adapters/kserve/validate.js';
import { createSeldonEngine } from '../src/deploy/adapters/seldon/engine.js';
import { classifierEvalJsonl, generateTextClassifier } from '../src/demo-models/index.js';
import { systemActor } from '../src/identity/index.js';
import { makeEntry } from './factories.js';
import { startFakeKubeApi, type FakeKubeApi } from './fixtures/fake-kube-api.js';
import { createTestServices } from './harness.js';

const run = promisify(execFile);
const SYS = systemActor('test');
const logger = createLogger('silent');
let app: FastifyInstance;
let url: string;
let token: string;
let dir: string;
let fake: FakeKubeApi;
let cleanup: () => Promise<void>;

async function garden(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const r = await run(process.execPath, [path.join(ROOT, 'bin/garden.js'), ...args], { env: { ...process.env, GARDEN_URL: url, GARDEN_TOKEN: token, GARDEN_CLI_FROM_SOURCE: '1' }, timeout: 120_000 });
    return { ...r, code: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

function specFile(name: string, spec: Record<string, unknown>): string {
  const file = path.join(dir, name);
  writeFileSync(file, stringify(spec));
  return file;
}

const base = { model: 'router@1.0.0', template: 'low-latency', team: 'support', useCase: 'support ticket routing' };

beforeAll(async () => {
  fake = await startFakeKubeApi({ stepMs: 30 });
  const kserve = createKServeEngine({ kubeConfig: fake.kubeConfig(), namespace: 'garden-test', readyTimeoutMs: 10_000, stopTimeoutMs: 5000, pollIntervalMs: 20, logger });
  const seldon = createSeldonEngine({ kubeConfig: fake.kubeConfig(), namespace: 'garden-test', inferenceUrl: fake.seldonMeshUrl('garden-test'), readyTimeoutMs: 10_000, stopTimeoutMs: 5000, pollIntervalMs: 20, logger });
  const t = await createTestServices('pglite', { engines: { kserve, seldon }, jobs: { pollSeconds: 0.5, maintenanceSeconds: 5 } });
  cleanup = t.cleanup;
  token = t.adminToken;
  const { services } = t;
  const classifier = generateTextClassifier();
  await runImport(SYS, services.database.db, services.catalog, [makeEntry({ slug: 'router', ownerTeam: 'support', tasks: ['text-classification'], approvedUseCases: ['support ticket routing'] })]);
  const v = await resolveVersion(services.database.db, 'router', '1.0.0');
  await services.registry.attachGeneratedFiles(SYS, v!.id, [{ path: 'model.onnx', bytes: Buffer.from(classifier.onnx) }]);
  await services.suites.register(SYS, { name: 'routing', task: 'text-classification', metrics: ['accuracy', 'latency_p95'], dataset: { name: 'tickets.jsonl', text: classifierEvalJsonl(classifier.evalSet) } });
  app = await buildApp({ services, logger, webDir: '/nonexistent' });
  url = (await app.listen({ port: 0, host: '127.0.0.1' })).replace('0.0.0.0', '127.0.0.1');
  await services.jobs.start({ workers: true });
  dir = mkdtempSync(path.join(tmpdir(), 'garden-deploy-cli-'));
});
afterAll(async () => {
  await app?.close();
  await cleanup?.();
  await fake?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('garden deploy / smoke-test / eval-endpoint / eval', () => {
  it('rejects a malformed deployment.yaml with the path of each problem, before calling the server', async () => {
    const r = await garden('deploy', '-f', specFile('bad.yaml', { ...base, templte: 'x', overrides: { autoscaling: { minReplicas: 'two' } } }));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/INVALID_INPUT/);
    expect(r.stderr).toMatch(/templte/);
    expect(r.stderr).toMatch(/overrides\.autoscaling\.minReplicas/);
  });

  it('--dry-run prints KServe manifests that validate against the CRD, and starts nothing', async () => {
    const r = await garden('deploy', '-f', specFile('kserve.yaml', { ...base, engine: 'kserve', overrides: { autoscaling: { maxReplicas: 6 } } }), '--dry-run');
    expect(r.code).toBe(0);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJSON() as Record<string, unknown>);
    expect(docs).toHaveLength(1);
    expect(docs[0]).toMatchObject({ apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', spec: { predictor: { minReplicas: 1, maxReplicas: 6, model: { modelFormat: { name: 'onnx' } } } } });
    expect(validateManifest(docs[0]).errors).toEqual([]);
    expect(fake.requests.filter((q) => q.method !== 'GET')).toEqual([]);
  });

  it('deploys on KServe through the API server and records the endpoint', async () => {
    const r = await garden('deploy', '-f', specFile('kserve.yaml', { ...base, engine: 'kserve' }), '--json');
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout);
    expect([d.state, d.engine]).toEqual(['ready', 'kserve']);
    expect(d.endpointUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/dp\/garden-test\//);
    const apply = fake.requests.find((q) => q.method === 'PATCH');
    expect(apply).toMatchObject({ contentType: 'application/apply-patch+yaml' });
    const list = await garden('deployments', '--model', 'router', '--live');
    expect(list.stdout).toMatch(/kserve\s+ready/);
  });

  it('deploys on Seldon Core v2 as a Model, reachable through the mesh with its routing header', async () => {
    const dry = await garden('deploy', '-f', specFile('seldon.yaml', { ...base, engine: 'seldon', useCase: 'support ticket routing' }), '--dry-run');
    expect(dry.code).toBe(0);
    const [model] = parseAllDocuments(dry.stdout).map((d) => d.toJSON() as Record<string, unknown>);
    expect(model).toMatchObject({ apiVersion: 'mlops.seldon.io/v1alpha1', kind: 'Model', spec: { requirements: ['onnx'] } });
    expect(validateManifest(model).errors).toEqual([]);
    const r = await garden('deploy', '-f', specFile('seldon.yaml', { ...base, engine: 'seldon' }), '--json');
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout);
    expect([d.state, d.engine, d.endpointUrl]).toEqual(['ready', 'seldon', fake.seldonMeshUrl('garden-test')]);
    const mesh = fake.requests.filter((q) => q.path.startsWith('/seldon-mesh/'));
    expect(mesh.at(-1)).toMatchObject({ seldonModel: d.name });
    const live = JSON.parse((await garden('deployments', '--live', '--json')).stdout) as { engine: string }[];
    expect(live.map((x) => x.engine)).toEqual(['seldon']); // it replaced the KServe deployment of the same name…
    expect(fake.objects.size).toBe(0); // …whose InferenceService is gone
  });

  it('smoke-test passes on right answers and exits 1 on a wrong one, leaving no endpoint behind', async () => {
    const ok = await garden('smoke-test', '-f', specFile('smoke.yaml', { ...base, smoke: { inputs: ['I was charged twice on my invoice', 'my parcel never arrived'], expect: ['billing', 'shipping'] } }));
    expect(ok.stdout).toMatch(/smoke test passed/);
    expect(ok.code).toBe(0);
    const bad = await garden('smoke-test', '-f', specFile('smoke-bad.yaml', { ...base, smoke: { inputs: ['I was charged twice on my invoice'], expect: ['shipping'] } }));
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/smoke test FAILED/);
    const live = await garden('eval-endpoint', 'list', '--json');
    expect(JSON.parse(live.stdout)).toEqual([]);
  });

  it('eval-endpoint start --json prints a working URL and the expiry; stop ends it', async () => {
    const r = await garden('eval-endpoint', 'start', 'router@1.0.0', '--team', 'support', '--json');
    expect(r.code).toBe(0);
    const ep = JSON.parse(r.stdout);
    expect(Date.parse(ep.expiresAt)).toBeGreaterThan(Date.now() + 3.9 * 3_600_000);
    expect((await fetch(`${ep.url}/v2/models/${ep.model}`)).status).toBe(401); // the key is needed
    const res = await fetch(`${ep.url}/v2/models/${ep.model}/infer`, { method: 'POST', headers: { authorization: `Bearer ${ep.key}` }, body: JSON.stringify({ inputs: [{ name: 'text', shape: [1], datatype: 'BYTES', data: ['reset my password please'] }] }) });
    const body = (await res.json()) as { outputs: { name: string; data: string[] }[] };
    expect(body.outputs.find((o) => o.name === 'label')?.data).toEqual(['account']);
    expect((await garden('eval-endpoint', 'stop', ep.id)).stdout).toMatch(/stopped/);
  });

  it('garden suite register/list and garden eval run a suite and print the recorded results', async () => {
    const file = path.join(dir, 'tickets.jsonl');
    writeFileSync(file, classifierEvalJsonl(generateTextClassifier().evalSet));
    const reg = await garden('suite', 'register', 'routing-cli', '--task', 'text-classification', '--metrics', 'accuracy,latency_p95', '--dataset', file);
    expect(reg.stdout).toMatch(/suite routing-cli registered with tickets\.jsonl/);
    expect((await garden('suite', 'register', 'bad', '--task', 'text-classification', '--metrics', 'rouge_l', '--dataset', file)).stderr).toMatch(/INVALID_INPUT.*rouge_l/);
    expect((await garden('suite', 'list')).stdout).toMatch(/routing-cli\s+text-classification\s+accuracy,latency_p95\s+tickets\.jsonl\s+120/);
    const r = await garden('eval', 'router@1.0.0', '--suite', 'routing-cli');
    expect(r.code).toBe(0);
    const acc = /accuracy\s+([0-9.]+)/.exec(r.stdout);
    expect(Number(acc?.[1])).toBeGreaterThan(0.85);
    expect(r.stdout).toMatch(/recorded as benchmark results/);
  });
});
