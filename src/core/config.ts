import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from './client-config.js';

/** What a group may grant: `admin`, `reviewer`, or `team:<slug>:<viewer|contributor|team_lead>`. */
const RoleTarget = z
  .string()
  .regex(/^(admin|reviewer|team:[a-z0-9][a-z0-9-]{0,62}:(viewer|contributor|team_lead))$/, 'a role is admin, reviewer or team:<slug>:<viewer|contributor|team_lead>');

const OidcSchema = z
  .object({
    issuer: z.string().url().optional(),
    clientId: z.string().min(1).optional(),
    /** Confidential clients only; a public client signs in with PKCE alone. */
    clientSecret: z.string().min(1).optional(),
    /** Default: `<request origin>/api/v1/auth/oidc/callback`. */
    redirectUrl: z.string().url().optional(),
    scopes: z
      .string()
      .default('openid profile email groups')
      .refine((s) => s.split(/\s+/).includes('openid'), 'GARDEN_OIDC_SCOPES must include openid'),
    /** Claim holding the group names; a dotted path reaches into objects (realm_access.roles). */
    groupsClaim: z.string().min(1).default('groups'),
    /** Button text: "Sign in with <label>". */
    label: z.string().min(1).max(60).default('single sign-on'),
    /** Group name → role(s). Replaces the default map when set. */
    roleMap: z
      .record(z.string().min(1), z.union([RoleTarget, z.array(RoleTarget)]), { error: 'GARDEN_OIDC_ROLE_MAP: group=role pairs separated by commas, or a JSON object' })
      .default({ 'garden-admins': 'admin', 'garden-reviewers': 'reviewer' }),
    /** Groups named `<teamPrefix><slug>:<role>` grant that team role; empty turns the pattern off. */
    teamPrefix: z.string().default('team:'),
    /** With single sign-on on: whether the local username/password form stays available. */
    localLogin: z.coerce.boolean().default(true),
  })
  .strict()
  .refine((o) => !!o.issuer === !!o.clientId, { message: 'single sign-on needs both GARDEN_OIDC_ISSUER and GARDEN_OIDC_CLIENT_ID' });

export type OidcConfig = z.infer<typeof OidcSchema>;

