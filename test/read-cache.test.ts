/**
 * The catalog read cache never serves an answer older than a committed write, and never serves
 * anyone the cache would not have let compute it: authorization runs on every request first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/api/app.js';
import { createServices } from '../src/api/services.js';
import { createLogger } from '../src/core/logger.js';
import { openDatabase, type Database } from '../src/core/db/index.js';
import { runImport } from '../src/catalog/index.js';
import { createTestDatabase, dbKinds, tempDataDir, withAuth } from './harness.js';
import { smallCatalog } from './factories.js';
import { systemActor } from '../src/identity/index.js';

const SYS = systemActor('test');

const until = async (check: () => Promise<boolean>, ms = 3000) => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return false;
};

describe.each(dbKinds())('read cache on %s', (kind) => {
  let reader: FastifyInstance;
  let writerDb: Database | null = null;
  let cleanup: () => Promise<void>;
  let writer: Awaited<ReturnType<typeof createServices>>;
  let services: Awaited<ReturnType<typeof createServices>>;
  let adminToken: string;

  beforeAll(async () => {
    const t = await createTestDatabase(kind);
    cleanup = t.cleanup;
    const token = `test-admin-${'r'.repeat(40)}`;
    adminToken = token;
    services = await createServices(t.database, { dataDir: tempDataDir(), adminToken: token });
    await services.identity.bootstrap();
    await runImport(SYS, t.database.db, services.catalog, smallCatalog());
    reader = withAuth(await buildApp({ services, logger: createLogger('silent'), webDir: '/nonexistent' }), token);
    // The writer is another "replica": on PostgreSQL its own connection pool; PGlite has one process.
    if (t.url) writerDb = await openDatabase({ url: t.url });
    writer = await createServices(writerDb ?? t.database, { dataDir: tempDataDir() });
  });
  afterAll(async () => {
    await reader?.close();
    await writerDb?.close();
    await cleanup?.();
  });

  it('serves repeated reads from the cache, with an ETag that revalidates', async () => {
    const a = await reader.inject('/api/v1/models/contract-summarizer');
    const b = await reader.inject('/api/v1/models/contract-summarizer');
    expect(b.body).toBe(a.body);
    expect(a.headers.etag).toBeTruthy();
    const c = await reader.inject({ url: '/api/v1/models/contract-summarizer', headers: { 'if-none-match': String(a.headers.etag) } });
    expect(c.statusCode).toBe(304);
  });

  it('shows a write made through the API on the next read', async () => {
    const before = (await reader.inject('/api/v1/models/whisper-small-callcenter')).json();
    expect(before.description).not.toBe('Updated through the API.');
    await reader.inject({ method: 'PATCH', url: '/api/v1/models/whisper-small-callcenter', payload: { description: 'Updated through the API.' } });
    expect((await reader.inject('/api/v1/models/whisper-small-callcenter')).json().description).toBe('Updated through the API.');
  });

  it('drops cached answers when another process commits a change', async () => {
    const list = await reader.inject('/api/v1/search?q=japanese%20ner');
    expect(list.json().items[0].name).toBe('BERT NER Japanese');
    await writer.catalog.updateModel(SYS, 'bert-ner-japanese', { name: 'BERT NER Japanese v2' });
    const seen = await until(async () => (await reader.inject('/api/v1/search?q=japanese%20ner')).json().items[0]?.name === 'BERT NER Japanese v2');
    expect(seen).toBe(true);
  });

  it('refuses a token without the read scope the pages a teammate just loaded (403, not the cached 200)', async () => {
    const admin = (await services.identity.resolveToken(adminToken, 'test'))!;
    for (const u of ['tm-reader', 'tm-deployer']) {
      await services.identity.createUser(SYS, { username: u });
      await services.identity.addMembership(SYS, 'legal-ml', u, 'contributor');
    }
    const mint = async (username: string, scopes: ('read' | 'write' | 'deploy')[]) => (await services.identity.createToken(admin, { name: 'cache', scopes, expiresInDays: 1, username })).token;
    const as = (token: string) => ({ authorization: `Bearer ${token}` });
    const readToken = await mint('tm-reader', ['read', 'write', 'deploy']);
    const deployToken = await mint('tm-deployer', ['write', 'deploy']);
    for (const url of ['/api/v1/models/contract-summarizer', '/api/v1/models/contract-summarizer/versions', '/api/v1/models/contract-summarizer/versions/2.0.0', '/api/v1/models?limit=5', '/api/v1/search?q=contract']) {
      const first = await reader.inject({ url, headers: as(readToken) });
      expect([url, first.statusCode]).toEqual([url, 200]);
      const refused = await reader.inject({ url, headers: as(deployToken) });
      expect([url, refused.statusCode, refused.json<{ error: { code: string } }>().error.code]).toEqual([url, 403, 'FORBIDDEN']);
      // Nor does a matching ETag turn the refusal into a 304.
      const revalidated = await reader.inject({ url, headers: { ...as(deployToken), 'if-none-match': String(first.headers.etag) } });
      expect([url, revalidated.statusCode]).toEqual([url, 403]);
    }
  });

  it('stops serving anonymous callers from the cache once the catalog is no longer public, whoever changed the setting', async () => {
    const admin = (await services.identity.resolveToken(adminToken, 'test'))!;
    const anonymous = { authorization: undefined };
    await services.identity.setPublicCatalog(admin, true);
    expect((await reader.inject({ url: '/api/v1/models/bert-ner-japanese', headers: anonymous })).statusCode).toBe(200);
    // Another replica turns it off: nothing tells this one's cache, but the 5 s setting cache ends.
    await writer.identity.setPublicCatalog(admin, false);
    await new Promise((r) => setTimeout(r, 5200));
    expect((await reader.inject({ url: '/api/v1/models/bert-ner-japanese', headers: anonymous })).statusCode).toBe(401);
  }, 20_000);
});
