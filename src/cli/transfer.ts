/**
 * `garden push` and `garden pull`: model folders to and from a server, resumable, verified.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ClientConfig } from '../core/config.js';
import { answer, ApiError, unreachable } from './client.js';
import { extractFromFile, extractFromFolder, type Extraction } from '../registry/extract/extract.js';
import { emptyFieldsPatch } from '../registry/prefill.js';
import { checkLooksLikeModel, joinInside, PATH_PROBLEM_TEXT, refusedName, validateFilePaths, type NameRule } from '../registry/file-paths.js';
import { openHashCache } from './hash-cache.js';
import { getStream, readJson, sendStream } from './http-stream.js';
import type { IncomingMessage } from 'node:http';
import type { AppError } from '../core/errors.js';

const CHUNK_BYTES = 16 * 1024 * 1024;

export interface LocalFile {
  path: string;
  abs: string;
  size: number;
  digest: string;
}

/** A path `garden push` leaves out, and why (a path reason of the registry, or a cache). */
export interface Skipped {
  path: string;
  reason: NameRule | 'CACHE';
}

/** Why a local path is left out of a push, or null when it is sent. */
function skipReason(rel: string, isDir: boolean): Skipped['reason'] | null {
  // Hugging Face download tools keep their bookkeeping here; it is not part of the model.
  if (isDir && path.posix.basename(rel) === '.cache') return 'CACHE';
  return refusedName(isDir ? `${rel}/x` : rel);
}

/**
 * Lists a model folder (or one file): regular files only; symlinks are refused, not followed.
 * Version-control metadata (`.git/`…), files tools act on (`.gitattributes`, `.envrc`…) and a
 * `.cache/` folder are left out: the registry refuses the first two. `skipped` names each.
 */
export async function listModelFiles(root: string): Promise<{ files: Omit<LocalFile, 'digest'>[]; skipped: Skipped[] }> {
  const top = await lstat(root);
  if (top.isFile()) return { files: [{ path: path.basename(root), abs: path.resolve(root), size: top.size }], skipped: [] };
  if (!top.isDirectory()) throw new ApiError(0, 'INVALID_INPUT', `${root} is neither a folder nor a file`);
  const out: Omit<LocalFile, 'digest'>[] = [];
  const skipped: Skipped[] = [];
  const walk = async (dir: string) => {
    for (const e of (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const abs = path.join(dir, e.name);
      const rel = path.relative(root, abs).split(path.sep).join('/');
      const skip = skipReason(rel, e.isDirectory());
      if (skip) {
        skipped.push({ path: e.isDirectory() ? `${rel}/` : rel, reason: skip });
        continue;
      }
      if (e.isSymbolicLink()) throw new ApiError(0, 'INVALID_INPUT', `${rel} is a symbolic link; copy the file it points to instead`);
      if (e.isDirectory()) await walk(abs);
      else if (e.isFile()) out.push({ path: rel, abs, size: (await stat(abs)).size });
    }
  };
  await walk(root);
  if (out.length === 0) throw new ApiError(0, 'INVALID_INPUT', `${root} holds no files${skipped.length ? ` but ${skipped.map((s) => s.path).join(', ')}, which are never uploaded` : ''}`);
  return { files: out.sort((a, b) => a.path.localeCompare(b.path)), skipped };
}

export async function sha256File(abs: string, onBytes?: (n: number) => void): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(abs, { highWaterMark: 4 << 20 })) {
    hash.update(chunk as Buffer);
    onBytes?.((chunk as Buffer).length);
  }
  return `sha256:${hash.digest('hex')}`;
}

