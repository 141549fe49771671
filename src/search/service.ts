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
import { fuzzyCandidates, groupTsQuery, textMatch } from './text-match.js';

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

type Columns = 'raw' | 'base';
const NUMERIC_COLUMNS = {
  raw: { gpu: sql`v.min_gpu_memory_gb`, cpu: sql`v.cpu_inference`, context: sql`v.context_length` },
  base: { gpu: sql`b.min_gpu_memory_gb`, cpu: sql`b.cpu_inference`, context: sql`b.context_length` },
};

/**
 * One condition per active filter, written either on the catalog tables (m, t, v) for the page
 * and count queries, or on the columns of the `base` CTE for facet counting.
 */
function filterConditions(filters: Filters, on: Columns): Map<string, SQL> {
  const out = new Map<string, SQL>();
  for (const [name, values] of Object.entries(filters.values) as [ValueFacetName, string[]][]) {
    out.set(name, valueCondition(name, values, on === 'raw' ? VALUE_FACETS[name].expr : sql.raw(`b.${VALUE_FACETS[name].column}`)));
  }
  const c = NUMERIC_COLUMNS[on];
  if (filters.fitsInGb !== undefined) out.set('fitsInGb', sql`${c.gpu} <= ${filters.fitsInGb}`);
  if (filters.cpu !== undefined) out.set('cpu', sql`${c.cpu} = ${filters.cpu}`);
  if (filters.minContext !== undefined) out.set('minContext', sql`${c.context} >= ${filters.minContext}`);
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

    const fuzzy = parsed ? await unknownWords(parsed) : new Set<string>();
    let result = await run(parsed, fuzzy, filters, sort, p.limit, cursor?.k ?? null, fp, opts, cursor?.r === true);
    if (result.total === 0 && parsed && parsed.termGroups.length >= 2 && !cursor) {
      const relaxed = await run(parsed, fuzzy, filters, sort, p.limit, null, fp, opts, true);
      if (relaxed.total > 0) result = { ...relaxed, relaxed: true };
    }
    return { ...result, message: explain(parsed, result, filters) };
  }

  /** The query words that no model contains exactly (candidates for spelling correction). */
  async function unknownWords(parsed: ParsedQuery): Promise<Set<string>> {
    const words = fuzzyCandidates(parsed);
    if (words.length === 0) return new Set();
    const checks = words.map((w) => sql`EXISTS (SELECT 1 FROM models m WHERE m.search_doc @@ to_tsquery('english', ${groupTsQuery([w]) ?? w}))`);
    const [row] = await queryRows<Record<string, boolean>>(
      db,
      sql`SELECT ${sql.join(checks.map((c, i) => sql`${c} AS ${sql.raw(`w${i}`)}`), sql`, `)}`,
    );
    return new Set(words.filter((_, i) => row?.[`w${i}`] !== true));
  }

  async function run(
    parsed: ParsedQuery | null,
    fuzzy: ReadonlySet<string>,
    filters: Filters,
    sort: Sort,
    limit: number,
    after: (string | number)[] | null,
    fp: string,
    opts: { facets: boolean },
    relaxed: boolean,
  ): Promise<Omit<SearchResult, 'message'>> {
    const match = parsed ? textMatch(parsed, relaxed, fuzzy) : null;
    const hard = (parsed?.constraints ?? []).map(constraintCondition);
    if (match) hard.push(match.candidates, match.where);
    const where = and([...hard, ...filterConditions(filters, 'raw').values()]);
    const score = match ? match.score : sql`0`;
    const { order, keyset, offset } = ordering(sort, after, score);
    // The total is counted once, on the first page (a window count over the same scan), and
    // carried in the cursor for later pages.
    const carried = after ? Number(after[after.length - 1]) : NaN;
    const countNow = !Number.isFinite(carried);
    // Phase 1 orders light rows (id, score, sort keys) and can use the sort indexes; phase 2 builds
    // summaries for one page only. Relevance order scores every match anyway, so it counts them
    // with a window in the same scan; the other orders count separately, on the first page only.
    const windowCount = countNow && sort === 'relevance';
    const light = await queryRows<{ id: number; score: number; k_name: string; k_updated: string; total: number }>(
      db,
      sql`SELECT m.id, ${score}::float8 AS score, lower(m.name) AS k_name,
                 to_char(m.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS k_updated,
                 ${windowCount ? sql`count(*) OVER ()::int` : sql`0`} AS total
            FROM models m JOIN teams t ON t.id = m.owner_team_id
            LEFT JOIN model_versions v ON v.id = m.head_version_id
           WHERE ${where} AND ${keyset}
           ORDER BY ${order}
           LIMIT ${limit + 1} OFFSET ${offset}`,
    );
    const ids = light.slice(0, limit).map((r) => r.id);
    const [summaries, counted] = await Promise.all([
      ids.length
        ? queryRows<SummaryRow>(db, sql`SELECT ${SUMMARY_COLUMNS} FROM ${SUMMARY_FROM} WHERE m.id IN (${sql.join(ids.map((i) => sql`${i}`), sql`, `)})`)
        : Promise.resolve([]),
      countNow && !windowCount && light.length > limit ? count(where) : Promise.resolve(null),
    ]);
    const byId = new Map(summaries.map((r) => [r.id, r]));
    const more = light.length > limit;
    const page = light.slice(0, limit).flatMap((l) => {
      const r = byId.get(l.id);
      return r ? [{ ...r, ...l }] : [];
    });
    const last = page[page.length - 1];
    const total = !countNow ? carried : windowCount ? (light[0]?.total ?? 0) : (counted ?? Math.min(light.length, limit));
    const next: (string | number)[] | null = !more || !last
      ? null
      : sort === 'relevance'
        ? [offset + limit, total]
        : sort === 'name'
          ? [last.k_name, last.id, total]
          : [last.k_updated, last.id, total];
    return {
      query: parsed
        ? { text: parsed.text, residual: parsed.residual, terms: parsed.terms, tasks: parsed.tasks, constraints: parsed.constraints }
        : null,
      items: page.map((r) => ({ ...toSummary(r), score: match ? Math.round(Number(r.score) * 1000) / 1000 : null })),
      total,
      nextCursor: next ? encodeCursor(fp, { k: next, ...(relaxed ? { r: true } : {}) }) : null,
      facets: opts.facets ? await facetCounts(hard, filters) : null,
      relaxed,
    };
  }

  async function count(where: SQL): Promise<number> {
    const [row] = await queryRows<{ n: number }>(
      db,
      sql`SELECT count(*)::int AS n FROM models m JOIN teams t ON t.id = m.owner_team_id
            LEFT JOIN model_versions v ON v.id = m.head_version_id WHERE ${where}`,
    );
    return row?.n ?? 0;
  }

  async function facetCounts(hard: SQL[], filters: Filters): Promise<Record<string, FacetCount[]>> {
    const base = sql`base AS (
      SELECT m.tasks, m.domains, t.slug AS owner_team, v.maturity, v.lifecycle, v.compliance_status, v.license,
             v.languages, v.frameworks, v.quantizations, v.min_gpu_memory_gb, v.cpu_inference, v.context_length
        FROM models m JOIN teams t ON t.id = m.owner_team_id LEFT JOIN model_versions v ON v.id = m.head_version_id
       WHERE ${and(hard)})`;
    const conds = filterConditions(filters, 'base');
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

/** ORDER BY for a sort, and where the page after a cursor starts (keyset, or offset for relevance). */
function ordering(sort: Sort, after: (string | number)[] | null, score: SQL): { order: SQL; keyset: SQL; offset: number } {
  switch (sort) {
    case 'relevance': {
      const offset = Number(after?.[0] ?? 0);
      return {
        order: sql`${score} DESC, lower(m.name) COLLATE "C", m.id`,
        keyset: sql`TRUE`,
        offset: Number.isInteger(offset) && offset >= 0 ? offset : 0,
      };
    }
    case 'name':
      return {
        order: sql`lower(m.name) COLLATE "C", m.id`,
        keyset: after ? sql`(lower(m.name) COLLATE "C", m.id) > (${String(after[0])} COLLATE "C", ${Number(after[1])})` : sql`TRUE`,
        offset: 0,
      };
    case 'updated':
      return {
        order: sql`m.updated_at DESC, m.id DESC`,
        keyset: after ? sql`(m.updated_at, m.id) < (${String(after[0])}::timestamptz, ${Number(after[1])})` : sql`TRUE`,
        offset: 0,
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
