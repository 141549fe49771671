/** Test databases and services on real PGlite and real PostgreSQL, copied from migrated templates. */
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { FastifyInstance } from 'fastify';
import { inject } from 'vitest';
import { createServices, type ServiceOptions, type Services } from '../src/api/services.js';
import { openDatabase, type Database, type DbKind } from '../src/core/db/index.js';

/** The database kinds this run can test: PGlite always, PostgreSQL when a server is available. */
export function dbKinds(): DbKind[] {
  return inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];
}

export interface TestDb {
  database: Database;
  /** PostgreSQL only: the URL of this test's database, for a second connection. */
  url?: string;
  cleanup(): Promise<void>;
}

export async function createTestDatabase(kind: DbKind): Promise<TestDb> {
  if (kind === 'pglite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'garden-test-'));
    cpSync(inject('pgliteTemplate'), path.join(dir, 'db'), { recursive: true });
    const database = await openDatabase({ dataDir: dir });
    return {
      database,
      cleanup: async () => {
        await database.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const url = inject('postgresUrl');
  if (!url) throw new Error('no PostgreSQL server for this run');
  const name = `garden_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} TEMPLATE ${inject('postgresTemplate')}`);
  await admin.end();
  const u = new URL(url);
  u.pathname = `/${name}`;
  const database = await openDatabase({ url: u.toString() });
  return {
    database,
    url: u.toString(),
    cleanup: async () => {
      await database.close();
      const a = new pg.Client({ connectionString: url });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

/** A temporary data folder (blobs, uploads) for services in tests. */
export const tempDataDir = () => mkdtempSync(path.join(tmpdir(), 'garden-data-'));

export interface TestServices {
  services: Services;
  dataDir: string;
  /** A token acting as the bootstrap admin (`admin`), as GARDEN_ADMIN_TOKEN would. */
  adminToken: string;
  cleanup(): Promise<void>;
}

export async function createTestServices(kind: DbKind, opts: Partial<ServiceOptions> = {}): Promise<TestServices> {
  const t = await createTestDatabase(kind);
  const dataDir = tempDataDir();
  const adminToken = `test-admin-${randomBytes(24).toString('hex')}`;
  const services = await createServices(t.database, { ...opts, dataDir, adminToken });
  await services.identity.bootstrap();
  return {
    services,
    dataDir,
    adminToken,
    cleanup: async () => {
      await services.deployments.settle();
      await services.runner.close();
      await services.jobs.stop();
      await t.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

type InjectArg = string | { url?: string; headers?: Record<string, unknown>; [k: string]: unknown };

/**
 * Makes `app.inject` send `Authorization: Bearer <token>` unless the request sets its own
 * authorization header (an explicit `authorization: undefined` sends none: an anonymous call).
 */
export function withAuth<T extends FastifyInstance>(app: T, token: string): T {
  const inject = app.inject.bind(app) as (o: InjectArg) => unknown;
  const patched = (o: InjectArg) => {
    const opts = typeof o === 'string' ? { url: o } : o;
    const headers = opts.headers ?? {};
    const own = Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined));
    return inject({ ...opts, headers: 'authorization' in headers ? own : { ...headers, authorization: `Bearer ${token}` } });
  };
  Object.defineProperty(app, 'inject', { value: patched, configurable: true, writable: true });
  return app;
}
