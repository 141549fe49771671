/**
 * Seldon Core v2 engine: Model manifests (render + vendored CRD schema + operator rules), the
 * status reading, and the lifecycle against the in-process fake API server and seldon-mesh stub.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- manifests are untyped JSON that the tests edit by path */
import { existsSync, readFileSync } from 'node:fs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { createSeldonClient } from '../src/deploy/adapters/seldon/client.js';
import { createSeldonEngine } from '../src/deploy/adapters/seldon/engine.js';
import { phaseOf } from '../src/deploy/adapters/seldon/readiness.js';
import { renderSeldonModel } from '../src/deploy/adapters/seldon/render.js';
import { validateSeldonModel } from '../src/deploy/adapters/seldon/validate.js';
import type { EngineDeployment } from '../src/deploy/ports/engine.js';
import { BUILT_IN_TEMPLATES, resolveSettings, type TemplateOverrides } from '../src/deploy/template-schema.js';
import { startFakeKubeApi, type FakeKubeApi } from './fixtures/fake-kube-api.js';

const EXAMPLES = '/work/shared/fixtures/k8s/examples/seldon-model-examples.yaml';
const logger = pino({ level: 'silent' });
const NS = 'mg-nlp';
const MODELS = `/apis/mlops.seldon.io/v1alpha1/namespaces/${NS}/models`;

function deployment(template = 'low-latency', over: Partial<EngineDeployment> & { overrides?: TemplateOverrides } = {}): EngineDeployment {
  const t = BUILT_IN_TEMPLATES.find((x) => x.name === template)!;
  const { overrides, ...rest } = over;
  return {
    id: '3f1c2b9e-1111-4222-8333-444455556666',
    name: 'mg-3f1c2b9e-sentiment',
    model: { slug: 'sentiment-small', version: '1.2.0+build.7', format: 'onnx', task: 'text-classification', storageUri: 's3://models/sentiment/1.2.0' },
    template,
    settings: resolveSettings(t.settings, overrides),
    team: 'nlp',
    useCase: 'support triage',
    environment: 'evaluation',
    expiresAt: new Date('2026-12-01T08:30:00.250Z'),
    ...rest,
  };
}
const withFormat = (format: string, task: string | null = 'text-classification') => deployment('low-latency', { model: { ...deployment().model, format, task } });
const render = (d: EngineDeployment, server?: string) => renderSeldonModel(d, { namespace: NS, server }) as any;

let fake: FakeKubeApi;
beforeAll(async () => {
  fake = await startFakeKubeApi({ failLoad: ['mg-broken'] });
});
afterAll(() => fake.close());

const engine = (extra: { readyTimeoutMs?: number } = {}) =>
  createSeldonEngine({ kubeConfig: fake.kubeConfig(), namespace: NS, inferenceUrl: fake.seldonMeshUrl(NS), readyTimeoutMs: 5000, stopTimeoutMs: 2000, pollIntervalMs: 20, logger, ...extra });

