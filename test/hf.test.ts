/**
 * The Hugging Face-compatible API, exercised with the real @huggingface/hub client against a
 * listening server: the calls transformers-style code makes to find and download a model.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { downloadFile, fileDownloadInfo, listFiles, modelInfo, pathsInfo, snapshotDownload } from '@huggingface/hub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app.js';
import { VersionFields, runImport } from '../src/catalog/index.js';
import { createLogger } from '../src/core/logger.js';
import { commitOf } from '../src/registry/hf.js';
import { smallCatalog } from './factories.js';
import { createTestServices } from './harness.js';
import { systemActor } from '../src/identity/index.js';

const SYS = systemActor('test');

const files: Record<string, Buffer> = {
  'config.json': Buffer.from('{"architectures":["LlamaForCausalLM"],"max_position_embeddings":32768}'),
  'model.gguf': Buffer.from(Array.from({ length: 50_000 }, (_, i) => i % 251)),
  'tokenizer/tokenizer.json': Buffer.from('{"model":{"type":"BPE"}}'),
};
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
let accessToken = '';
/** HF_TOKEN carries a Model Garden API token, as `huggingface_hub` sends it. */
const authFetch = (u: string, init: RequestInit = {}) => fetch(u, { ...init, headers: { ...((init.headers) ?? {}), authorization: `Bearer ${accessToken}` } });
let app: FastifyInstance;
let cleanup: () => Promise<void>;
let hubUrl: string;
const repo = 'legal-ml/contract-summarizer';

beforeAll(async () => {
  const t = await createTestServices('pglite');
  accessToken = `hf_${t.adminToken}`;
  cleanup = t.cleanup;
  const { services } = t;
  await runImport(SYS, services.database.db, services.catalog, smallCatalog());
  await services.catalog.createVersion(SYS, 'contract-summarizer', VersionFields.parse({ version: '2.1.0' }));
  for (const [p, body] of Object.entries(files)) {
    const u = await services.registry.startUpload(SYS, 'contract-summarizer', '2.1.0', { path: p, digest: `sha256:${sha256(body)}`, size: body.length });
    await services.registry.appendChunk(SYS, u.id, 0, Readable.from([body]));
  }
  await services.registry.commitFiles(SYS, 'contract-summarizer', '2.1.0');
  await services.catalog.updateVersion(SYS, 'contract-summarizer', '2.1.0', { lifecycle: 'approved' });
  app = await buildApp({ services, logger: createLogger('silent'), webDir: '/nonexistent' });
  hubUrl = `${(await app.listen({ port: 0, host: '127.0.0.1' })).replace('0.0.0.0', '127.0.0.1')}/hf`;
});
afterAll(async () => {
  await app?.close();
  await cleanup?.();
});

