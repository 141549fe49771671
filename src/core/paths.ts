import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The installation root (the folder with package.json, migrations/ and the built web UI), found
 * by walking up from this file, so the same code works from src/ (tsx) and from dist/src/ (built).
 */
export const ROOT: string = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'migrations'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the Model Garden installation root');
    dir = up;
  }
})();

export const PRODUCT_VERSION: string = (
  JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }
).version;

export const MIGRATIONS_DIR = path.join(ROOT, 'migrations');
export const WEB_DIST_DIR = path.join(ROOT, 'dist', 'web');