/** Every setting Model Garden reads. Nothing else in the code base reads process.env. */
const ConfigSchema = z
  .object({
    port: z.coerce.number().int().min(0).max(65535).default(8080),
    host: z.string().min(1).default('0.0.0.0'),
    dataDir: z.string().min(1).default('.garden'),
    db: z.object({ url: z.string().url().optional() }).strict(),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    demo: z.coerce.boolean().default(true),
    /** Run background jobs in this process (garden serve --no-workers for API-only replicas). */
    workers: z.coerce.boolean().default(true),
    bodyLimitMb: z.coerce.number().positive().max(1024).default(16),
    auth: z
      .object({
        /** A fixed token that acts as the bootstrap admin (automation); at least 32 characters. */
        adminToken: z.string().min(32, 'GARDEN_ADMIN_TOKEN must be at least 32 characters').optional(),
        sessionHours: z.coerce.number().positive().max(24 * 30).default(12),
        /** Trust X-Forwarded-* from a reverse proxy (client address, https for Secure cookies). */
        trustProxy: z.coerce.boolean().default(false),
        /** Single sign-on through OpenID Connect; on when issuer and clientId are set. */
        oidc: OidcSchema.optional(),
      })
      .strict()
      .default({ sessionHours: 12, trustProxy: false }),
    deploy: z
      .object({
        /** The engine deployments use unless deployment.yaml names one. */
        defaultEngine: z.enum(['local', 'kserve', 'seldon']).default('local'),
        /** Interface local endpoints listen on (127.0.0.1: this host only). */
        runnerHost: z.string().min(1).default('127.0.0.1'),
        /** KServe: namespace for InferenceServices; the engine is on when it is set. */
        kubeNamespace: z.string().min(1).optional(),
        /** KServe and Seldon: kubeconfig file (default: in-cluster service account, then ~/.kube/config). */
        kubeconfig: z.string().min(1).optional(),
        /** Seldon Core v2: namespace for Models; the engine is on when it and seldonInferenceUrl are set. */
        seldonNamespace: z.string().min(1).optional(),
        /** Seldon Core v2: the seldon-mesh URL requests go to (routed by the Seldon-Model header). */
        seldonInferenceUrl: z.string().url().optional(),
        /** Seldon Core v2: pin Models to this Server (default: the scheduler picks by capability). */
        seldonServer: z.string().min(1).optional(),
      })
      .strict()
      .default({ defaultEngine: 'local', runnerHost: '127.0.0.1' }),
    store: z
      .object({
        /** Where model files live: this host's disk, an OCI registry, or an S3-compatible bucket. */
        kind: z.enum(['fs', 'oci', 's3']).default('fs'),
        /** Largest single model file accepted, in GB. */
        maxFileGb: z.coerce.number().positive().default(200),
        uploadTtlHours: z.coerce.number().positive().default(24),
        oci: z
          .object({
            url: z.string().url(),
            namespace: z.string().min(1).default('model-garden'),
            username: z.string().optional(),
            password: z.string().optional(),
          })
          .strict()
          .optional(),
        s3: z
          .object({
            bucket: z.string().min(3),
            prefix: z.string().optional(),
            region: z.string().default('us-east-1'),
            endpoint: z.string().url().optional(),
            forcePathStyle: z.boolean().optional(),
            accessKeyId: z.string().optional(),
            secretAccessKey: z.string().optional(),
          })
          .strict()
          .optional(),
      })
      .strict()
      .default({ kind: 'fs', maxFileGb: 200, uploadTtlHours: 24 })
      .refine((s) => s.kind !== 'oci' || s.oci, { message: 'store.kind is oci: set GARDEN_OCI_URL (store.oci.url)' })
      .refine((s) => s.kind !== 's3' || s.s3, { message: 'store.kind is s3: set GARDEN_S3_BUCKET (store.s3.bucket)' }),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema>;


type Env = Record<string, string | undefined>;

function bool(v: string | undefined): boolean | undefined {
  if (v === undefined || v === '') return undefined;
  return !['0', 'false', 'no', 'off'].includes(v.toLowerCase());
}

function fromEnv(env: Env): Record<string, unknown> {
  const raw: Record<string, unknown> = { db: {} };
  if (env.GARDEN_PORT) raw.port = env.GARDEN_PORT;
  if (env.GARDEN_HOST) raw.host = env.GARDEN_HOST;
  if (env.GARDEN_DATA_DIR) raw.dataDir = env.GARDEN_DATA_DIR;
  if (env.GARDEN_DATABASE_URL) raw.db = { url: env.GARDEN_DATABASE_URL };
  if (env.GARDEN_LOG_LEVEL) raw.logLevel = env.GARDEN_LOG_LEVEL;
  if (bool(env.GARDEN_DEMO) !== undefined) raw.demo = bool(env.GARDEN_DEMO);
  if (bool(env.GARDEN_WORKERS) !== undefined) raw.workers = bool(env.GARDEN_WORKERS);
  if (env.GARDEN_BODY_LIMIT_MB) raw.bodyLimitMb = env.GARDEN_BODY_LIMIT_MB;
  const auth: Record<string, unknown> = { ...pick(env, { adminToken: 'GARDEN_ADMIN_TOKEN', sessionHours: 'GARDEN_SESSION_HOURS' }) };
  if (bool(env.GARDEN_TRUST_PROXY) !== undefined) auth.trustProxy = bool(env.GARDEN_TRUST_PROXY);
  const oidc: Record<string, unknown> = {
    ...pick(env, {
      issuer: 'GARDEN_OIDC_ISSUER',
      clientId: 'GARDEN_OIDC_CLIENT_ID',
      clientSecret: 'GARDEN_OIDC_CLIENT_SECRET',
      redirectUrl: 'GARDEN_OIDC_REDIRECT_URL',
      scopes: 'GARDEN_OIDC_SCOPES',
      groupsClaim: 'GARDEN_OIDC_GROUPS_CLAIM',
      label: 'GARDEN_OIDC_LABEL',
      teamPrefix: 'GARDEN_OIDC_TEAM_PREFIX',
    }),
  };
  if (env.GARDEN_OIDC_ROLE_MAP) oidc.roleMap = parseRoleMap(env.GARDEN_OIDC_ROLE_MAP);
  if (bool(env.GARDEN_OIDC_LOCAL_LOGIN) !== undefined) oidc.localLogin = bool(env.GARDEN_OIDC_LOCAL_LOGIN);
  if (Object.keys(oidc).length) auth.oidc = oidc;
  if (Object.keys(auth).length) raw.auth = auth;
  const deploy = pick(env, { defaultEngine: 'GARDEN_DEPLOY_ENGINE', runnerHost: 'GARDEN_RUNNER_HOST', kubeNamespace: 'GARDEN_KUBE_NAMESPACE', kubeconfig: 'GARDEN_KUBECONFIG', seldonNamespace: 'GARDEN_SELDON_NAMESPACE', seldonInferenceUrl: 'GARDEN_SELDON_INFERENCE_URL', seldonServer: 'GARDEN_SELDON_SERVER' });
  if (deploy) raw.deploy = deploy;
  const store: Record<string, unknown> = {};
  if (env.GARDEN_STORE) store.kind = env.GARDEN_STORE;
  if (env.GARDEN_MAX_FILE_GB) store.maxFileGb = env.GARDEN_MAX_FILE_GB;
  if (env.GARDEN_UPLOAD_TTL_HOURS) store.uploadTtlHours = env.GARDEN_UPLOAD_TTL_HOURS;
  const oci = pick(env, { url: 'GARDEN_OCI_URL', namespace: 'GARDEN_OCI_NAMESPACE', username: 'GARDEN_OCI_USERNAME', password: 'GARDEN_OCI_PASSWORD' });
  if (oci) store.oci = oci;
  const s3 = pick(env, {
    bucket: 'GARDEN_S3_BUCKET',
    prefix: 'GARDEN_S3_PREFIX',
    region: 'GARDEN_S3_REGION',
    endpoint: 'GARDEN_S3_ENDPOINT',
    forcePathStyle: 'GARDEN_S3_FORCE_PATH_STYLE',
    accessKeyId: 'GARDEN_S3_ACCESS_KEY_ID',
    secretAccessKey: 'GARDEN_S3_SECRET_ACCESS_KEY',
  });
  if (s3) store.s3 = { ...s3, ...(s3.forcePathStyle !== undefined ? { forcePathStyle: bool(s3.forcePathStyle) } : {}) };
  if (Object.keys(store).length) raw.store = store;
  return raw;
}

/**
 * GARDEN_OIDC_ROLE_MAP: `group=role` pairs separated by commas (a group may repeat), or a JSON
 * object for group names holding "," or "=" (LDAP DNs). Anything else is left for the schema to refuse.
 */
function parseRoleMap(v: string): unknown {
  if (v.trim().startsWith('{')) {
    try {
      return JSON.parse(v);
    } catch {
      return v;
    }
  }
  const map: Record<string, string[]> = {};
  for (const pair of v.split(',').map((p) => p.trim()).filter(Boolean)) {
    const at = pair.lastIndexOf('=');
    if (at <= 0) return v;
    (map[pair.slice(0, at).trim()] ??= []).push(pair.slice(at + 1).trim());
  }
  return map;
}

/** The set environment variables of `names`, keyed by setting; undefined when none is set. */
function pick(env: Env, names: Record<string, string>): Record<string, string> | undefined {
  const out = Object.fromEntries(Object.entries(names).flatMap(([k, v]) => (env[v] ? [[k, env[v]]] : [])));
  return Object.keys(out).length ? out : undefined;
}

function fromFile(file: string): Record<string, unknown> {
  const text = readFileSync(file, 'utf8');
  const data: unknown = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError([`${file}: expected a mapping of settings`]);
  }
  return data as Record<string, unknown>;
}

/**
 * Reads config once: defaults < config file (GARDEN_CONFIG) < environment < explicit overrides
 * (CLI flags). Lists every problem at once on failure. The result is frozen.
 */
export function loadConfig(env: Env = process.env, overrides: Partial<Config> = {}): Readonly<Config> {
  const file = env.GARDEN_CONFIG ? fromFile(env.GARDEN_CONFIG) : {};
  const envValues = fromEnv(env);
  const merged = {
    ...file,
    ...envValues,
    db: { ...((file.db as object | undefined) ?? {}), ...(envValues.db as object) },
    ...(file.store || envValues.store ? { store: mergeStore(file.store, envValues.store) } : {}),
    ...(file.auth || envValues.auth ? { auth: mergeAuth(file.auth, envValues.auth) } : {}),
    ...overrides,
  };
  const parsed = ConfigSchema.safeParse(merged);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
    );
  }
  const config = { ...parsed.data, dataDir: path.resolve(parsed.data.dataDir) };
  return Object.freeze(config);
}

/** Environment over file, one level deep (store.oci and store.s3 merge field by field). */
function mergeStore(file: unknown, env: unknown): Record<string, unknown> {
  const f = (file ?? {}) as Record<string, unknown>;
  const e = (env ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = { ...f, ...e };
  for (const k of ['oci', 's3']) if (f[k] || e[k]) out[k] = { ...(f[k] as object), ...(e[k] as object) };
  return out;
}

/** Environment over file, field by field in auth.oidc too (e.g. the client secret from the environment, the rest in the file). */
function mergeAuth(file: unknown, env: unknown): Record<string, unknown> {
  const f = (file ?? {}) as Record<string, unknown>;
  const e = (env ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = { ...f, ...e };
  if (f.oidc || e.oidc) out.oidc = { ...(f.oidc as object), ...(e.oidc as object) };
  return out;
}

export { ConfigError, loadClientConfig, type ClientConfig } from './client-config.js';
