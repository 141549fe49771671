/** API tests through app.inject() on real PGlite: every route, good and bad input. */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { buildApp } from '../src/api/app.js';
import { createLogger } from '../src/core/logger.js';
import { createTestServices, withAuth } from './harness.js';
import { makeEntry, smallCatalog } from './factories.js';

let app: FastifyInstance;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const t = await createTestServices('pglite');
  cleanup = t.cleanup;
  app = withAuth(await buildApp({ services: t.services, logger: createLogger('silent'), bodyLimitBytes: 256 * 1024, webDir: '/nonexistent' }), t.adminToken);
  const r = await app.inject({ method: 'POST', url: '/api/v1/import', payload: smallCatalog() });
  expect(r.json()).toMatchObject({ failed: 0, created: 6 });
});
afterAll(async () => {
  await app?.close();
  await cleanup?.();
});

function expectError(res: { statusCode: number; json(): unknown }, status: number, code: string) {
  expect({ status: res.statusCode, code: (res.json() as { error: { code: string } }).error?.code }).toEqual({ status, code });
  const body = res.json() as { error: { message: string }; requestId: string };
  expect(body.error.message.length).toBeGreaterThan(0);
  expect(body.requestId).toBeTruthy();
}

describe('system routes', () => {
  it('reports health, readiness and status', async () => {
    expect((await app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    expect((await app.inject('/readyz')).json()).toEqual({ status: 'ready' });
    const status = (await app.inject('/api/v1/status')).json();
    expect(status).toMatchObject({ database: 'pglite', schemaVersion: expect.stringMatching(/^\d{4}_/), models: 5 });
    expect(status.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('serves an OpenAPI 3.1 document covering the API, and Swagger UI', async () => {
    const doc = (await app.inject('/api/v1/openapi.json')).json();
    expect(doc.openapi).toBe('3.1.0');
    for (const p of ['/api/v1/models', '/api/v1/models/{slug}', '/api/v1/models/{slug}/versions/{version}', '/api/v1/search', '/api/v1/import', '/api/v1/status']) {
      expect(Object.keys(doc.paths)).toContain(p);
    }
    expect(doc.paths['/api/v1/search'].get.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['q', 'task', 'maturity', 'fitsInGb', 'cpu', 'minContext', 'cursor']),
    );
    const ui = await app.inject('/docs/');
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toMatch(/html/);
  });

  it('exposes Prometheus metrics including request durations', async () => {
    await app.inject('/api/v1/models');
    const text = (await app.inject('/metrics')).body;
    expect(text).toMatch(/garden_http_request_duration_seconds_bucket\{.*route="\/api\/v1\/models"/);
    expect(text).toMatch(/garden_import_entries_total\{outcome="created"\} 6/);
  });

  it('echoes a request id, or makes one', async () => {
    const given = await app.inject({ url: '/api/v1/models/nope', headers: { 'x-request-id': 'trace-123' } });
    expect(given.headers['x-request-id']).toBe('trace-123');
    expect(given.json().requestId).toBe('trace-123');
    const made = await app.inject('/healthz');
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('models and versions', () => {
  it('creates, reads and updates a model', async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/models',
      payload: { slug: 'api-made', name: 'API Made', ownerTeam: 'api-team', tasks: ['translation'] },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ slug: 'api-made', ownerTeam: 'api-team', head: null, versions: [] });
    const patched = await app.inject({ method: 'PATCH', url: '/api/v1/models/api-made', payload: { description: 'Now described.' } });
    expect(patched.json()).toMatchObject({ description: 'Now described.', tasks: ['translation'] });
    const v = await app.inject({ method: 'POST', url: '/api/v1/models/api-made/versions', payload: { version: '1.0.0-rc.1', contextLength: 2048 } });
    expect(v.statusCode).toBe(201);
    expect(v.json()).toMatchObject({ version: '1.0.0-rc.1', lifecycle: 'draft', artifactUri: 'garden://api-made@1.0.0-rc.1' });
    const list = (await app.inject('/api/v1/models/api-made/versions')).json();
    expect(list.items.map((x: { version: string }) => x.version)).toEqual(['1.0.0-rc.1']);
    const one = await app.inject('/api/v1/models/api-made/versions/1.0.0-rc.1');
    expect(one.json().contextLength).toBe(2048);
    const edited = await app.inject({ method: 'PATCH', url: '/api/v1/models/api-made/versions/1.0.0-rc.1', payload: { contextLength: 4096 } });
    expect(edited.json().contextLength).toBe(4096);
    expect((await app.inject('/api/v1/models/api-made')).json().head.version).toBe('1.0.0-rc.1');
  });

  it('lists models with filters and cursor pagination', async () => {
    const page1 = (await app.inject('/api/v1/models?limit=2&sort=name')).json();
    expect(page1.items).toHaveLength(2);
    expect(page1.total).toBeGreaterThanOrEqual(6);
    const page2 = (await app.inject(`/api/v1/models?limit=2&sort=name&cursor=${page1.nextCursor}`)).json();
    expect(page2.items[0].slug).not.toBe(page1.items[1].slug);
    const filtered = (await app.inject('/api/v1/models?task=summarization&cpu=true')).json();
    expect(filtered.items.map((m: { slug: string }) => m.slug)).toEqual(['contract-summarizer-int4']);
    const multi = (await app.inject('/api/v1/models?team=legal-ml&team=speech-team')).json();
    expect(multi.items.map((m: { slug: string }) => m.slug).sort()).toEqual(['contract-summarizer', 'whisper-small-callcenter']);
  });

  it('searches with facet counts and understood constraints', async () => {
    const r = (await app.inject('/api/v1/search?q=japanese%20ner')).json();
    expect(r.items.map((m: { slug: string }) => m.slug)).toEqual(['bert-ner-japanese']);
    expect(r.query.constraints).toEqual([expect.objectContaining({ id: 'language:ja', label: expect.stringContaining('Japanese') })]);
    expect(r.facets.task).toEqual([{ value: 'token-classification', count: 1 }]);
  });

  it('rejects bad model input with stable codes and writes nothing', async () => {
    const bad: [unknown, string][] = [
      [{ slug: 'x1', name: 5, ownerTeam: 't' }, 'name'],
      [{ slug: 'x2', name: 'X', ownerTeam: 't', colour: 'red' }, 'colour'],
      [{ slug: 'x3', name: 'X'.repeat(201), ownerTeam: 't' }, 'name'],
      [{ slug: 'x4', name: 'X', ownerTeam: 't', tags: Array.from({ length: 51 }, (_, i) => `t${i}`) }, 'tags'],
      [{ slug: 'Not A Slug', name: 'X', ownerTeam: 't' }, 'slug'],
      [{ slug: '-x', name: 'X', ownerTeam: 't' }, 'slug'],
      [{ slug: 'x5', name: 'X', ownerTeam: 't', baseModel: { ref: 'a', relation: 'cousin' } }, 'relation'],
    ];
    for (const [payload, field] of bad) {
      const res = await app.inject({ method: 'POST', url: '/api/v1/models', payload: payload as object });
      expectError(res, 400, 'INVALID_INPUT');
      expect(res.json().error.message).toContain(field);
    }
    for (const slug of ['x1', 'x2', 'x3', 'x4', 'x5']) expect((await app.inject(`/api/v1/models/${slug}`)).statusCode).toBe(404);
    expectError(await app.inject({ method: 'POST', url: '/api/v1/models', payload: { slug: 'api-made', name: 'Dup', ownerTeam: 't' } }), 409, 'CONFLICT');
  });

  it('rejects bad version input', async () => {
    expectError(await app.inject({ method: 'POST', url: '/api/v1/models/api-made/versions', payload: { version: 'v1' } }), 400, 'INVALID_INPUT');
    expectError(await app.inject({ method: 'POST', url: '/api/v1/models/api-made/versions', payload: { version: '1.0.0-rc.1' } }), 409, 'CONFLICT');
    expectError(await app.inject({ method: 'POST', url: '/api/v1/models/nope/versions', payload: { version: '1.0.0' } }), 404, 'NOT_FOUND');
    expectError(await app.inject('/api/v1/models/contract-summarizer/versions/9.9.9'), 404, 'NOT_FOUND');
    expectError(await app.inject('/api/v1/models/contract-summarizer/versions/latest'), 400, 'INVALID_INPUT');
    expectError(await app.inject({ method: 'PATCH', url: '/api/v1/models/contract-summarizer/versions/2.0.0', payload: { contextLength: 1 } }), 409, 'CONFLICT');
    expectError(await app.inject({ method: 'PATCH', url: '/api/v1/models/contract-summarizer/versions/2.0.0', payload: { maturity: 'gold' } }), 400, 'INVALID_INPUT');
  });

  it('rejects bad list and search parameters', async () => {
    expectError(await app.inject('/api/v1/models?cursor=nonsense'), 400, 'INVALID_CURSOR');
    expectError(await app.inject('/api/v1/models?colour=red'), 400, 'INVALID_INPUT');
    expectError(await app.inject('/api/v1/models?maturity=gold'), 400, 'UNKNOWN_FACET');
    expectError(await app.inject('/api/v1/search?lifecycle=zombie'), 400, 'UNKNOWN_FACET');
    expectError(await app.inject('/api/v1/models?team=nobody&license=apache-2.0'), 400, 'UNKNOWN_FACET');
    expectError(await app.inject('/api/v1/models?limit=1000'), 400, 'INVALID_INPUT');
    expectError(await app.inject('/api/v1/search?fitsInGb=lots'), 400, 'INVALID_INPUT');
    expectError(await app.inject(`/api/v1/search?q=${'a'.repeat(501)}`), 400, 'INVALID_INPUT');
    expectError(await app.inject('/api/v1/nothing-here'), 404, 'NOT_FOUND');
  });
});

describe('import', () => {
  it('imports YAML and JSON idempotently, reporting per-entry errors', async () => {
    const entries = [makeEntry({ slug: 'imp-a' }), makeEntry({ slug: 'imp-b', version: '1.0' }), makeEntry({ slug: 'imp-c' })];
    const yaml = await app.inject({ method: 'POST', url: '/api/v1/import', headers: { 'content-type': 'application/yaml' }, payload: stringify(entries) });
    expect(yaml.statusCode).toBe(200);
    expect(yaml.json()).toMatchObject({ total: 3, created: 2, failed: 1 });
    expect(yaml.json().results[1]).toMatchObject({ index: 1, slug: 'imp-b', outcome: 'failed', error: { code: 'INVALID_INPUT' } });
    const json = await app.inject({ method: 'POST', url: '/api/v1/import', payload: { entries } });
    expect(json.json()).toMatchObject({ created: 0, unchanged: 2, failed: 1 });
  });

  it('rejects malformed, oversized and unsupported bodies', async () => {
    expectError(await app.inject({ method: 'POST', url: '/api/v1/import', headers: { 'content-type': 'application/yaml' }, payload: 'slug: [unclosed' }), 400, 'INVALID_INPUT');
    expectError(await app.inject({ method: 'POST', url: '/api/v1/import', headers: { 'content-type': 'application/json' }, payload: '{"entries": [' }), 400, 'INVALID_INPUT');
    expectError(await app.inject({ method: 'POST', url: '/api/v1/import', headers: { 'content-type': 'application/yaml' }, payload: 'a: 1\na: 2\n' }), 400, 'INVALID_INPUT');
    expectError(await app.inject({ method: 'POST', url: '/api/v1/import', payload: { entries: 'nope' } }), 400, 'INVALID_INPUT');
    expectError(await app.inject({ method: 'POST', url: '/api/v1/import', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ entries: [], pad: 'x'.repeat(300 * 1024) }) }), 413, 'PAYLOAD_TOO_LARGE');
    expectError(await app.inject({ method: 'POST', url: '/api/v1/import', headers: { 'content-type': 'application/xml' }, payload: '<a/>' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });
});

describe('robustness', () => {
  it('never answers 5xx to hostile content', async () => {
    const nasty: unknown[] = [null, 0, -1, 1e308, 'x', '', [], {}, { __proto__: { a: 1 } }, '\u0000', '😀'.repeat(300), [[[[[]]]]], { slug: {} }, true];
    const urls = [
      '/api/v1/models',
      '/api/v1/models/api-made/versions',
      '/api/v1/import',
      '/api/v1/models/api-made',
      '/api/v1/models/api-made/versions/1.0.0-rc.1/uploads',
      '/api/v1/models/api-made/versions/1.0.0-rc.1/files/commit',
    ];
    for (const url of urls) {
      for (const payload of nasty) {
        const method = url === '/api/v1/models/api-made' ? 'PATCH' : 'POST';
        const res = await app.inject({ method, url, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(payload) });
        expect(res.statusCode, `${method} ${url} ${JSON.stringify(payload)?.slice(0, 40)}`).toBeLessThan(500);
      }
    }
    for (const q of ['%00', "'; DROP TABLE models; --", '(((', 'a:* | !', '\\', '%F0%9F%98%80', 'under -5 GB', '99999999999999999999 GB']) {
      const res = await app.inject(`/api/v1/search?q=${encodeURIComponent(q)}`);
      expect(res.statusCode, q).toBeLessThan(500);
    }
    expect((await app.inject('/api/v1/status')).json().models).toBeGreaterThan(5);
  });
});
