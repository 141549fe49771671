/** Public surface of the search domain. */
export { createSearchService, type SearchService, type SearchResult, type FacetCount } from './service.js';
export { SearchQuery, SORTS, type SearchQueryT } from './params.js';
export { VALUE_FACETS, VALUE_FACET_NAMES, GPU_BUCKETS_GB, CONTEXT_BUCKETS } from './facets.js';
export { parseQuery, type ParsedQuery, type QueryConstraint } from './query-parser.js';
