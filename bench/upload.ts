/**
 * Upload and download of one large file through the HTTP API (garden push / pull), against the
 * disk's own limit (dd with conv=fdatasync), with the server's peak RSS.
 *   npm run build && npx tsx bench/upload.ts [--mb 2048]
 * The server runs as a child process (built code) on a fresh data folder, on PGlite or, with
 * GARDEN_BENCH_DATABASE_URL, on PostgreSQL; the client is the CLI's transfer code in this process.
 * The file is random bytes (no dedup).
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTransfer, sha256File } from '../src/cli/transfer.js';
import { ROOT } from '../src/core/paths.js';

const mb = Number(process.argv[process.argv.indexOf('--mb') + 1] || 2048);
const work = mkdtempSync(path.join(process.env.GARDEN_BENCH_DIR ?? tmpdir(), 'garden-upload-'));
const src = path.join(work, 'model');
mkdirSync(src);
const file = path.join(src, 'model.safetensors');

const block = randomBytes(16 * 1024 * 1024);
const fd = openSync(file, 'w');
for (let i = 0; i < mb / 16; i++) {
  block.writeUInt32LE(i, 0); // every block differs
  writeSync(fd, block);
}
closeSync(fd);
const bytes = mb * 1024 * 1024;

const seconds = (f: () => void | Promise<void>) => async () => {
  const t = performance.now();
  await f();
  return (performance.now() - t) / 1000;
};

const ddSecs = await seconds(() => {
  execFileSync('dd', [`if=${file}`, `of=${path.join(work, 'dd.out')}`, 'bs=16M', 'conv=fdatasync'], { stdio: 'ignore' });
})();
rmSync(path.join(work, 'dd.out'));
const hashSecs = await seconds(async () => {
  await sha256File(file);
})();

const port = 19000 + Math.floor(Math.random() * 500);
const server = spawn(process.execPath, [path.join(ROOT, 'bin/garden.js'), 'serve'], {
  env: {
    ...process.env,
    GARDEN_DATA_DIR: path.join(work, 'data'),
    GARDEN_PORT: String(port),
    GARDEN_DEMO: 'false',
    GARDEN_LOG_LEVEL: 'warn',
    // GARDEN_BENCH_DATABASE_URL: an empty PostgreSQL database; otherwise embedded PGlite
    ...(process.env.GARDEN_BENCH_DATABASE_URL ? { GARDEN_DATABASE_URL: process.env.GARDEN_BENCH_DATABASE_URL } : {}),
  },
  stdio: ['ignore', 'ignore', 'ignore'],
});
const url = `http://127.0.0.1:${port}`;
const peakRss = () => {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
};
try {
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/readyz`)).ok) break;
    } catch {
      /* starting */
    }
    if (i > 600) throw new Error('server did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  const rssStart = peakRss();
  await fetch(`${url}/api/v1/models`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ slug: 'bench-model', name: 'Bench model', ownerTeam: 'bench' }),
  });
  const transfer = createTransfer({ url, token: undefined });
  const quiet = () => undefined;
  const pushSecs = await seconds(async () => {
    await transfer.push(src, 'bench-model', '1.0.0', quiet);
  })();
  const rssAfterUpload = peakRss();
  const out = path.join(work, 'pulled');
  const pullSecs = await seconds(async () => {
    await transfer.pull('bench-model', '1.0.0', out);
  })();
  const mbps = (s: number) => (bytes / 1024 / 1024 / s).toFixed(0);
  console.log(`| what | seconds | MB/s |`);
  console.log(`| --- | --- | --- |`);
  console.log(`| dd conv=fdatasync (disk limit) | ${ddSecs.toFixed(2)} | ${mbps(ddSecs)} |`);
  console.log(`| sha256 in Node (4 MB reads) | ${hashSecs.toFixed(2)} | ${mbps(hashSecs)} |`);
  console.log(`| garden push (hash + upload + verify + fsync + commit) | ${pushSecs.toFixed(2)} | ${mbps(pushSecs)} |`);
  console.log(`| garden push upload part (push minus hashing) | ${(pushSecs - hashSecs).toFixed(2)} | ${mbps(pushSecs - hashSecs)} |`);
  console.log(`| garden pull (download + verify) | ${pullSecs.toFixed(2)} | ${mbps(pullSecs)} |`);
  console.log(`\nfile ${mb} MB · upload/dd ${(ddSecs / (pushSecs - hashSecs)).toFixed(2)} · server peak RSS ${rssStart.toFixed(0)} MB at start, ${rssAfterUpload.toFixed(0)} MB after upload, ${peakRss().toFixed(0)} MB after download`);
} finally {
  server.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
}
