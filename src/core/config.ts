import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { parse as parseYaml } from 'yaml';

/** Every setting Model Garden reads. Nothing else in the code base reads process.env. */
const ConfigSchema = z
  .object({
    port: z.coerce.number().int().min(0).max(65535).default(8080),
    host: z.string().min(1).default('0.0.0.0'),
    dataDir: z.string().min(1).default('.garden'),
    db: z.object({ url: z.string().url().optional() }).strict(),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    demo: z.coerce.boolean().default(true),
    bodyLimitMb: z.coerce.number().positive().max(1024).default(16),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

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
  if (env.GARDEN_BODY_LIMIT_MB) raw.bodyLimitMb = env.GARDEN_BODY_LIMIT_MB;
  return raw;
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

/** Settings of CLI commands that talk to a running server. */
export interface ClientConfig {
  url: string;
  token: string | undefined;
}

export function loadClientConfig(env: Env = process.env, flags: { url?: string; token?: string } = {}): ClientConfig {
  const url = flags.url ?? env.GARDEN_URL ?? 'http://localhost:8080';
  try {
    new URL(url);
  } catch {
    throw new ConfigError([`GARDEN_URL / --url: not a URL: ${url}`]);
  }
  return Object.freeze({ url: url.replace(/\/+$/, ''), token: flags.token ?? env.GARDEN_TOKEN });
}
