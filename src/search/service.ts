/**
 * Catalog search and listing: PostgreSQL full-text search with weights, trigram similarity for
 * misspellings, exact matches first, constraints read from the query text, facet filters as hard
 * constraints, and disjunctive facet counts (each facet counted as if its own filter were off).
 * The same SQL runs on PGlite and PostgreSQL.
 */
import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type Db } from '../core/db/index.js';
import { AppError } from '../core/errors.js';
import { SUMMARY_COLUMNS, SUMMARY_FROM, toSummary, type ModelSummaryT, type SummaryRow } from '../catalog/index.js';
import { decodeCursor, encodeCursor, fingerprint } from './cursor.js';
import {
  CONTEXT_BUCKETS,
  GPU_BUCKETS_GB,
  VALUE_FACETS,
  VALUE_FACET_NAMES,
  valueCondition,
  type Filters,
  type ValueFacetName,
} from './facets.js';
import type { SearchQueryT, Sort } from './params.js';
import { parseQuery, type ParsedQuery, type QueryConstraint } from './query-parser.js';
import { textMatch } from './text-match.js';

export interface FacetCount {
  value: string;
  count: number;
}

export interface SearchResult {
  query: Pick<ParsedQuery, 'text' | 'residual' | 'terms' | 'tasks' | 'constraints'> | null;
  items: (ModelSummaryT & { score: number | null })[];
  total: number;
  nextCursor: string | null;
  facets: Record<string, FacetCount[]> | null;
  /** Set when the result needs explaining: nothing matched, or only some words matched. */
  message: string | null;
  relaxed: boolean;
}

function filtersOf(p: SearchQueryT): Filters {
  const values: Filters['values'] = {};
  for (const name of VALUE_FACET_NAMES) {
    const v = p[name];
    if (v && v.length) values[name] = [...new Set(v)];
  }
  return { values, fitsInGb: p.fitsInGb, cpu: p.cpu, minContext: p.minContext };
}

function validateFacetValues(filters: Filters): void {
  for (const [name, values] of Object.entries(filters.values) as [ValueFacetName, string[]][]) {
    const allowed = (VALUE_FACETS[name] as { values?: readonly string[] }).values;
    const unknown = allowed ? values.filter((v) => !allowed.includes(v)) : [];
    if (unknown.length) {
      throw new AppError('UNKNOWN_FACET', `unknown ${name} value ${unknown.map((u) => `"${u}"`).join(', ')}`, {
        facet: name,
        unknown,
        allowed,
      });
    }
  }
}

/** Conditions on the columns of the `base` CTE, one per active filter. */
function filterConditions(filters: Filters): Map<string, SQL> {
  const out = new Map<string, SQL>();
  for (const [name, values] of Object.entries(filters.values) as [ValueFacetName, string[]][]) {
    out.set(name, valueCondition(name, values));
  }
  if (filters.fitsInGb !== undefined) out.set('fitsInGb', sql`b.min_gpu_memory_gb <= ${filters.fitsInGb}`);
  if (filters.cpu !== undefined) out.set('cpu', sql`b.cpu_inference = ${filters.cpu}`);
  if (filters.minContext !== undefined) out.set('minContext', sql`b.context_length >= ${filters.minContext}`);
  return out;
}

/** Hard conditions read from the query text, on aliases m/t/v. */
function constraintCondition(c: QueryConstraint): SQL {
  switch (c.kind) {
    case 'maxGpuMemoryGb':
      return sql`v.min_gpu_memory_gb <= ${Number(c.value)}`;
    case 'cpuOnly':
      return sql`v.cpu_inference`;
    case 'minContextLength':
      return sql`v.context_length >= ${Number(c.value)}`;
    case 'language':
      return c.value === 'multilingual'
        ? sql`(cardinality(v.languages) >= 3 OR 'multilingual' = ANY(v.languages))`
        : sql`${String(c.value)} = ANY(v.languages)`;
    case 'maturity':
      return sql`v.maturity = ${String(c.value)}`;
    case 'license': {
      const list = Array.isArray(c.value) ? c.value : [String(c.value)];
      return sql`v.license = ANY(ARRAY[${sql.join(list.map((x) => sql`${x}`), sql`, `)}]::text[])`;
    }
  }
}

const and = (conds: SQL[]): SQL => (conds.length ? sql.join(conds, sql` AND `) : sql`TRUE`);

