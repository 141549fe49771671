/**
 * Upload and download of one large file through the HTTP API (garden push / pull), against two
 * references measured in the same run: the disk's own limit (dd conv=fdatasync) and a blob upload
 * of the same file to Debian's docker-registry (CNCF Distribution) on loopback; with the server's
 * peak RSS.
 *   npm run build && npx tsx bench/upload.ts [--mb 2048] [--chunk-mb 16]
 * The server runs as a child process (built code) on a fresh data folder, on PGlite or, with
 * GARDEN_BENCH_DATABASE_URL, on PostgreSQL; the client is the CLI's transfer code in this process.
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTransfer, sha256File } from '../src/cli/transfer.js';
import { ROOT } from '../src/core/paths.js';
import { createBenchModel, seconds, startBenchServer, writeRandomFile } from './lib/server.js';

const arg = (name: string, dflt: number) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : dflt);
const mb = arg('--mb', 2048);
const chunkMb = arg('--chunk-mb', 16);
const work = mkdtempSync(path.join(process.env.GARDEN_BENCH_DIR ?? tmpdir(), 'garden-upload-'));
const src = path.join(work, 'model');
mkdirSync(src);
const file = path.join(src, 'model.safetensors');
writeRandomFile(file, mb, 7);
const bytes = mb * 1024 * 1024;

const ddSecs = await seconds(() => {
  execFileSync('dd', [`if=${file}`, `of=${path.join(work, 'dd.out')}`, 'bs=16M', 'conv=fdatasync'], { stdio: 'ignore' });
});
rmSync(path.join(work, 'dd.out'));
let digest = '';
const hashSecs = await seconds(async () => {
  digest = await sha256File(file);
});

/** A monolithic blob upload (POST, then PUT ?digest= with the bytes), the way docker push sends a layer. */
async function registryUpload(base: string): Promise<number> {
  const start = await fetch(`${base}/v2/bench/blobs/uploads/`, { method: 'POST' });
  const location = new URL(start.headers.get('location') ?? '', base);
  location.searchParams.set('digest', digest);
  return seconds(
    () =>
      new Promise<void>((resolve, reject) => {
        const req = http.request(location, { method: 'PUT', headers: { 'content-length': bytes, 'content-type': 'application/octet-stream' } }, (res) => {
          res.resume();
          if (res.statusCode === 201) resolve();
          else reject(new Error(`registry answered ${res.statusCode}`));
        });
        req.on('error', reject);
        createReadStream(file, { highWaterMark: 4 << 20 }).pipe(req);
      }),
  );
}
const regPort = String(56000 + Math.floor(Math.random() * 500));
const regUrl = execFileSync('bash', [path.join(ROOT, 'scripts/start-registry.sh'), regPort], { encoding: 'utf8' }).trim().split('\n').pop()!;
let registrySecs: number;
try {
  registrySecs = await registryUpload(regUrl);
} finally {
  const dir = `/tmp/garden-registry-${regPort}`;
  process.kill(Number(readFileSync(path.join(dir, 'pid'), 'utf8')), 'SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}

const server = await startBenchServer(path.join(work, 'data'));
try {
  const rssStart = server.peakRssMb();
  await createBenchModel(server.url, 'bench-model');
  const transfer = createTransfer({ url: server.url, token: undefined });
  const quiet = () => undefined;
  const cpuBefore = server.cpuSeconds();
  const clientCpu = process.cpuUsage();
  const pushSecs = await seconds(() => transfer.push(src, 'bench-model', '1.0.0', quiet, { chunkBytes: chunkMb * 1024 * 1024 }));
  const serverCpu = server.cpuSeconds() - cpuBefore;
  const clientUsed = process.cpuUsage(clientCpu);
  const clientCpuSecs = (clientUsed.user + clientUsed.system) / 1e6;
  const rssAfterUpload = server.peakRssMb();
  const pullSecs = await seconds(() => transfer.pull('bench-model', '1.0.0', path.join(work, 'pulled')));
  const mbps = (s: number) => (bytes / 1024 / 1024 / s).toFixed(0);
  const uploadSecs = pushSecs - hashSecs;
  console.log(`| what | seconds | MB/s |`);
  console.log(`| --- | --- | --- |`);
  console.log(`| dd conv=fdatasync (disk limit) | ${ddSecs.toFixed(2)} | ${mbps(ddSecs)} |`);
  console.log(`| docker-registry blob upload (monolithic PUT, digest known) | ${registrySecs.toFixed(2)} | ${mbps(registrySecs)} |`);
  console.log(`| sha256 in Node (4 MB reads) | ${hashSecs.toFixed(2)} | ${mbps(hashSecs)} |`);
  console.log(`| garden push (hash + upload + verify + fsync + commit) | ${pushSecs.toFixed(2)} | ${mbps(pushSecs)} |`);
  console.log(`| garden push upload part (push minus hashing) | ${uploadSecs.toFixed(2)} | ${mbps(uploadSecs)} |`);
  console.log(`| garden pull (download + verify) | ${pullSecs.toFixed(2)} | ${mbps(pullSecs)} |`);
  console.log(`\nCPU during push: server ${serverCpu.toFixed(2)} s, client ${clientCpuSecs.toFixed(2)} s (incl. hashing)`);
  console.log(
    `\nfile ${mb} MB · upload/dd ${(ddSecs / uploadSecs).toFixed(2)} · upload/docker-registry ${(registrySecs / uploadSecs).toFixed(2)} · server peak RSS ${rssStart.toFixed(0)} MB at start, ${rssAfterUpload.toFixed(0)} MB after upload, ${server.peakRssMb().toFixed(0)} MB after download`,
  );
} finally {
  server.stop();
  rmSync(work, { recursive: true, force: true });
}
