/**
 * Every parser behind the API refuses malformed input with a 4xx, a stable code and the house
 * error body ({ error: { code, message }, requestId }), never a 500: Fastify's JSON body parser
 * (syntax, prototype poisoning, empty body, wrong content type, size), the catalog import's JSON
 * and YAML reader (alias bombs, duplicate keys, deep nesting, unknown tags), evaluation datasets
 * (JSON lines) and the Hugging Face form parser. Real HTTP through app.inject on PGlite.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app.js';
import type { Services } from '../src/api/services.js';
import { VersionFields } from '../src/catalog/index.js';
import { createLogger } from '../src/core/logger.js';
import { systemActor } from '../src/identity/index.js';
import { createTestServices, withAuth } from './harness.js';

const BODY_LIMIT = 256 * 1024;

/** A YAML "billion laughs": each level doubles the aliases of the one before. */
function aliasBomb(levels = 30): string {
  const lines = ['a0: &a0 [lol, lol]'];
  for (let i = 1; i < levels; i++) lines.push(`a${i}: &a${i} [*a${i - 1}, *a${i - 1}]`);
  lines.push(`slug: *a${levels - 1}`);
  return lines.join('\n');
}

interface Bad {
  what: string;
  contentType: string;
  body: string | Buffer;
  status: number;
  code: string;
  /**
   * Set when the body is well-formed once parsed, so the import reads it and reports each entry
   * it cannot use (200, every entry failed) where other routes refuse the body as a whole.
   */
  parsesAsData?: true;
}

const JSON_CT = 'application/json';
const YAML_CT = 'application/yaml';

