/**
 * The catalog's facets: what can be filtered and counted, and the SQL behind each. Aliases follow
 * catalog summaryFrom: m = models, t = teams, v = head version.
 */
import { sql, type SQL } from 'drizzle-orm';
import { COMPLIANCE_STATUSES, LIFECYCLES, MATURITIES } from '../catalog/index.js';

export interface ValueFacet {
  kind: 'array' | 'scalar';
  /** The column the facet reads (m = models, t = teams, v = head version). */
  expr: SQL;
  /** Closed vocabularies: other values are rejected as UNKNOWN_FACET. */
  values?: readonly string[];
  label: string;
}

export const VALUE_FACETS = {
  task: { kind: 'array', expr: sql`m.tasks`, label: 'Task' },
  domain: { kind: 'array', expr: sql`m.domains`, label: 'Domain' },
  maturity: { kind: 'scalar', expr: sql`v.maturity`, values: MATURITIES, label: 'Maturity' },
  lifecycle: { kind: 'scalar', expr: sql`v.lifecycle`, values: LIFECYCLES, label: 'Lifecycle' },
  compliance: {
    kind: 'scalar',
    expr: sql`v.compliance_status`,
    values: COMPLIANCE_STATUSES,
    label: 'Compliance',
  },
  team: { kind: 'scalar', expr: sql`t.slug`, label: 'Owner team' },
  license: { kind: 'scalar', expr: sql`v.license`, label: 'Licence' },
  language: { kind: 'array', expr: sql`v.languages`, label: 'Language' },
  framework: { kind: 'array', expr: sql`v.frameworks`, label: 'Inference framework' },
  quantization: { kind: 'array', expr: sql`v.quantizations`, label: 'Quantization' },
} as const satisfies Record<string, ValueFacet>;

export type ValueFacetName = keyof typeof VALUE_FACETS;
export const VALUE_FACET_NAMES = Object.keys(VALUE_FACETS) as ValueFacetName[];

export { GPU_BUCKETS_GB, CONTEXT_BUCKETS } from '../catalog/index.js';

export interface Filters {
  values: Partial<Record<ValueFacetName, string[]>>;
  /** Fits in N GB of GPU memory (smallest available quantization). */
  fitsInGb?: number | undefined;
  /** Runs on CPU. */
  cpu?: boolean | undefined;
  /** Context length at least N tokens. */
  minContext?: number | undefined;
}

/** SQL condition for one value facet on the given column expression. */
export function valueCondition(name: ValueFacetName, values: readonly string[], col: SQL): SQL {
  const f = VALUE_FACETS[name];
  const arr = sql`ARRAY[${sql.join(values.map((v) => sql`${v}`), sql`, `)}]::text[]`;
  return f.kind === 'array' ? sql`${col} && ${arr}` : sql`${col} = ANY(${arr})`;
}
