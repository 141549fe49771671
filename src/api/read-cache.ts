/**
 * A response cache for catalog reads. Entries are serialized JSON bodies with an ETag, keyed by
 * audience and URL. Every committed catalog write announces itself with NOTIFY (catalog
 * CATALOG_CHANNEL), and each replica drops its whole cache when it hears one; a lost listening
 * connection also clears it. A generation counter keeps a read that raced with a write from
 * storing its stale answer, and a short TTL bounds staleness should a notification ever be missed.
 *
 * The rule: the cache saves work, never a decision. On every request respond() first runs the
 * `authorize` step the cache was built with (for catalog reads: the read scope, or an anonymous
 * caller while the catalog is public), whether or not the answer is cached, so a credential
 * that may not read gets its 401/403 even right after a teammate loaded the page. Two callers
 * share an entry only when everything that shapes the answer is the same for both, which is what
 * the key's audience holds: what they may see (every version for reviewers and admins; else
 * published versions plus the drafts of their teams; anonymous callers only published ones) and
 * the scopes of their credential. The public-catalog setting is not in the key: it decides whether
 * anonymous callers pass `authorize` (checked on every request), not what they see. Per-object
 * decisions (a draft of another team is 404) happen in compute(), whose refusals are thrown and
 * never stored.
 */
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isAdmin, isReviewer, type Actor } from '../identity/index.js';

/** What shapes a cached answer besides the URL: visibility (role and teams) and the credential's scopes. */
function audience(a: Actor): string {
  const scopes = a.kind === 'user' ? [...a.scopes].sort().join(',') : a.kind;
  if (isAdmin(a) || isReviewer(a)) return `all ${scopes}`;
  if (a.kind !== 'user') return 'anonymous';
  return `teams:${[...a.teams.keys()].sort().join(',')} ${scopes}`;
}

export interface CachedBody {
  body: string;
  etag: string;
}

interface Entry extends CachedBody {
  expires: number;
}

export interface ReadCacheOptions {
  /** Whether the actor may read at all: throws (UNAUTHENTICATED, FORBIDDEN) before any lookup. */
  authorize: (actor: Actor) => Promise<void> | void;
  maxEntries?: number;
  ttlMs?: number;
  now?: () => number;
}

export function createReadCache(opts: ReadCacheOptions) {
  const maxEntries = opts.maxEntries ?? 1000;
  const ttlMs = opts.ttlMs ?? 30_000;
  const now = opts.now ?? Date.now;
  const entries = new Map<string, Entry>();
  let generation = 0;
  let hits = 0;
  let misses = 0;

  function get(key: string): CachedBody | undefined {
    const e = entries.get(key);
    if (!e || e.expires < now()) {
      if (e) entries.delete(key);
      misses++;
      return undefined;
    }
    // Map order is insertion order: re-insert to keep the most recently used last.
    entries.delete(key);
    entries.set(key, e);
    hits++;
    return e;
  }

  function set(key: string, gen: number, value: CachedBody): void {
    if (gen !== generation) return;
    entries.set(key, { ...value, expires: now() + ttlMs });
    if (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
  }

  function invalidate(): void {
    generation++;
    entries.clear();
  }

  /** Authorizes the caller, then answers a GET from the cache, or computes, caches and sends the JSON body. */
  async function respond(req: FastifyRequest, reply: FastifyReply, compute: () => Promise<unknown>): Promise<FastifyReply> {
    await opts.authorize(req.actor);
    const key = `${audience(req.actor)} ${req.url}`;
    let hit = get(key);
    if (!hit) {
      const gen = generation;
      const body = JSON.stringify(await compute());
      hit = { body, etag: `W/"${createHash('sha1').update(body).digest('base64url')}"` };
      set(key, gen, hit);
    }
    reply.header('etag', hit.etag).header('cache-control', 'no-cache');
    if (req.headers['if-none-match'] === hit.etag) return reply.code(304).send();
    return reply.type('application/json; charset=utf-8').send(hit.body);
  }

  return {
    get,
    set,
    invalidate,
    respond,
    get generation() {
      return generation;
    },
    stats: () => ({ entries: entries.size, hits, misses, generation }),
  };
}

export type ReadCache = ReturnType<typeof createReadCache>;
