/** Typed fetch wrappers for the Model Garden API. Failures become ApiError with the server's code. */
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
  method?: 'GET' | 'POST' | 'PATCH';
  /** Sent as JSON unless it is a Blob (raw bytes, with the content type given in `headers`). */
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal | undefined;
}

/** One API call: the parsed JSON body, or an ApiError (AbortError passes through untouched). */
export async function requestJson<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
  let body: BodyInit | undefined;
  if (opts.body instanceof Blob) body = opts.body;
  else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] = 'application/json';
  }
  let res: Response;
  try {
    res = await fetch(`${API_BASE}${path}`, {
      method: opts.method ?? 'GET',
      headers,
      ...(body !== undefined ? { body } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'NETWORK_ERROR', 'The Model Garden server could not be reached. Check your connection and try again.');
  }
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!res.ok) {
    if (isErrorBody(parsed)) {
      const b = parsed;
      throw new ApiError(res.status, b.error.code, b.error.message, b.requestId ?? res.headers.get('x-request-id'), b.error.details);
    }
    throw new ApiError(res.status, `HTTP_${res.status}`, res.statusText || 'The server answered with an error.', res.headers.get('x-request-id'));
  }
  if (parsed === null) throw new ApiError(res.status, 'INVALID_RESPONSE', 'The server answered with an empty or malformed body.');
  return parsed as T;
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
