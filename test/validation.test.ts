/**
 * Input the platform must refuse, through the API on PGlite and PostgreSQL: evaluation suites
 * with an unknown task, unknown or unsuitable metrics, duplicates or absurd counts; deployment
 * labels that are not Kubernetes labels and free text with line breaks or control characters
 * (they end up in manifests and logs); and base models that make lineage circular, including two
 * edits racing to close a cycle between them.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app.js';
import type { Services } from '../src/api/services.js';
import { resolveVersion, runImport } from '../src/catalog/index.js';
import { createLogger } from '../src/core/logger.js';
import { generateTextClassifier } from '../src/demo-models/index.js';
import { BUILT_IN_TEMPLATES } from '../src/deploy/index.js';
import { systemActor } from '../src/identity/index.js';
import { deploymentTemplates } from '../src/core/db/schema.js';
import { makeEntry } from './factories.js';
import { createTestServices, dbKinds } from './harness.js';

const SYS = systemActor('test');

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any -- response bodies checked by the assertions

describe.each(dbKinds())('validation on %s', (kind) => {
  let app: FastifyInstance;
  let services: Services;
  let token: string;
  let cleanup: () => Promise<void>;

  async function call(method: string, url: string, payload?: unknown): Promise<{ status: number; body: Json }> {
    const res = await app.inject({ method: method as 'GET', url: `/api/v1${url}`, payload: payload as string, headers: { authorization: `Bearer ${token}` } });
    return { status: res.statusCode, body: res.body ? res.json() : {} };
  }

  beforeAll(async () => {
    const t = await createTestServices(kind);
    ({ services, cleanup } = t);
    token = t.adminToken;
    await runImport(SYS, services.database.db, services.catalog, [makeEntry({ slug: 'router', ownerTeam: 'support', tasks: ['text-classification'], approvedUseCases: ['support ticket routing'] })]);
    const v = await resolveVersion(services.database.db, 'router', '1.0.0');
    await services.registry.attachGeneratedFiles(SYS, v!.id, [{ path: 'model.onnx', bytes: Buffer.from(generateTextClassifier().onnx) }]);
    app = await buildApp({ services, logger: createLogger('silent'), webDir: '/nonexistent' });
  });
  afterAll(async () => {
    await app?.close();
    await cleanup?.();
  });

  describe('evaluation suites', () => {
    const suite = (body: Record<string, unknown>) => call('POST', '/suites', { name: 'checked', ...body });
    const refusal = async (body: Record<string, unknown>) => {
      const r = await suite(body);
      expect([r.status, r.body.error?.code]).toEqual([400, 'INVALID_INPUT']);
      return r.body.error as { message: string; details: Record<string, unknown> };
    };

    it('refuses a task the catalog does not know, and runnable suites for tasks the platform cannot run', async () => {
      const e = await refusal({ task: 'mind-reading', metrics: ['accuracy'] });
      expect(e.details).toMatchObject({ reason: 'unknown_task', field: 'task' });
      expect(e.message).toMatch(/unknown task "mind-reading"/);
      const runnable = await refusal({ task: 'summarization', metrics: ['rouge_l'], dataset: { name: 'd.jsonl', text: '{"input":"a","expected":"b"}' } });
      expect(runnable.details).toMatchObject({ reason: 'not_runnable_task', field: 'task' });
    });

    it('refuses unknown metrics, metrics that mean nothing for the task, and duplicates, naming each', async () => {
      const unknown = await refusal({ task: 'question-answering', metrics: ['exact_match', 'vibes'] });
      expect(unknown.details).toMatchObject({ reason: 'unknown_metric', field: 'metrics', unknown: ['vibes'], allowed: expect.arrayContaining(['exact_match', 'f1']) });
      const unsuitable = await refusal({ task: 'question-answering', metrics: ['wer'] });
      expect(unsuitable.details).toMatchObject({ reason: 'metric_not_for_task', unsuitable: ['wer'] });
      const twice = await refusal({ task: 'summarization', metrics: ['rouge_l', 'rouge_l'] });
      expect(twice.details).toMatchObject({ reason: 'duplicate_metric', duplicates: ['rouge_l'] });
      const mixed = await refusal({ task: 'text-classification', metrics: ['accuracy', 'bleu', 'nope', 'accuracy'] });
      expect(mixed.details).toMatchObject({ reasons: ['unknown_metric', 'metric_not_for_task', 'duplicate_metric'] });
    });

    it('refuses 100,000 metrics (and 33) with a clear reason; 32 distinct ones would be the limit', async () => {
      const huge = await refusal({ task: 'text-classification', metrics: Array.from({ length: 100_000 }, () => 'accuracy') });
      expect(huge.details).toMatchObject({ reason: 'too_many_metrics', max: 32, count: 100_000 });
      const just = await refusal({ task: 'text-classification', metrics: Array.from({ length: 33 }, (_, i) => `m${i}`) });
      expect(just.details).toMatchObject({ reason: 'too_many_metrics' });
      expect(await refusal({ task: 'text-classification', metrics: [] })).toMatchObject({ details: { issues: [{ path: 'body.metrics' }] } });
    });

    it('registers a suite with a known task and its metrics; nothing refused was stored', async () => {
      expect((await suite({ task: 'question-answering', metrics: ['exact_match', 'f1', 'latency_p95'] })).status).toBe(201);
      expect((await call('POST', '/suites', { name: 'asr', task: 'automatic-speech-recognition', metrics: ['wer', 'cer'] })).status).toBe(201);
      const items = (await call('GET', '/suites')).body.items as { name: string; task: string; metrics: string[] }[];
      expect(items.map((s) => [s.name, s.task, s.metrics])).toEqual([
        ['asr', 'automatic-speech-recognition', ['wer', 'cer']],
        ['checked', 'question-answering', ['exact_match', 'f1', 'latency_p95']],
      ]);
    });
  });

  describe('deployment labels and free text', () => {
    const spec = { model: 'router@1.0.0', template: 'evaluation', team: 'support', useCase: 'evaluation', environment: 'evaluation' };
    const dry = (extra: Record<string, unknown>) => call('POST', '/deployments?dryRun=true', { ...spec, ...extra });
    const paths = (r: { body: Json }) => ((r.body.error?.details?.issues ?? []) as { path: string }[]).map((i) => i.path);

    it('refuses label keys and values Kubernetes would refuse, and newlines in them', async () => {
      for (const labels of [
        { tier: 'gold\nevil: true' },
        { tier: 'gold\r' },
        { tier: '-gold' },
        { tier: 'x'.repeat(64) },
        { 'bad key': 'x' },
        { '-tier': 'x' },
        { [`${'a'.repeat(64)}`]: 'x' },
        { 'Example.com/tier': 'x' },
        { '/tier': 'x' },
        { 'example.com/': 'x' },
        { 'a/b/c': 'x' },
      ]) {
        const r = await dry({ overrides: { labels } });
        expect([r.status, r.body.error?.code], JSON.stringify(labels)).toEqual([400, 'INVALID_INPUT']);
        expect(paths(r).some((p) => p.includes('overrides.labels')), JSON.stringify(r.body.error)).toBe(true);
      }
    });

    it('accepts proper labels (DNS prefix, empty value) and keeps them in the plan', async () => {
      const r = await dry({ overrides: { labels: { 'example.com/cost-center': 'ml_platform-42', tier: '' } } });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.deployment.settings.labels).toMatchObject({ 'example.com/cost-center': 'ml_platform-42', tier: '' });
    });

    it('refuses line breaks and control characters in the use case and description, and a team that is not a slug', async () => {
      for (const [extra, field] of [
        [{ useCase: 'evaluation\nlevel=error msg="forged"' }, 'useCase'],
        [{ useCase: 'evaluation\u2028x' }, 'useCase'],
        [{ description: 'safe \u202Edetacilpmoc' }, 'description'],
        [{ description: 'bell\u0007' }, 'description'],
        [{ team: 'Support Team' }, 'team'],
      ] as const) {
        const r = await dry(extra);
        expect([r.status, r.body.error?.code], JSON.stringify(extra)).toEqual([400, 'INVALID_INPUT']);
        expect(paths(r).join(' ')).toContain(field);
      }
      const endpoint = await call('POST', '/models/router/versions/1.0.0/eval-endpoint', { team: 'support\nx' });
      expect([endpoint.status, endpoint.body.error?.code]).toEqual([400, 'INVALID_INPUT']);
      const quota = await call('PUT', '/teams/support%0Aevil/quota', { maxEvalEndpoints: 1, maxGpus: null });
      expect([quota.status, quota.body.error?.code]).toEqual([400, 'INVALID_INPUT']);
      const policy = await call('POST', '/models/router/versions/1.0.0/policy-check', { purpose: 'deployment', useCase: 'support ticket routing\nallowed: true' });
      expect([policy.status, policy.body.error?.code]).toEqual([400, 'INVALID_INPUT']);
    });

    it('refuses a template whose labels are not Kubernetes labels', async () => {
      const settings = { ...BUILT_IN_TEMPLATES[0]!.settings, labels: { team: 'a\nb' } };
      const r = await call('PUT', '/deployment-templates/custom-labels', { description: 'x', settings });
      expect([r.status, r.body.error?.code]).toEqual([400, 'INVALID_INPUT']);
      expect(paths(r).join(' ')).toContain('settings.labels');
      const many = { ...BUILT_IN_TEMPLATES[0]!.settings, labels: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`l${i}`, 'x'])) };
      expect((await call('PUT', '/deployment-templates/custom-labels', { description: 'x', settings: many })).status).toBe(400);
      expect((await call('GET', '/deployment-templates/custom-labels')).status).toBe(404);
    });

    it('still lists a template saved before the label rules, and refuses to deploy with it', async () => {
      const legacy = { ...BUILT_IN_TEMPLATES[3]!.settings, labels: { team: 'a\nb' } };
      await services.database.db.insert(deploymentTemplates).values({ name: 'legacy', description: 'saved by an older version', settings: legacy });
      const listed = await call('GET', '/deployment-templates');
      expect(listed.status).toBe(200);
      expect(listed.body.find((t: { name: string }) => t.name === 'legacy').settings.labels).toEqual({ team: 'a\nb' });
      const r = await dry({ template: 'legacy' });
      expect([r.status, r.body.error?.code]).toEqual([400, 'INVALID_INPUT']);
      expect(r.body.error.message).toMatch(/template legacy with these overrides is invalid: labels/);
    });
  });

  describe('lineage', () => {
    const create = (slug: string, base?: string) =>
      call('POST', '/models', { slug, name: slug, ownerTeam: 'support', ...(base ? { baseModel: { ref: base, relation: 'finetune' } } : {}) });
    const rebase = (slug: string, base: string | null) => call('PATCH', `/models/${slug}`, { baseModel: base ? { ref: base, relation: 'finetune' } : null });
    const cycleOf = (r: { status: number; body: Json }) => {
      expect([r.status, r.body.error?.code, r.body.error?.details?.reason]).toEqual([400, 'INVALID_INPUT', 'lineage_cycle']);
      return r.body.error.details.cycle as string[];
    };

    it('refuses a model as its own base, on create and on update, with or without a version', async () => {
      expect(cycleOf(await create('narcissus', 'narcissus'))).toEqual(['narcissus', 'narcissus']);
      expect((await call('GET', '/models/narcissus')).status).toBe(404);
      expect((await create('echo')).status).toBe(201);
      expect(cycleOf(await rebase('echo', 'echo@1.0.0'))).toEqual(['echo', 'echo']);
      expect((await call('GET', '/models/echo')).body.baseModel).toBeNull();
    });

    it('refuses a base that derives from the model, through any chain', async () => {
      expect((await create('aa', 'bb@1.0.0')).status).toBe(201); // bb does not exist yet
      expect(cycleOf(await create('bb', 'aa'))).toEqual(['bb', 'aa', 'bb']);
      for (const [slug, base] of [['c1', 'c2'], ['c2', 'c3'], ['c3', null]] as const) expect((await create(slug, base ?? undefined)).status).toBe(201);
      const r = await rebase('c3', 'c1');
      expect(cycleOf(r)).toEqual(['c3', 'c1', 'c2', 'c3']);
      expect(r.body.error.message).toMatch(/c1 derives from c3/);
      // Bases outside the loop, external ids and removing a base stay fine.
      expect((await rebase('c3', 'meta-llama/Llama-3.1-8B')).status).toBe(200);
      expect((await rebase('c3', 'echo')).status).toBe(200);
      expect((await rebase('c1', null)).status).toBe(200);
      expect((await rebase('c3', 'c1')).status).toBe(200); // c1 no longer derives from c3
    });

    it('refuses a cycle closed by an imported catalog file, entry by entry', async () => {
      const r = await call('POST', '/import', [
        makeEntry({ slug: 'imp-x', baseModel: { ref: 'imp-y@1.0.0', relation: 'quantized' } }),
        makeEntry({ slug: 'imp-y', baseModel: { ref: 'imp-x@1.0.0', relation: 'finetune' } }),
        makeEntry({ slug: 'imp-z', baseModel: { ref: 'imp-z', relation: 'merge' } }),
      ]);
      expect(r.body).toMatchObject({ created: 1, failed: 2 });
      expect(r.body.results.map((x: { slug: string; outcome: string; error?: { details?: { reason?: string } } }) => [x.slug, x.outcome, x.error?.details?.reason ?? null])).toEqual([
        ['imp-x', 'created', null],
        ['imp-y', 'failed', 'lineage_cycle'],
        ['imp-z', 'failed', 'lineage_cycle'],
      ]);
      // Re-importing an existing model with a base that closes a loop is refused too.
      const again = await call('POST', '/import', [makeEntry({ slug: 'imp-x', version: '2.0.0', baseModel: { ref: 'imp-x', relation: 'quantized' } })]);
      expect(again.body.results[0].error?.details?.reason).toBe('lineage_cycle');
    });

    it('two edits racing to close a cycle between them: exactly one of each pair wins', async () => {
      const pairs = Array.from({ length: 8 }, (_, i) => [`race-${i}-a`, `race-${i}-b`] as const);
      for (const [a, b] of pairs) {
        await create(a);
        await create(b);
      }
      const admin = (await services.identity.resolveToken(token, 'test'))!;
      const outcomes = await Promise.all(
        pairs.map(([a, b]) =>
          Promise.allSettled([
            services.catalog.updateModel(admin, a, { baseModel: { ref: b, relation: 'finetune' } }),
            services.catalog.updateModel(admin, b, { baseModel: { ref: a, relation: 'finetune' } }),
          ]),
        ),
      );
      for (const pair of outcomes) {
        expect(pair.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
        const failed = pair.find((o) => o.status === 'rejected') as PromiseRejectedResult;
        expect(failed.reason).toMatchObject({ code: 'INVALID_INPUT', details: { reason: 'lineage_cycle' } });
      }
    });
  });
});
