/**
 * KServe engine: manifests (render + CRD schema + webhook rules) and the lifecycle against an
 * in-process fake API server. The schema is compiled once for the whole file (singleton).
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- manifests are untyped JSON that the tests edit by path */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { CRD_FILES, crdPath } from '../src/deploy/adapters/kserve/crd-schema.js';
import { createKServeEngine } from '../src/deploy/adapters/kserve/engine.js';
import { renderInferenceService } from '../src/deploy/adapters/kserve/render.js';
import { createAjv, strictSchema, toManifestErrors } from '../src/deploy/adapters/kserve/schema-validator.js';
import { validateManifest } from '../src/deploy/adapters/kserve/validate.js';
import type { EngineDeployment } from '../src/deploy/ports/engine.js';
import { BUILT_IN_TEMPLATES, resolveSettings, type TemplateOverrides } from '../src/deploy/template-schema.js';
import { startFakeKubeApi, type FakeKubeApi } from './fixtures/fake-kube-api.js';

const SHARED = '/work/shared/fixtures/k8s';
const logger = pino({ level: 'silent' });

function deployment(template = 'low-latency', over: Partial<EngineDeployment> & { overrides?: TemplateOverrides } = {}): EngineDeployment {
  const t = BUILT_IN_TEMPLATES.find((x) => x.name === template)!;
  const { overrides, ...rest } = over;
  return {
    id: '3f1c2b9e-1111-4222-8333-444455556666',
    name: 'mg-3f1c2b9e-sentiment',
    model: { slug: 'sentiment-small', version: '1.2.0+build.7', format: 'onnx', task: 'text-classification', storageUri: 'oci://registry.local/models/sentiment:1.2.0' },
    template,
    settings: resolveSettings(t.settings, overrides),
    team: 'nlp',
    useCase: 'support triage',
    environment: 'evaluation',
    expiresAt: new Date('2026-12-01T08:30:00.250Z'),
    ...rest,
  };
}
const render = (d: EngineDeployment) => renderInferenceService(d, { namespace: 'mg-nlp' }) as any;

/** The InferenceService and Seldon Model documents of the shared official examples. */
function examples(): { file: string; doc: any }[] {
  const dir = path.join(SHARED, 'examples');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((file) => parseAllDocuments(readFileSync(path.join(dir, file), 'utf8')).map((d) => ({ file, doc: d.toJS() })))
    .filter((e) => e.doc?.kind === 'InferenceService' || e.doc?.kind === 'Model');
}
const isBroken = (e: { doc: any }) => e.doc.spec?.predictor?.scaleMetric === 'qps';

describe('vendored CRDs', () => {
  it.skipIf(!existsSync(SHARED))('are byte-for-byte copies of the shared fixtures', () => {
    // Buffer.equals: a deep toEqual on 2 MB takes seconds.
    expect(readFileSync(crdPath(CRD_FILES.inferenceService)).equals(readFileSync(path.join(SHARED, 'crds/kserve', CRD_FILES.inferenceService)))).toBe(true);
    expect(readFileSync(crdPath(CRD_FILES.seldonModel)).equals(readFileSync(path.join(SHARED, 'crds/seldon', CRD_FILES.seldonModel)))).toBe(true);
  });
});

