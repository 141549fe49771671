import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { artifactStoreContract, digestOf } from '../artifact-store.contract.js';
import { createS3Store, type S3StoreOptions } from './s3-store.js';

/** The part of s3rver 3.7.1 (CommonJS, untyped) that the tests use. */
interface S3rver {
  configureBuckets(): Promise<unknown>;
  callback(): RequestListener;
}
type S3rverClass = new (opts: { directory: string; silent: boolean; configureBuckets: { name: string }[] }) => S3rver;
const loadCjs = createRequire(import.meta.url);
const S3rver = loadCjs('s3rver') as S3rverClass;

const BUCKET = 'garden';
const MIB = 1024 * 1024;
// s3rver's default account. It checks that the access key exists, but does not verify SigV4 signatures.
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

let dir: string;
let server: Server;
let endpoint: string;
/** Requests seen, by S3 operation, to tell multipart uploads from single PutObjects. */
const seen = { create: 0, part: 0, complete: 0, abort: 0 };

/** s3rver keeps each unfinished multipart upload as a folder holding the object key and the parts. */
const uploadsDir = () => path.join(dir, BUCKET, '._S3rver_uploads');

function unfinishedUploads(prefix: string): number {
  if (!existsSync(uploadsDir())) return 0;
  return readdirSync(uploadsDir()).filter((id) => readFileSync(path.join(uploadsDir(), id, 'key'), 'utf8').startsWith(`${prefix}/`)).length;
}

/**
 * s3rver 3.7.1 answers AbortMultipartUpload with 405 MethodNotAllowed: this stands in for it,
 * removing the upload's folder as S3 discards the parts. Returns false for every other request.
 */
function abortUpload(req: IncomingMessage, res: ServerResponse): boolean {
  const url = new URL(req.url ?? '/', 'http://s3');
  const uploadId = url.searchParams.get('uploadId');
  if (req.method !== 'DELETE' || !uploadId) return false;
  seen.abort++;
  const folder = path.join(uploadsDir(), uploadId);
  if (!/^[0-9a-f]+$/.test(uploadId) || !existsSync(folder)) {
    res.writeHead(404, { 'content-type': 'application/xml' }).end('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code></Error>');
  } else {
    rmSync(folder, { recursive: true, force: true });
    res.writeHead(204).end();
  }
  return true;
}

