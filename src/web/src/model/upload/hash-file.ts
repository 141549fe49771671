/**
 * sha256 of a File in the browser, read in slices so memory stays flat for multi-GB files.
 * hash-wasm runs the hash in WebAssembly, several times faster than a JavaScript sha256.
 */
import { createSHA256 } from 'hash-wasm';

/** Bytes read per step: large enough to keep the hash busy, small enough to stay responsive. */
export const HASH_SLICE_BYTES = 8 * 1024 * 1024;

/** Digests already computed in this page, so resuming a stopped upload does not hash again. */
const known = new WeakMap<File, string>();

/** Returns `sha256:<64 hex>`; `onBytes` reports progress; aborting throws an AbortError. */
export async function sha256OfFile(file: File, opts: { signal?: AbortSignal; onBytes?: (n: number) => void } = {}): Promise<string> {
  const cached = known.get(file);
  if (cached) {
    opts.onBytes?.(file.size);
    return cached;
  }
  const hasher = await createSHA256();
  hasher.init();
  for (let pos = 0; pos < file.size; pos += HASH_SLICE_BYTES) {
    opts.signal?.throwIfAborted();
    const end = Math.min(pos + HASH_SLICE_BYTES, file.size);
    hasher.update(new Uint8Array(await file.slice(pos, end).arrayBuffer()));
    opts.onBytes?.(end - pos);
  }
  opts.signal?.throwIfAborted();
  const digest = `sha256:${hasher.digest('hex')}`;
  known.set(file, digest);
  return digest;
}
