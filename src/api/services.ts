/** The composition root: wires the database into the domain services. */
import type { Database } from '../core/db/index.js';
import { createCatalogService, type CatalogService } from '../catalog/index.js';
import { createSearchService, type SearchService } from '../search/index.js';
import { createMetrics, type Metrics } from './metrics.js';
import { createReadCache, type ReadCache } from './read-cache.js';
import { PRODUCT_VERSION } from '../core/paths.js';

export interface Services {
  database: Database;
  catalog: CatalogService;
  search: SearchService;
  metrics: Metrics;
  /** Serialized answers of catalog reads, dropped on every catalog change. */
  readCache: ReadCache;
  version: string;
}

export function createServices(database: Database): Services {
  return {
    database,
    catalog: createCatalogService({ db: database.db }),
    search: createSearchService({ db: database.db }),
    metrics: createMetrics(),
    readCache: createReadCache(),
    version: PRODUCT_VERSION,
  };
}

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
  }
}
