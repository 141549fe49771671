/** A small HTTP client for CLI commands that talk to a running server. */
import type { ClientConfig } from '../core/config.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** The error for a server that could not be reached at all. */
export function unreachable(url: string, err: unknown): ApiError {
  const cause = (err as Error).cause;
  const why = cause instanceof Error ? cause.message : (err as Error).message;
  return new ApiError(0, 'ADAPTER_UNAVAILABLE', `cannot reach Model Garden at ${url} (${why}); is it running? Set GARDEN_URL or --url.`);
}

/** The answer's body when the status is 2xx; otherwise the server's error (or `fallback`) as ApiError. */
export function answer<T>(status: number, data: unknown, fallback: string): T {
  if (status < 200 || status >= 300) {
    const e = (data as { error?: { code?: string; message?: string; details?: unknown } } | undefined)?.error;
    throw new ApiError(status, e?.code ?? `HTTP_${status}`, e?.message ?? fallback, e?.details);
  }
  return data as T;
}

export function createClient(config: ClientConfig) {
  async function request<T>(method: string, path: string, body?: string, contentType?: string): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (config.token) headers.authorization = `Bearer ${config.token}`;
    if (body !== undefined) headers['content-type'] = contentType ?? 'application/json';
    let res: Response;
    try {
      res = await fetch(`${config.url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    } catch (err) {
      throw unreachable(config.url, err);
    }
    const text = await res.text();
    let data: unknown = undefined;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON */
    }
    return answer<T>(res.status, data, text.slice(0, 200) || res.statusText);
  }
  return {
    get: <T>(path: string) => request<T>('GET', path),
    post: <T>(path: string, body: string, contentType?: string) => request<T>('POST', path, body, contentType),
    /** Any method with a JSON body (or none). */
    send: <T>(method: string, path: string, body?: unknown) => request<T>(method, path, body === undefined ? undefined : JSON.stringify(body)),
    /** The raw answer (exports): throws ApiError unless 2xx. */
    async stream(path: string): Promise<Response> {
      const headers: Record<string, string> = {};
      if (config.token) headers.authorization = `Bearer ${config.token}`;
      let res: Response;
      try {
        res = await fetch(`${config.url}${path}`, { headers });
      } catch (err) {
        throw unreachable(config.url, err);
      }
      if (!res.ok) {
        const text = await res.text();
        let data: unknown;
        try {
          data = JSON.parse(text);
        } catch {
          data = undefined;
        }
        answer(res.status, data, text.slice(0, 200) || res.statusText);
      }
      return res;
    },
  };
}
export type Client = ReturnType<typeof createClient>;
