/**
 * Bulk import of catalog entries (one per model version) from JSON or YAML. Each entry is written
 * in its own transaction: valid entries land, invalid ones are reported with a stable code, and no
 * entry is ever half-written. Importing the same file twice changes nothing.
 */
import { parseAllDocuments, type Document } from 'yaml';
import { requireAdmin, type Actor } from '../identity/index.js';
import { z } from 'zod';
import type { Db } from '../core/db/index.js';
import { AppError, isAppError, type ErrorCode } from '../core/errors.js';
import { CatalogEntry } from './model.js';
import type { CatalogService, UpsertOutcome } from './service.js';

export const MAX_IMPORT_ENTRIES = 10_000;

export const ImportReport = z.object({
  total: z.number(),
  created: z.number(),
  updated: z.number(),
  unchanged: z.number(),
  failed: z.number(),
  results: z.array(
    z.object({
      index: z.number(),
      slug: z.string().nullable(),
      version: z.string().nullable(),
      outcome: z.enum(['created', 'updated', 'unchanged', 'failed']),
      error: z
        .object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() })
        .optional(),
    }),
  ),
});
export type ImportReportT = z.infer<typeof ImportReport>;

/** Parses JSON or YAML text (one list, `{ entries: [...] }`, or several YAML documents). */
export function parseImportText(text: string): unknown[] {
  const trimmed = text.trimStart();
  let data: unknown;
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    try {
      data = JSON.parse(text);
    } catch (err) {
      throw new AppError('INVALID_INPUT', `malformed JSON: ${(err as Error).message}`);
    }
  } else {
    const docs = parseAllDocuments(text, { uniqueKeys: true });
    const list = Array.isArray(docs) ? docs : [docs];
    const problems = list.flatMap((d) => d.errors.map((e) => `${e.message.split('\n')[0]} (line ${e.linePos?.[0]?.line ?? '?'})`));
    if (problems.length) throw new AppError('INVALID_INPUT', `malformed YAML: ${problems[0]}`, { problems });
    const values = list.map(toValue).filter((v) => v !== null && v !== undefined);
    data = values.length === 1 ? values[0] : values.flat();
  }
  return entriesOf(data);
}

/** Largest number of alias expansions a YAML import may make (a "billion laughs" needs far more). */
const MAX_YAML_ALIASES = 100;

/**
 * One YAML document as data. The yaml library refuses, while building the value, an alias that
 * names no anchor and more alias expansions than MAX_YAML_ALIASES (an alias bomb); both are bad
 * input, reported like any other malformed YAML.
 */
function toValue(doc: Document.Parsed): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (err) {
    const message = (err as Error).message.split('\n')[0] ?? 'unreadable';
    throw new AppError('INVALID_INPUT', `malformed YAML: ${message}`, { problems: [message], maxAliasCount: MAX_YAML_ALIASES }, { cause: err });
  }
}

export function entriesOf(data: unknown): unknown[] {
  let entries: unknown;
  if (Array.isArray(data)) entries = data;
  else if (data && typeof data === 'object' && 'entries' in data) entries = (data).entries;
  else if (data && typeof data === 'object') entries = [data];
  if (!Array.isArray(entries)) throw new AppError('INVALID_INPUT', 'expected a list of catalog entries or { entries: [...] }');
  if (entries.length > MAX_IMPORT_ENTRIES) {
    throw new AppError('PAYLOAD_TOO_LARGE', `at most ${MAX_IMPORT_ENTRIES} entries per import`, { count: entries.length });
  }
  return entries;
}

function str(v: unknown, key: string): string | null {
  const x = v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
  return typeof x === 'string' ? x.slice(0, 200) : null;
}

export async function runImport(actor: Actor, db: Db, catalog: CatalogService, entries: unknown[]): Promise<ImportReportT> {
  requireAdmin(actor, 'import catalog entries');
  const report: ImportReportT = { total: entries.length, created: 0, updated: 0, unchanged: 0, failed: 0, results: [] };
  const seen = new Set<string>();
  for (const [index, raw] of entries.entries()) {
    const slug = str(raw, 'slug');
    const version = str(raw, 'version');
    const fail = (code: ErrorCode, message: string, details?: Record<string, unknown>) => {
      report.failed++;
      report.results.push({ index, slug, version, outcome: 'failed', error: { code, message, ...(details ? { details } : {}) } });
    };
    const parsed = CatalogEntry.safeParse(raw);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
      fail('INVALID_INPUT', issues.map((i) => `${i.path || '(entry)'}: ${i.message}`).join('; '), { issues });
      continue;
    }
    const key = `${parsed.data.slug}@${parsed.data.version}`;
    if (seen.has(key)) {
      fail('CONFLICT', `${key} appears more than once in this import`);
      continue;
    }
    seen.add(key);
    try {
      const outcome: UpsertOutcome = await db.transaction((tx) => catalog.upsertEntry(actor, tx, parsed.data));
      report[outcome]++;
      report.results.push({ index, slug, version, outcome });
    } catch (err) {
      if (!isAppError(err)) throw err;
      fail(err.code, err.message, err.details);
    }
  }
  return report;
}
