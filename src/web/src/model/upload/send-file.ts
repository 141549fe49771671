/**
 * Sends one hashed file to a draft version: declares it (the server answers where to start, or
 * that it already holds the bytes), then appends 8 MB chunks, retrying a failed chunk from the
 * offset the server reports.
 */
import { isApiError } from '../../api/client';
import { declareUpload, getUpload, sendChunk } from '../../api/registry';
import type { UploadState } from '../../api/types';

export const CHUNK_BYTES = 8 * 1024 * 1024;
/** Retries of one chunk before the file counts as failed. */
export const MAX_RETRIES = 3;

export interface SendTarget {
  slug: string;
  version: string;
}

export interface SendOptions {
  signal: AbortSignal;
  /** Called with the server's offset after the declaration and after every chunk. */
  onOffset(offset: number): void;
  /** Called once, with the declaration's answer (deduplicated, or resumed from an offset). */
  onDeclared?(state: UploadState): void;
  /** Pause before a retry; tests shorten it. */
  retryDelayMs?: number;
}

/** Network failures, server errors, timeouts and a wrong offset are worth another try. */
function retryable(err: unknown): boolean {
  if (!isApiError(err)) return false;
  return err.status === 0 || err.status >= 500 || err.status === 409 || err.status === 408 || err.status === 429;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(new DOMException('The upload was stopped', 'AbortError'));
      },
      { once: true },
    );
  });
}

/** The offset a 409 names (details.offset), when it names one. */
function offsetFrom(err: unknown): number | null {
  const o = isApiError(err) && err.status === 409 ? err.details?.offset : undefined;
  return typeof o === 'number' && Number.isSafeInteger(o) && o >= 0 ? o : null;
}

/** Uploads `file` as `path` with its `digest`; resolves with the final (complete) state. */
export async function sendFile(target: SendTarget, path: string, file: File, digest: string, opts: SendOptions): Promise<UploadState> {
  const { signal } = opts;
  let state = await declareUpload(target.slug, target.version, { path, digest, size: file.size }, signal);
  opts.onDeclared?.(state);
  opts.onOffset(state.offset);
  let failures = 0;
  // After a failed chunk without a named offset, the server is asked where the upload stands.
  let resync = false;
  while (!state.complete) {
    try {
      if (resync) {
        state = await getUpload(state.id, signal);
        resync = false;
      } else {
        const end = Math.min(state.offset + CHUNK_BYTES, file.size);
        state = await sendChunk(state.id, state.offset, file.slice(state.offset, end), signal);
        failures = 0;
      }
    } catch (err) {
      if (signal.aborted || !retryable(err) || ++failures > MAX_RETRIES) throw err;
      await sleep((opts.retryDelayMs ?? 500) * failures, signal);
      const named = offsetFrom(err);
      if (named === null) resync = true;
      else state = { ...state, offset: named };
    }
    opts.onOffset(state.offset);
  }
  return state;
}