describe('Hugging Face-compatible API with @huggingface/hub', () => {
  it('describes the newest approved version as main, with its files', async () => {
    const info = await modelInfo({ name: repo, hubUrl, accessToken, additionalFields: ['sha', 'filePaths'] });
    expect(info).toMatchObject({ name: repo, task: 'summarization', sha: commitOf('contract-summarizer', '2.1.0') });
    expect([...info.filePaths].sort()).toEqual(Object.keys(files).sort());
    const older = await modelInfo({ name: repo, hubUrl, accessToken, revision: '2.0.0', additionalFields: ['sha'] });
    expect(older.sha).toBe(commitOf('contract-summarizer', '2.0.0'));
  });

  it('lists files recursively and by folder, and answers paths-info', async () => {
    const all: string[] = [];
    for await (const f of listFiles({ repo, hubUrl, accessToken, recursive: true })) if (f.type === 'file') all.push(f.path);
    expect(all.sort()).toEqual(Object.keys(files).sort());
    const top: string[] = [];
    for await (const f of listFiles({ repo, hubUrl, accessToken })) top.push(`${f.type}:${f.path}`);
    expect(top.sort()).toEqual(['directory:tokenizer', 'file:config.json', 'file:model.gguf']);
    const info = await pathsInfo({ repo, hubUrl, accessToken, paths: ['model.gguf', 'missing.bin'], expand: true });
    expect(info).toHaveLength(1);
    expect(info[0]).toMatchObject({ path: 'model.gguf', size: 50_000, lfs: { oid: sha256(files['model.gguf'] as Buffer) } });
  });

  it('downloads whole files and byte ranges, with the headers the client checks', async () => {
    const blob = await downloadFile({ repo, hubUrl, accessToken, path: 'config.json' });
    expect(await blob?.text()).toBe((files['config.json'] as Buffer).toString());
    const gguf = await downloadFile({ repo, hubUrl, accessToken, path: 'model.gguf' });
    const slice = Buffer.from(await (gguf as Blob).slice(1000, 1010).arrayBuffer());
    expect(slice.equals((files['model.gguf'] as Buffer).subarray(1000, 1010))).toBe(true);
    const di = await fileDownloadInfo({ repo, hubUrl, accessToken, path: 'model.gguf' });
    expect(di).toMatchObject({ size: 50_000, etag: `"${sha256(files['model.gguf'] as Buffer)}"` });
    expect(await downloadFile({ repo, hubUrl, accessToken, path: 'nope.bin' })).toBeNull();
  });

  it('downloads a snapshot into the Hugging Face cache layout', async () => {
    const cacheDir = mkdtempSync(path.join(tmpdir(), 'hf-cache-'));
    const snapshot = await snapshotDownload({ repo, hubUrl, accessToken, cacheDir });
    for (const [p, body] of Object.entries(files)) {
      expect(readFileSync(realpathSync(path.join(snapshot, p))).equals(body)).toBe(true);
    }
    expect(snapshot).toContain(commitOf('contract-summarizer', '2.1.0'));
  });

  it('refuses callers without a token (401) and with a wrong one, as the Hub does for private repos', async () => {
    const anon = await fetch(`${hubUrl}/api/models/${repo}`);
    expect([anon.status, await anon.text()]).toEqual([401, expect.stringContaining("sign in")]);
    const wrong = await fetch(`${hubUrl}/${repo}/resolve/main/config.json`, { headers: { authorization: 'Bearer mgt_not-a-token' } });
    expect(wrong.status).toBe(401);
    expect(await downloadFile({ repo, hubUrl, path: 'config.json' }).catch((e: Error) => e.message)).toMatch(/401|unauthor|token/i);
  });

  it('answers missing repos, revisions and files the way the Hub does', async () => {
    const res = await authFetch(`${hubUrl}/api/models/legal-ml/no-such-model`);
    expect([res.status, res.headers.get('x-error-code')]).toEqual([404, 'RepoNotFound']);
    const rev = await authFetch(`${hubUrl}/api/models/${repo}/revision/9.9.9`);
    expect([rev.status, rev.headers.get('x-error-code')]).toEqual([404, 'RevisionNotFound']);
    const entry = await authFetch(`${hubUrl}/${repo}/resolve/main/missing.bin`, { method: 'HEAD' });
    expect([entry.status, entry.headers.get('x-error-code'), entry.headers.get('x-repo-commit')]).toEqual([
      404,
      'EntryNotFound',
      commitOf('contract-summarizer', '2.1.0'),
    ]);
    const head = await authFetch(`${hubUrl}/${repo}/resolve/main/model.gguf`, { method: 'HEAD' });
    expect(head.headers.get('x-linked-size')).toBe('50000');
    expect(head.headers.get('content-length')).toBe('50000');
    const bad = await authFetch(`${hubUrl}/${repo}/resolve/main/model.gguf`, { headers: { range: 'bytes=60000-' } });
    expect([bad.status, bad.headers.get('content-range')]).toEqual([416, 'bytes */50000']);
    expect((await authFetch(`${hubUrl}/api/models/other-team/contract-summarizer`)).status).toBe(404);
  });
});
