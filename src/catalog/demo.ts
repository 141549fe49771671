/**
 * The demo catalog loaded on first start of an embedded installation, so a new user sees a real
 * catalog. Loaded once: a settings row remembers it, so deleting demo models does not bring them back.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { schema, type Db } from '../core/db/index.js';
import { ROOT } from '../core/paths.js';
import { parseImportText, runImport, type ImportReportT } from './import.js';
import type { CatalogService } from './service.js';
import { systemActor } from '../identity/index.js';

export const DEMO_CATALOG_FILE = path.join(ROOT, 'src', 'catalog', 'demo', 'demo-catalog.yaml');
const MARKER = 'demo_catalog_loaded';

export async function loadDemoCatalogOnce(db: Db, catalog: CatalogService): Promise<ImportReportT | null> {
  const [done] = await db.select().from(schema.settings).where(eq(schema.settings.key, MARKER));
  if (done) return null;
  const report = await runImport(systemActor('demo-catalog'), db, catalog, parseImportText(readFileSync(DEMO_CATALOG_FILE, 'utf8')));
  await db.insert(schema.settings).values({ key: MARKER, value: new Date().toISOString() }).onConflictDoNothing();
  return report;
}
