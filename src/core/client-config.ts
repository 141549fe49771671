/**
 * The settings of CLI commands that talk to a server, and the configuration error type: kept
 * apart from config.ts (zod, YAML) so that light commands start fast and small.
 */
import path from 'node:path';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** Settings of CLI commands that talk to a running server. */
export interface ClientConfig {
  url: string;
  token: string | undefined;
  /** Where the CLI keeps its cache of file digests (undefined: no cache). */
  cacheDir?: string;
}

export function loadClientConfig(env: Env = process.env, flags: { url?: string; token?: string } = {}): ClientConfig {
  const url = flags.url ?? env.GARDEN_URL ?? 'http://localhost:8080';
  try {
    new URL(url);
  } catch {
    throw new ConfigError([`GARDEN_URL / --url: not a URL: ${url}`]);
  }
  const cacheRoot = env.GARDEN_CACHE_DIR ?? (env.XDG_CACHE_HOME ? path.join(env.XDG_CACHE_HOME, 'model-garden') : env.HOME ? path.join(env.HOME, '.cache', 'model-garden') : undefined);
  return Object.freeze({ url: url.replace(/\/+$/, ''), token: flags.token ?? env.GARDEN_TOKEN, cacheDir: cacheRoot });
}
