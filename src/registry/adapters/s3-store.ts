/**
 * S3-compatible artifact store: one object per blob at `<prefix>/sha256/<ab>/<hex>`. A blob is
 * streamed through the verifier into a multipart upload (a single PutObject when it fits one part);
 * the verifier fails the stream before its last byte is handed on when size or digest differ, so
 * the upload is never completed and the object never becomes visible, and the started multipart
 * upload is aborted (no parts left behind). Concurrent puts of one digest write identical bytes;
 * S3 keeps the last one.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  S3Client,
  S3ServiceException,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError, isAppError } from '../../core/errors.js';
import { VerifyingStream } from '../hashing.js';
import { DIGEST_RE, type ArtifactStore, type ByteRange, type Digest } from '../ports/artifact-store.js';

export interface S3StoreOptions {
  bucket: string;
  /** Key prefix inside the bucket, e.g. `garden/blobs` (slashes at either end are dropped). */
  prefix?: string;
  /** Defaults to `us-east-1`; most S3-compatible servers ignore it but sign with it. */
  region?: string;
  /** Base URL of an S3-compatible server (MinIO, Ceph RGW…); unset for AWS S3. */
  endpoint?: string;
  /** `true` for servers without virtual-hosted buckets (`http://host/bucket/key`). */
  forcePathStyle?: boolean;
  /** Unset: the SDK's default credential chain (environment, shared config, instance role). */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Multipart part size in MiB; default 16. S3's minimum is 5, and smaller values are raised to it. */
  partSizeMb?: number;
}

const MIB = 1024 * 1024;
const MIN_PART = 5 * MIB;
/** S3 allows at most 10,000 parts; larger blobs get larger parts. */
const MAX_PARTS = 10_000;
/** Parts in flight at once: a put holds about (QUEUE_SIZE + 1) parts in memory, whatever the blob size. */
const QUEUE_SIZE = 4;

function checkDigest(digest: string): asserts digest is Digest {
  if (!DIGEST_RE.test(digest)) throw new AppError('INVALID_INPUT', `not a sha256 digest: ${digest.slice(0, 80)}`);
}

/**
 * The verifier, checking size and digest when its input ends and before it ends its output: a
 * mismatch errors the stream, so the uploader never sees the end of the body and never completes
 * the upload. The verdict is kept, as the uploader may report its own clean-up failure instead.
 */
class CheckedBody extends VerifyingStream {
  failure: AppError | undefined;

  override _transform(chunk: Buffer, enc: BufferEncoding, done: TransformCallback): void {
    super._transform(chunk, enc, (err, data) => {
      if (err) this.failure = err as AppError;
      done(err, data);
    });
  }

  override _flush(done: TransformCallback): void {
    try {
      this.verify();
      done();
    } catch (err) {
      this.failure = err as AppError;
      done(err as AppError);
    }
  }
}

const STORAGE_FULL = new Set(['EntityTooLarge', 'QuotaExceeded', 'XMinioStorageFull', 'XMinioAdminBucketQuotaExceeded', 'InsufficientStorage']);
const DENIED = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken', 'AccountProblem']);

/** Maps an SDK or network error to an AppError (NOT_FOUND is handled by the callers that expect it). */
function s3Error(err: unknown, what: string): AppError {
  if (isAppError(err)) return err;
  if (err instanceof S3ServiceException) {
    const status = err.$metadata.httpStatusCode;
    const message = `S3 refused ${what}: ${err.name}${err.message && err.message !== err.name ? ` (${err.message})` : ''}`;
    const details = { s3Code: err.name, status };
    if (STORAGE_FULL.has(err.name) || status === 507) return new AppError('INSUFFICIENT_STORAGE', message, details, { cause: err });
    if (DENIED.has(err.name) || status === 401 || status === 403) return new AppError('FORBIDDEN', message, details, { cause: err });
    if (err.name === 'InvalidRange' || status === 416) return new AppError('INVALID_INPUT', message, details, { cause: err });
    return new AppError('ADAPTER_UNAVAILABLE', message, details, { cause: err });
  }
  // Connection refused or reset, DNS, timeouts: the SDK passes Node's errors through.
  return new AppError('ADAPTER_UNAVAILABLE', `S3 is not reachable for ${what}: ${(err as Error).message}`, undefined, { cause: err });
}

