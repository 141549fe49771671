#!/usr/bin/env node
// `npm start`: builds the server and the web UI when the sources are newer than the last build,
// then runs `garden <args>` (default: serve) from the build.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const stamp = path.join(root, 'dist', '.build-stamp');

function newest(p) {
  if (!existsSync(p)) return 0;
  const s = statSync(p);
  if (!s.isDirectory()) return s.mtimeMs;
  let max = s.mtimeMs;
  for (const e of readdirSync(p)) max = Math.max(max, newest(path.join(p, e)));
  return max;
}

const inputs = ['src', 'migrations', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];
const sourceTime = Math.max(...inputs.map((i) => newest(path.join(root, i))));
const built = existsSync(stamp) && existsSync(path.join(root, 'dist/web/index.html')) ? statSync(stamp).mtimeMs : 0;
if (sourceTime > built) {
  console.error('Building Model Garden (server and web UI)…');
  const r = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
  writeFileSync(stamp, new Date().toISOString());
}
const { main } = await import(path.join(root, 'dist/src/cli/main.js'));
const args = process.argv.slice(2);
await main([process.argv[0], 'garden', ...(args.length ? args : ['serve'])]);
