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
import { correctableWords, groupTsQuery, textMatch } from './text-match.js';

export interface FacetCount {
  value: string;
  count: number;
}

export interface SearchResult {
  query:
    | (Pick<ParsedQuery, 'text' | 'residual' | 'terms' | 'tasks' | 'constraints'> & {
        ignored: QueryConstraint[];
        /** Words that matched nothing, and the catalog words searched for instead. */
        corrections: { from: string; to: string[] }[];
      })
    | null;
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

/** One condition per active filter, on the catalog tables (m = models, t = teams, v = head version). */
function filterConditions(filters: Filters): Map<string, SQL> {
  const out = new Map<string, SQL>();
  for (const [name, values] of Object.entries(filters.values) as [ValueFacetName, string[]][]) {
    out.set(name, valueCondition(name, values, VALUE_FACETS[name].expr));
  }
  if (filters.fitsInGb !== undefined) out.set('fitsInGb', sql`v.min_gpu_memory_gb <= ${filters.fitsInGb}`);
  if (filters.cpu !== undefined) out.set('cpu', sql`v.cpu_inference = ${filters.cpu}`);
  if (filters.minContext !== undefined) out.set('minContext', sql`v.context_length >= ${filters.minContext}`);
  return out;
}

const intArray = (xs: readonly number[]) => sql.raw(`ARRAY[${xs.map((x) => Math.trunc(x)).join(',')}]::int[]`);

/** A facet's values for one model as text[], the same values its facet tokens carry. */
function facetValues(name: string): SQL {
  if (name === 'fitsInGb') {
    return sql`ARRAY[(SELECT min(g)::text FROM unnest(${intArray(GPU_BUCKETS_GB)}) g WHERE v.min_gpu_memory_gb <= g)]`;
  }
  if (name === 'minContext') {
    return sql`ARRAY[(SELECT max(c)::text FROM unnest(${intArray(CONTEXT_BUCKETS)}) c WHERE v.context_length >= c)]`;
  }
  if (name === 'cpu') return sql`ARRAY[v.cpu_inference::text]`;
  const f = VALUE_FACETS[name as ValueFacetName];
  return f.kind === 'array' ? sql`${f.expr}` : sql`ARRAY[${f.expr}::text]`;
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
    const ignore = p.ignore ?? [];
    const parsed = text ? parseQuery(text, { ignore }) : null;
    const sort: Sort = p.sort ?? (parsed && parsed.termGroups.length ? 'relevance' : 'name');
    const fp = fingerprint([text, p.ignore ?? [], filters, sort, p.limit]);
    const cursor = p.cursor ? decodeCursor(p.cursor, fp) : null;
    if (cursor) checkCursorKeys(sort, cursor.k);

    const fixes = parsed ? await corrections(parsed) : new Map<string, string[]>();
    let result = await run(parsed, fixes, filters, sort, p.limit, cursor?.k ?? null, fp, opts, cursor?.r === true);
    if (result.total === 0 && parsed && parsed.termGroups.length >= 2 && !cursor) {
      const relaxed = await run(parsed, fixes, filters, sort, p.limit, null, fp, opts, true);
      if (relaxed.total > 0) result = { ...relaxed, relaxed: true };
    }
    if (result.query && ignore.length) {
      // What the user chose to ignore, with labels, so the UI can offer each one back.
      result.query.ignored = parseQuery(text).constraints.filter((c) => ignore.includes(c.id));
    }
    return { ...result, message: explain(parsed, result, filters) };
  }

  /**
   * Spelling correction: for each query word that no model contains, the closest catalog words
   * (trigram similarity ≥ 0.5, at most three), e.g. "sumarization" → ["summarization"].
   */
  async function corrections(parsed: ParsedQuery): Promise<Map<string, string[]>> {
    const words = correctableWords(parsed);
    if (words.length === 0) return new Map();
    const checks = words.map((w) => sql`EXISTS (SELECT 1 FROM models m WHERE m.search_doc @@ to_tsquery('english', ${groupTsQuery([w]) ?? w}))`);
    const [row] = await queryRows<Record<string, boolean>>(
      db,
      sql`SELECT ${sql.join(checks.map((c, i) => sql`${c} AS ${sql.raw(`w${i}`)}`), sql`, `)}`,
    );
    const unknown = words.filter((_, i) => row?.[`w${i}`] !== true);
    if (unknown.length === 0) return new Map();
    const rows = await queryRows<{ w: string; word: string }>(
      db,
      sql`SELECT q.w, c.word
            FROM unnest(ARRAY[${sql.join(unknown.map((w) => sql`${w}`), sql`, `)}]::text[]) AS q(w),
            LATERAL (SELECT s.word FROM search_words s
                      WHERE s.word % q.w AND similarity(s.word, q.w) >= 0.5
                      ORDER BY similarity(s.word, q.w) DESC, s.word LIMIT 3) c`,
    );
    const out = new Map<string, string[]>();
    for (const r of rows) out.set(r.w, [...(out.get(r.w) ?? []), r.word]);
    return out;
  }

