/**
 * Relational schema of the metadata store (Drizzle). Migrations under migrations/ are generated
 * from this file with `npm run db:generate` and committed; hand-written SQL (extensions, search
 * indexes) lives in custom migrations next to them.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  customType,
  date,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

const textArray = (name: string) => text(name).array().notNull().default(sql`'{}'::text[]`);
const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();

export const teams = pgTable('teams', {
  id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
  slug: text('slug').notNull().unique(),
  name: text('name').notNull(),
  createdAt: createdAt(),
});

export const models = pgTable(
  'models',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    slug: text('slug').notNull(),
    name: text('name').notNull(),
    ownerTeamId: integer('owner_team_id')
      .notNull()
      .references(() => teams.id),
    description: text('description').notNull().default(''),
    tasks: textArray('tasks'),
    domains: textArray('domains'),
    tags: textArray('tags'),
    /** Base model as written: a catalog `slug[@version]` or an external id such as `org/name`. */
    baseRef: text('base_ref'),
    baseRelation: text('base_relation'),
    /** The slug part of baseRef when it can name a catalog model (no "/"), for lineage joins. */
    baseSlug: text('base_slug'),
    baseVersion: text('base_version'),
    /** The version the catalog shows: newest approved-or-later version, else newest. */
    headVersionId: integer('head_version_id'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('models_slug_key').on(t.slug),
    index('models_base_slug_idx').on(t.baseSlug),
    index('models_owner_idx').on(t.ownerTeamId),
    index('models_updated_idx').on(t.updatedAt, t.id),
    index('models_name_idx').on(t.name, t.id),
    check(
      'models_base_relation_check',
      sql`${t.baseRelation} IS NULL OR ${t.baseRelation} IN ('finetune','quantized','adapter','merge','distilled')`,
    ),
  ],
);

/**
 * What search derives from a model and its head version, kept out of the models heap so that
 * listing and counting models reads a narrow table. Rewritten by the catalog on every change.
 */
export const modelSearch = pgTable('model_search', {
  modelId: integer('model_id')
    .primaryKey()
    .references(() => models.id, { onDelete: 'cascade' }),
  /** Weighted document: A name and slug, B tasks, tags, domains, C description, D card. */
  searchDoc: tsvector('search_doc').notNull(),
  /** "facet:value" for every facet the model counts under (head version), for one-pass facet counts. */
  facetTokens: textArray('facet_tokens'),
});

export const modelVersions = pgTable(
  'model_versions',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    modelId: integer('model_id')
      .notNull()
      .references(() => models.id, { onDelete: 'cascade' }),
    version: text('version').notNull(),
    /** Semver precedence as one sortable string (see catalog/semver.ts). */
    versionSort: text('version_sort').notNull(),
    languages: textArray('languages'),
    license: text('license'),
    parameters: bigint('parameters', { mode: 'number' }),
    architecture: text('architecture'),
    contextLength: integer('context_length'),
    recommendedGpu: text('recommended_gpu'),
    cpuInference: boolean('cpu_inference').notNull().default(false),
    ramGb: doublePrecision('ram_gb'),
    /** Smallest GPU memory over the available quantizations; drives "fits in N GB". */
    minGpuMemoryGb: doublePrecision('min_gpu_memory_gb'),
    formats: textArray('formats'),
    frameworks: textArray('frameworks'),
    quantizations: textArray('quantizations'),
    maxContextTested: integer('max_context_tested'),
    intendedUse: text('intended_use').notNull().default(''),
    limitations: text('limitations').notNull().default(''),
    trainingData: text('training_data').notNull().default(''),
    cardMarkdown: text('card_markdown').notNull().default(''),
    complianceStatus: text('compliance_status').notNull().default('pending'),
    complianceReviewedAt: date('compliance_reviewed_at'),
    approvedUseCases: textArray('approved_use_cases'),
    restrictions: textArray('restrictions'),
    maturity: text('maturity').notNull().default('experimental'),
    lifecycle: text('lifecycle').notNull().default('draft'),
    deprecationReplacement: text('deprecation_replacement'),
    deprecationDeadline: date('deprecation_deadline'),
    deprecationReason: text('deprecation_reason'),
    /** The version as published by the artifact store (an OCI manifest reference), once committed. */
    artifactManifest: text('artifact_manifest'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('model_versions_model_version_key').on(t.modelId, t.version),
    index('model_versions_lifecycle_idx').on(t.lifecycle),
    index('model_versions_maturity_idx').on(t.maturity),
    check('model_versions_maturity_check', sql`${t.maturity} IN ('experimental','validated','production')`),
    check(
      'model_versions_lifecycle_check',
      sql`${t.lifecycle} IN ('draft','submitted','approved','rejected','deprecated','retired')`,
    ),
    check(
      'model_versions_compliance_check',
      sql`${t.complianceStatus} IN ('pending','approved','rejected','expired')`,
    ),
  ],
);