export function createSearchService(deps: { db: Db }) {
  const { db } = deps;

  async function search(p: SearchQueryT, opts: { facets: boolean }): Promise<SearchResult> {
    const filters = filtersOf(p);
    validateFacetValues(filters);
    const text = (p.q ?? '').trim();
    const parsed = text ? parseQuery(text, { ignore: p.ignore ?? [] }) : null;
    const sort: Sort = p.sort ?? (parsed && parsed.termGroups.length ? 'relevance' : 'name');
    const fp = fingerprint([text, p.ignore ?? [], filters, sort, p.limit]);
    const cursor = p.cursor ? decodeCursor(p.cursor, fp) : null;

    let result = await run(parsed, filters, sort, p.limit, cursor?.k ?? null, fp, opts, false);
    if (result.total === 0 && parsed && parsed.termGroups.length >= 2 && !cursor) {
      const relaxed = await run(parsed, filters, sort, p.limit, null, fp, opts, true);
      if (relaxed.total > 0) result = { ...relaxed, relaxed: true };
    }
    return { ...result, message: explain(parsed, result, filters) };
  }

  async function run(
    parsed: ParsedQuery | null,
    filters: Filters,
    sort: Sort,
    limit: number,
    after: (string | number)[] | null,
    fp: string,
    opts: { facets: boolean },
    relaxed: boolean,
  ): Promise<Omit<SearchResult, 'message'>> {
    const match = parsed ? textMatch(parsed, relaxed) : null;
    const hard = [...(parsed?.constraints ?? []).map(constraintCondition)];
    if (match) hard.push(match.where);
    const base = sql`base AS (
      SELECT m.id, lower(m.name) AS lname, m.updated_at, m.tasks, m.domains, t.slug AS owner_team,
             v.maturity, v.lifecycle, v.compliance_status, v.license, v.languages, v.frameworks, v.quantizations,
             v.min_gpu_memory_gb, v.cpu_inference, v.context_length,
             ${match ? match.score : sql`0`}::float8 AS score
        FROM ${SUMMARY_FROM}
       WHERE ${and(hard)})`;
    const conds = filterConditions(filters);
    const all = and([...conds.values()]);

    const { order, keyset, keysOf } = ordering(sort, after);
    const pageRows = await queryRows<{ id: number; score: number; total: number; k1: string | number; k2: number }>(
      db,
      sql`WITH ${base}
          SELECT x.id, x.score, x.total, x.k1, x.k2 FROM (
            SELECT b.id, b.score, count(*) OVER ()::int AS total, ${keysOf} , row_number() OVER (ORDER BY ${order})::int AS rn
              FROM base b WHERE ${all}) x
           WHERE ${keyset}
           ORDER BY x.rn
           LIMIT ${limit + 1}`,
    );
    const page = pageRows.slice(0, limit);
    const more = pageRows.length > limit;
    const last = page[page.length - 1];
    const ids = page.map((r) => r.id);
    const summaries = ids.length
      ? await queryRows<SummaryRow>(db, sql`SELECT ${SUMMARY_COLUMNS} FROM ${SUMMARY_FROM} WHERE m.id = ANY(${sqlIntArray(ids)})`)
      : [];
    const byId = new Map(summaries.map((s) => [s.id, s]));
    const items = page.flatMap((r) => {
      const s = byId.get(r.id);
      return s ? [{ ...toSummary(s), score: match ? Math.round(Number(r.score) * 1000) / 1000 : null }] : [];
    });
    const total = pageRows[0]?.total ?? (after ? await countAll(base, all) : 0);
    return {
      query: parsed
        ? { text: parsed.text, residual: parsed.residual, terms: parsed.terms, tasks: parsed.tasks, constraints: parsed.constraints }
        : null,
      items,
      total,
      nextCursor: more && last ? encodeCursor(fp, { k: sort === 'relevance' ? [Number(after?.[0] ?? 0) + limit] : [last.k1, last.k2] }) : null,
      facets: opts.facets ? await facetCounts(base, conds) : null,
      relaxed,
    };
  }

  async function countAll(base: SQL, all: SQL): Promise<number> {
    const [row] = await queryRows<{ n: number }>(db, sql`WITH ${base} SELECT count(*)::int AS n FROM base b WHERE ${all}`);
    return row?.n ?? 0;
  }

  async function facetCounts(base: SQL, conds: Map<string, SQL>): Promise<Record<string, FacetCount[]>> {
    const except = (name: string) => and([...conds.entries()].filter(([k]) => k !== name).map(([, v]) => v));
    const parts: SQL[] = VALUE_FACET_NAMES.map((name) => {
      const f = VALUE_FACETS[name];
      const col = sql.raw(`b.${f.column}`);
      return f.kind === 'array'
        ? sql`SELECT ${name}::text AS facet, x::text AS value, count(*)::int AS n FROM base b, unnest(${col}) x WHERE ${except(name)} GROUP BY x`
        : sql`SELECT ${name}::text AS facet, ${col}::text AS value, count(*)::int AS n FROM base b WHERE ${col} IS NOT NULL AND ${except(name)} GROUP BY ${col}`;
    });
    parts.push(
      sql`SELECT 'fitsInGb'::text, g::text, count(*)::int FROM base b, unnest(ARRAY[${sql.raw(GPU_BUCKETS_GB.join(','))}]) g
           WHERE b.min_gpu_memory_gb <= g AND ${except('fitsInGb')} GROUP BY g`,
      sql`SELECT 'cpu'::text, b.cpu_inference::text, count(*)::int FROM base b
           WHERE b.cpu_inference IS NOT NULL AND ${except('cpu')} GROUP BY b.cpu_inference`,
      sql`SELECT 'minContext'::text, c::text, count(*)::int FROM base b, unnest(ARRAY[${sql.raw(CONTEXT_BUCKETS.join(','))}]) c
           WHERE b.context_length >= c AND ${except('minContext')} GROUP BY c`,
    );
    const rows = await queryRows<{ facet: string; value: string; n: number }>(
      db,
      sql`WITH ${base} ${sql.join(parts, sql` UNION ALL `)}`,
    );
    const out: Record<string, FacetCount[]> = {};
    for (const name of [...VALUE_FACET_NAMES, 'fitsInGb', 'cpu', 'minContext']) out[name] = [];
    for (const r of rows) out[r.facet]?.push({ value: r.value, count: r.n });
    const numeric = new Set(['fitsInGb', 'minContext']);
    for (const [name, list] of Object.entries(out)) {
      list.sort((a, b) =>
        numeric.has(name) ? Number(a.value) - Number(b.value) : b.count - a.count || a.value.localeCompare(b.value),
      );
    }
    return out;
  }

  return { search };
}

