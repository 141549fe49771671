import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { sql, type SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import PgBoss from 'pg-boss';
import { AppError } from '../errors.js';
import { MIGRATIONS_DIR } from '../paths.js';
import * as schema from './schema.js';

export { schema };
export type Schema = typeof schema;
/** One Drizzle type for both drivers: services never know which database they run on. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
/** A transaction handle has the same query API as the database. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type DbKind = 'pglite' | 'postgres';

export interface Database {
  db: Db;
  kind: DbKind;
  migrate(): Promise<void>;
  /**
   * Raw parameterized SQL ($1, $2…) outside any Drizzle transaction (the job queue's driver);
   * without values the text may hold several statements.
   */
  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
  /** Tag of the newest applied migration, e.g. "0001_search_indexes". */
  schemaVersion(): Promise<string>;
  ping(): Promise<void>;
  /**
   * Calls `onEvent` for every NOTIFY on `channel` (from any process sharing the database), and
   * with `reconnected` after a lost listening connection came back (events may have been missed).
   */
  listen(channel: string, onEvent: (e: { payload: string } | { reconnected: true }) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

function migrationsFolder(): string {
  return MIGRATIONS_DIR;
}

interface Journal {
  entries: { idx: number; tag: string; when: number }[];
}

function readJournal(folder: string): Journal {
  return JSON.parse(readFileSync(path.join(folder, 'meta/_journal.json'), 'utf8')) as Journal;
}

async function schemaVersionOf(db: Db, folder: string): Promise<string> {
  const journal = readJournal(folder);
  const rows = await queryRows<{ created_at: string | number }>(
    db,
    sql`SELECT created_at FROM drizzle.__drizzle_migrations ORDER BY created_at DESC LIMIT 1`,
  );
  const last = Number(rows[0]?.created_at ?? NaN);
  return journal.entries.find((e) => e.when === last)?.tag ?? 'none';
}

/** Runs raw SQL and returns its rows; both drivers answer with `{ rows }`. */
export async function queryRows<T>(db: Db | Tx, query: SQL): Promise<T[]> {
  const result: unknown = await db.execute(query);
  return (result as { rows: T[] }).rows;
}

/** Advisory lock key held while migrating PostgreSQL: replicas starting together migrate one at a time. */
export const MIGRATION_LOCK = 0x6761_7264_656e; // "garden"

/**
 * PGlite serves one process per data folder: a second process opening it does not fail but
 * silently loses writes (each process keeps its own copy and the last to close wins). A lock
 * file with the owner's pid refuses the second process with a clear error; a lock whose process
 * is gone (a crash, SIGKILL) is taken over.
 */
function lockDataDir(root: string): () => void {
  const file = path.join(root, 'db.lock');
  const own = `${process.pid}\n`;
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(file, own, { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new AppError('CONFLICT', `the database in ${path.join(root, 'db')} is in use by process ${pid}: the embedded database serves one process at a time (stop it, or use PostgreSQL with GARDEN_DATABASE_URL to run several)`, { pid, lockFile: file });
      }
      unlinkSync(file); // left by a process that is gone (or by this one)
    }
  }
  return () => {
    try {
      if (readFileSync(file, 'utf8') === own) unlinkSync(file);
    } catch {
      /* already gone */
    }
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface OpenOptions {
  /** postgres://… selects a PostgreSQL server; otherwise PGlite in `dataDir`. */
  url?: string | undefined;
  dataDir?: string | undefined;
  /** PGlite only: open an in-memory database (tests). */
  memory?: boolean;
}

export async function openDatabase(options: OpenOptions): Promise<Database> {
  const folder = migrationsFolder();
  if (options.url) {
    const pool = new pg.Pool({ connectionString: options.url, max: 10 });
    pool.on('error', () => {
      /* idle client errors surface on the next query; do not crash the process */
    });
    const db = drizzlePg(pool, { schema }) as unknown as Db;
    const listeners = new Set<() => Promise<void>>();
    const executeSql = async (text: string, values: unknown[] = []) => ({ rows: (await pool.query(text, values)).rows as unknown[] });
    return {
      db,
      kind: 'postgres',
      executeSql,
      migrate: async () => {
        // Replicas start together: without the lock two migrators both see an empty history and
        // the second fails half-way (duplicate tables) or applies a migration twice.
        const lock = await pool.connect();
        try {
          await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
          try {
            await migratePg(drizzlePg(pool), { migrationsFolder: folder });
            await installJobSchema(executeSql);
          } finally {
            await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
          }
        } finally {
          lock.release();
        }
      },
      schemaVersion: () => schemaVersionOf(db, folder),
      ping: async () => {
        await pool.query('SELECT 1');
      },
      listen: async (channel, onEvent) => {
        const stop = await listenPg(options.url as string, channel, onEvent);
        listeners.add(stop);
        return async () => {
          listeners.delete(stop);
          await stop();
        };
      },
      close: async () => {
        await Promise.all([...listeners].map((stop) => stop()));
        await pool.end();
      },
    };
  }
  let dataDir: string | undefined;
  let unlock = () => undefined as void;
  if (!options.memory) {
    if (!options.dataDir) throw new AppError('INVALID_INPUT', 'dataDir is required for PGlite');
    dataDir = path.join(options.dataDir, 'db');
    mkdirSync(dataDir, { recursive: true });
    unlock = lockDataDir(options.dataDir);
  }
  let client: PGlite;
  try {
    client = await PGlite.create(dataDir ? { dataDir, extensions: { pg_trgm } } : { extensions: { pg_trgm } });
  } catch (err) {
    unlock();
    throw err;
  }
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  const executeSql = async (text: string, values: unknown[] = []) => {
    if (values.length === 0) {
      const results = await client.exec(text);
      return { rows: (results[results.length - 1]?.rows ?? []) as unknown[] };
    }
    return { rows: (await client.query(text, values)).rows };
  };
  return {
    db,
    kind: 'pglite',
    executeSql,
    migrate: async () => {
      await migratePglite(drizzlePglite(client), { migrationsFolder: folder });
      await installJobSchema(executeSql);
    },
    schemaVersion: () => schemaVersionOf(db, folder),
    ping: async () => {
      await client.query('SELECT 1');
    },
    listen: async (channel, onEvent) => {
      const unlisten = await client.listen(channel, (payload) => onEvent({ payload }));
      return async () => {
        if (!client.closed) await unlisten();
      };
    },
    close: async () => {
      try {
        await client.close();
      } finally {
        unlock();
      }
    },
  };
}

/** The job queue's tables (pg-boss, schema "pgboss"), created with the rest of the schema. */
async function installJobSchema(executeSql: Database['executeSql']): Promise<void> {
  const { rows } = await executeSql(`SELECT to_regclass('pgboss.version') IS NOT NULL AS present`);
  if ((rows[0] as { present?: boolean } | undefined)?.present) return;
  await executeSql(PgBoss.getConstructionPlans(JOB_SCHEMA));
}

export const JOB_SCHEMA = 'pgboss';

/** A dedicated LISTEN connection that reconnects (every second) until stopped. */
async function listenPg(
  url: string,
  channel: string,
  onEvent: (e: { payload: string } | { reconnected: true }) => void,
): Promise<() => Promise<void>> {
  let stopped = false;
  let client: pg.Client | null = null;
  let retry: NodeJS.Timeout | undefined;
  const connect = async (isReconnect: boolean): Promise<void> => {
    const c = new pg.Client({ connectionString: url });
    c.on('notification', (n) => {
      if (n.channel === channel) onEvent({ payload: n.payload ?? '' });
    });
    c.on('error', () => undefined);
    c.on('end', () => {
      client = null;
      scheduleRetry();
    });
    await c.connect();
    await c.query(`LISTEN "${channel.replace(/"/g, '')}"`);
    client = c;
    if (isReconnect) onEvent({ reconnected: true });
  };
  const scheduleRetry = () => {
    if (stopped) return;
    clearTimeout(retry);
    retry = setTimeout(() => void connect(true).catch(scheduleRetry), 1000);
  };
  await connect(false);
  return async () => {
    stopped = true;
    clearTimeout(retry);
    await client?.end().catch(() => undefined);
  };
}
