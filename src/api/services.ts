/** The composition root: wires the database into the domain services. */
import type { Database } from '../core/db/index.js';
import { createCatalogService, type CatalogService } from '../catalog/index.js';
import { createSearchService, type SearchService } from '../search/index.js';
import { createMetrics, type Metrics } from './metrics.js';
import { createReadCache, type ReadCache } from './read-cache.js';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { createArtifactStore, type StoreConfig } from '../registry/adapters/index.js';
import { createRegistryService, type RegistryService } from '../registry/service.js';
import { createFsStaging } from '../registry/staging.js';
import { PRODUCT_VERSION } from '../core/paths.js';
import { createIdentityService, createOidcSignIn, requireReader, type IdentityService, type OidcSignIn } from '../identity/index.js';
import type { OidcConfig } from '../core/config.js';
import { createAuditService, type AuditService } from '../audit/index.js';
import { createJobQueue, type JobQueue, type QueueOptions } from '../jobs/queue.js';
import { createSuiteService, createUseCheck, createWorkflowService, registerScanJob, type SuiteService, type UseCheck, type WorkflowService } from '../governance/index.js';
import { createJobAdmin, type JobAdmin } from '../jobs/admin.js';
import { createLogger, type Logger } from '../core/logger.js';
import type { Config } from '../core/config.js';
import { createDeploymentService, createLimitService, createLocalProcessEngine, createTemplateService, seedTemplates, type DeploymentEngine, type DeploymentService, type EngineName, type LimitService, type TemplateService } from '../deploy/index.js';
import { createLocalRunner } from '../runner/supervisor.js';
import { createPlayground, type Playground } from '../deploy/playground.js';
import { createEvaluationService, type EvaluationService } from '../eval/service.js';
import type { LocalRunner } from '../runner/types.js';

export interface Services {
  database: Database;
  catalog: CatalogService;
  search: SearchService;
  registry: RegistryService;
  identity: IdentityService;
  /** Single sign-on (OIDC); null when not configured. */
  oidc: OidcSignIn | null;
  audit: AuditService;
  /** Durable background jobs; workers run only after jobs.start({ workers: true }). */
  jobs: JobQueue;
  /** The submission workflow: submit, scan, sign-off, approval. */
  workflow: WorkflowService;
  suites: SuiteService;
  /** The use policy on a version (deployments and evaluation endpoints call it first). */
  useCheck: UseCheck;
  /** The job queue for admins. */
  jobAdmin: JobAdmin;
  /** Deployment templates (admins edit them). */
  templates: TemplateService;
  /** Evaluation endpoint lifetime and team quotas. */
  limits: LimitService;
  /** Deployments and evaluation endpoints on the configured engines. */
  deployments: DeploymentService;
  /** Evaluation suite runs against temporary endpoints; results become benchmark results. */
  evaluations: EvaluationService;
  /** Playground and comparison requests to ready endpoints. */
  playground: Playground;
  /** The local runner's processes on this host. */
  runner: LocalRunner;
  metrics: Metrics;
  /** Serialized answers of catalog reads, dropped on every catalog change. */
  readCache: ReadCache;
  version: string;
}

export interface ServiceOptions {
  /** Folder for artifact blobs (`blobs/`, with the filesystem store) and staged uploads (`uploads/`). */
  dataDir: string;
  /** Which artifact store holds model files (default: the filesystem under dataDir). */
  store?: StoreConfig;
  /** Overrides store.maxFileGb, in bytes (tests). */
  maxFileBytes?: number;
  /** GARDEN_ADMIN_TOKEN: a fixed token acting as the bootstrap admin. */
  adminToken?: string | undefined;
  /** How long a browser session lasts. */
  sessionHours?: number;
  /** auth.oidc: single sign-on, on when its issuer and client id are set. */
  oidc?: OidcConfig | undefined;
  logger?: Logger;
  jobs?: QueueOptions;
  /** Deployment engines (default: the local runner on 127.0.0.1). */
  deploy?: Config['deploy'];
  /** Extra engines (tests inject KServe against a fake API server). */
  engines?: Partial<Record<EngineName, DeploymentEngine>>;
}

