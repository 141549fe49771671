import { describe, expect, it } from 'vitest';
import { createReadCache } from './read-cache.js';

const body = (b: string) => ({ body: b, etag: `"${b}"` });
const authorize = () => undefined;

describe('read cache', () => {
  it('does not store an answer computed before an invalidation', () => {
    const cache = createReadCache({ authorize });
    const gen = cache.generation;
    cache.invalidate(); // a write committed while the read was running
    cache.set('/a', gen, body('stale'));
    expect(cache.get('/a')).toBeUndefined();
    cache.set('/a', cache.generation, body('fresh'));
    expect(cache.get('/a')?.body).toBe('fresh');
  });

  it('expires entries after the TTL and evicts the least recently used', () => {
    let now = 0;
    const cache = createReadCache({ authorize, maxEntries: 2, ttlMs: 100, now: () => now });
    cache.set('/a', 0, body('a'));
    cache.set('/b', 0, body('b'));
    cache.get('/a');
    cache.set('/c', 0, body('c'));
    expect(cache.get('/b')).toBeUndefined();
    expect(cache.get('/a')?.body).toBe('a');
    now = 101;
    expect(cache.get('/a')).toBeUndefined();
  });
});
