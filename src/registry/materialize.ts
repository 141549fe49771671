/**
 * Lays a committed version's files out as a folder the extractors can read, without fetching
 * tensor data: the filesystem store hard-links its blobs (no bytes copied); other stores fetch
 * small files whole and only the headers of weight files (safetensors header, the first 64 MB of
 * a GGUF, where its metadata lives), leaving the rest of each file sparse at its real size.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { link, mkdir, open, rm, truncate } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ArtifactStore, Digest } from './ports/artifact-store.js';
import { joinInside } from './file-paths.js';

const WHOLE_MAX = 64 * 1024 * 1024;
const GGUF_HEAD = 64 * 1024 * 1024;
const ONNX_WHOLE_MAX = 2 * 1024 ** 3;

export interface MaterialFile {
  path: string;
  digest: string;
  size: number;
  format: string;
}

async function write(file: string, body: Readable, size: number): Promise<void> {
  await pipeline(body, createWriteStream(file));
  await truncate(file, size);
}

async function readAll(body: Readable): Promise<Buffer> {
  return Buffer.concat(await body.toArray());
}

/** Writes `files` under a new folder in `scratch`; returns it and a function that removes it. */
export async function materializeVersion(
  store: ArtifactStore,
  files: MaterialFile[],
  scratch: string,
): Promise<{ dir: string; notes: string[]; cleanup: () => Promise<void> }> {
  const dir = path.join(scratch, `extract-${randomUUID()}`);
  const cleanup = () => rm(dir, { recursive: true, force: true });
  const notes: string[] = [];
  try {
    for (const f of files) {
      // A stored path never lands outside the scratch folder, whatever an old row holds.
      const target = joinInside(dir, f.path);
      await mkdir(path.dirname(target), { recursive: true });
      const digest = f.digest as Digest;
      const local = store.localPath?.(digest);
      if (local) {
        try {
          await link(local, target);
          continue;
        } catch {
          /* another filesystem: fetch as below */
        }
      }
      if (f.size <= WHOLE_MAX || (f.format === 'onnx' && f.size <= ONNX_WHOLE_MAX)) {
        await write(target, await store.get(digest), f.size);
      } else if (f.format === 'safetensors') {
        const len = (await readAll(await store.get(digest, { start: 0, end: 7 }))).readBigUInt64LE(0);
        const end = Math.min(Number(len) + 7, f.size - 1);
        await write(target, await store.get(digest, { start: 0, end }), f.size);
      } else if (f.format === 'gguf') {
        await write(target, await store.get(digest, { start: 0, end: Math.min(GGUF_HEAD, f.size) - 1 }), f.size);
      } else {
        if (f.format === 'onnx') notes.push(`${f.path}: an ONNX graph over 2 GB is not read on the server; run garden inspect on a copy`);
        const fh = await open(target, 'w');
        await fh.close();
        await truncate(target, f.size);
      }
    }
    return { dir, notes, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