describe('manifests', () => {
  it.each(BUILT_IN_TEMPLATES.map((t) => t.name))('template %s renders a valid InferenceService', (name) => {
    const m = render(deployment(name));
    expect(validateManifest(m)).toEqual({ ok: true, errors: [] });
    expect(m.metadata.labels).toMatchObject({ 'garden.io/managed-by': 'model-garden', 'garden.io/version': '1.2.0-build.7', 'garden.io/profile': name });
    expect(m.metadata.annotations['serving.kserve.io/deploymentMode']).toBe(name === 'batch' ? 'Knative' : 'Standard');
    expect(m.metadata.annotations['garden.io/expires-at']).toBe('2026-12-01T08:30:00Z');
    expect(m.spec.predictor.model.resources.requests).toEqual(m.spec.predictor.model.resources.limits);
  });

  it('renders GGUF for the huggingface runtime without protocolVersion, GPUs as strings', () => {
    const m = render(deployment('streaming', { model: { ...deployment().model, format: 'gguf', task: 'text-generation' } }));
    expect(m.spec.predictor.model).toMatchObject({ modelFormat: { name: 'huggingface' }, args: ['--backend=vllm'] });
    expect(m.spec.predictor.model.protocolVersion).toBeUndefined();
    expect(m.spec.predictor.model.resources.limits['nvidia.com/gpu']).toBe('1');
    expect(m.spec.predictor.model.readinessProbe).toMatchObject({ initialDelaySeconds: 30, httpGet: { path: '/v2/health/ready' } });
  });

  it('official examples validate, and the known-broken one (scaleMetric: qps) does not', () => {
    const all = examples();
    expect(all.length).toBe(31); // 27 InferenceServices (one broken) + 4 Seldon Models
    for (const e of all.filter((x) => !isBroken(x))) expect([e.file, validateManifest(e.doc)]).toEqual([e.file, { ok: true, errors: [] }]);
    const broken = all.filter(isBroken);
    expect(broken).toHaveLength(1);
    expect(validateManifest(broken[0]!.doc).errors).toEqual([{ path: '/spec/predictor/scaleMetric', message: 'must be equal to one of the allowed values: cpu, memory, concurrency, rps' }]);
  });

  it('the deduplicated schema gives the same verdicts as the full schema', () => {
    const full = createAjv().compile(strictSchema(CRD_FILES.inferenceService, 'v1beta1', { full: true, cacheDir: null }));
    const small = createAjv().compile(strictSchema(CRD_FILES.inferenceService, 'v1beta1', { cacheDir: null }));
    const docs = [...examples().filter((e) => e.doc.kind === 'InferenceService').map((e) => e.doc), ...brokenCases().map((c) => c[1])];
    for (const d of docs) {
      full(d);
      small(d);
      expect(toManifestErrors(small.errors)).toEqual(toManifestErrors(full.errors));
    }
  });

  function brokenCases(): [string, any, string, RegExp][] {
    const base = () => render(deployment());
    const typo = base();
    typo.spec.predictor.maxReplica = 3;
    const str = base();
    str.spec.predictor.minReplicas = '2';
    const qty = base();
    qty.spec.predictor.model.resources.limits.memory = '1 GB';
    const minMax = base();
    minMax.spec.predictor.minReplicas = 5;
    const canary = base();
    canary.spec.predictor.canaryTrafficPercent = 150;
    const name = base();
    name.metadata.name = 'Sklearn_Iris';
    const impl = base();
    impl.spec.predictor.sklearn = { storageUri: 's3://x' };
    return [
      ['typo field', typo, '/spec/predictor', /unknown field "maxReplica"/],
      ['string minReplicas', str, '/spec/predictor/minReplicas', /must be integer/],
      ['bad quantity', qty, '/spec/predictor/model/resources/limits/memory', /must match pattern/],
      ['min > max', minMax, '/spec/predictor/minReplicas', /greater than maxReplicas/],
      ['canary 150', canary, '/spec/predictor/canaryTrafficPercent', /0\.\.100/],
      ['bad name', name, '/metadata/name', /must match/],
      ['two implementations', impl, '/spec/predictor', /exactly one predictor implementation/],
    ];
  }

  it.each(brokenCases())('rejects a hand-broken manifest: %s', (_, m, p, message) => {
    const v = validateManifest(m);
    expect(v.ok).toBe(false);
    expect(v.errors).toContainEqual({ path: p, message: expect.stringMatching(message) });
  });

  it.each<[string, TemplateOverrides, string]>([
    ['min > max', { autoscaling: { minReplicas: 6, maxReplicas: 2 } }, '/spec/predictor/minReplicas'],
    ['cpu target above 100 %', { autoscaling: { target: 150 } }, '/spec/predictor/scaleTarget'],
  ])('an override that breaks a webhook rule (%s) gives MANIFEST_INVALID', async (_, overrides, p) => {
    const engine = createKServeEngine({ kubeConfig: fake.kubeConfig(), namespace: 'mg-nlp', logger });
    const err = await engine.render(deployment('low-latency', { overrides })).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'MANIFEST_INVALID', details: { errors: expect.arrayContaining([expect.objectContaining({ path: p })]) } });
  });
});

let fake: FakeKubeApi;
beforeAll(async () => {
  fake = await startFakeKubeApi({ failLoad: ['mg-broken'] });
});
afterAll(() => fake.close());

