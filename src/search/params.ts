/** Query-string schema shared by GET /models and GET /search. */
import { z } from 'zod';
import { VALUE_FACET_NAMES, type ValueFacetName } from './facets.js';

const Value = z.string().trim().min(1).max(100);
/** A facet accepts repeated keys (?task=a&task=b) and comma-separated values (?task=a,b). */
const ValueList = z
  .union([Value, z.array(Value).max(50)])
  .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean))
  .pipe(z.array(Value).max(50));

const facetShape = Object.fromEntries(VALUE_FACET_NAMES.map((n) => [n, ValueList.optional()])) as Record<
  ValueFacetName,
  z.ZodOptional<typeof ValueList>
>;

export const SORTS = ['relevance', 'name', 'updated'] as const;
export type Sort = (typeof SORTS)[number];

export const SearchQuery = z
  .object({
    q: z.string().max(500).optional().describe('free text; constraints such as "under 16 GB" or "CPU only" are read from it'),
    sort: z.enum(SORTS).optional().describe('default: relevance with q, name without'),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z.string().max(1000).optional(),
    ignore: ValueList.optional().describe('ids of constraints read from q to ignore'),
    fitsInGb: z.coerce.number().positive().max(100_000).optional().describe('fits in N GB of GPU memory'),
    cpu: z.enum(['true', 'false']).transform((v) => v === 'true').optional().describe('runs on CPU'),
    minContext: z.coerce.number().int().positive().max(100_000_000).optional().describe('context length at least N tokens'),
    ...facetShape,
  })
  .strict();

export type SearchQueryT = z.output<typeof SearchQuery>;