  async function run(
    parsed: ParsedQuery | null,
    fixes: ReadonlyMap<string, string[]>,
    filters: Filters,
    sort: Sort,
    limit: number,
    after: (string | number)[] | null,
    fp: string,
    opts: { facets: boolean },
    relaxed: boolean,
  ): Promise<Omit<SearchResult, 'message'>> {
    const match = parsed ? textMatch(parsed, relaxed, fixes) : null;
    const hard = (parsed?.constraints ?? []).map(constraintCondition);
    if (match) hard.push(match.candidates);
    const where = and([...hard, ...filterConditions(filters).values()]);
    const { order, keyset, offset } = ordering(sort, after);
    // The total is counted once, on the first page, and carried in the cursor for later pages.
    // With a text match every candidate is scored anyway, so a window count in the same scan is
    // nearly free; without one, a separate count lets the page itself come from an index.
    const carried = after ? Number(after[after.length - 1]) : NaN;
    const countNow = !Number.isFinite(carried);
    const windowCount = countNow && match !== null;
    // Facet counts and the total do not depend on the page: on PostgreSQL they run alongside it.
    const facetsP = opts.facets ? facetCounts(hard, filters) : Promise.resolve(null);
    const countP = countNow && !windowCount ? count(where) : Promise.resolve(null);
    facetsP.catch(() => undefined);
    countP.catch(() => undefined);
    // Phase 1 orders light rows (id, score, sort keys); OFFSET 0 keeps the inner query from being
    // flattened, so each row's match facts are computed once. Phase 2 builds one page of summaries.
    const light = await queryRows<{ id: number; score: number; k_name: string; k_updated: string; total: number }>(
      db,
      sql`SELECT x.id, ${match ? match.score : sql`0`}::float8 AS score, x.k_name,
                 to_char(x.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS k_updated,
                 ${windowCount ? sql`count(*) OVER ()::int` : sql`0`} AS total
            FROM (SELECT m.id, lower(m.name) AS k_name, m.updated_at ${match ? sql`, ${match.columns}` : sql``}
                    FROM models m JOIN teams t ON t.id = m.owner_team_id
                    LEFT JOIN model_versions v ON v.id = m.head_version_id
                   WHERE ${where} ${match ? sql`OFFSET 0` : sql``}) x
           WHERE ${match ? match.where : sql`TRUE`} AND ${keyset}
           ORDER BY ${order}
           LIMIT ${limit + 1} OFFSET ${offset}`,
    );
    const ids = light.slice(0, limit).map((r) => r.id);
    const [summaries, counted] = await Promise.all([
      ids.length
        ? queryRows<SummaryRow>(db, sql`SELECT ${SUMMARY_COLUMNS} FROM ${SUMMARY_FROM} WHERE m.id IN (${sql.join(ids.map((i) => sql`${i}`), sql`, `)})`)
        : Promise.resolve([]),
      countP,
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
        ? {
            text: parsed.text,
            residual: parsed.residual,
            terms: parsed.terms,
            tasks: parsed.tasks,
            constraints: parsed.constraints,
            ignored: [],
            corrections: relaxed ? [] : [...fixes].map(([from, to]) => ({ from, to })),
          }
        : null,
      items: page.map((r) => ({ ...toSummary(r), score: match ? Math.round(Number(r.score) * 1000) / 1000 : null })),
      total,
      nextCursor: next ? encodeCursor(fp, { k: next, ...(relaxed ? { r: true } : {}) }) : null,
      facets: await facetsP,
      relaxed,
    };
  }

  async function count(where: SQL): Promise<number> {
    const [row] = await queryRows<{ n: number }>(
      db,
      // LEFT JOINs on unique keys: the planner drops whichever join the filters do not use.
      sql`SELECT count(*)::int AS n FROM models m LEFT JOIN teams t ON t.id = m.owner_team_id
            LEFT JOIN model_versions v ON v.id = m.head_version_id WHERE ${where}`,
    );
    return row?.n ?? 0;
  }

  /**
   * Disjunctive facet counts in one pass: every model carries "facet:value" tokens (kept by the
   * catalog on each write), and a token of facet F counts when the model passes every active
   * filter except F's own, so choosing a value never hides that facet's other values.
   */
  async function facetCounts(hard: SQL[], filters: Filters): Promise<Record<string, FacetCount[]>> {
    const conds = [...filterConditions(filters).entries()];
    // A model failing two filters counts nowhere. One that passes all counts under every facet
    // (its precomputed tokens). One failing only filter F counts under F alone, so choosing a
    // value never hides the facet's other values: those rows contribute only F's own values.
    const failed = conds.length ? sql.join(conds.map(([, c]) => sql`(NOT coalesce(${c}, false))::int`), sql` + `) : sql`0`;
    const columns = conds.flatMap(([name, c], i) => [
      sql`coalesce(${c}, false) AS ${sql.raw(`f${i}`)}`,
      sql`${facetValues(name)} AS ${sql.raw(`v${i}`)}`,
    ]);
    const ownFacet = conds.map(
      ([name], i) =>
        sql`SELECT ${`${name}:`} || x AS tok, count(*)::int AS n FROM b, unnest(${sql.raw(`b.v${i}`)}) x
             WHERE b.nfail = 1 AND NOT ${sql.raw(`b.f${i}`)} AND x IS NOT NULL GROUP BY x`,
    );
    const rows = await queryRows<{ tok: string; n: number }>(
      db,
      // MATERIALIZED: filters are evaluated once per model, not once per (model, token) pair.
      sql`WITH b AS MATERIALIZED (
            SELECT * FROM (
              SELECT m.facet_tokens, ${failed} AS nfail ${columns.length ? sql`, ${sql.join(columns, sql`, `)}` : sql``}
                FROM models m JOIN teams t ON t.id = m.owner_team_id LEFT JOIN model_versions v ON v.id = m.head_version_id
               WHERE ${and(hard)}) s
             WHERE s.nfail <= 1)
          ${sql.join(
            [sql`SELECT tok, count(*)::int AS n FROM b, unnest(b.facet_tokens) tok WHERE b.nfail = 0 GROUP BY tok`, ...ownFacet],
            sql` UNION ALL `,
          )}`,
    );
    const counts = new Map<string, number>();
    for (const r of rows) counts.set(r.tok, (counts.get(r.tok) ?? 0) + r.n);
    const out: Record<string, FacetCount[]> = {};
    for (const name of [...VALUE_FACET_NAMES, 'fitsInGb', 'cpu', 'minContext']) out[name] = [];
    for (const [tok, n] of counts) {
      const at = tok.indexOf(':');
      out[tok.slice(0, at)]?.push({ value: tok.slice(at + 1), count: n });
    }
    // Numeric facets carry each model's tightest bucket; a bucket's count includes every tighter one.
    out.fitsInGb = cumulative(out.fitsInGb ?? [], 'up');
    out.minContext = cumulative(out.minContext ?? [], 'down');
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

/** Running totals over numeric buckets, smallest first ("fits in N GB") or largest first ("at least N"). */
function cumulative(list: FacetCount[], direction: 'up' | 'down'): FacetCount[] {
  const sorted = [...list].sort((a, b) => (Number(a.value) - Number(b.value)) * (direction === 'up' ? 1 : -1));
  let sum = 0;
  return sorted.map((f) => ({ value: f.value, count: (sum += f.count) }));
}

const ISO_TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const isCount = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** A cursor's keys must have the shape its sort order writes; anything else is not ours. */
function checkCursorKeys(sort: Sort, k: (string | number)[]): void {
  const ok =
    sort === 'relevance'
      ? k.length === 2 && isCount(k[0]) && isCount(k[1])
      : k.length === 3 &&
        typeof k[0] === 'string' &&
        (sort === 'name' || ISO_TS.test(k[0])) &&
        isCount(k[1]) &&
        isCount(k[2]);
  if (!ok) throw new AppError('INVALID_CURSOR', 'the cursor is malformed; start again without it');
}

/** ORDER BY for a sort (over the light query, alias x), and where the page after a cursor starts. */
function ordering(sort: Sort, after: (string | number)[] | null): { order: SQL; keyset: SQL; offset: number } {
  switch (sort) {
    case 'relevance': {
      const offset = Number(after?.[0] ?? 0);
      return {
        order: sql`score DESC, x.k_name COLLATE "C", x.id`,
        keyset: sql`TRUE`,
        offset: Number.isInteger(offset) && offset >= 0 ? offset : 0,
      };
    }
    case 'name':
      return {
        order: sql`x.k_name COLLATE "C", x.id`,
        keyset: after ? sql`(x.k_name COLLATE "C", x.id) > (${String(after[0])} COLLATE "C", ${Number(after[1])})` : sql`TRUE`,
        offset: 0,
      };
    case 'updated':
      return {
        order: sql`x.updated_at DESC, x.id DESC`,
        keyset: after ? sql`(x.updated_at, x.id) < (${String(after[0])}::timestamptz, ${Number(after[1])})` : sql`TRUE`,
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
