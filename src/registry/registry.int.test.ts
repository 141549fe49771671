import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestServices, dbKinds } from '../../test/harness.js';
import type { Services } from '../api/services.js';
import { ModelFields, VersionFields } from '../catalog/index.js';
import { createFsStore } from './adapters/fs-store.js';
import { createOciStore } from './adapters/oci-store.js';
import type { ArtifactStore } from './ports/artifact-store.js';
import { createRegistryService, type RegistryService } from './service.js';
import { createFsStaging } from './staging.js';
import { systemActor, type UserActor } from '../identity/index.js';

const SYS = systemActor('test');

const digestOf = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const chunk = (b: Buffer) => Readable.from([b]);

const ociUrl = inject('ociUrl');
const storeKinds = ociUrl ? (['fs', 'oci'] as const) : (['fs'] as const);
const cases = dbKinds().flatMap((db) => storeKinds.map((store) => [db, store] as const));

async function makeStore(kind: (typeof storeKinds)[number], dir: string): Promise<ArtifactStore> {
  if (kind === 'oci' && ociUrl) return createOciStore({ url: ociUrl, namespace: `int-${randomBytes(4).toString('hex')}` });
  return createFsStore({ root: path.join(dir, 'blobs') });
}

describe.each(cases)('registry on %s with the %s store', (kind, storeKind) => {
  let services: Services;
  let cleanup: () => Promise<void>;
  let registry: RegistryService;
  let clock = new Date();
  const weights = randomBytes(256 * 1024);
  const config = Buffer.from('{"architectures":["LlamaForCausalLM"]}');

  beforeAll(async () => {
    ({ services, cleanup } = await createTestServices(kind));
    const dir = mkdtempSync(path.join(tmpdir(), 'garden-registry-'));
    registry = createRegistryService({
      db: services.database.db,
      store: await makeStore(storeKind, dir),
      staging: await createFsStaging(path.join(dir, 'uploads')),
      maxFileBytes: 80 * 1024 * 1024,
      uploadTtlMs: 60 * 60 * 1000,
      scratchDir: path.join(dir, 'scratch'),
      now: () => clock,
    });
    await services.catalog.createModel(SYS, ModelFields.parse({ slug: 'pushed', name: 'Pushed', ownerTeam: 'ml' }));
    for (const v of ['1.0.0', '1.1.0', '2.0.0', '3.0.0', '4.0.0']) await services.catalog.createVersion(SYS, 'pushed', VersionFields.parse({ version: v }));
  });
  afterAll(async () => cleanup?.());

  it('makes a version’s files visible only when every upload has finished and is committed', async () => {
    const w = await registry.startUpload(SYS, 'pushed', '1.0.0', { path: 'model.safetensors', digest: digestOf(weights), size: weights.length });
    const c = await registry.startUpload(SYS, 'pushed', '1.0.0', { path: 'config.json', digest: digestOf(config), size: config.length });
    expect(w).toMatchObject({ offset: 0, complete: false, deduplicated: false });

    const half = weights.length / 2;
    expect(await registry.appendChunk(SYS, w.id, 0, chunk(weights.subarray(0, half)))).toMatchObject({ offset: half, complete: false });
    // the client restarts: asking again for the same file resumes the same upload at its offset
    expect(await registry.startUpload(SYS, 'pushed', '1.0.0', { path: 'model.safetensors', digest: digestOf(weights), size: weights.length })).toMatchObject({
      id: w.id,
      offset: half,
    });
    await expect(registry.commitFiles(SYS, 'pushed', '1.0.0')).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await registry.listFiles(SYS, 'pushed', '1.0.0')).toEqual([]);

    expect(await registry.appendChunk(SYS, w.id, half, chunk(weights.subarray(half)))).toMatchObject({ complete: true });
    await registry.appendChunk(SYS, c.id, 0, chunk(config));
    const files = await registry.commitFiles(SYS, 'pushed', '1.0.0');
    expect(files.map((f) => [f.path, f.size, f.format])).toEqual([
      ['config.json', config.length, 'config'],
      ['model.safetensors', weights.length, 'safetensors'],
    ]);
    expect(files[1]?.location).toMatch(storeKind === 'fs' ? /^file:\/\/.*[0-9a-f]{64}$/ : /^oci:\/\/[^/]+\/int-[0-9a-f]+\/blobs@sha256:[0-9a-f]{64}$/);
    const published = (await services.catalog.getVersion(SYS, 'pushed', '1.0.0')).artifactManifest;
    if (storeKind === 'fs') expect(published).toBeNull();
    else {
      // one OCI manifest for the version, tagged with it, listing both files by path
      expect(published).toMatch(/^oci:\/\/[^/]+\/int-[0-9a-f]+\/pushed:1\.0\.0@sha256:[0-9a-f]{64}$/);
      const [, repo, tag] = /^oci:\/\/[^/]+\/(.+):([^:@]+)@/.exec(published ?? '') ?? [];
      const manifest = (await (await fetch(`${ociUrl}/v2/${repo}/manifests/${tag}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } })).json()) as {
        layers: { annotations: Record<string, string> }[];
      };
      expect(manifest.layers.map((l) => l.annotations['org.cncf.model.filepath'])).toEqual(['config.json', 'model.safetensors']);
    }
  });

  it('stores a file shared by two versions once, and says how many bytes that saved', async () => {
    const again = await registry.startUpload(SYS, 'pushed', '1.1.0', { path: 'model.safetensors', digest: digestOf(weights), size: weights.length });
    expect(again).toMatchObject({ complete: true, deduplicated: true, offset: weights.length });
    await registry.commitFiles(SYS, 'pushed', '1.1.0');
    expect(await registry.storageStats(SYS, )).toMatchObject({ savedBytes: weights.length });
  });

  it('throws away an upload whose bytes do not match the declared digest', async () => {
    const declared = digestOf(Buffer.from('something else entirely'));
    const u = await registry.startUpload(SYS, 'pushed', '2.0.0', { path: 'bad.bin', digest: declared, size: 10 });
    await expect(registry.appendChunk(SYS, u.id, 0, chunk(Buffer.from('0123456789')))).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    expect(await registry.uploadStatus(SYS, u.id)).toMatchObject({ offset: 0, complete: false });
  });

  it('refuses bad file declarations and files for versions that are no longer drafts', async () => {
    await expect(registry.startUpload(SYS, 'pushed', '2.0.0', { path: '../x', digest: digestOf(config), size: 1 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(registry.startUpload(SYS, 'pushed', '2.0.0', { path: 'x', digest: 'md5:abc', size: 1 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(registry.startUpload(SYS, 'pushed', '2.0.0', { path: 'x', digest: digestOf(config), size: 81 * 1024 * 1024 })).rejects.toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
    });
    await services.catalog.updateVersion(SYS, 'pushed', '1.1.0', { lifecycle: 'approved' });
    await expect(registry.startUpload(SYS, 'pushed', '1.1.0', { path: 'x', digest: digestOf(config), size: config.length })).rejects.toMatchObject({
      code: 'LIFECYCLE_TRANSITION',
    });
  });

  it('collects only blobs that nothing references, and keeps every committed file downloadable', async () => {
    const first = Buffer.from('first draft of a tokenizer');
    const second = Buffer.from('second draft of a tokenizer');
    for (const body of [first, second]) {
      const u = await registry.startUpload(SYS, 'pushed', '3.0.0', { path: 'tokenizer.json', digest: digestOf(body), size: body.length });
      await registry.appendChunk(SYS, u.id, 0, chunk(body));
      await registry.commitFiles(SYS, 'pushed', '3.0.0');
    }
    // the first tokenizer was replaced: nothing references it any more
    clock = new Date(Date.now() + 60_000);
    expect(await registry.collectGarbage(120_000)).toEqual({ blobs: 0, bytes: 0 }); // still in its grace period
    const gc = await registry.collectGarbage(0);
    expect(gc).toEqual({ blobs: 1, bytes: first.length });
    expect(await registry.collectGarbage(0)).toEqual({ blobs: 0, bytes: 0 });
    for (const [version, file] of [['1.0.0', 'model.safetensors'], ['1.1.0', 'model.safetensors'], ['3.0.0', 'tokenizer.json']] as const) {
      const { stream, file: f } = await registry.openFile(SYS, 'pushed', version, file);
      const bytes = Buffer.concat(await stream.toArray());
      expect(digestOf(bytes)).toBe(f.digest);
    }
    // uploading the collected bytes again works: they are simply stored again
    const u = await registry.startUpload(SYS, 'pushed', '3.0.0', { path: 'old-tokenizer.json', digest: digestOf(first), size: first.length });
    expect(u.deduplicated).toBe(false);
    expect(await registry.appendChunk(SYS, u.id, 0, chunk(first))).toMatchObject({ complete: true });
  });

  it('reads a committed version’s model card on the server from headers only, whatever the store', async () => {
    // 70 MB of weights: above the size the server fetches whole from a remote store.
    const tensors = { 'model.embed_tokens.weight': { dtype: 'BF16', shape: [32000, 1024], data_offsets: [0, 65_536_000] } };
    const header = Buffer.from(JSON.stringify(tensors));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    const big = Buffer.concat([len, header, Buffer.alloc(65_536_000)]);
    const cfg = Buffer.from(JSON.stringify({ architectures: ['MistralForCausalLM'], num_hidden_layers: 4, hidden_size: 1024, num_attention_heads: 8, max_position_embeddings: 8192 }));
    for (const [p, body] of [['config.json', cfg], ['model.safetensors', big]] as const) {
      const u = await registry.startUpload(SYS, 'pushed', '4.0.0', { path: p, digest: digestOf(body), size: body.length });
      await registry.appendChunk(SYS, u.id, 0, chunk(body));
    }
    await registry.commitFiles(SYS, 'pushed', '4.0.0');
    const x = await registry.extractVersion(SYS, 'pushed', '4.0.0');
    expect(x.fields).toMatchObject({ architecture: 'MistralForCausalLM', parameters: 32000 * 1024, contextLength: 8192 });
    expect(x.details.safetensors).toMatchObject({ dtypes: { BF16: 32000 * 1024 } });
  });

  it('asks another team for the bytes of a blob only a draft it cannot see holds, stores them once, and tells it nothing', async () => {
    const secret = randomBytes(40_000);
    await services.catalog.createModel(SYS, ModelFields.parse({ slug: 'hidden-src', name: 'Hidden', ownerTeam: 'ml' }));
    await services.catalog.createVersion(SYS, 'hidden-src', VersionFields.parse({ version: '0.1.0' }));
    const h = await registry.startUpload(SYS, 'hidden-src', '0.1.0', { path: 'weights.bin', digest: digestOf(secret), size: secret.length });
    await registry.appendChunk(SYS, h.id, 0, chunk(secret));
    await registry.commitFiles(SYS, 'hidden-src', '0.1.0');

    await services.identity.createTeam(SYS, 'outsiders', 'Outsiders');
    await services.catalog.createModel(SYS, ModelFields.parse({ slug: 'outsider-m', name: 'Outsider', ownerTeam: 'outsiders' }));
    await services.catalog.createVersion(SYS, 'outsider-m', VersionFields.parse({ version: '1.0.0' }));
    const outsider: UserActor = { kind: 'user', id: '00000000-0000-4000-8000-000000000001', username: 'outsider', name: 'Outsider', platformRole: 'none', teams: new Map([['outsiders', 'contributor']]), scopes: new Set(['read', 'write']), via: 'token' };
    const before = await registry.storageStats(SYS);
    const u = await registry.startUpload(outsider, 'outsider-m', '1.0.0', { path: 'weights.bin', digest: digestOf(secret), size: secret.length });
    expect(u).toMatchObject({ deduplicated: false, complete: false, offset: 0 });
    expect(await registry.appendChunk(outsider, u.id, 0, chunk(secret))).toMatchObject({ complete: true, deduplicated: false });
    const files = await registry.commitFiles(outsider, 'outsider-m', '1.0.0');
    expect(files).toEqual([{ path: 'weights.bin', digest: digestOf(secret), size: secret.length, format: 'other', shared: false }]);
    const after = await registry.storageStats(SYS);
    expect([after.referencedBytes - before.referencedBytes, after.storedBytes - before.storedBytes]).toEqual([secret.length, 0]);
    expect((await registry.storageStats(outsider)).savedBytes).toBe(0);
    expect(Buffer.concat(await (await registry.openFile(outsider, 'outsider-m', '1.0.0', 'weights.bin')).stream.toArray()).equals(secret)).toBe(true);
  });

  it('reaps uploads abandoned past their lifetime', async () => {
    const u = await registry.startUpload(SYS, 'pushed', '2.0.0', { path: 'late.bin', digest: digestOf(weights), size: weights.length + 1 });
    await registry.appendChunk(SYS, u.id, 0, chunk(weights.subarray(0, 100)));
    clock = new Date(clock.getTime() + 2 * 60 * 60 * 1000);
    expect(await registry.reapExpiredUploads()).toBeGreaterThanOrEqual(1);
    await expect(registry.uploadStatus(SYS, u.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