export const gpuRequirements = pgTable(
  'gpu_requirements',
  {
    versionId: integer('version_id')
      .notNull()
      .references(() => modelVersions.id, { onDelete: 'cascade' }),
    quantization: text('quantization').notNull(),
    /** null: this quantization is not available for the version. */
    minGpuMemoryGb: doublePrecision('min_gpu_memory_gb'),
  },
  (t) => [primaryKey({ columns: [t.versionId, t.quantization] })],
);

export const benchmarkResults = pgTable(
  'benchmark_results',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    versionId: integer('version_id')
      .notNull()
      .references(() => modelVersions.id, { onDelete: 'cascade' }),
    position: integer('position').notNull().default(0),
    suite: text('suite').notNull(),
    suiteVersion: text('suite_version'),
    dataset: text('dataset'),
    metric: text('metric').notNull(),
    value: doublePrecision('value').notNull(),
    higherIsBetter: boolean('higher_is_better').notNull().default(true),
    date: date('date'),
    hardware: text('hardware'),
    /**
     * measured: Garden ran the suite (`run_id` names the run); reported: typed by the team (or
     * imported). Only measured results, or reported ones a platform reviewer accepted, count as
     * the benchmark a submission needs.
     */
    source: text('source').notNull().default('reported'),
    runId: uuid('run_id').references(() => evaluationRuns.id, { onDelete: 'set null' }),
    /** Who typed a reported result (null: imported, or written before provenance was recorded). */
    reportedBy: uuid('reported_by').references(() => users.id, { onDelete: 'set null' }),
    acceptedBy: uuid('accepted_by').references(() => users.id, { onDelete: 'set null' }),
    acceptedAt: timestamp('accepted_at', { withTimezone: true }),
  },
  (t) => [
    index('benchmark_results_version_idx').on(t.versionId),
    check('benchmark_results_source_check', sql`${t.source} IN ('measured','reported')`),
    check('benchmark_results_accepted_check', sql`${t.source} = 'reported' OR ${t.acceptedAt} IS NULL`),
  ],
);

/** Small key/value facts about this installation (e.g. whether the demo catalog was loaded). */
export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
  updatedAt: updatedAt(),
});

/**
 * Words that appear in the catalog (names, slugs, tasks, tags, domains, descriptions), for spelling
 * correction: a query word with no exact hit is replaced by its nearest words here (trigram index).
 * Insert-only; a word whose models are gone merely stops matching.
 */
export const searchWords = pgTable('search_words', {
  word: text('word').primaryKey(),
});

/**
 * Every "facet:value" token that has appeared in the catalog, so a filter naming a value the
 * catalog has never had is rejected (UNKNOWN_FACET) instead of silently matching nothing.
 * Insert-only, like search_words.
 */
export const facetValues = pgTable('facet_values', {
  token: text('token').primaryKey(),
});