/** Malformed bodies any JSON route must refuse the same way. */
const JSON_BODIES: Bad[] = [
  { what: 'truncated JSON', contentType: JSON_CT, body: '{"slug": ', status: 400, code: 'INVALID_INPUT' },
  { what: 'JSON with a trailing comma', contentType: JSON_CT, body: '{"slug": "x",}', status: 400, code: 'INVALID_INPUT' },
  { what: 'not JSON at all', contentType: JSON_CT, body: 'slug=x', status: 400, code: 'INVALID_INPUT' },
  { what: 'an empty JSON body', contentType: JSON_CT, body: '', status: 400, code: 'INVALID_INPUT' },
  { what: 'a __proto__ key (prototype poisoning)', contentType: JSON_CT, body: '{"slug": "x", "__proto__": {"isAdmin": true}}', status: 400, code: 'INVALID_INPUT' },
  { what: 'a constructor.prototype key (prototype poisoning)', contentType: JSON_CT, body: '{"slug": "x", "constructor": {"prototype": {"isAdmin": true}}}', status: 400, code: 'INVALID_INPUT' },
  { what: 'invalid UTF-8', contentType: JSON_CT, body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), status: 400, code: 'INVALID_INPUT', parsesAsData: true },
  { what: 'deeply nested JSON', contentType: JSON_CT, body: '['.repeat(100_000) + ']'.repeat(100_000), status: 400, code: 'INVALID_INPUT', parsesAsData: true },
  { what: 'a body over the size limit', contentType: JSON_CT, body: JSON.stringify({ pad: 'x'.repeat(BODY_LIMIT + 1) }), status: 413, code: 'PAYLOAD_TOO_LARGE' },
  { what: 'an unsupported content type', contentType: 'application/xml', body: '<a/>', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  { what: 'a YAML body', contentType: YAML_CT, body: 'slug: x\n', status: 400, code: 'INVALID_INPUT', parsesAsData: true },
  { what: 'a YAML alias bomb', contentType: YAML_CT, body: aliasBomb(), status: 400, code: 'INVALID_INPUT' },
  { what: 'a multipart body', contentType: 'multipart/form-data; boundary=x', body: '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
];

/** YAML and text bodies for the routes that read YAML (the catalog import). */
const YAML_BODIES: Bad[] = [
  { what: 'a YAML alias bomb', contentType: YAML_CT, body: aliasBomb(), status: 400, code: 'INVALID_INPUT' },
  { what: 'a YAML alias bomb in a later document', contentType: YAML_CT, body: `slug: ok\n---\n${aliasBomb()}`, status: 400, code: 'INVALID_INPUT' },
  { what: 'a YAML merge-key bomb', contentType: YAML_CT, body: `${aliasBomb(12)}\nm: {<<: [*a11, *a11]}`, status: 400, code: 'INVALID_INPUT' },
  { what: 'unclosed YAML', contentType: YAML_CT, body: 'slug: [unclosed', status: 400, code: 'INVALID_INPUT' },
  { what: 'duplicate YAML keys', contentType: YAML_CT, body: 'slug: a\nslug: b\n', status: 400, code: 'INVALID_INPUT' },
  { what: 'an undefined YAML alias', contentType: YAML_CT, body: 'slug: *nowhere\n', status: 400, code: 'INVALID_INPUT' },
  // A tag the reader does not know stays a plain string: nothing is ever constructed from a tag.
  { what: 'a YAML tag naming code', contentType: YAML_CT, body: 'slug: !!js/function "function () { return 1 }"\n', status: 400, code: 'INVALID_INPUT', parsesAsData: true },
  { what: 'deeply nested YAML', contentType: YAML_CT, body: '['.repeat(50_000) + ']'.repeat(50_000), status: 400, code: 'INVALID_INPUT', parsesAsData: true },
  { what: 'deeply nested YAML blocks', contentType: YAML_CT, body: `${'- '.repeat(50_000)}x`, status: 400, code: 'INVALID_INPUT' },
  { what: 'a YAML scalar, not entries', contentType: YAML_CT, body: 'just words', status: 400, code: 'INVALID_INPUT' },
  { what: 'an empty YAML body', contentType: YAML_CT, body: '', status: 400, code: 'INVALID_INPUT' },
  { what: 'JSON text sent as text/plain, malformed', contentType: 'text/plain', body: '[{"slug": ', status: 400, code: 'INVALID_INPUT' },
  { what: 'deeply nested JSON sent as YAML', contentType: YAML_CT, body: '[{"a":'.repeat(20_000) + '1' + '}]'.repeat(20_000), status: 400, code: 'INVALID_INPUT', parsesAsData: true },
  { what: 'a YAML body over the size limit', contentType: YAML_CT, body: `slug: ${'x'.repeat(BODY_LIMIT + 1)}`, status: 413, code: 'PAYLOAD_TOO_LARGE' },
];

/** Routes with a JSON body, as "METHOD url". */
const JSON_ROUTES = [
  'POST /api/v1/import',
  'POST /api/v1/models',
  'PATCH /api/v1/models/parser-model',
  'POST /api/v1/models/parser-model/versions',
  'POST /api/v1/suites',
  'POST /api/v1/deployments?dryRun=true',
  'POST /api/v1/tokens',
  'POST /api/v1/auth/login',
];

let app: FastifyInstance;
let services: Services;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const t = await createTestServices('pglite');
  cleanup = t.cleanup;
  services = t.services;
  app = withAuth(await buildApp({ services: t.services, logger: createLogger('silent'), bodyLimitBytes: BODY_LIMIT, webDir: '/nonexistent' }), t.adminToken);
  const created = await app.inject({ method: 'POST', url: '/api/v1/models', payload: { slug: 'parser-model', name: 'Parser model', ownerTeam: 'parsers', description: 'x', tasks: [], domains: [], tags: [] } });
  expect(created.statusCode).toBe(201);
});
afterAll(async () => {
  await app?.close();
  await cleanup?.();
});

