/** The composition root: wires the database into the domain services. */
import type { Database } from '../core/db/index.js';
import { createCatalogService, type CatalogService } from '../catalog/index.js';
import { createSearchService, type SearchService } from '../search/index.js';
import { createMetrics, type Metrics } from './metrics.js';
import { createReadCache, type ReadCache } from './read-cache.js';
import path from 'node:path';
import { createFsStore } from '../registry/adapters/fs-store.js';
import { createRegistryService, type RegistryService } from '../registry/service.js';
import { createFsStaging } from '../registry/staging.js';
import { PRODUCT_VERSION } from '../core/paths.js';

export interface Services {
  database: Database;
  catalog: CatalogService;
  search: SearchService;
  registry: RegistryService;
  metrics: Metrics;
  /** Serialized answers of catalog reads, dropped on every catalog change. */
  readCache: ReadCache;
  version: string;
}

export interface ServiceOptions {
  /** Folder for artifact blobs (`blobs/`) and staged uploads (`uploads/`). */
  dataDir: string;
  maxFileBytes?: number;
  uploadTtlHours?: number;
}

export async function createServices(database: Database, opts: ServiceOptions): Promise<Services> {
  const registry = createRegistryService({
    db: database.db,
    store: await createFsStore({ root: path.join(opts.dataDir, 'blobs') }),
    staging: await createFsStaging(path.join(opts.dataDir, 'uploads')),
    maxFileBytes: opts.maxFileBytes ?? 200 * 1024 ** 3,
    uploadTtlMs: (opts.uploadTtlHours ?? 24) * 3600 * 1000,
  });
  return {
    database,
    catalog: createCatalogService({ db: database.db }),
    search: createSearchService({ db: database.db }),
    registry,
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