/** A missing key; a missing bucket is a misconfiguration, not a missing blob (HEAD cannot tell them apart). */
const isMissing = (err: unknown) =>
  err instanceof S3ServiceException &&
  err.name !== 'NoSuchBucket' &&
  (err.name === 'NoSuchKey' || err.name === 'NotFound' || err.$metadata.httpStatusCode === 404);

export function createS3Store(opts: S3StoreOptions): ArtifactStore {
  const { bucket } = opts;
  if (!bucket) throw new AppError('INVALID_INPUT', 'the S3 store needs a bucket');
  const prefix = (opts.prefix ?? '').replace(/^\/+|\/+$/g, '');
  const partSize = Math.max(MIN_PART, Math.round((opts.partSizeMb ?? 16) * MIB));

  const config: S3ClientConfig = {
    region: opts.region ?? 'us-east-1',
    forcePathStyle: opts.forcePathStyle ?? false,
    // Since 3.729 the SDK adds a CRC32 to every upload by default (an `x-amz-checksum-crc32` header
    // for a buffer, `aws-chunked` framing with a trailer for a stream, CRC32 asked for in
    // CreateMultipartUpload) and validates checksums in responses. S3-compatible servers that
    // predate this refuse the headers (Backblaze B2, R2, some Ceph RGW and MinIO releases) or, like
    // s3rver, store the `aws-chunked` framing as if it were the object's bytes. Integrity does not
    // depend on it: every blob is hashed with sha256 on its way in and only committed when it matches.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
  if (opts.endpoint) config.endpoint = opts.endpoint;
  if (opts.accessKeyId && opts.secretAccessKey) {
    config.credentials = { accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey };
  }
  const client = new S3Client(config);

  const keyOf = (digest: Digest) => {
    const hex = digest.slice('sha256:'.length);
    return `${prefix ? `${prefix}/` : ''}sha256/${hex.slice(0, 2)}/${hex}`;
  };

  async function put(digest: Digest, body: Readable, size: number): Promise<void> {
    checkDigest(digest);
    const checked = new CheckedBody(digest, size);
    // A caller stream that breaks (a client gone away) explains the failure better than what the
    // uploader reports after it. A premature close is the pipeline tearing down after the uploader
    // gave up, not a cause.
    let callerFailure: Error | undefined;
    body.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ERR_STREAM_PREMATURE_CLOSE') callerFailure ??= err;
    });
    const streamed = pipeline(body, checked);
    streamed.catch(() => undefined);
    const upload = new Upload({
      client,
      params: { Bucket: bucket, Key: keyOf(digest), Body: checked, ContentType: 'application/octet-stream' },
      queueSize: QUEUE_SIZE,
      partSize: Math.max(partSize, Math.ceil(size / MAX_PARTS)),
      leavePartsOnError: false,
    });
    try {
      await upload.done();
      await streamed;
    } catch (err) {
      body.destroy();
      checked.destroy();
      const cause = checked.failure ?? callerFailure;
      if (cause) throw cause;
      throw s3Error(err, `storing ${digest}`);
    }
  }

  async function head(digest: Digest): Promise<{ size: number } | null> {
    checkDigest(digest);
    try {
      const res = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: keyOf(digest) }));
      return { size: res.ContentLength ?? 0 };
    } catch (err) {
      if (isMissing(err)) return null;
      throw s3Error(err, `looking up ${digest}`);
    }
  }

  async function get(digest: Digest, range?: ByteRange): Promise<Readable> {
    checkDigest(digest);
    try {
      const res = await client.send(
        new GetObjectCommand({
          Bucket: bucket,
          Key: keyOf(digest),
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
      );
      if (!(res.Body instanceof Readable)) throw new AppError('ADAPTER_UNAVAILABLE', `S3 returned no body for ${digest}`);
      return res.Body;
    } catch (err) {
      if (isMissing(err)) throw new AppError('NOT_FOUND', `blob ${digest} not found`, { digest });
      throw s3Error(err, `reading ${digest}`);
    }
  }

  /** S3 answers a delete of a missing key with success, as the port wants. */
  async function remove(digest: Digest): Promise<void> {
    checkDigest(digest);
    try {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: keyOf(digest) }));
    } catch (err) {
      if (isMissing(err)) return;
      throw s3Error(err, `deleting ${digest}`);
    }
  }

  return {
    kind: 's3',
    put,
    get,
    head,
    delete: remove,
    location: (digest) => `s3://${bucket}/${keyOf(digest)}`,
  };
}
