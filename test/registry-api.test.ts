/** The file upload API through app.inject on PGlite: declare, chunk, resume, commit, list. */
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app.js';
import { createLogger } from '../src/core/logger.js';
import { createTestServices, withAuth } from './harness.js';
import { systemActor } from '../src/identity/index.js';

const SYS = systemActor('test');

const digestOf = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
let app: FastifyInstance;
let cleanup: () => Promise<void>;
let services: Awaited<ReturnType<typeof createTestServices>>['services'];

beforeAll(async () => {
  const t = await createTestServices('pglite');
  cleanup = t.cleanup;
  services = t.services;
  app = withAuth(await buildApp({ services: t.services, logger: createLogger('silent'), webDir: '/nonexistent' }), t.adminToken);
  await app.inject({ method: 'POST', url: '/api/v1/models', payload: { slug: 'up', name: 'Up', ownerTeam: 'ml' } });
  for (const version of ['0.1.0', '0.2.0']) await app.inject({ method: 'POST', url: '/api/v1/models/up/versions', payload: { version } });
});
afterAll(async () => {
  await app?.close();
  await cleanup?.();
});

const patch = (id: string, offset: number, body: Buffer) =>
  app.inject({
    method: 'PATCH',
    url: `/api/v1/uploads/${id}`,
    headers: { 'content-type': 'application/offset+octet-stream', 'upload-offset': String(offset) },
    payload: body,
  });