export async function createServices(database: Database, opts: ServiceOptions): Promise<Services> {
  // Scratch folders only live during one request; any found now were left by a crash.
  await rm(path.join(opts.dataDir, 'scratch'), { recursive: true, force: true });
  const registry = createRegistryService({
    db: database.db,
    store: await createArtifactStore(opts.store, opts.dataDir),
    staging: await createFsStaging(path.join(opts.dataDir, 'uploads')),
    scratchDir: path.join(opts.dataDir, 'scratch'),
    maxFileBytes: opts.maxFileBytes ?? (opts.store?.maxFileGb ?? 200) * 1024 ** 3,
    uploadTtlMs: (opts.store?.uploadTtlHours ?? 24) * 3600 * 1000,
  });
  const identity = createIdentityService({ db: database.db, adminToken: opts.adminToken, sessionHours: opts.sessionHours ?? 12 });
  const publicCatalog = identity.publicCatalog;
  const jobs = createJobQueue(database, opts.logger ?? createLogger('silent'), opts.jobs);
  // Abandoned uploads and unreferenced blobs, every 10 minutes on whichever worker is free.
  jobs.register('registry-housekeeping', { retryLimit: 1, retryDelaySeconds: 60, expireInSeconds: 1800, concurrency: 1 }, async () => ({
    reaped: await registry.reapExpiredUploads(),
    collected: await registry.collectGarbage(),
  }));
  const workflow = createWorkflowService({ db: database.db, jobs });
  registerScanJob(jobs, registry, workflow);
  const catalog = createCatalogService({ db: database.db, publicCatalog });
  const logger = opts.logger ?? createLogger('silent');
  const useCheck = createUseCheck({ db: database.db, catalog });
  await seedTemplates(database.db);
  const templates = createTemplateService({ db: database.db });
  const deploy = opts.deploy ?? { defaultEngine: 'local' as const, runnerHost: '127.0.0.1' };
  const runner = createLocalRunner({ logDir: path.join(opts.dataDir, 'endpoints', 'logs'), logger });
  const engines: Partial<Record<EngineName, DeploymentEngine>> = { local: createLocalProcessEngine({ runner, host: deploy.runnerHost }), ...(await clusterEngines(deploy, logger)), ...opts.engines };
  const deployments = createDeploymentService({
    db: database.db,
    catalog,
    registry,
    useCheck,
    templates,
    engines,
    defaultEngine: deploy.defaultEngine,
    endpointsDir: path.join(opts.dataDir, 'endpoints'),
    // With no OCI manifest, the cluster's storage initializer reads garden's HF-compatible API (its HF_ENDPOINT set to <garden URL>/hf).
    storageUriOf: (slug, version, manifest) => manifest ?? `hf://garden/${slug}:${version}`,
    logger,
  });
  runner.onFailure((f) => void deployments.markFailed(f.id, f.reason, f.message, f.logTail));
  const evaluations = createEvaluationService({ db: database.db, jobs, deployments, readBlob: registry.readSmallBlob, logger });
  workflow.onSubmitted((tx, actor, versionId) => evaluations.queueAutomatic(tx, actor, versionId));
  jobs.register('reap-endpoints', { retryLimit: 1, retryDelaySeconds: 30, expireInSeconds: 600, concurrency: 1 }, async () => ({ reaped: await deployments.reap() }));
  return {
    templates,
    limits: createLimitService({ db: database.db }),
    deployments,
    playground: createPlayground({ deployments }),
    evaluations,
    runner,
    workflow,
    suites: createSuiteService({ db: database.db, store: registry }),
    useCheck,
    jobAdmin: createJobAdmin({ db: database.db, jobs }),
    database,
    catalog,
    search: createSearchService({ db: database.db, publicCatalog }),
    registry,
    identity,
    oidc: createOidcSignIn({ config: opts.oidc, db: database.db, identity }),
    audit: createAuditService({ db: database.db }),
    jobs,
    metrics: createMetrics(),
    readCache: createReadCache({ authorize: (actor) => requireReader(actor, publicCatalog) }),
    version: PRODUCT_VERSION,
  };
}

/** KServe and Seldon Core v2, when configured (their client library is loaded only then). */
async function clusterEngines(deploy: Config['deploy'], logger: Logger): Promise<Partial<Record<EngineName, DeploymentEngine>>> {
  const out: Partial<Record<EngineName, DeploymentEngine>> = {};
  if (deploy.kubeNamespace) {
    const { createKServeEngine } = await import('../deploy/adapters/kserve/engine.js');
    out.kserve = createKServeEngine({ namespace: deploy.kubeNamespace, kubeConfig: deploy.kubeconfig, logger });
  }
  if (deploy.seldonNamespace && deploy.seldonInferenceUrl) {
    const { createSeldonEngine } = await import('../deploy/adapters/seldon/engine.js');
    out.seldon = createSeldonEngine({ namespace: deploy.seldonNamespace, inferenceUrl: deploy.seldonInferenceUrl, server: deploy.seldonServer, kubeConfig: deploy.kubeconfig, logger });
  }
  return out;
}

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
  }
}