/** A one-line progress display on stderr: bytes, rate, time left. Quiet when not a terminal. */
export function progress(label: string, total: number, stream: NodeJS.WriteStream = process.stderr) {
  const start = Date.now();
  let done = 0;
  let last = 0;
  const fmt = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${(n / 1e3).toFixed(0)} kB`);
  const draw = (final = false) => {
    const secs = Math.max((Date.now() - start) / 1000, 0.001);
    const rate = done / secs;
    const left = rate > 0 ? (total - done) / rate : 0;
    const line = `${label} ${fmt(done)} / ${fmt(total)}  ${fmt(rate)}/s  ${final ? `done in ${secs.toFixed(1)} s` : `${Math.ceil(left)} s left`}`;
    if (stream.isTTY) stream.write(`\r${line.padEnd(78)}${final ? '\n' : ''}`);
    else if (final) stream.write(`${line}\n`);
  };
  return {
    add(n: number) {
      done += n;
      if (Date.now() - last > 200) {
        last = Date.now();
        draw();
      }
    },
    finish: () => draw(true),
  };
}

type Request = (method: string, url: string, init?: { body?: unknown; headers?: Record<string, string> }) => Promise<Response>;

export function createTransfer(config: ClientConfig) {
  const auth: Record<string, string> = config.token ? { authorization: `Bearer ${config.token}` } : {};
  const connect = async <T>(f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (err) {
      throw unreachable(config.url, err);
    }
  };
  const request: Request = (method, url, init = {}) =>
    connect(() => fetch(`${config.url}${url}`, { method, ...init, headers: { accept: 'application/json', ...(init.headers ?? {}), ...auth } } as RequestInit));
  const json = async <T>(res: Response): Promise<T> => answer<T>(res.status, await res.json().catch(() => ({})), res.statusText);
  /** The JSON answer of a streamed request; an error answer becomes ApiError. */
  const streamJson = async <T>(sent: Promise<IncomingMessage>): Promise<T> => {
    const res = await connect(() => sent);
    return answer<T>(res.statusCode ?? 0, await readJson(res), `HTTP ${res.statusCode}`);
  };

  /** Uploads a folder into a draft version (created when missing), resuming unfinished files. */
  async function push(dir: string, slug: string, version: string, log: (s: string) => void, opts: { chunkBytes?: number } = {}) {
    const chunkBytes = opts.chunkBytes ?? CHUNK_BYTES;
    const { files: listed, skipped: left } = await listModelFiles(dir);
    for (const s of left) log(`skipped ${s.path}: ${s.reason === 'CACHE' ? 'a download cache, not part of the model' : `${PATH_PROBLEM_TEXT[s.reason]} (${s.reason})`}`);
    try {
      validateFilePaths(listed.map((f) => f.path));
      checkLooksLikeModel(listed.map((f) => f.path));
    } catch (err) {
      const e = err as AppError;
      throw new ApiError(0, e.code, e.message, e.details);
    }
    const total = listed.reduce((s, f) => s + f.size, 0);
    const hashing = progress('hashing ', total);
    const files: LocalFile[] = [];
    const cache = await openHashCache(config.cacheDir);
    for (const f of listed) {
      const { digest, cached } = await cache.digest(f.abs, () => sha256File(f.abs, (n) => hashing.add(n)));
      if (cached) hashing.add(f.size);
      files.push({ ...f, digest });
    }
    hashing.finish();
    await cache.save().catch(() => undefined);

    const v = await request('GET', `/api/v1/models/${slug}/versions/${version}`);
    if (v.status === 404) {
      await json(await request('POST', `/api/v1/models/${slug}/versions`, { body: JSON.stringify({ version }), headers: { 'content-type': 'application/json' } }));
      log(`created draft ${slug}@${version}`);
    } else await json(v);

    const bar = progress('uploading', total);
    let skipped = 0;
    let resumed = 0;
    for (const f of files) {
      type State = { id: string; offset: number; complete: boolean; deduplicated: boolean };
      let s = await json<State>(
        await request('POST', `/api/v1/models/${slug}/versions/${version}/uploads`, {
          body: JSON.stringify({ path: f.path, digest: f.digest, size: f.size }),
          headers: { 'content-type': 'application/json' },
        }),
      );
      if (s.deduplicated) skipped += f.size;
      else if (s.offset > 0) resumed += s.offset;
      bar.add(s.offset);
      while (!s.complete) {
        const end = Math.min(s.offset + chunkBytes, f.size) - 1;
        const counted = f.size === 0 ? Readable.from([]) : createReadStream(f.abs, { start: s.offset, end, highWaterMark: 4 << 20 });
        counted.on('data', (c: Buffer) => bar.add(c.length));
        s = await streamJson<State>(
          sendStream('PATCH', `${config.url}/api/v1/uploads/${s.id}`, { ...auth, 'content-type': 'application/offset+octet-stream', 'upload-offset': String(s.offset) }, counted, end - s.offset + 1),
        );
      }
    }
    bar.finish();
    const committed = await json<{ items: { path: string; size: number; digest: string }[] }>(
      await request('POST', `/api/v1/models/${slug}/versions/${version}/files/commit`),
    );
    const card = await prefillCard(dir, slug, version, log);
    return { files: committed.items, deduplicatedBytes: skipped, resumedBytes: resumed, totalBytes: total, prefilled: card, skipped: left };
  }

  /**
   * Reads the model card out of the files (headers only) and writes it into the draft's empty
   * fields; what the owner already wrote is kept. Returns the names of the fields it filled.
   */
  async function prefillCard(dir: string, slug: string, version: string, log: (s: string) => void): Promise<string[]> {
    let extraction: Extraction;
    try {
      extraction = (await lstat(dir)).isFile() ? await extractFromFile(dir) : await extractFromFolder(dir);
    } catch (err) {
      log(`model card not pre-filled: ${(err as Error).message}`);
      return [];
    }
    for (const n of extraction.notes) log(`note: ${n}`);
    const current = await json<Record<string, unknown>>(await request('GET', `/api/v1/models/${slug}/versions/${version}`));
    const patch = emptyFieldsPatch(current, extraction.fields as Record<string, unknown>);
    if (Object.keys(patch).length === 0) return [];
    const res = await request('PATCH', `/api/v1/models/${slug}/versions/${version}`, {
      body: JSON.stringify(patch),
      headers: { 'content-type': 'application/json' },
    });
    if (!res.ok) {
      const e = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
      log(`model card not pre-filled: ${e.error?.message ?? res.statusText}`);
      return [];
    }
    return Object.keys(patch);
  }

  /** Downloads every file of a version into `dir`, verifying each sha256; files already there and intact are kept. */
  async function pull(slug: string, version: string, dir: string) {
    const { items } = await json<{ items: { path: string; size: number; digest: string }[] }>(
      await request('GET', `/api/v1/models/${slug}/versions/${version}/files`),
    );
    // The server's list is not trusted: every path is checked before anything is written, with
    // the registry's own rules (no .git/config, nothing outside the folder, no case clashes).
    const targets = new Map<string, string>();
    try {
      validateFilePaths(items.map((f) => f.path));
      for (const f of items) targets.set(f.path, joinInside(dir, f.path));
    } catch (err) {
      const e = err as AppError;
      throw new ApiError(0, e.code, `the server lists files this client refuses to write; nothing was written. ${e.message}`, e.details);
    }
    const bar = progress('downloading', items.reduce((s, f) => s + f.size, 0));
    for (const f of items) {
      const target = targets.get(f.path) as string;
      const have = await stat(target).catch(() => null);
      if (have?.size === f.size && (await sha256File(target)) === f.digest) {
        bar.add(f.size);
        continue;
      }
      await mkdir(path.dirname(target), { recursive: true });
      const res = await connect(() => getStream(`${config.url}/api/v1/models/${slug}/versions/${version}/files/${f.path.split('/').map(encodeURIComponent).join('/')}`, auth));
      if (res.statusCode !== 200) await streamJson(Promise.resolve(res));
      const temp = `${target}.part`;
      const hash = createHash('sha256');
      await pipeline(
        res,
        new Transform({ transform: (c: Buffer, _e, done) => (hash.update(c), bar.add(c.length), done(null, c)) }),
        createWriteStream(temp),
      );
      const got = `sha256:${hash.digest('hex')}`;
      if (got !== f.digest) {
        await rm(temp, { force: true });
        throw new ApiError(0, 'DIGEST_MISMATCH', `${f.path}: downloaded bytes have digest ${got}, expected ${f.digest}`);
      }
      await rename(temp, target);
    }
    bar.finish();
    return items;
  }

  return { push, pull };
}
