import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
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
