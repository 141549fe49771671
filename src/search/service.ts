/**
 * Catalog search and listing: PostgreSQL full-text search with weights, spelling correction,
 * exact matches first, constraints read from the query text, facet filters as hard constraints,
 * and disjunctive facet counts (each facet counted as if its own filter were off).
 * The same SQL runs on PGlite and PostgreSQL.
 */
import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type Db } from '../core/db/index.js';
import { summaryColumns, summaryFrom, toSummary, visibleSql, wordInModelSql, type ModelSummaryT, type SummaryRow } from '../catalog/index.js';
import { requireReader, type Actor } from '../identity/index.js';
import { decodeCursor, encodeCursor, fingerprint } from './cursor.js';
import { countFacets, type FacetCount } from './facet-counts.js';
import type { Filters } from './facets.js';
import { and, constraintCondition, filterConditions, filtersOf, validateFacetValues, VISIBLE_SEARCH_FROM } from './filters.js';
import { checkCursorKeys, ordering } from './ordering.js';
import type { SearchQueryT, Sort } from './params.js';
import { parseQuery, type ParsedQuery, type QueryConstraint } from './query-parser.js';
import { correctableWords, groupTsQuery, textMatch } from './text-match.js';

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

export function createSearchService(deps: { db: Db; publicCatalog?: () => Promise<boolean> }) {
  const { db } = deps;
  const publicCatalog = deps.publicCatalog ?? (async () => false);

  /** Searches the models the actor may see (published ones, and its teams' drafts). */
  async function search(actor: Actor, p: SearchQueryT, opts: { facets: boolean }): Promise<SearchResult> {
    await requireReader(actor, publicCatalog);
    // Everything below, corrections and facet vocabularies included, sees only these models.
    const visible = visibleSql(actor);
    const filters = filtersOf(p);
    await validateFacetValues(db, filters, visible);
    const text = (p.q ?? '').trim();
    const ignore = p.ignore ?? [];
    const parsed = text ? parseQuery(text, { ignore }) : null;
    const sort: Sort = p.sort ?? (parsed && parsed.termGroups.length ? 'relevance' : 'name');
    const fp = fingerprint([text, p.ignore ?? [], filters, sort, p.limit]);
    const cursor = p.cursor ? decodeCursor(p.cursor, fp) : null;
    if (cursor) checkCursorKeys(sort, cursor.k);

    const fixes = parsed ? await corrections(parsed, visible) : new Map<string, string[]>();
    let result = await run(actor, visible, parsed, fixes, filters, sort, p.limit, cursor?.k ?? null, fp, opts, cursor?.r === true);
    if (result.total === 0 && parsed && parsed.termGroups.length >= 2 && !cursor) {
      const relaxed = await run(actor, visible, parsed, fixes, filters, sort, p.limit, null, fp, opts, true);
      if (relaxed.total > 0) result = { ...relaxed, relaxed: true };
    }
    if (result.query && ignore.length) {
      // What the user chose to ignore, with labels, so the UI can offer each one back.
      result.query.ignored = parseQuery(text).constraints.filter((c) => ignore.includes(c.id));
    }
    return { ...result, message: explain(parsed, result, filters) };
  }

  /**
   * Spelling correction: for each query word that no visible model contains, the closest words of
   * visible models (trigram similarity ≥ 0.5, at most three), e.g. "sumarization" →
   * ["summarization"]. search_words only proposes spellings; a word is offered while a model the
   * caller may see has it, so another team's draft neither supplies nor suppresses a correction.
   */
  async function corrections(parsed: ParsedQuery, visible: SQL): Promise<Map<string, string[]>> {
    const words = correctableWords(parsed);
    if (words.length === 0) return new Map();
    // (SELECT … LIMIT 1) IS NOT NULL rather than EXISTS: the planner keeps a fast-start plan that
    // stops at the first visible match instead of joining the whole catalog.
    const checks = words.map(
      (w) => sql`(SELECT 1 FROM ${VISIBLE_SEARCH_FROM}
                   WHERE ms.search_doc @@ to_tsquery('english', ${groupTsQuery([w]) ?? w}) AND ${visible} LIMIT 1) IS NOT NULL`,
    );
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
                        -- the full-text index narrows the models to those sharing the word's stem
                        AND (SELECT 1 FROM ${VISIBLE_SEARCH_FROM}
                              WHERE ms.search_doc @@ plainto_tsquery('english', s.word)
                                AND ${visible} AND ${wordInModelSql('m', sql`s.word`)} LIMIT 1) IS NOT NULL
                      ORDER BY similarity(s.word, q.w) DESC, s.word LIMIT 3) c`,
    );
    const out = new Map<string, string[]>();
    for (const r of rows) out.set(r.w, [...(out.get(r.w) ?? []), r.word]);
    return out;
  }

  async function run(
    actor: Actor,
    visible: SQL,
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
    const hard = [visible, ...(parsed?.constraints ?? []).map(constraintCondition)];
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
    const facetsP = opts.facets ? countFacets(db, hard, filters) : Promise.resolve(null);
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
                    ${match ? sql`JOIN model_search ms ON ms.model_id = m.id` : sql``}
                   WHERE ${where} ${match ? sql`OFFSET 0` : sql``}) x
           WHERE ${match ? match.where : sql`TRUE`} AND ${keyset}
           ORDER BY ${order}
           LIMIT ${limit + 1} OFFSET ${offset}`,
    );
    const ids = light.slice(0, limit).map((r) => r.id);
    const [summaries, counted] = await Promise.all([
      ids.length
        ? queryRows<SummaryRow>(db, sql`SELECT ${summaryColumns(actor)} FROM ${summaryFrom(actor)} WHERE m.id IN (${sql.join(ids.map((i) => sql`${i}`), sql`, `)})`)
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

  return { search };
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

export type { FacetCount };
export type SearchService = ReturnType<typeof createSearchService>;