describe('file uploads over HTTP', () => {
  it('uploads a file in chunks, resumes after a lost response, and commits it', async () => {
    const file = randomBytes(100_000);
    const declared = await app.inject({
      method: 'POST',
      url: '/api/v1/models/up/versions/0.1.0/uploads',
      payload: { path: 'weights/model.safetensors', digest: digestOf(file), size: file.length },
    });
    expect(declared.statusCode).toBe(201);
    const { id } = declared.json();
    expect((await patch(id, 0, file.subarray(0, 40_000))).json()).toMatchObject({ offset: 40_000, complete: false });
    // a client that lost the answer sends the same chunk again: refused, and told where to go on
    const again = await patch(id, 0, file.subarray(0, 40_000));
    expect(again.statusCode).toBe(409);
    expect(again.json().error.details).toEqual({ offset: 40_000 });
    const status = await app.inject(`/api/v1/uploads/${id}`);
    expect(status.headers['upload-offset']).toBe('40000');
    expect((await patch(id, 40_000, file.subarray(40_000))).json()).toMatchObject({ offset: 100_000, complete: true });

    expect((await app.inject('/api/v1/models/up/versions/0.1.0/files')).json().items).toEqual([]);
    const committed = await app.inject({ method: 'POST', url: '/api/v1/models/up/versions/0.1.0/files/commit' });
    expect(committed.json().items).toEqual([
      expect.objectContaining({ path: 'weights/model.safetensors', size: 100_000, digest: digestOf(file), format: 'safetensors' }),
    ]);
    expect((await app.inject('/api/v1/registry/stats')).json()).toMatchObject({ referencedBytes: 100_000, storedBytes: 100_000 });

    const url = '/api/v1/models/up/versions/0.1.0/files/weights/model.safetensors';
    const whole = await app.inject(url);
    expect(whole.statusCode).toBe(200);
    expect(digestOf(whole.rawPayload)).toBe(digestOf(file));
    expect(whole.headers['x-content-digest']).toBe(digestOf(file));
    const part = await app.inject({ url, headers: { range: 'bytes=100-199' } });
    expect([part.statusCode, part.headers['content-range'], part.rawPayload.length]).toEqual([206, 'bytes 100-199/100000', 100]);
    expect(part.rawPayload.equals(file.subarray(100, 200))).toBe(true);
    const head = await app.inject({ method: 'HEAD', url });
    expect([head.statusCode, head.headers['content-length'], head.rawPayload.length]).toEqual([200, '100000', 0]);
    const past = await app.inject({ url, headers: { range: 'bytes=200000-' } });
    expect([past.statusCode, past.headers['content-range'], past.json().error.code]).toEqual([416, 'bytes */100000', 'RANGE_NOT_SATISFIABLE']);
    expect((await app.inject(`${url}.missing`)).statusCode).toBe(404);
    // the whole download and the range were recorded; HEAD was not
    const recorded = await services.registry.listDownloads(SYS, 'up', '0.1.0');
    expect(recorded.map((d) => [d.path, d.bytes, d.channel])).toEqual([
      ['weights/model.safetensors', 100, 'api'],
      ['weights/model.safetensors', 100_000, 'api'],
    ]);
    // (a draft is never retired by editing; the platform does it here directly)
    await services.catalog.updateVersion(SYS, 'up', '0.1.0', { lifecycle: 'retired' });
    expect((await app.inject(url)).json().error.code).toBe('LIFECYCLE_TRANSITION');
  });

  it('answers bad uploads with stable codes', async () => {
    const body = Buffer.from('0123456789');
    const bad = await app.inject({ method: 'POST', url: '/api/v1/models/up/versions/0.2.0/uploads', payload: { path: '../../etc/x', digest: digestOf(body), size: 10 } });
    expect(bad.json().error).toMatchObject({ code: 'INVALID_INPUT', details: { problems: [{ reason: 'TRAVERSAL' }] } });
    const wrong = await app.inject({
      method: 'POST',
      url: '/api/v1/models/up/versions/0.2.0/uploads',
      payload: { path: 'x.bin', digest: digestOf(Buffer.from('other')), size: 10 },
    });
    const mismatch = await patch(wrong.json().id, 0, body);
    expect([mismatch.statusCode, mismatch.json().error.code]).toEqual([422, 'DIGEST_MISMATCH']);
    const json = await app.inject({ method: 'PATCH', url: `/api/v1/uploads/${wrong.json().id}`, headers: { 'upload-offset': '0' }, payload: { a: 1 } });
    expect(json.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    // a path that differs from another file of the version only in case would overwrite it on pull
    await app.inject({ method: 'POST', url: '/api/v1/models/up/versions/0.2.0/uploads', payload: { path: 'config.json', digest: digestOf(body), size: 10 } });
    const clash = await app.inject({ method: 'POST', url: '/api/v1/models/up/versions/0.2.0/uploads', payload: { path: 'Config.JSON', digest: digestOf(body), size: 10 } });
    expect(clash.json().error).toMatchObject({ code: 'INVALID_INPUT', details: { problems: [{ path: 'Config.JSON', reason: 'DUPLICATE' }] } });
    expect((await app.inject('/api/v1/uploads/00000000-0000-0000-0000-000000000000')).statusCode).toBe(404);
    expect((await app.inject('/api/v1/uploads/not-a-uuid')).statusCode).toBe(400);
  });

  it('reads the committed files on the server and pre-fills only the fields the owner left empty', async () => {
    await app.inject({ method: 'POST', url: '/api/v1/models/up/versions', payload: { version: '0.3.0', license: 'mit' } });
    const config = Buffer.from(
      JSON.stringify({ architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 4, vocab_size: 100, max_position_embeddings: 4096, torch_dtype: 'bfloat16' }),
    );
    const header = Buffer.from(JSON.stringify({ 'model.embed_tokens.weight': { dtype: 'BF16', shape: [100, 64], data_offsets: [0, 12800] } }));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    const weights = Buffer.concat([len, header, Buffer.alloc(12800)]);
    for (const [p, body] of [['config.json', config], ['model.safetensors', weights]] as const) {
      const { id } = (await app.inject({ method: 'POST', url: '/api/v1/models/up/versions/0.3.0/uploads', payload: { path: p, digest: digestOf(body), size: body.length } })).json();
      await patch(id, 0, body);
    }
    expect((await app.inject('/api/v1/models/up/versions/0.3.0/extraction')).json().error.code).toBe('INVALID_INPUT'); // nothing committed yet
    await app.inject({ method: 'POST', url: '/api/v1/models/up/versions/0.3.0/files/commit' });

    const x = (await app.inject('/api/v1/models/up/versions/0.3.0/extraction')).json();
    expect(x.fields).toMatchObject({ architecture: 'LlamaForCausalLM', parameters: 6400, contextLength: 4096 });
    const filled = await app.inject({ method: 'POST', url: '/api/v1/models/up/versions/0.3.0/prefill' });
    expect(filled.statusCode).toBe(200);
    expect(filled.json().filled).toEqual(expect.arrayContaining(['architecture', 'parameters', 'contextLength']));
    expect(filled.json().filled).not.toContain('license'); // the owner set it
    expect(filled.json().version).toMatchObject({ architecture: 'LlamaForCausalLM', parameters: 6400, license: 'mit' });
    expect((await app.inject({ method: 'POST', url: '/api/v1/models/up/versions/0.3.0/prefill' })).json().filled).toEqual([]);
  });

  it('marks files whose bytes another version already holds', async () => {
    await app.inject({ method: 'POST', url: '/api/v1/models/up/versions', payload: { version: '0.4.0' } });
    const shared = Buffer.from('{"architectures":["LlamaForCausalLM"],"model_type":"llama","hidden_size":64,"num_hidden_layers":2,"num_attention_heads":4,"vocab_size":100,"max_position_embeddings":4096,"torch_dtype":"bfloat16"}');
    const fresh = Buffer.from('a file only 0.4.0 has');
    for (const [p, body] of [['config.json', shared], ['notes.txt', fresh]] as const) {
      const { id, complete } = (await app.inject({ method: 'POST', url: '/api/v1/models/up/versions/0.4.0/uploads', payload: { path: p, digest: digestOf(body), size: body.length } })).json();
      if (!complete) await patch(id, 0, body);
    }
    const files = (await app.inject({ method: 'POST', url: '/api/v1/models/up/versions/0.4.0/files/commit' })).json().items;
    expect(files.map((f: { path: string; shared: boolean }) => [f.path, f.shared])).toEqual([
      ['config.json', true],
      ['notes.txt', false],
    ]);
  });
});
