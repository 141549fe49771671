import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { AppError } from '../core/errors.js';
import type { Digest } from './ports/artifact-store.js';

/**
 * A pass-through stream that hashes and counts what flows through it, and fails the pipeline as
 * soon as more than `expectedSize` bytes arrive. `verify()` checks size and digest at the end.
 */
export class VerifyingStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  bytes = 0;

  constructor(
    private readonly expectedDigest: Digest,
    private readonly expectedSize: number,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.expectedSize) {
      done(sizeMismatch(this.expectedSize, this.bytes));
      return;
    }
    this.hash.update(chunk);
    done(null, chunk);
  }

  /** Throws SIZE_MISMATCH or DIGEST_MISMATCH; call after the stream has ended. */
  verify(): void {
    if (this.bytes !== this.expectedSize) throw sizeMismatch(this.expectedSize, this.bytes);
    const actual = `sha256:${this.hash.digest('hex')}`;
    if (actual !== this.expectedDigest) {
      throw new AppError('DIGEST_MISMATCH', `the bytes have digest ${actual}, not ${this.expectedDigest}`, {
        expected: this.expectedDigest,
        actual,
      });
    }
  }
}

function sizeMismatch(expected: number, actual: number): AppError {
  return new AppError('SIZE_MISMATCH', `expected ${expected} bytes, got ${actual}${actual < expected ? ' (truncated)' : ''}`, {
    expected,
    actual,
  });
}
