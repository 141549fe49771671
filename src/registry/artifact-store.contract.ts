/**
 * The behaviour every ArtifactStore adapter must show. Each adapter's test file calls
 * `artifactStoreContract` with a factory; the fake and the real adapters share it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import type { ArtifactStore, Digest } from './ports/artifact-store.js';

export const digestOf = (b: Buffer): Digest => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A stream that yields `data` in chunks and then fails, like a client that went away. */
function failingAfter(data: Buffer): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(data);
      } else {
        this.destroy(new Error('connection reset'));
      }
    },
  });
}

export function artifactStoreContract(name: string, make: () => Promise<{ store: ArtifactStore; leftovers?: () => Promise<number> }>) {
  describe(`ArtifactStore contract: ${name}`, () => {
    const body = randomBytes(3 * 1024 * 1024 + 17);
    const digest = digestOf(body);

    it('stores a blob, reports its size, and returns the same bytes, whole or as a range', async () => {
      const { store } = await make();
      await store.put(digest, Readable.from([body]), body.length);
      expect(await store.head(digest)).toEqual({ size: body.length });
      const back = Buffer.concat(await (await store.get(digest)).toArray());
      expect(digestOf(back)).toBe(digest);
      const part = Buffer.concat(await (await store.get(digest, { start: 10, end: 19 })).toArray());
      expect(part.equals(body.subarray(10, 20))).toBe(true);
      expect(store.location(digest)).toContain(digest.slice(7, 20));
    });

    it('is idempotent and safe when the same blob is put concurrently', async () => {
      const { store } = await make();
      await Promise.all([1, 2, 3].map(() => store.put(digest, Readable.from([body]), body.length)));
      await store.put(digest, Readable.from([body]), body.length);
      expect(await store.head(digest)).toEqual({ size: body.length });
    });

    it('refuses bytes whose digest or size differ from the declaration, keeping nothing', async () => {
      const { store, leftovers } = await make();
      const other = digestOf(Buffer.from('something else'));
      await expect(store.put(other, Readable.from([body]), body.length)).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
      expect(await store.head(other)).toBeNull();
      const d2 = digestOf(Buffer.from('short'));
      await expect(store.put(d2, Readable.from([Buffer.from('short')]), 10)).rejects.toMatchObject({ code: 'SIZE_MISMATCH' });
      await expect(store.put(d2, Readable.from([Buffer.from('short')]), 2)).rejects.toMatchObject({ code: 'SIZE_MISMATCH' });
      expect(await store.head(d2)).toBeNull();
      if (leftovers) expect(await leftovers()).toBe(0);
    });

    it('leaves nothing visible when the upload stream breaks midway', async () => {
      const { store, leftovers } = await make();
      const d = digestOf(body);
      await expect(store.put(d, failingAfter(body.subarray(0, 1000)), body.length)).rejects.toThrow();
      if (leftovers) expect(await leftovers()).toBe(0);
    });

    it('keeps a stored blob intact when wrong bytes come under its digest, and takes the right bytes again', async () => {
      // Uploads of a blob that already exists are not deduplicated unless the caller may read it:
      // the bytes arrive again, and must never replace the stored ones unless they are the same.
      const { store } = await make();
      const small = randomBytes(1000);
      const d = digestOf(small);
      await store.put(d, Readable.from([small]), small.length);
      await expect(store.put(d, Readable.from([randomBytes(1000)]), 1000)).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
      expect(digestOf(Buffer.concat(await (await store.get(d)).toArray()))).toBe(d);
      await store.put(d, Readable.from([small]), small.length);
      if (store.adopt) {
        const dir = mkdtempSync(path.join(tmpdir(), 'garden-adopt-'));
        writeFileSync(path.join(dir, 'wrong'), randomBytes(1000));
        await expect(store.adopt(d, path.join(dir, 'wrong'), 1000)).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
        writeFileSync(path.join(dir, 'right'), small);
        await store.adopt(d, path.join(dir, 'right'), small.length);
      }
      expect(await store.head(d)).toEqual({ size: 1000 });
      expect(digestOf(Buffer.concat(await (await store.get(d)).toArray()))).toBe(d);
    });

    it('answers NOT_FOUND for a missing blob and forgets a deleted one', async () => {
      const { store } = await make();
      const missing = digestOf(Buffer.from('never stored'));
      expect(await store.head(missing)).toBeNull();
      await expect(store.get(missing)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      const small = Buffer.from('hello');
      await store.put(digestOf(small), Readable.from([small]), small.length);
      expect(await text(await store.get(digestOf(small)))).toBe('hello');
      await store.delete(digestOf(small));
      expect(await store.head(digestOf(small))).toBeNull();
    });

    it('rejects something that is not a digest', async () => {
      const { store } = await make();
      await expect(store.head('sha256:../../etc/passwd')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    });
  });
}