/** Every blob in the artifact store that a version references or an upload produced. */
export const blobs = pgTable('blobs', {
  digest: text('digest').primaryKey(),
  size: bigint('size', { mode: 'number' }).notNull(),
  createdAt: createdAt(),
});

/** The files of a version: visible all at once, when a set of finished uploads is committed. */
export const versionFiles = pgTable(
  'version_files',
  {
    versionId: integer('version_id')
      .notNull()
      .references(() => modelVersions.id, { onDelete: 'cascade' }),
    path: text('path').notNull(),
    digest: text('digest')
      .notNull()
      .references(() => blobs.digest),
    size: bigint('size', { mode: 'number' }).notNull(),
    format: text('format').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.versionId, t.path] }), index('version_files_digest_idx').on(t.digest)],
);

/** Uploads in flight (resumable): invisible in the catalog until committed. */
export const uploads = pgTable(
  'uploads',
  {
    id: text('id').primaryKey(),
    versionId: integer('version_id')
      .notNull()
      .references(() => modelVersions.id, { onDelete: 'cascade' }),
    path: text('path').notNull(),
    digest: text('digest').notNull(),
    size: bigint('size', { mode: 'number' }).notNull(),
    state: text('state').notNull().default('open'),
    deduplicated: boolean('deduplicated').notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    uniqueIndex('uploads_version_path_key').on(t.versionId, t.path),
    index('uploads_expires_idx').on(t.expiresAt),
    check('uploads_state_check', sql`${t.state} IN ('open', 'complete')`),
  ],
);

/** Every file download, for usage analytics (who: token or team once identity exists; how: api or hf). */
export const downloads = pgTable(
  'downloads',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    versionId: integer('version_id')
      .notNull()
      .references(() => modelVersions.id, { onDelete: 'cascade' }),
    path: text('path').notNull(),
    bytes: bigint('bytes', { mode: 'number' }).notNull(),
    channel: text('channel').notNull(),
    actor: text('actor'),
    userAgent: text('user_agent'),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('downloads_version_at_idx').on(t.versionId, t.at)],
);

// ---- identity ----

/** People (and service accounts). Global roles here; team roles in memberships. */
export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    username: text('username').notNull(),
    name: text('name').notNull().default(''),
    email: text('email'),
    /** none | reviewer (platform reviewer) | admin. */
    platformRole: text('platform_role').notNull().default('none'),
    /** scrypt hash for local login; null when the user signs in only through OIDC. */
    passwordHash: text('password_hash'),
    /** `issuer subject` of the OIDC identity this user signs in with. */
    oidcKey: text('oidc_key'),
    disabled: boolean('disabled').notNull().default(false),
    createdAt: createdAt(),
    lastLoginAt: timestamp('last_login_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('users_username_key').on(t.username),
    uniqueIndex('users_oidc_key').on(t.oidcKey),
    check('users_platform_role_check', sql`${t.platformRole} IN ('none','reviewer','admin')`),
  ],
);

/** A user's role in a team. `source` oidc memberships follow the identity provider's groups claim. */
export const memberships = pgTable(
  'memberships',
  {
    teamId: integer('team_id')
      .notNull()
      .references(() => teams.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role').notNull(),
    source: text('source').notNull().default('local'),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.teamId, t.userId] }),
    index('memberships_user_idx').on(t.userId),
    check('memberships_role_check', sql`${t.role} IN ('viewer','contributor','team_lead')`),
    check('memberships_source_check', sql`${t.source} IN ('local','oidc')`),
  ],
);

/** API tokens: the secret is shown once; only its sha256 is kept. */
export const apiTokens = pgTable(
  'api_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    secretHash: text('secret_hash').notNull(),
    scopes: textArray('scopes'),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [index('api_tokens_user_idx').on(t.userId)],
);

/** Browser sessions (cookie): the cookie holds a secret whose sha256 is the key. */
export const sessions = pgTable(
  'sessions',
  {
    idHash: text('id_hash').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    csrfToken: text('csrf_token').notNull(),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('sessions_expires_idx').on(t.expiresAt)],
);

