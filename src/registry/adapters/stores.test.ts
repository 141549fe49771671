import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { artifactStoreContract } from '../artifact-store.contract.js';
import { createFsStore } from './fs-store.js';
import { createMemoryStore } from './memory-store.js';

artifactStoreContract('memory (fake)', async () => ({ store: createMemoryStore() }));

artifactStoreContract('filesystem', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'garden-blobs-'));
  return {
    store: await createFsStore({ root }),
    leftovers: async () => readdirSync(path.join(root, 'tmp')).length,
  };
});

describe('filesystem store after a crash', () => {
  it('sweeps temp files left by an interrupted upload when it starts', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'garden-blobs-'));
    await createFsStore({ root });
    writeFileSync(path.join(root, 'tmp', 'abandoned.part'), 'half a file');
    await createFsStore({ root });
    expect(readdirSync(path.join(root, 'tmp'))).toEqual([]);
  });
});

describe('filesystem store adopting a finished upload', () => {
  it('takes the file over by rename after verifying it, and refuses one whose digest differs', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'garden-blobs-'));
    const store = await createFsStore({ root });
    const staged = path.join(root, 'staged.bin');
    const body = Buffer.from('bytes that arrived in chunks');
    writeFileSync(staged, body);
    const { digestOf } = await import('../artifact-store.contract.js');
    await expect(store.adopt?.(digestOf(Buffer.from('other')), staged, body.length)).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    expect(existsSync(staged)).toBe(true);
    await store.adopt?.(digestOf(body), staged, body.length);
    expect(existsSync(staged)).toBe(false);
    expect(Buffer.concat(await (await store.get(digestOf(body))).toArray()).equals(body)).toBe(true);
  });
});
