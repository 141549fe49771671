/**
 * The one error type the extractors throw for files they cannot use: callers branch on `code`
 * rather than on message text.
 */

/** Why a file could not be read: I/O failure, wrong/corrupt structure, or a limit exceeded. */
export type ExtractErrorCode = 'UNREADABLE' | 'INVALID_FORMAT' | 'TOO_LARGE';

/** A model file that cannot be read, is malformed, or would exceed a safety limit. */
export class ExtractError extends Error {
  override readonly name = 'ExtractError';

  constructor(
    readonly code: ExtractErrorCode,
    message: string,
    /** The file concerned, when known. */
    readonly path?: string,
    options?: { cause?: unknown },
  ) {
    super(path ? `${path}: ${message}` : message, options);
  }
}

/** Wraps a filesystem error (ENOENT, EACCES, EISDIR…) as an UNREADABLE ExtractError. */
export function unreadable(path: string, err: unknown): ExtractError {
  if (err instanceof ExtractError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new ExtractError('UNREADABLE', `cannot read file (${msg})`, path, { cause: err });
}