/**
 * The audit trail: append-only (a trigger refuses UPDATE, DELETE and TRUNCATE) and hash-chained:
 * each event stores the previous event's hash, and its own hash covers both.
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    seq: bigint('seq', { mode: 'number' }).primaryKey(),
    at: timestamp('at', { withTimezone: true, mode: 'string' }).notNull(),
    actorId: text('actor_id'),
    actorName: text('actor_name').notNull(),
    action: text('action').notNull(),
    targetType: text('target_type').notNull(),
    targetId: text('target_id').notNull(),
    modelSlug: text('model_slug'),
    details: jsonb('details').notNull(),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
  },
  (t) => [
    index('audit_events_model_idx').on(t.modelSlug, t.seq),
    index('audit_events_actor_idx').on(t.actorId, t.seq),
    index('audit_events_at_idx').on(t.at),
  ],
);

/** One row: the last sequence number and hash. Appending locks it, so the chain has no forks. */
export const auditHead = pgTable(
  'audit_head',
  {
    id: integer('id').primaryKey(),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    hash: text('hash').notNull(),
  },
  (t) => [check('audit_head_single', sql`${t.id} = 1`)],
);

// ---- governance ----

/**
 * The review of a submitted version: one row per version once submitted. `stage` says what it
 * waits for while the version's lifecycle is "submitted".
 */
export const submissions = pgTable(
  'submissions',
  {
    versionId: integer('version_id')
      .primaryKey()
      .references(() => modelVersions.id, { onDelete: 'cascade' }),
    /** checks | awaiting_ack | awaiting_signoff | awaiting_approval | approved | rejected */
    stage: text('stage').notNull(),
    evaluationOnly: boolean('evaluation_only').notNull().default(false),
    submittedBy: uuid('submitted_by').references(() => users.id),
    submittedAt: timestamp('submitted_at', { withTimezone: true }).notNull().defaultNow(),
    scanVerdict: text('scan_verdict'),
    ackBy: uuid('ack_by').references(() => users.id),
    ackComment: text('ack_comment'),
    signedOffBy: uuid('signed_off_by').references(() => users.id),
    approvedBy: uuid('approved_by').references(() => users.id),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    rejectReason: text('reject_reason'),
    slaOwner: text('sla_owner'),
  },
  (t) => [
    index('submissions_stage_idx').on(t.stage),
    check('submissions_stage_check', sql`${t.stage} IN ('checks','awaiting_ack','awaiting_signoff','awaiting_approval','approved','rejected')`),
  ],
);