describe('Seldon Model manifests', () => {
  it.each(BUILT_IN_TEMPLATES.map((t) => t.name))('template %s renders a Model that validates', (name) => {
    const d = deployment(name);
    const m = render(d);
    expect(validateSeldonModel(m)).toEqual({ ok: true, errors: [] });
    expect(m).toMatchObject({ apiVersion: 'mlops.seldon.io/v1alpha1', kind: 'Model', metadata: { name: d.name, namespace: NS } });
    expect(m.metadata.labels).toMatchObject({ 'garden.io/managed-by': 'model-garden', 'garden.io/deployment-id': d.id, 'garden.io/version': '1.2.0-build.7', 'garden.io/team': 'nlp', 'garden.io/profile': name });
    expect(m.metadata.annotations).toEqual({ 'garden.io/use-case': 'support triage', 'garden.io/environment': 'evaluation', 'garden.io/expires-at': '2026-12-01T08:30:00Z' });
    const { minReplicas, maxReplicas } = d.settings.autoscaling;
    expect(m.spec).toEqual({ storageUri: d.model.storageUri, requirements: ['onnx'], memory: d.settings.resources.memory, replicas: Math.max(1, minReplicas), minReplicas, maxReplicas });
  });

  it.each([
    ['onnx', 'onnx'],
    ['safetensors', 'huggingface'],
    ['joblib', 'sklearn'],
    ['xgboost', 'xgboost'],
  ])('format %s requires the %s capability', (format, capability) => {
    expect(render(withFormat(format)).spec.requirements).toEqual([capability]);
  });

  it('refuses a format no stock server serves (gguf) with INVALID_INPUT, and pins a server when asked', () => {
    expect(() => render(withFormat('gguf', 'text-generation'))).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(render(deployment(), 'mlserver-prod').spec.server).toBe('mlserver-prod');
  });

  it.skipIf(!existsSync(EXAMPLES))('the 4 official Seldon Model examples validate', () => {
    const docs = parseAllDocuments(readFileSync(EXAMPLES, 'utf8')).map((d) => d.toJS());
    expect(docs).toHaveLength(4);
    for (const doc of docs) expect([doc.metadata.name, validateSeldonModel(doc)]).toEqual([doc.metadata.name, { ok: true, errors: [] }]);
  });

  it('lists schema and operator-rule problems with their paths', () => {
    const m = render(deployment());
    m.spec.maxReplica = 3;
    m.spec.memory = '4 GB';
    m.metadata.name = 'Sentiment_Model';
    const v = validateSeldonModel(m);
    expect(v.ok).toBe(false);
    expect(v.errors).toContainEqual({ path: '/spec', message: 'unknown field "maxReplica"' });
    expect(v.errors).toContainEqual(expect.objectContaining({ path: '/spec/memory' }));
    expect(v.errors).toContainEqual(expect.objectContaining({ path: '/metadata/name', message: expect.stringMatching(/DNS-1035/) }));
  });

  it.each<[string, Partial<EngineDeployment> & { overrides?: TemplateOverrides }, string]>([
    ['min > max', { overrides: { autoscaling: { minReplicas: 6, maxReplicas: 2 } } }, '/spec/minReplicas'],
    ['name longer than 40', { name: `mg-${'x'.repeat(40)}` }, '/metadata/name'],
  ])('a bad deployment (%s) gives MANIFEST_INVALID before any API call', async (_, over, p) => {
    fake.requests.length = 0;
    const err = await engine().start(deployment('low-latency', over)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'MANIFEST_INVALID', details: { errors: expect.arrayContaining([expect.objectContaining({ path: p })]) } });
    expect(fake.requests).toEqual([]);
  });
});

describe('Seldon Model status reading', () => {
  const cond = (type: string, status: string, message?: string, reason?: string) => ({ type, status, ...(message ? { message } : {}), ...(reason ? { reason } : {}) });
  it('needs ModelReady (or Ready) True and an available replica; fails on ModelFailed/ScheduleFailed', () => {
    expect(phaseOf({})).toMatchObject({ state: 'starting' });
    expect(phaseOf({ status: { conditions: [cond('ModelReady', 'True', 'ModelAvailable')] } })).toMatchObject({ state: 'starting', message: expect.stringMatching(/0 available/) });
    expect(phaseOf({ status: { conditions: [cond('ModelReady', 'True', 'ModelAvailable')], availableReplicas: 1 } })).toEqual({ state: 'ready' });
    expect(phaseOf({ status: { conditions: [cond('Ready', 'True')], availableReplicas: 2 } })).toEqual({ state: 'ready' });
    expect(phaseOf({ metadata: { generation: 3 }, status: { conditions: [cond('ModelReady', 'True')], availableReplicas: 1, observedGeneration: 2 } })).toMatchObject({ state: 'starting' });
    expect(phaseOf({ status: { conditions: [cond('ModelReady', 'False', 'ScheduleFailed', 'failed to schedule model: no matching servers')] } })).toEqual({
      state: 'failed',
      reason: 'ScheduleFailed',
      message: 'failed to schedule model: no matching servers',
    });
  });
});

