/** The one place where error codes become HTTP statuses and the error body is shaped. */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { AppError, type ErrorCode } from '../core/errors.js';
import { unsatisfiedRange } from './http-range.js';

export const HTTP_STATUS: Record<ErrorCode, number> = {
  NOT_FOUND: 404,
  CONFLICT: 409,
  INVALID_INPUT: 400,
  INVALID_CURSOR: 400,
  UNKNOWN_FACET: 400,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  CSRF: 403,
  RATE_LIMITED: 429,
  SEPARATION_OF_DUTIES: 403,
  SUBMISSION_INCOMPLETE: 422,
  POLICY_REFUSED: 403,
  QUOTA_EXCEEDED: 429,
  MANIFEST_INVALID: 422,
  ENDPOINT_FAILED: 502,
  LIFECYCLE_TRANSITION: 409,
  ADAPTER_UNAVAILABLE: 503,
  DIGEST_MISMATCH: 422,
  SIZE_MISMATCH: 422,
  RANGE_NOT_SATISFIABLE: 416,
  INSUFFICIENT_STORAGE: 507,
  INTERNAL: 500,
};

/** Fastify's own error codes for bad requests, translated to ours. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'INVALID_INPUT',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_INPUT',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_INPUT',
  FST_ERR_BAD_URL: 'INVALID_INPUT',
  FST_ERR_MAX_PARAM_LENGTH: 'INVALID_INPUT',
  FST_ERR_VALIDATION: 'INVALID_INPUT',
};

export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (hasZodFastifySchemaValidationErrors(err)) {
    const where = (err as { validationContext?: string }).validationContext ?? 'request';
    const issues = err.validation.map((v) => ({
      path: [where, ...String(v.instancePath).split('/').filter(Boolean)].join('.'),
      message: v.message ?? 'invalid',
    }));
    return new AppError('INVALID_INPUT', issues.map((i) => `${i.path}: ${i.message}`).join('; '), { issues });
  }
  // PostgreSQL data exceptions (class 22: bad number, string too long for an index, …) come from
  // request content that slipped past validation: the client's fault, never a 500.
  const pgCode = (err as { cause?: { code?: unknown } })?.cause?.code ?? (err as { code?: unknown })?.code;
  if (typeof pgCode === 'string' && /^22[0-9A-Z]{3}$/.test(pgCode)) {
    return new AppError('INVALID_INPUT', 'a value in the request is not acceptable to the database', { sqlState: pgCode });
  }
  const fe = err as FastifyError;
  if (fe && typeof fe.code === 'string' && FASTIFY_CODES[fe.code]) {
    return new AppError(FASTIFY_CODES[fe.code] as ErrorCode, fe.message);
  }
  if (fe && (fe as { type?: string }).type === 'entity.parse.failed') return new AppError('INVALID_INPUT', fe.message);
  if (fe instanceof SyntaxError) return new AppError('INVALID_INPUT', `malformed body: ${fe.message}`);
  if (fe && typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new AppError('INVALID_INPUT', fe.message);
  }
  return new AppError('INTERNAL', 'internal error', undefined, { cause: err });
}

export function sendError(reply: FastifyReply, req: FastifyRequest, err: AppError): FastifyReply {
  const status = HTTP_STATUS[err.code];
  return reply
    .code(status)
    .type('application/json')
    .send({ error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) }, requestId: req.id });
}

/** Codes that refuse an identified request: each is recorded (audited) before the answer. */
const DENIALS = new Set<ErrorCode>(['FORBIDDEN', 'CSRF', 'SEPARATION_OF_DUTIES']);

export function installErrorHandler(app: FastifyInstance, onDenied?: (req: FastifyRequest, err: AppError) => Promise<void>): void {
  app.setErrorHandler(async (err, req, reply) => {
    const appErr = isResponseSerializationError(err)
      ? new AppError('INTERNAL', 'internal error', undefined, { cause: err })
      : toAppError(err);
    const status = HTTP_STATUS[appErr.code];
    if (status >= 500) req.log.error({ err }, 'request failed');
    else req.log.info({ code: appErr.code, msg: appErr.message }, 'request rejected');
    if (onDenied && DENIALS.has(appErr.code)) {
      try {
        await onDenied(req, appErr);
      } catch (auditErr) {
        req.log.error({ err: auditErr }, 'could not audit a denial');
      }
    }
    if (appErr.code === 'RATE_LIMITED') reply.header('retry-after', '60');
    // RFC 9110 §15.5.17: a 416 says how long the file is.
    if (appErr.code === 'RANGE_NOT_SATISFIABLE' && typeof appErr.details?.size === 'number') reply.header('content-range', unsatisfiedRange(appErr.details.size));
    return sendError(reply, req, appErr);
  });
}

/**
 * Fastify's `frameworkErrors`: errors raised while routing, before any route or error handler
 * runs (a malformed percent escape in the path, a path parameter over maxParamLength). Without
 * it Fastify answers them in its own body shape, not the house format.
 */
export function frameworkError(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const appErr = toAppError(err);
  req.log.info({ code: appErr.code, msg: appErr.message }, 'request rejected');
  void sendError(reply, req, appErr);
}

export function routeNotFound(req: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendError(reply, req, new AppError('NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`));
}
