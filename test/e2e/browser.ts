/**
 * What the end-to-end files share: a production build of the web UI, Chromium's launch, and the
 * real app serving that build on a real port with a browser page pointed at nothing yet.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildApp } from '../../src/api/app.js';
import type { ServiceOptions, Services } from '../../src/api/services.js';
import { createLogger } from '../../src/core/logger.js';
import { ROOT } from '../../src/core/paths.js';
import { createTestServices, type TestServices } from '../harness.js';
import { CHROMIUM_PATH, hasChromium, missingService } from '../services.js';

const WEB_SRC = path.join(ROOT, 'src', 'web');
export const RESULTS_DIR = path.join(ROOT, 'test-results');

/** Whether Chromium is here; under CI (CI=true) its absence throws, failing the run. */
export function chromiumAvailable(): boolean {
  const found = hasChromium();
  if (!found) missingService('e2e', `Chromium not found at ${CHROMIUM_PATH} (set GARDEN_CHROMIUM or apt-get install chromium)`);
  return found;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * Builds the web UI in production mode into `outDir` when it is missing or older than its
 * sources. Each test file uses its own folder: files run in parallel and a build empties it.
 */
export function ensureWebBuilt(outDir: string): void {
  const index = path.join(outDir, 'index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= newestMtime(WEB_SRC)) return;
  execFileSync('npx', ['vite', 'build', '--config', 'src/web/vite.config.ts', '--logLevel', 'warn', '--outDir', outDir, '--emptyOutDir'], {
    cwd: ROOT,
    stdio: 'pipe',
    timeout: 120_000,
    // Vitest sets NODE_ENV=test, which would make Vite bundle React's development build.
    env: { ...process.env, NODE_ENV: 'production' },
  });
}

/** Debian's Chromium, headless, without the background traffic this closed network refuses. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface E2eAppOptions {
  /** Names the build folder (dist/web-e2e-<name>): files run in parallel and a build empties it. */
  name: string;
  /** Fills the catalog before the app starts listening. */
  seed?(services: Services): Promise<void>;
  serviceOptions?: Partial<ServiceOptions>;
  /** Runs the job workers (the security scan, say) while the tests browse. */
  workers?: boolean;
  viewportHeight?: number;
  timeoutMs?: number;
}

export interface E2eApp {
  /** The app's address, as http://127.0.0.1:<port>. */
  base: string;
  services: Services;
  /** A page nobody has signed in on yet. */
  page: Page;
  /** Uncaught errors of every page opened here: the tests expect none. */
  pageErrors: string[];
  /** Another page in a fresh browser context (its own cookies), same size and timeout. */
  newPage(): Promise<Page>;
  /** Stops everything started; safe after a failed start. */
  close(): Promise<void>;
}

/** Builds the web UI, starts the app on PGlite with it on a random port, and opens Chromium. */
export async function startE2eApp(opts: E2eAppOptions): Promise<E2eApp> {
  const webDir = path.join(ROOT, 'dist', `web-e2e-${opts.name}`);
  ensureWebBuilt(webDir);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const pageErrors: string[] = [];
  let t: TestServices | undefined;
  let app: FastifyInstance | undefined;
  let browser: Browser | undefined;
  const close = async () => {
    await browser?.close().catch(() => undefined);
    await app?.close().catch(() => undefined);
    await t?.cleanup().catch(() => undefined);
  };
  try {
    t = await createTestServices('pglite', opts.serviceOptions);
    const { services } = t;
    await opts.seed?.(services);
    app = await buildApp({ services, logger: createLogger('silent'), webDir });
    if (opts.workers) await services.jobs.start({ workers: true });
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const started = await launchChromium();
    browser = started;
    const newPage = async () => {
      const page = await started.newPage({ viewport: { width: 1366, height: opts.viewportHeight ?? 768 } });
      page.setDefaultTimeout(opts.timeoutMs ?? 10_000);
      page.on('pageerror', (e) => pageErrors.push(e.message));
      return page;
    };
    return { base: address.replace('0.0.0.0', '127.0.0.1'), services, page: await newPage(), pageErrors, newPage, close };
  } catch (err) {
    await close();
    throw err;
  }
}
