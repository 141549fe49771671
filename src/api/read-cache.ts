/**
 * A response cache for catalog reads. Entries are serialized JSON bodies with an ETag, keyed by
 * URL. Every committed catalog write announces itself with NOTIFY (catalog CATALOG_CHANNEL), and
 * each replica drops its whole cache when it hears one; a lost listening connection also clears
 * it. A generation counter keeps a read that raced with a write from storing its stale answer,
 * and a short TTL bounds staleness should a notification ever be missed.
 */
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isAdmin, isReviewer, type Actor } from '../identity/index.js';

/** Callers who see the same catalog share cache entries: visibility depends on role and teams only. */
function audience(a: Actor): string {
  if (isAdmin(a) || isReviewer(a)) return 'all';
  if (a.kind !== 'user') return 'anonymous';
  return `teams:${[...a.teams.keys()].sort().join(',')}`;
}

export interface CachedBody {
  body: string;
  etag: string;
}

interface Entry extends CachedBody {
  expires: number;
}

export interface ReadCacheOptions {
  maxEntries?: number;
  ttlMs?: number;
  now?: () => number;
}

export function createReadCache(opts: ReadCacheOptions = {}) {
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

  /** Answers a GET from the cache, or computes, caches and sends the JSON body. */
  async function respond(req: FastifyRequest, reply: FastifyReply, compute: () => Promise<unknown>): Promise<FastifyReply> {
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
