/**
 * Facet filters and query-text constraints as SQL on the catalog tables
 * (m = models, t = teams, v = head version).
 */
import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type Db } from '../core/db/index.js';
import { AppError } from '../core/errors.js';
import { CONTEXT_BUCKETS, GPU_BUCKETS_GB, VALUE_FACETS, VALUE_FACET_NAMES, valueCondition, type Filters, type ValueFacetName } from './facets.js';
import type { SearchQueryT } from './params.js';
import type { QueryConstraint } from './query-parser.js';

export const and = (conds: SQL[]): SQL => (conds.length ? sql.join(conds, sql` AND `) : sql`TRUE`);

/** Searchable models with the aliases visibleSql expects (ms model_search, m, t, v head version). */
export const VISIBLE_SEARCH_FROM = sql`model_search ms JOIN models m ON m.id = ms.model_id JOIN teams t ON t.id = m.owner_team_id
  LEFT JOIN model_versions v ON v.id = m.head_version_id`;

export function filtersOf(p: SearchQueryT): Filters {
  const values: Filters['values'] = {};
  for (const name of VALUE_FACET_NAMES) {
    const v = p[name];
    if (v && v.length) values[name] = [...new Set(v)];
  }
  return { values, fitsInGb: p.fitsInGb, cpu: p.cpu, minContext: p.minContext };
}

/**
 * Rejects a filter value no model the caller may see has (UNKNOWN_FACET): closed facets
 * (maturity, lifecycle, compliance) against their vocabulary, open ones against the facet tokens
 * of the visible models (`visible`, on aliases m/t/v). A value only another team's draft has is
 * answered exactly like one the catalog never had. facet_values (every token ever seen) only
 * spares the scan for values nobody ever had.
 */
export async function validateFacetValues(db: Db, filters: Filters, visible: SQL): Promise<void> {
  const open: { name: ValueFacetName; value: string }[] = [];
  for (const [name, values] of Object.entries(filters.values) as [ValueFacetName, string[]][]) {
    const allowed = (VALUE_FACETS[name] as { values?: readonly string[] }).values;
    if (!allowed) {
      open.push(...values.map((value) => ({ name, value })));
      continue;
    }
    const unknown = values.filter((v) => !allowed.includes(v));
    if (unknown.length) throw unknownFacet(name, unknown, allowed);
  }
  if (open.length === 0) return;
  const tokens = open.map((o) => `${o.name}:${o.value}`);
  const known = new Set(
    (
      await queryRows<{ token: string }>(
        db,
        // LIMIT 1: stop at the first visible model with the value (a fast-start plan, not a
        // hash join over the whole catalog); facet_values first, so a typo costs no scan at all.
        sql`WITH q AS MATERIALIZED (
              SELECT token FROM facet_values WHERE token = ANY(ARRAY[${sql.join(tokens.map((t) => sql`${t}`), sql`, `)}]::text[]))
            SELECT q.token FROM q
             WHERE (SELECT 1 FROM ${VISIBLE_SEARCH_FROM}
                     WHERE q.token = ANY(ms.facet_tokens) AND ${visible} LIMIT 1) IS NOT NULL`,
      )
    ).map((r) => r.token),
  );
  const missing = open.filter((o) => !known.has(`${o.name}:${o.value}`));
  const first = missing[0];
  if (first) throw unknownFacet(first.name, missing.filter((m) => m.name === first.name).map((m) => m.value));
}

function unknownFacet(facet: ValueFacetName, unknown: string[], allowed?: readonly string[]): AppError {
  const label = VALUE_FACETS[facet].label.toLowerCase();
  const what = unknown.map((u) => `“${u}”`).join(', ');
  const message = allowed
    ? `${what} is not a ${label}; use one of ${allowed.join(', ')}`
    : `no model you can see has the ${label} ${what}`;
  return new AppError('UNKNOWN_FACET', message, {
    facet,
    unknown,
    ...(allowed ? { allowed } : {}),
  });
}

/** One condition per active filter, on the catalog tables (m = models, t = teams, v = head version). */
export function filterConditions(filters: Filters): Map<string, SQL> {
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
export function facetValues(name: string): SQL {
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
export function constraintCondition(c: QueryConstraint): SQL {
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

