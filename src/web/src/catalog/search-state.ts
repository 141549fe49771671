/**
 * The catalog's search state lives in the URL query string (so back/forward and shared links
 * work) under the same names the API takes: q, sort, cursor, ignore, the value facets, fitsInGb,
 * cpu and minContext. This module reads, changes and writes that state.
 */

export const VALUE_FACETS = [
  { name: 'task', label: 'Task' },
  { name: 'domain', label: 'Domain' },
  { name: 'maturity', label: 'Maturity' },
  { name: 'lifecycle', label: 'Lifecycle' },
  { name: 'compliance', label: 'Compliance' },
  { name: 'team', label: 'Owner team' },
  { name: 'license', label: 'Licence' },
  { name: 'language', label: 'Language' },
  { name: 'framework', label: 'Inference framework' },
  { name: 'quantization', label: 'Quantization' },
] as const;

export type ValueFacetName = (typeof VALUE_FACETS)[number]['name'];
export const VALUE_FACET_NAMES: readonly ValueFacetName[] = VALUE_FACETS.map((f) => f.name);

export const SORTS = ['relevance', 'name', 'updated'] as const;
export type Sort = (typeof SORTS)[number];

export const PAGE_SIZE = 20;

export interface SearchState {
  q: string;
  sort: Sort | null;
  cursor: string | null;
  /** Ids of constraints read from q that the user removed. */
  ignore: string[];
  values: Partial<Record<ValueFacetName, string[]>>;
  fitsInGb: number | null;
  cpu: boolean | null;
  minContext: number | null;
}

const positive = (s: string | null): number | null => {
  const n = s === null ? NaN : Number(s);
  return Number.isFinite(n) && n > 0 ? n : null;
};

const list = (sp: URLSearchParams, key: string): string[] => [
  ...new Set(sp.getAll(key).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean)),
];

export function readSearchState(sp: URLSearchParams): SearchState {
  const values: SearchState['values'] = {};
  for (const name of VALUE_FACET_NAMES) {
    const v = list(sp, name);
    if (v.length) values[name] = v;
  }
  const sort = sp.get('sort');
  const cpu = sp.get('cpu');
  return {
    q: (sp.get('q') ?? '').trim(),
    sort: (SORTS as readonly string[]).includes(sort ?? '') ? (sort as Sort) : null,
    cursor: sp.get('cursor') || null,
    ignore: list(sp, 'ignore'),
    values,
    fitsInGb: positive(sp.get('fitsInGb')),
    cpu: cpu === 'true' ? true : cpu === 'false' ? false : null,
    minContext: positive(sp.get('minContext')),
  };
}

/** The sort the API will apply: relevance only makes sense with a query. */
export function effectiveSort(s: SearchState): Sort {
  if (s.sort === 'relevance' && !s.q) return 'name';
  return s.sort ?? (s.q ? 'relevance' : 'name');
}

/** The page URL's query string for a state (defaults left out, so URLs stay short). */
export function writeSearchState(s: SearchState): URLSearchParams {
  const sp = new URLSearchParams();
  if (s.q) sp.set('q', s.q);
  for (const id of s.ignore) sp.append('ignore', id);
  for (const name of VALUE_FACET_NAMES) for (const v of s.values[name] ?? []) sp.append(name, v);
  if (s.fitsInGb !== null) sp.set('fitsInGb', String(s.fitsInGb));
  if (s.cpu !== null) sp.set('cpu', String(s.cpu));
  if (s.minContext !== null) sp.set('minContext', String(s.minContext));
  if (s.sort && s.sort !== (s.q ? 'relevance' : 'name') && !(s.sort === 'relevance' && !s.q)) sp.set('sort', s.sort);
  if (s.cursor) sp.set('cursor', s.cursor);
  return sp;
}

/** The query string of GET /api/v1/search for a state. */
export function toApiParams(s: SearchState): URLSearchParams {
  const sp = writeSearchState(s);
  sp.set('sort', effectiveSort(s));
  sp.set('limit', String(PAGE_SIZE));
  return sp;
}

export function hasFilters(s: SearchState): boolean {
  return Object.keys(s.values).length > 0 || s.fitsInGb !== null || s.cpu !== null || s.minContext !== null;
}

/** Every change of query, filter or sort starts again at the first page. */
const firstPage = (s: SearchState): SearchState => ({ ...s, cursor: null });

export function withQuery(s: SearchState, q: string): SearchState {
  const text = q.trim();
  // Ignored constraint ids belong to the old text.
  return firstPage({ ...s, q: text, ignore: text === s.q ? s.ignore : [] });
}

export function toggleValue(s: SearchState, name: ValueFacetName, value: string): SearchState {
  const current = s.values[name] ?? [];
  const next = current.includes(value) ? current.filter((v) => v !== value) : [...current, value];
  const values = { ...s.values };
  if (next.length) values[name] = next;
  else delete values[name];
  return firstPage({ ...s, values });
}

export function withChoice(s: SearchState, key: 'fitsInGb' | 'minContext', value: number | null): SearchState;
export function withChoice(s: SearchState, key: 'cpu', value: boolean | null): SearchState;
export function withChoice(s: SearchState, key: 'fitsInGb' | 'minContext' | 'cpu', value: number | boolean | null): SearchState {
  return firstPage({ ...s, [key]: value });
}

export function clearFilters(s: SearchState): SearchState {
  return firstPage({ ...s, values: {}, fitsInGb: null, cpu: null, minContext: null });
}

export function withIgnored(s: SearchState, id: string): SearchState {
  return firstPage({ ...s, ignore: [...new Set([...s.ignore, id])] });
}

export function withSort(s: SearchState, sort: Sort): SearchState {
  return firstPage({ ...s, sort });
}

export function withCursor(s: SearchState, cursor: string | null): SearchState {
  return { ...s, cursor };
}
