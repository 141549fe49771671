/**
 * Prepares migrated template databases once per test run: a PGlite data folder that each test
 * file copies (creating a PGlite database takes seconds), and, when a PostgreSQL server is
 * available (GARDEN_TEST_DATABASE_URL, or one started here from the machine's binaries), a
 * template database that each test file clones with CREATE DATABASE … TEMPLATE.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../src/core/db/index.js';
import { ROOT } from '../src/core/paths.js';
import { missingService, postgresBinDir } from './services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplate: string;
    postgresUrl: string | null;
  }
}

async function postgresServer(): Promise<string | null> {
  if (process.env.GARDEN_TEST_DATABASE_URL) return process.env.GARDEN_TEST_DATABASE_URL;
  if (!postgresBinDir()) {
    missingService('postgres', 'no PostgreSQL binaries under /usr/lib/postgresql and GARDEN_TEST_DATABASE_URL is not set');
    return null;
  }
  const out = execFileSync('bash', [path.join(ROOT, 'scripts/start-postgres.sh'), '55433'], { encoding: 'utf8' });
  return out.trim().split('\n').pop() ?? null;
}

export default async function setup(project: TestProject) {
  const dir = mkdtempSync(path.join(tmpdir(), 'garden-template-'));
  const lite = await openDatabase({ dataDir: dir });
  await lite.migrate();
  await lite.close();
  project.provide('pgliteTemplate', path.join(dir, 'db'));

  const url = await postgresServer();
  if (url) {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query('DROP DATABASE IF EXISTS garden_template WITH (FORCE)');
    await admin.query('CREATE DATABASE garden_template');
    await admin.end();
    const tpl = new URL(url);
    tpl.pathname = '/garden_template';
    const db = await openDatabase({ url: tpl.toString() });
    await db.migrate();
    await db.close();
  }
  project.provide('postgresUrl', url);
  return () => rmSync(dir, { recursive: true, force: true });
}
