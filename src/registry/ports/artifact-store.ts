import type { Readable } from 'node:stream';

/** A sha256 digest in OCI form: `sha256:` and 64 lowercase hex digits. */
export type Digest = `sha256:${string}`;
export const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;

export interface ByteRange {
  /** First byte, inclusive. */
  start: number;
  /** Last byte, inclusive (HTTP Range semantics). */
  end: number;
}

/**
 * Stores immutable model files by content digest.
 *
 * Guarantees every adapter keeps (tests/contract in artifact-store.contract.ts):
 * - `put` streams with flat memory, hashes while writing, and makes the blob visible only after
 *   its size and digest are verified and the bytes are durable; on any failure (mismatch, a
 *   truncated or failing stream, a full disk) nothing is visible and nothing is left behind.
 * - `put` is idempotent and safe to run concurrently for the same digest.
 * - `get` of a missing blob throws AppError NOT_FOUND.
 */
export interface ArtifactStore {
  readonly kind: 'fs' | 'oci' | 's3' | 'memory';
  /** Stores `body`, which must be exactly `size` bytes with sha256 `digest`. */
  put(digest: Digest, body: Readable, size: number): Promise<void>;
  get(digest: Digest, range?: ByteRange): Promise<Readable>;
  head(digest: Digest): Promise<{ size: number } | null>;
  delete(digest: Digest): Promise<void>;
  /**
   * Optional: takes a finished local file as the blob (verifying size and digest) by moving it,
   * instead of copying its bytes. Stores on the same filesystem as the upload staging offer it.
   * `verified`: the caller hashed the bytes as they arrived, so they are not read again.
   */
  adopt?(digest: Digest, file: string, size: number, opts?: { verified?: boolean }): Promise<void>;
  /** Optional: the blob as a file on this host, for stores that keep blobs on a local disk. */
  localPath?(digest: Digest): string;
  /** Where the blob lives in backend terms (`file://…`, `oci://host/repo@sha256:…`, `s3://bucket/key`). */
  location(digest: Digest): string;
  /**
   * Optional: publishes a version as one unit the backend's own tools understand (an OCI image
   * manifest for a registry), once all its files are stored. Idempotent; returns its reference.
   */
  publishVersion?(artifact: VersionArtifact): Promise<string>;
}

/** A committed version's files, as the backend publishes them. */
export interface VersionArtifact {
  slug: string;
  version: string;
  files: { path: string; digest: Digest; size: number; format: string }[];
  /** Model-level facts for the manifest (licences, description, architecture…). */
  info: { title?: string; description?: string; licenses?: string[]; family?: string; createdAt?: string };
}