describe('lifecycle against a fake API server', () => {
  const engine = () => createKServeEngine({ kubeConfig: fake.kubeConfig(), namespace: 'mg-nlp', readyTimeoutMs: 5000, stopTimeoutMs: 2000, pollIntervalMs: 20, logger });

  it('start applies server-side, waits for the current generation and the data plane, then reports ready', async () => {
    fake.requests.length = 0;
    const d = deployment();
    const status = await engine().start(d);
    expect(status).toMatchObject({ state: 'ready', endpointUrl: `${fake.url}/dp/mg-nlp/${d.name}`, handle: { namespace: 'mg-nlp', name: d.name, generation: 1 } });
    const apply = fake.requests.find((r) => r.method === 'PATCH')!;
    expect(apply).toMatchObject({
      path: `/apis/serving.kserve.io/v1beta1/namespaces/mg-nlp/inferenceservices/${d.name}`,
      contentType: 'application/apply-patch+yaml',
      query: { fieldManager: 'model-garden', force: 'true', fieldValidation: 'Strict' },
    });
    expect(apply.body).toEqual(render(d));
    expect(fake.requests).toContainEqual(expect.objectContaining({ method: 'GET', path: '/apis/serving.kserve.io/v1beta1/namespaces/mg-nlp/inferenceservices', query: { watch: 'true', fieldSelector: `metadata.name=${d.name}` } }));
    const probes = fake.requests.filter((r) => r.path.startsWith('/dp/'));
    expect(probes.map((r) => r.path)).toEqual([`/dp/mg-nlp/${d.name}/v2/models/${d.name}/ready`, `/dp/mg-nlp/${d.name}/v2/models/${d.name}/ready`]); // 404, then 200
    expect(await engine().status(d, status.handle ?? null)).toMatchObject({ state: 'ready' });
  });

  it('an updated spec is not ready while observedGeneration lags behind (Ready=True is stale)', async () => {
    const d = deployment('low-latency', { overrides: { autoscaling: { maxReplicas: 3 } } });
    const pending = engine().start(d);
    // Wait until the controller reports Ready=True for the old generation.
    await expect.poll(() => fake.objects.get(`mg-nlp/${d.name}`)?.status?.observedGeneration, { interval: 5 }).toBe(1);
    await expect.poll(() => fake.objects.get(`mg-nlp/${d.name}`)?.metadata.generation, { interval: 5 }).toBe(2);
    expect(await engine().status(d, null)).toMatchObject({ state: 'starting', message: expect.stringMatching(/generation 1, spec is at 2/) });
    expect(await pending).toMatchObject({ state: 'ready', handle: { generation: 2 } });
  });

  it('a model that fails to load gives ENDPOINT_FAILED quickly', async () => {
    const started = Date.now();
    const err = await engine().start(deployment('low-latency', { name: 'mg-broken' })).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ENDPOINT_FAILED', details: { reason: 'ModelLoadFailed', message: expect.stringMatching(/unsupported opset/) } });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await engine().status(deployment('low-latency', { name: 'mg-broken' }), null)).toMatchObject({ state: 'failed' });
  });

  it('stop deletes with Foreground propagation and resolves once the object is gone', async () => {
    const d = deployment();
    fake.requests.length = 0;
    await engine().stop(d, { namespace: 'mg-nlp', name: d.name });
    expect(fake.requests[0]).toMatchObject({ method: 'DELETE', query: { propagationPolicy: 'Foreground' } });
    expect(fake.objects.has(`mg-nlp/${d.name}`)).toBe(false);
    await engine().stop(d, null); // already gone: not an error
    expect(await engine().status(d, null)).toEqual({ state: 'gone', endpointUrl: null });
  });

  it('lists managed objects by label', async () => {
    const { createKServeClient } = await import('../src/deploy/adapters/kserve/client.js');
    const client = createKServeClient({ kubeConfig: fake.kubeConfig(), namespace: 'mg-nlp' });
    const items = await client.list('garden.io/managed-by=model-garden');
    expect(items.map((o) => o.metadata?.name)).toEqual(['mg-broken']);
    expect(fake.requests.at(-1)).toMatchObject({ method: 'GET', query: { labelSelector: 'garden.io/managed-by=model-garden' } });
  });

  it('an unreachable API server gives ADAPTER_UNAVAILABLE', async () => {
    const down = await startFakeKubeApi();
    const kc = down.kubeConfig();
    await down.close();
    const e = createKServeEngine({ kubeConfig: kc, namespace: 'mg-nlp', readyTimeoutMs: 2000, logger });
    await expect(e.start(deployment())).rejects.toMatchObject({ code: 'ADAPTER_UNAVAILABLE' });
    await expect(e.status(deployment(), null)).rejects.toMatchObject({ code: 'ADAPTER_UNAVAILABLE' });
  });
});
