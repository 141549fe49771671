/**
 * Typed fetch wrappers for the Model Garden API. Failures become ApiError with the server's code.
 * Every call carries the session cookie, changing calls the CSRF token, and a 401 tells the app
 * the session is over.
 */
import { getCsrfToken, needsCsrfToken, reportUnauthenticated, setCsrfToken } from './session';
import type { ApiErrorBody, ModelDetail, SearchResponse, VersionFile } from './types';

export const API_BASE = '/api/v1';

/** An error answered by the API (or a network failure, code NETWORK_ERROR). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string | null = null,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function isApiError(err: unknown): err is ApiError {
  return err instanceof ApiError;
}

function isErrorBody(body: unknown): body is ApiErrorBody {
  const e = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  return typeof e === 'object' && e !== null && typeof e.code === 'string' && typeof e.message === 'string';
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Sent as JSON unless it is a Blob (raw bytes, with the content type given in `headers`). */
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal | undefined;
  /**
   * Set by the sign-in calls (GET /me, login): their 401 is an answer (not signed in, wrong
   * password), not a session that just ended, so it does not send the app to the login page.
   */
  authCall?: boolean;
}

async function send(path: string, opts: RequestOptions): Promise<Response> {
  const method = opts.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
  const csrf = getCsrfToken();
  if (csrf && needsCsrfToken(method)) headers['x-csrf-token'] = csrf;
  let body: BodyInit | undefined;
  if (opts.body instanceof Blob) body = opts.body;
  else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] = 'application/json';
  }
  try {
    return await fetch(`${API_BASE}${path}`, {
      method,
      headers,
      // The session cookie goes with every call to this origin, and never anywhere else.
      credentials: 'same-origin',
      ...(body !== undefined ? { body } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'NETWORK_ERROR', 'The Model Garden server could not be reached. Check your connection and try again.');
  }
}

async function readBody(res: Response): Promise<unknown> {
  const text = await res.text();
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

function errorOf(res: Response, parsed: unknown): ApiError {
  if (isErrorBody(parsed)) {
    const b = parsed;
    return new ApiError(res.status, b.error.code, b.error.message, b.requestId ?? res.headers.get('x-request-id'), b.error.details);
  }
  return new ApiError(res.status, `HTTP_${res.status}`, res.statusText || 'The server answered with an error.', res.headers.get('x-request-id'));
}

/**
 * The session's CSRF token changes when the user signs in again (in another tab, say): asks the
 * server for the current one. False when there is none to be had.
 */
async function refreshCsrfToken(signal: AbortSignal | undefined): Promise<boolean> {
  const res = await send('/me', { signal });
  if (res.status === 401) reportUnauthenticated();
  if (!res.ok) return false;
  const me = (await readBody(res)) as { csrfToken?: unknown } | null;
  const token = typeof me?.csrfToken === 'string' ? me.csrfToken : null;
  setCsrfToken(token);
  return token !== null;
}

/** Sends the call (once more after a stale CSRF token); the status and parsed body (null when empty). */
async function call(path: string, opts: RequestOptions): Promise<{ status: number; body: unknown }> {
  let res = await send(path, opts);
  let parsed = await readBody(res);
  if (res.status === 403 && isErrorBody(parsed) && parsed.error.code === 'CSRF' && (await refreshCsrfToken(opts.signal))) {
    res = await send(path, opts);
    parsed = await readBody(res);
  }
  if (!res.ok) {
    if (res.status === 401 && !opts.authCall) reportUnauthenticated();
    throw errorOf(res, parsed);
  }
  return { status: res.status, body: parsed };
}

/** One API call: the parsed JSON body, or an ApiError (AbortError passes through untouched). */
export async function requestJson<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const { status, body } = await call(path, opts);
  if (body === null) throw new ApiError(status, 'INVALID_RESPONSE', 'The server answered with an empty or malformed body.');
  return body as T;
}

/**
 * A call whose answer is read as it arrives (server-sent events): the open response once the
 * server says yes, or an ApiError built from its JSON error body. Same CSRF handling as the rest.
 */
export async function requestStream(path: string, opts: RequestOptions = {}): Promise<Response> {
  const streamOpts: RequestOptions = { ...opts, headers: { accept: 'text/event-stream', ...opts.headers } };
  let res = await send(path, streamOpts);
  if (res.ok) return res;
  let parsed = await readBody(res);
  if (res.status === 403 && isErrorBody(parsed) && parsed.error.code === 'CSRF' && (await refreshCsrfToken(opts.signal))) {
    res = await send(path, streamOpts);
    if (res.ok) return res;
    parsed = await readBody(res);
  }
  if (res.status === 401 && !opts.authCall) reportUnauthenticated();
  throw errorOf(res, parsed);
}

/** A call the server answers with no body (204), such as sign-out. */
export async function requestEmpty(path: string, opts: RequestOptions = {}): Promise<void> {
  await call(path, opts);
}

const getJson = <T>(path: string, signal?: AbortSignal): Promise<T> => requestJson<T>(path, { signal });

/** GET /search: ranked results, understood constraints and facet counts. */
export function searchModels(params: URLSearchParams, signal?: AbortSignal): Promise<SearchResponse> {
  const qs = params.toString();
  return getJson<SearchResponse>(`/search${qs ? `?${qs}` : ''}`, signal);
}

/** GET /models/:slug: the model with every version and its lineage. */
export function getModel(slug: string, signal?: AbortSignal): Promise<ModelDetail> {
  return getJson<ModelDetail>(`/models/${encodeURIComponent(slug)}`, signal);
}

/** GET /models/:slug/versions/:version/files: the committed files of a version. */
export function getVersionFiles(slug: string, version: string, signal?: AbortSignal): Promise<{ items: VersionFile[] }> {
  return getJson<{ items: VersionFile[] }>(`/models/${encodeURIComponent(slug)}/versions/${encodeURIComponent(version)}/files`, signal);
}
