import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openHashCache } from './hash-cache.js';

const hashOf = (file: string) => async () => `sha256:${createHash('sha256').update(readFileSync(file)).digest('hex')}`;

describe('the CLI’s cache of file digests', () => {
  it('reuses a digest only while size, inode and modification time are unchanged, across runs', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'garden-hash-cache-'));
    const cacheDir = path.join(dir, 'cache');
    const file = path.join(dir, 'model.safetensors');
    writeFileSync(file, 'first contents');
    const first = await openHashCache(cacheDir);
    const a = await first.digest(file, hashOf(file));
    expect(a.cached).toBe(false);
    await first.save();

    const second = await openHashCache(cacheDir);
    expect(await second.digest(file, () => Promise.reject(new Error('must not hash again')))).toEqual({ digest: a.digest, cached: true });

    // Same size, new bytes: the modification time moves, so it is hashed again.
    const before = statSync(file).mtimeMs;
    writeFileSync(file, 'other contents');
    if (statSync(file).mtimeMs === before) utimesSync(file, new Date(), new Date(before + 1000));
    const b = await second.digest(file, hashOf(file));
    expect(b.cached).toBe(false);
    expect(b.digest).not.toBe(a.digest);
  });

  it('works without a cache folder and ignores a damaged cache file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'garden-hash-cache-'));
    const file = path.join(dir, 'x.bin');
    writeFileSync(file, 'bytes');
    const none = await openHashCache(undefined);
    expect((await none.digest(file, hashOf(file))).cached).toBe(false);
    await none.save();
    writeFileSync(path.join(dir, 'hashes.json'), '{not json');
    const damaged = await openHashCache(dir);
    expect((await damaged.digest(file, hashOf(file))).cached).toBe(false);
  });
});
