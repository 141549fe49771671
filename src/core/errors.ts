/**
 * The one error type of Model Garden. Domain code throws AppError with a stable code;
 * the API maps codes to HTTP statuses in one place (src/api/error-handler.ts) and
 * docs/errors.md documents every code (a test keeps the two in sync).
 */
export const ERROR_CODES = {
  NOT_FOUND: 'The thing named does not exist (or is not visible to you).',
  CONFLICT: 'The request clashes with existing data, e.g. a duplicate slug + version or an immutable version.',
  INVALID_INPUT: 'The request is malformed: wrong types, unknown fields, values out of range.',
  INVALID_CURSOR: 'A pagination cursor was not issued by this server for this query.',
  UNKNOWN_FACET: 'A filter names a facet or facet value that does not exist.',
  PAYLOAD_TOO_LARGE: 'The request body is larger than the configured limit.',
  UNSUPPORTED_MEDIA_TYPE: 'The request body has a content type this endpoint does not read.',
  UNAUTHENTICATED: 'No valid credentials: sign in, or send an API token as `Authorization: Bearer …` (an unknown, expired or revoked token counts as none).',
  FORBIDDEN: 'You are not allowed to do this; the message names the role or token scope needed. Every denial is audited.',
  CSRF: 'A request authenticated by the session cookie lacks the `x-csrf-token` header of that session.',
  RATE_LIMITED: 'Too many failed attempts (sign-in, token use) from this address, or on this account; wait and retry (see Retry-After).',
  SUBMISSION_INCOMPLETE: 'A draft lacks what a submission needs (card sections, an approved use case, files, a benchmark on a registered suite); details.missing lists it.',
  POLICY_REFUSED: 'A deployment or evaluation that the version’s policy does not allow (experimental, use case, restriction, deprecation).',
  SEPARATION_OF_DUTIES: 'The same person cannot submit, sign off and approve one version, nor accept a benchmark result they typed.',
  QUOTA_EXCEEDED: 'Your team already runs as many evaluation endpoints or GPUs as its quota allows; stop one or ask an admin to raise the quota.',
  MANIFEST_INVALID: 'A rendered deployment manifest fails the engine’s schema or admission rules; details.errors lists each problem with its path.',
  ENDPOINT_FAILED: 'A model endpoint crashed, hung, ran out of memory or did not become ready; details carry the reason and its last log lines.',
  LIFECYCLE_TRANSITION: 'The lifecycle state of the model version does not allow this change.',
  ADAPTER_UNAVAILABLE: 'A backing service (database, registry, engine) is not reachable.',
  DIGEST_MISMATCH: 'Uploaded bytes do not have the sha256 digest that was declared; nothing was stored.',
  SIZE_MISMATCH: 'Uploaded bytes are fewer or more than the declared size (e.g. a truncated upload); nothing was stored.',
  RANGE_NOT_SATISFIABLE: 'A Range header asks for bytes past the end of the file; the answer carries `Content-Range: bytes */SIZE` with the file’s size.',
  INSUFFICIENT_STORAGE: 'The artifact store ran out of space; the partial upload was removed.',
  INTERNAL: 'An unexpected failure on the server; the request id identifies it in the logs.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AppError';
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

export const notFound = (what: string, details?: Record<string, unknown>) =>
  new AppError('NOT_FOUND', `${what} not found`, details);
