/**
 * Filesystem artifact store: `<root>/sha256/<ab>/<hex>`. A blob is written to `<root>/tmp`, hashed
 * while written, fsync'ed, verified, then renamed into place (atomic on one filesystem), so a
 * reader never sees a partial blob and a crash leaves at most a temp file, swept on start.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { AppError, isAppError } from '../../core/errors.js';
import { VerifyingStream } from '../hashing.js';
import { DIGEST_RE, type ArtifactStore, type ByteRange, type Digest } from '../ports/artifact-store.js';

export interface FsStoreOptions {
  root: string;
}

function checkDigest(digest: string): asserts digest is Digest {
  if (!DIGEST_RE.test(digest)) throw new AppError('INVALID_INPUT', `not a sha256 digest: ${digest.slice(0, 80)}`);
}

export async function createFsStore(opts: FsStoreOptions): Promise<ArtifactStore> {
  const root = path.resolve(opts.root);
  const tmp = path.join(root, 'tmp');
  await mkdir(tmp, { recursive: true });
  // Temp files are only ever in flight; any found at start were left by a crash.
  for (const f of await readdir(tmp)) await rm(path.join(tmp, f), { force: true });

  const blobPath = (digest: Digest) => {
    const hex = digest.slice('sha256:'.length);
    return path.join(root, 'sha256', hex.slice(0, 2), hex);
  };

  async function fsync(p: string): Promise<void> {
    const fh = await open(p, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  /**
   * Makes a verified file the blob: durable first, then renamed into place (atomic), then the
   * directory entry made durable. Concurrent publishes of one digest rename identical copies;
   * the last one wins and readers see either.
   */
  async function publish(file: string, digest: Digest): Promise<void> {
    await fsync(file);
    const final = blobPath(digest);
    await mkdir(path.dirname(final), { recursive: true });
    await rename(file, final);
    await fsync(path.dirname(final));
  }

  async function put(digest: Digest, body: Readable, size: number): Promise<void> {
    checkDigest(digest);
    const temp = path.join(tmp, `${randomUUID()}.part`);
    const verifier = new VerifyingStream(digest, size);
    const out = createWriteStream(temp, { flags: 'wx', highWaterMark: 1 << 20 });
    try {
      await pipeline(body, verifier, out);
      verifier.verify();
      await publish(temp, digest);
    } catch (err) {
      // The write stream opens its file lazily: wait until it is closed, or the file could appear
      // after the unlink below and stay behind.
      if (!out.closed) await once(out, 'close').catch(() => undefined);
      await unlink(temp).catch(() => undefined);
      if (isAppError(err)) throw err;
      if ((err as NodeJS.ErrnoException).code === 'ENOSPC') {
        throw new AppError('INSUFFICIENT_STORAGE', 'the artifact store is full', undefined, { cause: err });
      }
      throw err;
    }
  }

  /**
   * Verifies a finished file by reading it (page cache, fast) unless the caller already hashed it
   * as it arrived, then fsyncs it and renames it in.
   */
  async function adopt(digest: Digest, file: string, size: number, opts: { verified?: boolean } = {}): Promise<void> {
    checkDigest(digest);
    if (opts.verified) {
      const actual = (await stat(file)).size;
      if (actual !== size) throw new AppError('SIZE_MISMATCH', `expected ${size} bytes, got ${actual}`, { expected: size, actual });
    } else {
      const verifier = new VerifyingStream(digest, size);
      await pipeline(createReadStream(file, { highWaterMark: 4 << 20 }), verifier, new Writable({ write: (_c, _e, done) => done() }));
      verifier.verify();
    }
    try {
      await publish(file, digest);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
      // another filesystem: copy through put
      await put(digest, createReadStream(file, { highWaterMark: 1 << 20 }), size);
      await unlink(file);
    }
  }

  async function head(digest: Digest): Promise<{ size: number } | null> {
    checkDigest(digest);
    try {
      return { size: (await stat(blobPath(digest))).size };
    } catch {
      return null;
    }
  }

  async function get(digest: Digest, range?: ByteRange): Promise<Readable> {
    const found = await head(digest);
    if (!found) throw new AppError('NOT_FOUND', `blob ${digest} not found`, { digest });
    return createReadStream(blobPath(digest), {
      highWaterMark: 1 << 20,
      ...(range ? { start: range.start, end: range.end } : {}),
    });
  }

  async function remove(digest: Digest): Promise<void> {
    checkDigest(digest);
    await rm(blobPath(digest), { force: true });
  }

  return {
    kind: 'fs',
    put,
    adopt,
    get,
    head,
    delete: remove,
    location: (digest) => pathToFileURL(blobPath(digest)).href,
    localPath: (digest) => {
      checkDigest(digest);
      return blobPath(digest);
    },
  };
}
