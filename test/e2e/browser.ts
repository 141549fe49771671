/** What the end-to-end files share: a production build of the web UI, and Chromium's launch. */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { ROOT } from '../../src/core/paths.js';
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
