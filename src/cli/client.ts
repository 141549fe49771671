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

export function createClient(config: ClientConfig) {
  async function request<T>(method: string, path: string, body?: string, contentType?: string): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (config.token) headers.authorization = `Bearer ${config.token}`;
    if (body !== undefined) headers['content-type'] = contentType ?? 'application/json';
    let res: Response;
    try {
      res = await fetch(`${config.url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    } catch (err) {
      const cause = (err as Error).cause;
      const why = cause instanceof Error ? cause.message : (err as Error).message;
      throw new ApiError(0, 'ADAPTER_UNAVAILABLE', `cannot reach Model Garden at ${config.url} (${why}); is it running? Set GARDEN_URL or --url.`);
    }
    const text = await res.text();
    let data: unknown = undefined;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON */
    }
    if (!res.ok) {
      const e = (data as { error?: { code?: string; message?: string; details?: unknown } } | undefined)?.error;
      throw new ApiError(res.status, e?.code ?? 'HTTP_' + res.status, e?.message ?? (text.slice(0, 200) || res.statusText), e?.details);
    }
    return data as T;
  }
  return {
    get: <T>(path: string) => request<T>('GET', path),
    post: <T>(path: string, body: string, contentType?: string) => request<T>('POST', path, body, contentType),
  };
}
export type Client = ReturnType<typeof createClient>;