async function send(route: string, bad: Bad) {
  const [method, url] = route.split(' ') as [string, string];
  const res = await app.inject({ method: method as 'POST', url, headers: { 'content-type': bad.contentType }, payload: bad.body });
  let body: { error?: { code?: string; message?: string }; requestId?: string } = {};
  try {
    body = res.json();
  } catch {
    body = { error: { message: `not JSON: ${res.body.slice(0, 80)}` } };
  }
  return { status: res.statusCode, code: body.error?.code, hasMessage: (body.error?.message ?? '').length > 0, requestId: typeof body.requestId === 'string', body };
}

/** What the route must answer: the refusal, or for the import of well-formed data, a report failing every entry. */
async function expectRefused(route: string, bad: Bad) {
  const { body, ...got } = await send(route, bad);
  if (bad.parsesAsData && route === 'POST /api/v1/import') {
    const report = body as unknown as { total: number; failed: number };
    expect({ status: got.status, failedAll: report.failed === report.total && report.total > 0 }).toEqual({ status: 200, failedAll: true });
    return;
  }
  expect(got).toEqual({ status: bad.status, code: bad.code, hasMessage: true, requestId: true });
}

describe('malformed bodies get a 4xx with a stable code, never a 500', () => {
  for (const route of JSON_ROUTES) {
    it.each(JSON_BODIES)(`${route}: $what → $status $code`, async (bad) => {
      await expectRefused(route, bad);
    });
  }

  it.each(YAML_BODIES)('POST /api/v1/import: $what → $status $code', async (bad) => {
    await expectRefused('POST /api/v1/import', bad);
  });

  it('names the alias limit when a YAML import expands too many aliases', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/import', headers: { 'content-type': YAML_CT }, payload: aliasBomb() });
    expect(res.json().error.message).toMatch(/alias/i);
  });

  it.each([
    { what: 'a dataset line that is not JSON', text: '{"input": "a", "expected": "b"}\n{"input": ' },
    { what: 'a dataset of one huge nested line', text: '['.repeat(100_000) + ']'.repeat(100_000) },
    { what: 'a dataset with invalid UTF-8 escapes', text: '{"input": "\\ud800", "expected": "\\udfff"}\n{"input": "\\u12"}' },
  ])('POST /api/v1/suites: $what → 400 INVALID_INPUT', async ({ text }) => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/suites', payload: { name: 'parser-suite', task: 'text-classification', metrics: ['accuracy'], dataset: { name: 'd.jsonl', text } } });
    expect({ status: res.statusCode, code: res.json().error?.code }).toEqual({ status: 400, code: 'INVALID_INPUT' });
  });

  it.each([
    { what: 'a malformed percent escape', body: 'paths=%E0%A4%A&expand=true' },
    { what: 'a form over the size limit', body: `paths=${'x'.repeat(BODY_LIMIT + 1)}` },
  ])('POST /hf/api/models/…/paths-info: $what → 4xx', async ({ body }) => {
    const res = await app.inject({ method: 'POST', url: '/hf/api/models/parsers/parser-model/paths-info/main', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: body });
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(res.statusCode).toBeLessThan(500);
  });
});