function count(req: IncomingMessage): void {
  const q = new URL(req.url ?? '/', 'http://s3').searchParams;
  if (req.method === 'POST' && q.has('uploads')) seen.create++;
  else if (req.method === 'PUT' && q.has('partNumber')) seen.part++;
  else if (req.method === 'POST' && q.has('uploadId')) seen.complete++;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'garden-s3rver-'));
  const s3rver = new S3rver({ directory: dir, silent: true, configureBuckets: [{ name: BUCKET }] });
  await s3rver.configureBuckets();
  const handle = s3rver.callback();
  server = createServer((req, res) => {
    count(req);
    if (!abortUpload(req, res)) void handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

const newPrefix = () => `test-${randomBytes(4).toString('hex')}`;
const storeAt = (prefix: string, more: Partial<S3StoreOptions> = {}) =>
  createS3Store({ bucket: BUCKET, prefix, endpoint, forcePathStyle: true, ...CREDENTIALS, ...more });

artifactStoreContract('S3 (s3rver)', async () => {
  const prefix = newPrefix();
  return { store: storeAt(prefix), leftovers: async () => unfinishedUploads(prefix) };
});

/** Yields `data` in 1 MiB chunks, as a network stream does; with `fail`, then fails like a client that went away. */
function chunked(data: Buffer, fail = false): Readable {
  let at = 0;
  return new Readable({
    read() {
      if (at < data.length) {
        this.push(data.subarray(at, at + MIB));
        at += MIB;
      } else if (fail) {
        this.destroy(new Error('connection reset'));
      } else {
        this.push(null);
      }
    },
  });
}

describe('S3 store: multipart uploads', () => {
  // Three parts at 5 MiB (S3's smallest part size), the last one short.
  const body = randomBytes(11 * MIB + 123);
  const digest = digestOf(body);

  beforeEach(() => Object.assign(seen, { create: 0, part: 0, complete: 0, abort: 0 }));

  it('uploads a large blob in parts and reads it back byte for byte, with ranges across part boundaries', async () => {
    const store = storeAt(newPrefix(), { partSizeMb: 5 });
    await store.put(digest, chunked(body), body.length);
    expect(seen).toMatchObject({ create: 1, part: 3, complete: 1, abort: 0 });
    expect(await store.head(digest)).toEqual({ size: body.length });
    expect(Buffer.concat(await (await store.get(digest)).toArray()).equals(body)).toBe(true);
    for (const start of [5 * MIB - 7, 10 * MIB - 1]) {
      const part = Buffer.concat(await (await store.get(digest, { start, end: start + 20 })).toArray());
      expect(part.equals(body.subarray(start, start + 21))).toBe(true);
    }
    const tail = Buffer.concat(await (await store.get(digest, { start: body.length - 5, end: body.length - 1 })).toArray());
    expect(tail.equals(body.subarray(-5))).toBe(true);
  });

  it.each([
    ['a digest mismatch', 'DIGEST_MISMATCH', digestOf(Buffer.from('other')), body.length],
    ['more bytes than declared', 'SIZE_MISMATCH', digest, 8 * MIB],
    ['fewer bytes than declared', 'SIZE_MISMATCH', digest, body.length + 1],
  ])('aborts the multipart upload on %s, leaving no object and no parts', async (_what, code, declared, size) => {
    const prefix = newPrefix();
    const store = storeAt(prefix, { partSizeMb: 5 });
    await expect(store.put(declared, chunked(body), size)).rejects.toMatchObject({ code });
    expect(seen.create).toBe(1);
    expect(seen.part).toBeGreaterThanOrEqual(1);
    expect(seen.complete).toBe(0);
    expect(seen.abort).toBe(1);
    expect(await store.head(declared)).toBeNull();
    expect(unfinishedUploads(prefix)).toBe(0);
  });

  it('aborts the multipart upload when the caller stream breaks after some parts', async () => {
    const prefix = newPrefix();
    const store = storeAt(prefix, { partSizeMb: 5 });
    await expect(store.put(digest, chunked(body.subarray(0, 7 * MIB), true), body.length)).rejects.toThrow('connection reset');
    expect(seen).toMatchObject({ create: 1, complete: 0, abort: 1 });
    expect(await store.head(digest)).toBeNull();
    expect(unfinishedUploads(prefix)).toBe(0);
  });
});

describe('S3 store: locations and errors', () => {
  const digest = digestOf(Buffer.from('located'));
  const hex = digest.slice(7);

  it('names blobs s3://bucket/<prefix>/sha256/<ab>/<hex>, the prefix trimmed of slashes', () => {
    expect(storeAt('models/blobs').location(digest)).toBe(`s3://${BUCKET}/models/blobs/sha256/${hex.slice(0, 2)}/${hex}`);
    expect(storeAt('/models/blobs/').location(digest)).toBe(`s3://${BUCKET}/models/blobs/sha256/${hex.slice(0, 2)}/${hex}`);
    expect(createS3Store({ bucket: BUCKET }).location(digest)).toBe(`s3://${BUCKET}/sha256/${hex.slice(0, 2)}/${hex}`);
  });

  it('stores the object under that key', async () => {
    const prefix = newPrefix();
    await storeAt(prefix).put(digest, Readable.from([Buffer.from('located')]), 7);
    expect(readFileSync(path.join(dir, BUCKET, prefix, 'sha256', hex.slice(0, 2), `${hex}._S3rver_object`), 'utf8')).toBe('located');
  });

  it('answers FORBIDDEN for credentials the server refuses', async () => {
    const store = storeAt(newPrefix(), { accessKeyId: 'UNKNOWN', secretAccessKey: 'wrong' });
    await expect(store.get(digest)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(store.put(digest, Readable.from([Buffer.from('located')]), 7)).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('answers ADAPTER_UNAVAILABLE for a missing bucket rather than a missing blob', async () => {
    const store = createS3Store({ bucket: 'no-such-bucket', endpoint, forcePathStyle: true, ...CREDENTIALS });
    await expect(store.get(digest)).rejects.toMatchObject({ code: 'ADAPTER_UNAVAILABLE' });
  });

  it('answers ADAPTER_UNAVAILABLE when nothing listens at the endpoint', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const store = createS3Store({ bucket: BUCKET, endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true, ...CREDENTIALS });
    await expect(store.head(digest)).rejects.toMatchObject({ code: 'ADAPTER_UNAVAILABLE' });
  });
});
