/**
 * Resumable upload staging: the bytes of an unfinished upload, appended chunk by chunk to a file
 * under `<dataDir>/uploads/<id>`. A chunk must start where the staged bytes end (like OCI chunked
 * uploads and tus), so a client that lost a response asks for the length and resumes from there.
 * Nothing here is visible in the catalog; a completed upload is moved into the ArtifactStore.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { AppError } from '../core/errors.js';

const ID_RE = /^[0-9a-f-]{36}$/;

export interface UploadStaging {
  /** Appends `body` at `offset`, which must equal the staged length; returns the new length. */
  append(id: string, offset: number, body: Readable, maxTotal: number, tap?: (chunk: Buffer) => void): Promise<number>;
  length(id: string): Promise<number>;
  read(id: string): Readable;
  /** The staged file itself, for stores that can take it over by rename. */
  pathOf(id: string): string;
  remove(id: string): Promise<void>;
  /** Ids of staged uploads, for the reaper of abandoned uploads. */
  list(): Promise<string[]>;
}

export async function createFsStaging(dir: string): Promise<UploadStaging> {
  const root = path.resolve(dir);
  await mkdir(root, { recursive: true });
  const file = (id: string) => {
    if (!ID_RE.test(id)) throw new AppError('INVALID_INPUT', 'not an upload id');
    return path.join(root, id);
  };

  async function length(id: string): Promise<number> {
    const f = file(id);
    try {
      return (await stat(f)).size;
    } catch {
      return 0;
    }
  }

  /**
   * `tap` sees every accepted byte, in order, before it is written (the registry hashes while the
   * upload arrives). After each chunk the kernel is asked to start writing the file to disk in the
   * background, so the fsync that makes the finished upload durable has little left to do.
   */
  async function append(id: string, offset: number, body: Readable, maxTotal: number, tap?: (chunk: Buffer) => void): Promise<number> {
    const current = await length(id);
    if (offset !== current) {
      body.resume();
      throw new AppError('CONFLICT', `the upload has ${current} bytes; send the chunk that starts there, not at ${offset}`, {
        offset: current,
      });
    }
    let written = current;
    let failure: Error | null = null;
    const target = file(id);
    // Not stream.pipeline: when the client goes away, the bytes that did arrive are still written
    // out (and fsync'ed by completion), so the client can resume from the staged length.
    await new Promise<void>((resolve, reject) => {
      const out = createWriteStream(target, { flags: 'a', highWaterMark: 1 << 20 });
      const limit = new Transform({
        transform(chunk: Buffer, _enc, done) {
          if (written + chunk.length > maxTotal) {
            failure = new AppError('SIZE_MISMATCH', `more bytes than the declared ${maxTotal}`, { expected: maxTotal });
            body.unpipe(limit);
            body.resume();
            limit.end();
            done();
            return;
          }
          written += chunk.length;
          tap?.(chunk);
          done(null, chunk);
        },
      });
      body.once('error', (err) => {
        failure ??= err;
        body.unpipe(limit);
        limit.end();
      });
      out.once('error', (err) => reject(err));
      out.once('finish', () => (failure ? reject(failure) : resolve()));
      body.pipe(limit).pipe(out);
    }).catch(async (err: unknown) => {
      if ((err as NodeJS.ErrnoException).code === 'ENOSPC') {
        // A full disk helps nobody: give the space back rather than keep a resumable half file.
        await rm(target, { force: true });
        throw new AppError('INSUFFICIENT_STORAGE', 'the server ran out of disk space for this upload; the partial file was removed, send it again once space is freed', undefined, {
          cause: err,
        });
      }
      throw err;
    });
    void flushInBackground(target);
    return length(id);
  }

  async function flushInBackground(target: string): Promise<void> {
    try {
      const fh = await open(target, 'r');
      await fh.datasync().finally(() => fh.close());
    } catch {
      /* removed meanwhile, or the disk is busy: the final fsync does it */
    }
  }

  return {
    append,
    length,
    read: (id) => createReadStream(file(id), { highWaterMark: 1 << 20 }),
    pathOf: (id) => file(id),
    remove: async (id) => rm(file(id), { force: true }),
    list: async () => (await readdir(root)).filter((f) => ID_RE.test(f)),
  };
}