describe('Seldon lifecycle against a fake API server', () => {
  it('start applies server-side, waits for ModelReady and the mesh (Seldon-Model header), then reports ready', async () => {
    fake.requests.length = 0;
    const d = deployment();
    const pending = engine().start(d);
    await expect.poll(() => fake.seldonModels.get(`${NS}/${d.name}`)?.status?.conditions?.[0]?.message, { interval: 5 }).toBe('ModelProgressing');
    expect(await engine().status(d, null)).toMatchObject({ state: 'starting', message: expect.stringMatching(/ModelProgressing/) });
    const status = await pending;
    expect(fake.seldonModels.get(`${NS}/${d.name}`)?.status).toMatchObject({ availableReplicas: 1, conditions: expect.arrayContaining([expect.objectContaining({ type: 'ModelReady', status: 'True' })]) });
    expect(status).toEqual({ state: 'ready', endpointUrl: fake.seldonMeshUrl(NS), handle: { namespace: NS, name: d.name, generation: 1, uid: expect.any(String), headers: { 'Seldon-Model': d.name } } });
    const apply = fake.requests.find((r) => r.method === 'PATCH')!;
    expect(apply).toMatchObject({ path: `${MODELS}/${d.name}`, contentType: 'application/apply-patch+yaml', query: { fieldManager: 'model-garden', force: 'true', fieldValidation: 'Strict' } });
    expect(apply.body).toEqual(render(d));
    expect(fake.requests).toContainEqual(expect.objectContaining({ method: 'GET', path: MODELS, query: { watch: 'true', fieldSelector: `metadata.name=${d.name}` } }));
    const probes = fake.requests.filter((r) => r.path.startsWith('/seldon-mesh/'));
    expect(probes.map((r) => [r.path, r.seldonModel])).toEqual([
      [`/seldon-mesh/${NS}/v2/models/${d.name}/ready`, d.name], // 404 while Envoy has no route yet
      [`/seldon-mesh/${NS}/v2/models/${d.name}/ready`, d.name],
    ]);
    expect(await engine().status(d, status.handle ?? null)).toMatchObject({ state: 'ready', endpointUrl: fake.seldonMeshUrl(NS) });
  });

  it('the mesh answers 404 for a model it does not know', async () => {
    const res = await fetch(`${fake.seldonMeshUrl(NS)}/v2/models/nope/ready`, { headers: { 'Seldon-Model': 'nope' } });
    expect(res.status).toBe(404);
  });

  it('a model that fails to load gives ENDPOINT_FAILED quickly', async () => {
    const d = deployment('low-latency', { name: 'mg-broken' });
    const started = Date.now();
    const err = await engine().start(d).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ENDPOINT_FAILED', details: { reason: 'ModelFailed', message: expect.stringMatching(/unsupported opset/) } });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await engine().status(d, null)).toMatchObject({ state: 'failed', message: expect.stringMatching(/^ModelFailed: /) });
  });

  it('lists managed Models by label', async () => {
    const client = createSeldonClient({ kubeConfig: fake.kubeConfig(), namespace: NS });
    const items = await client.list('garden.io/managed-by=model-garden');
    expect(items.map((o) => o.metadata?.name).sort()).toEqual(['mg-3f1c2b9e-sentiment', 'mg-broken']);
    expect(fake.requests.at(-1)).toMatchObject({ method: 'GET', path: MODELS, query: { labelSelector: 'garden.io/managed-by=model-garden' } });
  });

  it('stop deletes with Foreground propagation and resolves once the Model is gone', async () => {
    const d = deployment();
    fake.requests.length = 0;
    await engine().stop(d, { namespace: NS, name: d.name });
    expect(fake.requests[0]).toMatchObject({ method: 'DELETE', path: `${MODELS}/${d.name}`, query: { propagationPolicy: 'Foreground' } });
    expect(fake.requests.filter((r) => r.method === 'GET').length).toBeGreaterThan(1); // waited through the finalizer
    expect(fake.seldonModels.has(`${NS}/${d.name}`)).toBe(false);
    await engine().stop(d, null); // already gone: not an error
    expect(await engine().status(d, null)).toEqual({ state: 'gone', endpointUrl: null });
  });

  it('an unreachable API server gives ADAPTER_UNAVAILABLE', async () => {
    const down = await startFakeKubeApi();
    const kc = down.kubeConfig();
    await down.close();
    const e = createSeldonEngine({ kubeConfig: kc, namespace: NS, inferenceUrl: 'http://127.0.0.1:9', readyTimeoutMs: 2000, logger });
    await expect(e.start(deployment())).rejects.toMatchObject({ code: 'ADAPTER_UNAVAILABLE' });
    await expect(e.status(deployment(), null)).rejects.toMatchObject({ code: 'ADAPTER_UNAVAILABLE' });
    await expect(e.stop(deployment(), null)).rejects.toMatchObject({ code: 'ADAPTER_UNAVAILABLE' });
  });
});
