/**
 * A small client for the OCI Distribution API (the protocol of Docker Hub, Harbor, GHCR, ECR and
 * CNCF Distribution): streaming requests over node:http(s), anonymous, Basic and Bearer-token
 * authentication (the token flow of the Docker registry auth spec), redirects to blob storage.
 */
import http, { type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { AppError, isAppError } from '../../core/errors.js';

export interface OciClientOptions {
  /** Registry base URL, e.g. `https://registry.example.com` or `http://127.0.0.1:5000`. */
  url: string;
  username?: string;
  password?: string;
  /** Milliseconds to wait for response headers (a streaming body may take longer). */
  timeoutMs?: number;
}

export interface OciRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Absolute URL or a path on the registry (`/v2/...`). */
  target: string;
  headers?: OutgoingHttpHeaders;
  /** A Buffer (replayable) or a stream (sent once, chunked unless Content-Length is set). */
  body?: Buffer | Readable;
  /** Repository scope for token auth, e.g. `repository:garden/blobs:pull,push`. */
  scope: string;
}

const agentOpts = { keepAlive: true, maxSockets: 16 };
const agents = { http: new http.Agent(agentOpts), https: new https.Agent(agentOpts) };

export function createOciClient(opts: OciClientOptions) {
  const base = new URL(opts.url);
  const basic = opts.username ? `Basic ${Buffer.from(`${opts.username}:${opts.password ?? ''}`).toString('base64')}` : undefined;
  /** Authorization header per scope, learnt from the registry's 401 challenge. */
  const auth = new Map<string, string>();

  function send(url: URL, method: string, headers: OutgoingHttpHeaders, body?: Buffer | Readable): Promise<IncomingMessage> {
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request(url, { method, headers, agent: url.protocol === 'https:' ? agents.https : agents.http }, resolve);
      req.setTimeout(opts.timeoutMs ?? 60_000, () => req.destroy(new Error(`no answer from ${url.host} within ${opts.timeoutMs ?? 60_000} ms`)));
      req.on('error', (err) => reject(isAppError(err) ? err : unavailable(url, err)));
      if (!body) req.end();
      else if (Buffer.isBuffer(body)) req.end(body);
      else {
        body.on('error', (err) => req.destroy(err));
        body.pipe(req);
      }
    });
  }

  async function authorize(challenge: string, scope: string): Promise<string | undefined> {
    const [scheme = '', ...rest] = challenge.split(' ');
    if (scheme.toLowerCase() === 'basic') return basic;
    if (scheme.toLowerCase() !== 'bearer') return undefined;
    const params = Object.fromEntries([...rest.join(' ').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (!params.realm) return undefined;
    const tokenUrl = new URL(params.realm);
    if (params.service) tokenUrl.searchParams.set('service', params.service);
    tokenUrl.searchParams.set('scope', params.scope ?? scope);
    const res = await send(tokenUrl, 'GET', basic ? { authorization: basic } : {});
    const raw = await text(res);
    if (res.statusCode !== 200) throw new AppError('FORBIDDEN', `the registry's token service refused ${scope} (${res.statusCode})`);
    const json = JSON.parse(raw) as { token?: string; access_token?: string };
    const token = json.token ?? json.access_token;
    return token ? `Bearer ${token}` : undefined;
  }

  /**
   * Sends a request, authenticating on a 401 challenge and following redirects (blob storage
   * behind the registry). A streamed body cannot be replayed: callers send one only on a URL that
   * an earlier request of the same scope has already authorized (the upload session).
   */
  async function request(r: OciRequest): Promise<IncomingMessage> {
    let url = new URL(r.target, base);
    for (let attempt = 0; attempt < 5; attempt++) {
      const sameHost = url.host === base.host;
      const headers: OutgoingHttpHeaders = { ...r.headers };
      const a = auth.get(r.scope);
      if (a && sameHost) headers.authorization = a;
      const res = await send(url, r.method, headers, r.body);
      if (res.statusCode === 401 && sameHost && (r.body === undefined || Buffer.isBuffer(r.body)) && !a) {
        res.resume();
        const granted = await authorize(String(res.headers['www-authenticate'] ?? ''), r.scope);
        if (!granted) throw new AppError('FORBIDDEN', `the registry at ${base.host} wants credentials (set the OCI username and password)`);
        auth.set(r.scope, granted);
        continue;
      }
      if ([301, 302, 303, 307, 308].includes(res.statusCode ?? 0) && res.headers.location && (r.method === 'GET' || r.method === 'HEAD')) {
        res.resume();
        url = new URL(res.headers.location, url);
        continue;
      }
      return res;
    }
    throw new AppError('ADAPTER_UNAVAILABLE', `the registry at ${base.host} keeps redirecting or refusing ${r.method} ${r.target}`);
  }

  return { request, host: base.host };
}

export type OciClient = ReturnType<typeof createOciClient>;

function unavailable(url: URL, err: Error): AppError {
  return new AppError('ADAPTER_UNAVAILABLE', `the OCI registry at ${url.host} is not reachable: ${err.message}`, undefined, { cause: err });
}

/** Reads a registry error body (`{"errors":[{"code","message"}]}`) into a short text. */
export async function registryError(res: IncomingMessage): Promise<{ codes: string[]; message: string }> {
  const raw = await text(res).catch(() => '');
  try {
    const errors = (JSON.parse(raw) as { errors?: { code?: string; message?: string }[] }).errors ?? [];
    return { codes: errors.map((e) => e.code ?? ''), message: errors.map((e) => `${e.code}: ${e.message}`).join('; ') || `HTTP ${res.statusCode}` };
  } catch {
    return { codes: [], message: `HTTP ${res.statusCode} ${raw.slice(0, 200)}` };
  }
}
