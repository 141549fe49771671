/** In-memory artifact store: the fake for unit tests, held to the same contract as the adapters. */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { AppError } from '../../core/errors.js';
import { VerifyingStream } from '../hashing.js';
import { DIGEST_RE, type ArtifactStore, type Digest } from '../ports/artifact-store.js';

export function createMemoryStore(): ArtifactStore {
  const blobs = new Map<string, Buffer>();
  const check = (d: string) => {
    if (!DIGEST_RE.test(d)) throw new AppError('INVALID_INPUT', `not a sha256 digest: ${d.slice(0, 80)}`);
  };
  return {
    kind: 'memory',
    async put(digest, body, size) {
      check(digest);
      const chunks: Buffer[] = [];
      const verifier = new VerifyingStream(digest, size);
      await pipeline(
        body,
        verifier,
        new Writable({
          write(chunk: Buffer, _enc, done) {
            chunks.push(chunk);
            done();
          },
        }),
      );
      verifier.verify();
      blobs.set(digest, Buffer.concat(chunks));
    },
    async get(digest: Digest, range) {
      check(digest);
      const b = blobs.get(digest);
      if (!b) throw new AppError('NOT_FOUND', `blob ${digest} not found`, { digest });
      return Readable.from([range ? b.subarray(range.start, range.end + 1) : b]);
    },
    async head(digest) {
      check(digest);
      const b = blobs.get(digest);
      return b ? { size: b.length } : null;
    },
    async delete(digest) {
      check(digest);
      blobs.delete(digest);
    },
    location: (digest) => `memory://${digest}`,
  };
}
