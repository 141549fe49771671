/**
 * Search latency and list throughput at 1k / 10k / 100k catalog entries, on PGlite and PostgreSQL.
 *   npx tsx bench/search.ts [--sizes 1000,10000,100000] [--db pglite,postgres] [--seconds 5]
 * PostgreSQL: GARDEN_BENCH_DATABASE_URL, or a server started from the machine's binaries.
 * Prints one table row per (database, size): search p50/p95 (in-process service call, facets
 * included, no cache), HTTP req/s of GET /api/v1/models?limit=20 (read cache on, as in production)
 * and of a trivial JSON route (/healthz) in the same run, their ratio, and the list route with the
 * read cache off. Load: autocannon, 10 connections, loopback.
 */
import { requireReader, systemActor } from '../src/identity/index.js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { buildApp } from '../src/api/app.js';
import { createServices } from '../src/api/services.js';
import { createReadCache } from '../src/api/read-cache.js';
import { openDatabase, type Database } from '../src/core/db/index.js';
import { createLogger } from '../src/core/logger.js';
import { ROOT } from '../src/core/paths.js';
import { SearchQuery } from '../src/search/index.js';

const BENCH_ACTOR = systemActor('bench');
import { generateCatalog } from './generate.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? dflt) : dflt;
};
const sizes = arg('sizes', '1000,10000,100000').split(',').map(Number);
const kinds = arg('db', 'pglite,postgres').split(',');
const seconds = Number(arg('seconds', '5'));

const QUERIES: Record<string, unknown>[] = [
  { q: 'summarize legal contracts' },
  { q: 'japanese entity extraction' },
  { q: 'speech to text under 8GB' },
  { q: 'code review model that fits on one A10' },
  { q: 'retrieval embeddings' },
  { q: 'sumarization' },
  { q: 'production-ready translation' },
  { q: 'fraud risk finance', maturity: ['production'] },
  { task: ['summarization'], cpu: 'true' },
  { domain: ['legal', 'finance'], fitsInGb: '24' },
  { q: 'invoice document layout', sort: 'updated' },
  { q: 'gen-legal' },
];

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

async function postgresUrl(): Promise<string> {
  const base = process.env.GARDEN_BENCH_DATABASE_URL ?? execFileSync('bash', [path.join(ROOT, 'scripts/start-postgres.sh'), '55440'], { encoding: 'utf8' }).trim().split('\n').pop()!;
  return base;
}

async function openFresh(kind: string, size: number): Promise<{ database: Database; cleanup(): Promise<void> }> {
  if (kind === 'pglite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'garden-bench-'));
    const database = await openDatabase({ dataDir: dir });
    return { database, cleanup: async () => { await database.close(); rmSync(dir, { recursive: true, force: true }); } };
  }
  const url = await postgresUrl();
  const name = `garden_bench_${size}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(url);
  u.pathname = `/${name}`;
  const database = await openDatabase({ url: u.toString() });
  return { database, cleanup: () => database.close() };
}

async function load(url: string, secs: number): Promise<number> {
  const r = await autocannon({ url, connections: 10, duration: secs });
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${url}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return r.requests.average;
}

const rows: string[] = [];
for (const kind of kinds) {
  for (const size of sizes) {
    const { database, cleanup } = await openFresh(kind, size);
    await database.migrate();
    const t0 = Date.now();
    await generateCatalog(database.db, size);
    const loadSecs = (Date.now() - t0) / 1000;
    const services = await createServices(database, { dataDir: mkdtempSync(path.join(tmpdir(), 'garden-bench-data-')) });
    const params = QUERIES.map((q) => SearchQuery.parse({ limit: 20, ...q }));
    for (const p of params) await services.search.search(BENCH_ACTOR, p, { facets: true }); // warm-up
    const times: number[] = [];
    const perQuery = params.map(() => [] as number[]);
    const rounds = size >= 100_000 ? 5 : 20;
    for (let r = 0; r < rounds; r++) {
      for (const [i, p] of params.entries()) {
        const s = performance.now();
        await services.search.search(BENCH_ACTOR, p, { facets: true });
        const ms = performance.now() - s;
        times.push(ms);
        perQuery[i]?.push(ms);
      }
    }
    if (process.argv.includes('--verbose')) {
      for (const [i, q] of QUERIES.entries()) {
        console.log(`   ${JSON.stringify(q).padEnd(60)} p50 ${pct(perQuery[i] ?? [], 50).toFixed(1)}  p95 ${pct(perQuery[i] ?? [], 95).toFixed(1)} ms`);
      }
    }
    const app = await buildApp({ services, logger: createLogger('silent'), webDir: '/nonexistent' });
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const listRps = await load(`${address}/api/v1/models?limit=20`, seconds);
    const trivialRps = await load(`${address}/healthz`, seconds);
    await app.close();
    // The same list route with the read cache off: every request goes to the database.
    const uncached = await buildApp({
      services: { ...services, readCache: createReadCache({ authorize: (a) => requireReader(a, services.identity.publicCatalog), maxEntries: 0 }) },
      logger: createLogger('silent'),
      webDir: '/nonexistent',
    });
    const uncachedAddress = await uncached.listen({ port: 0, host: '127.0.0.1' });
    const uncachedRps = await load(`${uncachedAddress}/api/v1/models?limit=20`, seconds);
    await uncached.close();
    await cleanup();
    const row = `| ${kind} | ${size.toLocaleString('en')} | ${pct(times, 50).toFixed(1)} | ${pct(times, 95).toFixed(1)} | ${Math.round(listRps)} | ${Math.round(trivialRps)} | ${(listRps / trivialRps).toFixed(2)} | ${Math.round(uncachedRps)} | ${loadSecs.toFixed(1)} |`;
    console.log(row);
    rows.push(row);
  }
}
console.log('\n| database | entries | search p50 ms | search p95 ms | list req/s | trivial req/s | list/trivial | list req/s, cache off | generate s |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) console.log(r);
