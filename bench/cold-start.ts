/**
 * Cold start of `npm start` until /readyz answers, on a fresh data folder (database created,
 * migrated, demo catalog loaded) and on the existing folder from the first run.
 *   npx tsx bench/cold-start.ts [--runs 3]
 * Run `npm run build` first: the figure is the start of a built installation, not the build.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from '../src/core/paths.js';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] || 3);

async function startOnce(dataDir: string, port: number): Promise<number> {
  const t0 = performance.now();
  const child = spawn('npm', ['start', '--silent'], {
    cwd: ROOT,
    env: { ...process.env, GARDEN_DATA_DIR: dataDir, GARDEN_PORT: String(port), GARDEN_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
    detached: true,
  });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}`);
      try {
        const r = await fetch(`http://127.0.0.1:${port}/readyz`);
        if (r.ok) return performance.now() - t0;
      } catch {
        /* not up yet */
      }
      if (performance.now() - t0 > 120_000) throw new Error('not ready after 120 s');
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    process.kill(-child.pid!, 'SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

const fresh: number[] = [];
const existing: number[] = [];
for (let i = 0; i < runs; i++) {
  const dir = mkdtempSync(path.join(tmpdir(), 'garden-cold-'));
  fresh.push(await startOnce(dir, 18900 + i));
  existing.push(await startOnce(dir, 18950 + i));
  rmSync(dir, { recursive: true, force: true });
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log('| data folder | median s | runs (s) |');
console.log('| --- | --- | --- |');
console.log(`| fresh (create, migrate, load demo catalog) | ${(med(fresh) / 1000).toFixed(2)} | ${fresh.map((x) => (x / 1000).toFixed(2)).join(', ')} |`);
console.log(`| existing | ${(med(existing) / 1000).toFixed(2)} | ${existing.map((x) => (x / 1000).toFixed(2)).join(', ')} |`);
