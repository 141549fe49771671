/**
 * Bulk bytes over node:http(s) for push and pull: fetch's web streams cost Node 20 about half
 * the throughput on loopback (measured in bench/upload.ts), so file bodies go through plain
 * streams with keep-alive connections; everything else uses fetch.
 */
import http, { type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';

const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

/** Sends `body` (exactly `length` bytes) and resolves with the response, body unread. */
export function sendStream(method: string, url: string, headers: OutgoingHttpHeaders, body: Readable, length: number): Promise<IncomingMessage> {
  return exchange(method, url, { ...headers, 'content-length': length }, body);
}

/** A GET whose body is read as a stream. */
export function getStream(url: string, headers: OutgoingHttpHeaders): Promise<IncomingMessage> {
  return exchange('GET', url, headers);
}

function exchange(method: string, url: string, headers: OutgoingHttpHeaders, body?: Readable): Promise<IncomingMessage> {
  const u = new URL(url);
  const secure = u.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request(u, { method, headers, agent: secure ? agents.https : agents.http }, resolve);
    req.on('error', reject);
    if (!body) req.end();
    else {
      body.on('error', (err) => req.destroy(err));
      body.pipe(req);
    }
  });
}

/** Reads a JSON response body. */
export async function readJson(res: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    return {};
  }
}
