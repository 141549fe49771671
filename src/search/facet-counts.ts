import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type Db } from '../core/db/index.js';
import { VALUE_FACET_NAMES, type Filters } from './facets.js';
import { and, facetValues, filterConditions } from './filters.js';

export interface FacetCount {
  value: string;
  count: number;
}

/**
 * Disjunctive facet counts in one pass: every model carries "facet:value" tokens (kept by the
 * catalog on each write), and a token of facet F counts when the model passes every active
 * filter except F's own, so choosing a value never hides that facet's other values.
 */
export async function countFacets(db: Db, hard: SQL[], filters: Filters): Promise<Record<string, FacetCount[]>> {
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
            SELECT ms.facet_tokens, ${failed} AS nfail ${columns.length ? sql`, ${sql.join(columns, sql`, `)}` : sql``}
              FROM models m JOIN model_search ms ON ms.model_id = m.id JOIN teams t ON t.id = m.owner_team_id
              LEFT JOIN model_versions v ON v.id = m.head_version_id
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

/** Running totals over numeric buckets, smallest first ("fits in N GB") or largest first ("at least N"). */
function cumulative(list: FacetCount[], direction: 'up' | 'down'): FacetCount[] {
  const sorted = [...list].sort((a, b) => (Number(a.value) - Number(b.value)) * (direction === 'up' ? 1 : -1));
  let sum = 0;
  return sorted.map((f) => ({ value: f.value, count: (sum += f.count) }));
}