describe('malformed URLs and query strings get a 4xx with a stable code, never a 500', () => {
  const forged = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  it.each([
    { what: 'a broken percent escape in the path', url: '/api/v1/models/%E0%A4%A', code: 'INVALID_INPUT' },
    { what: 'a path parameter over the length limit', url: `/api/v1/models/${'a'.repeat(300)}`, code: 'INVALID_INPUT' },
    { what: 'a NUL byte in the path', url: '/api/v1/models/abc%00def', code: 'INVALID_INPUT' },
    { what: 'a broken percent escape in the query', url: '/api/v1/search?q=%E0%A4%A', code: 'INVALID_INPUT', ok: true },
    { what: 'a NUL byte in the query text', url: '/api/v1/search?q=abc%00def', code: 'INVALID_INPUT', ok: true },
    { what: 'a cursor that is not base64 JSON', url: '/api/v1/search?q=model&cursor=%%%', code: 'INVALID_CURSOR' },
    { what: 'a cursor of deeply nested JSON', url: `/api/v1/models?cursor=${forged(JSON.parse('['.repeat(2_000) + ']'.repeat(2_000)))}`, code: 'INVALID_INPUT' },
    { what: 'a forged cursor with an absurd offset', url: `/api/v1/search?q=model&cursor=${forged({ f: 'x', k: [1e308, -1] })}`, code: 'INVALID_CURSOR' },
    { what: 'a facet value with a NUL byte', url: '/api/v1/models?license=a%00b', code: 'INVALID_INPUT' },
    { what: 'a huge numeric filter', url: '/api/v1/models?fitsInGb=1e400', code: 'INVALID_INPUT' },
  ])('GET $what', async ({ url, code, ok }) => {
    const res = await app.inject({ url });
    if (ok && res.statusCode === 200) return;
    expect({ status: res.statusCode, code: res.json().error?.code, requestId: typeof res.json().requestId }).toEqual({ status: 400, code, requestId: 'string' });
  });
});

/** Malformed model files: what the server-side extractors read when a browser uploaded the files. */
const u64 = (n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(n);
  return b;
};
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const BAD_FILES: { what: string; files: Record<string, Buffer> }[] = [
  { what: 'a GGUF claiming 2^63 tensors', files: { 'model.gguf': Buffer.concat([Buffer.from('GGUF'), u32(3), u64(1n << 63n), u64(1n << 62n)]) } },
  { what: 'a truncated GGUF', files: { 'model.gguf': Buffer.concat([Buffer.from('GGUF'), u32(3), u64(1n), u64(1n), u64(1_000_000n), Buffer.from('general.')]) } },
  { what: 'a GGUF with an unknown value type', files: { 'model.gguf': Buffer.concat([Buffer.from('GGUF'), u32(3), u64(0n), u64(1n), u64(4n), Buffer.from('name'), u32(99), Buffer.alloc(16)]) } },
  { what: 'a file that is not GGUF', files: { 'weights.bin': Buffer.from('not a model') } },
  {
    what: 'a folder of malformed files',
    files: {
      'config.json': Buffer.from('{"architectures": ['),
      'README.md': Buffer.from(`---\n${aliasBomb()}\n---\n# Card\n`),
      'model.safetensors': Buffer.concat([u64(1n << 62n), Buffer.from('{')]),
      'model.onnx': Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]),
      'tokenizer.json': Buffer.from('['.repeat(100_000)),
    },
  },
  { what: 'safetensors whose header is not JSON', files: { 'config.json': Buffer.from('{"model_type": "bert", "__proto__": {"x": 1}}'), 'model.safetensors': Buffer.concat([u64(5n), Buffer.from('{"a":')]) } },
  { what: 'deeply nested config.json', files: { 'config.json': Buffer.from('{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000)) } },
];

describe('malformed model files get a 200 with notes or a 4xx, never a 500', () => {
  const SYS = systemActor('test');
  const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

  it.each(BAD_FILES.map((b, i) => ({ ...b, version: `0.0.${i + 1}` })))('GET …/extraction of $what', async ({ files, version }) => {
    await services.catalog.createVersion(SYS, 'parser-model', VersionFields.parse({ version }));
    for (const [path, body] of Object.entries(files)) {
      const u = await services.registry.startUpload(SYS, 'parser-model', version, { path, digest: sha(body), size: body.length });
      await services.registry.appendChunk(SYS, u.id, 0, Readable.from([body]));
    }
    await services.registry.commitFiles(SYS, 'parser-model', version);
    const res = await app.inject({ url: `/api/v1/models/parser-model/versions/${version}/extraction` });
    if (res.statusCode === 200) return;
    expect({ status: res.statusCode, code: res.json().error?.code }).toEqual({ status: 400, code: 'INVALID_INPUT' });
  });
});
