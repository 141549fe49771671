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
import { hasRegistry, missingService, postgresBinDir } from './services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplate: string;
    postgresUrl: string | null;
    postgresTemplate: string;
    ociUrl: string | null;
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

/** An OCI registry for the OCI artifact store tier: GARDEN_TEST_OCI_URL, or Debian's docker-registry. */
function ociRegistry(): string | null {
  if (process.env.GARDEN_TEST_OCI_URL) return process.env.GARDEN_TEST_OCI_URL;
  if (!hasRegistry()) {
    missingService('oci', 'docker-registry is not installed (apt-get install docker-registry) and GARDEN_TEST_OCI_URL is not set');
    return null;
  }
  const out = execFileSync('bash', [path.join(ROOT, 'scripts/start-registry.sh'), '55001'], { encoding: 'utf8' });
  return out.trim().split('\n').pop() ?? null;
}

export default async function setup(project: TestProject) {
  const dir = mkdtempSync(path.join(tmpdir(), 'garden-template-'));
  const lite = await openDatabase({ dataDir: dir });
  await lite.migrate();
  await lite.close();
  project.provide('pgliteTemplate', path.join(dir, 'db'));

  const url = await postgresServer();
  // One template per run, so runs sharing a server (two terminals, an editor) never collide.
  const template = `garden_template_${process.pid}`;
  const admin = async (query: string) => {
    const c = new pg.Client({ connectionString: url ?? '' });
    await c.connect();
    try {
      await c.query(query);
    } finally {
      await c.end();
    }
  };
  if (url) {
    await admin(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
    await admin(`CREATE DATABASE ${template}`);
    const tpl = new URL(url);
    tpl.pathname = `/${template}`;
    const db = await openDatabase({ url: tpl.toString() });
    await db.migrate();
    await db.close();
  }
  project.provide('postgresUrl', url);
  project.provide('postgresTemplate', template);
  project.provide('ociUrl', ociRegistry());
  return async () => {
    rmSync(dir, { recursive: true, force: true });
    if (url) await admin(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
  };
}