/** The security scan of each file of a submitted version (the scanner's findings, as data). */
export const scanReports = pgTable(
  'scan_reports',
  {
    versionId: integer('version_id')
      .notNull()
      .references(() => modelVersions.id, { onDelete: 'cascade' }),
    path: text('path').notNull(),
    digest: text('digest').notNull(),
    format: text('format').notNull(),
    verdict: text('verdict').notNull(),
    findings: jsonb('findings').notNull(),
    scannedAt: timestamp('scanned_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.versionId, t.path] }), check('scan_reports_verdict_check', sql`${t.verdict} IN ('pass','warn','block')`)],
);

/** Evaluation suites registered by admins: benchmark results on them count for submissions. */
export const evaluationSuites = pgTable('evaluation_suites', {
  name: text('name').primaryKey(),
  description: text('description').notNull().default(''),
  task: text('task').notNull(),
  metrics: textArray('metrics'),
  /** The platform can run it by itself (a benchmark job is queued on submission). */
  automatic: boolean('automatic').notNull().default(false),
  /** The dataset (JSON lines) as a blob in the artifact store; null for suites run elsewhere. */
  datasetDigest: text('dataset_digest').references(() => blobs.digest),
  datasetName: text('dataset_name'),
  datasetItems: integer('dataset_items'),
  /** Bumped when the dataset or metrics change, so results name what they measured. */
  revision: integer('revision').notNull().default(1),
  createdAt: createdAt(),
});

/** One run of a suite against a version (through a temporary endpoint); results land in benchmark_results. */
export const evaluationRuns = pgTable(
  'evaluation_runs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    suite: text('suite')
      .notNull()
      .references(() => evaluationSuites.name, { onDelete: 'cascade' }),
    suiteRevision: integer('suite_revision').notNull(),
    versionId: integer('version_id')
      .notNull()
      .references(() => modelVersions.id, { onDelete: 'cascade' }),
    /** queued | running | succeeded | failed */
    state: text('state').notNull().default('queued'),
    requestedBy: uuid('requested_by').references(() => users.id),
    hardware: text('hardware'),
    results: jsonb('results'),
    samples: jsonb('samples'),
    error: text('error'),
    createdAt: createdAt(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [index('evaluation_runs_version_idx').on(t.versionId), check('evaluation_runs_state_check', sql`${t.state} IN ('queued','running','succeeded','failed')`)],
);

/** Admin-editable deployment templates (resources, health checks, autoscaling, timeouts, labels). */
export const deploymentTemplates = pgTable('deployment_templates', {
  name: text('name').primaryKey(),
  description: text('description').notNull().default(''),
  settings: jsonb('settings').notNull(),
  builtIn: boolean('built_in').notNull().default(false),
  updatedBy: uuid('updated_by').references(() => users.id),
  updatedAt: updatedAt(),
});

/** Per-team limits on evaluation endpoints; null columns take the installation defaults. */
export const teamQuotas = pgTable('team_quotas', {
  team: text('team').primaryKey(),
  maxEvalEndpoints: integer('max_eval_endpoints'),
  maxGpus: integer('max_gpus'),
  updatedAt: updatedAt(),
});

/** Deployments of versions: evaluation endpoints and production deployments, on any engine. */
export const deployments = pgTable(
  'deployments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    versionId: integer('version_id')
      .notNull()
      .references(() => modelVersions.id, { onDelete: 'cascade' }),
    /** DNS-safe endpoint name (the InferenceService name on KServe). */
    name: text('name'),
    team: text('team').notNull(),
    useCase: text('use_case').notNull(),
    /** evaluation | production */
    environment: text('environment').notNull(),
    template: text('template').notNull().default('evaluation'),
    /** local | kserve */
    engine: text('engine').notNull().default('local'),
    /** The template's settings with the deployment's overrides applied, as deployed. */
    settings: jsonb('settings'),
    overrides: jsonb('overrides'),
    gpus: integer('gpus').notNull().default(0),
    /** pending | starting | ready | failed | stopping | stopped | expired (and legacy: running) */
    state: text('state').notNull().default('running'),
    endpointUrl: text('endpoint_url'),
    /** Engine facts: pid and url for the local runner, namespace/name/uid for KServe. */
    handle: jsonb('handle'),
    lastError: text('last_error'),
    /** Why it failed, as the engine classified it: out_of_memory, crashed, hung, start_failed, start_timeout… */
    failureReason: text('failure_reason'),
    logTail: textArray('log_tail'),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    createdBy: uuid('created_by').references(() => users.id),
    createdAt: createdAt(),
    readyAt: timestamp('ready_at', { withTimezone: true }),
    stoppedAt: timestamp('stopped_at', { withTimezone: true }),
    stoppedBy: uuid('stopped_by').references(() => users.id),
  },
  (t) => [
    index('deployments_version_idx').on(t.versionId),
    index('deployments_team_state_idx').on(t.team, t.state),
    index('deployments_name_idx').on(t.name),
    check('deployments_environment_check', sql`${t.environment} IN ('evaluation','production')`),
    check('deployments_engine_check', sql`${t.engine} IN ('local','kserve','seldon')`),
    check('deployments_state_check', sql`${t.state} IN ('running','pending','starting','ready','failed','stopping','stopped','expired')`),
  ],
);