function sqlIntArray(ids: number[]): SQL {
  return sql`ARRAY[${sql.join(ids.map((i) => sql`${i}`), sql`, `)}]::int[]`;
}

/** ORDER BY for a sort, the keyset condition after a cursor, and the sort keys to remember. */
function ordering(sort: Sort, after: (string | number)[] | null): { order: SQL; keyset: SQL; keysOf: SQL } {
  switch (sort) {
    case 'relevance': {
      const offset = Number(after?.[0] ?? 0);
      return {
        order: sql`b.score DESC, b.lname COLLATE "C", b.id`,
        keyset: sql`x.rn > ${Number.isFinite(offset) ? offset : 0}`,
        keysOf: sql`0 AS k1, b.id AS k2`,
      };
    }
    case 'name':
      return {
        order: sql`b.lname COLLATE "C", b.id`,
        keyset: after ? sql`(x.k1 COLLATE "C", x.k2) > (${String(after[0])} COLLATE "C", ${Number(after[1])})` : sql`TRUE`,
        keysOf: sql`b.lname AS k1, b.id AS k2`,
      };
    case 'updated':
      return {
        order: sql`b.updated_at DESC, b.id DESC`,
        keyset: after
          ? sql`(x.k1::timestamptz, x.k2) < (${String(after[0])}::timestamptz, ${Number(after[1])})`
          : sql`TRUE`,
        keysOf: sql`to_char(b.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS k1, b.id AS k2`,
      };
  }
}

function explain(parsed: ParsedQuery | null, result: Omit<SearchResult, 'message'>, filters: Filters): string | null {
  const hasFilters = Object.keys(filters.values).length > 0 || filters.fitsInGb !== undefined || filters.cpu !== undefined || filters.minContext !== undefined;
  if (result.total === 0) {
    const hints: string[] = [];
    if (parsed?.terms.length) hints.push('use fewer or more general words');
    if (parsed?.constraints.length) hints.push(`remove a constraint read from your query (${parsed.constraints.map((c) => c.label).join('; ')})`);
    if (hasFilters) hints.push('clear some filters');
    const what = parsed ? `No model matches “${parsed.text}”` : 'No model matches these filters';
    return hints.length ? `${what}. Try to ${hints.join(', or ')}.` : `${what}.`;
  }
  if (result.relaxed && parsed) {
    return `No model matches every word of “${parsed.text}”; showing models that match some of them.`;
  }
  return null;
}

export type SearchService = ReturnType<typeof createSearchService>;
