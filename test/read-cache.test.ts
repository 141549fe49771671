/** The catalog read cache never serves an answer older than a committed write. */
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

  beforeAll(async () => {
    const t = await createTestDatabase(kind);
    cleanup = t.cleanup;
    const token = `test-admin-${'r'.repeat(40)}`;
    const services = await createServices(t.database, { dataDir: tempDataDir(), adminToken: token });
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
});
