/** A Model Garden server as a child process (built code) on a fresh data folder, for benchmarks. */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../src/core/paths.js';

export interface BenchServer {
  url: string;
  /** Peak resident memory of the server so far, in MB (VmHWM). */
  peakRssMb(): number;
  /** CPU seconds (user + system) the server has used so far. */
  cpuSeconds(): number;
  stop(): void;
}

/**
 * Starts `garden serve` on PGlite in `dataDir` or, with GARDEN_BENCH_DATABASE_URL, on that
 * (empty) PostgreSQL database; `env` adds settings (an artifact store, say).
 */
export async function startBenchServer(dataDir: string, env: Record<string, string> = {}): Promise<BenchServer> {
  const port = 19000 + Math.floor(Math.random() * 500);
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/garden.js'), 'serve'], {
    env: {
      ...process.env,
      GARDEN_DATA_DIR: dataDir,
      GARDEN_PORT: String(port),
      GARDEN_DEMO: 'false',
      GARDEN_LOG_LEVEL: 'warn',
      ...(process.env.GARDEN_BENCH_DATABASE_URL ? { GARDEN_DATABASE_URL: process.env.GARDEN_BENCH_DATABASE_URL } : {}),
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/readyz`)).ok) break;
    } catch {
      /* starting */
    }
    if (i > 600 || child.exitCode !== null) throw new Error('server did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    peakRssMb: () => {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      return m ? Number(m[1]) / 1024 : NaN;
    },
    cpuSeconds: () => {
      const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100;
    },
    stop: () => child.kill('SIGTERM'),
  };
}

/** Creates the catalog entry files are pushed to. */
export async function createBenchModel(url: string, slug: string): Promise<void> {
  const res = await fetch(`${url}/api/v1/models`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ slug, name: slug, ownerTeam: 'bench' }),
  });
  if (!res.ok) throw new Error(`creating ${slug}: ${res.status} ${await res.text()}`);
}

/** Seconds an async function takes. */
export async function seconds(f: () => unknown): Promise<number> {
  const t = performance.now();
  await f();
  return (performance.now() - t) / 1000;
}

/** Writes `mb` MB of bytes that differ per 16 MB block and per `seed` (no accidental dedup). */
export function writeRandomFile(file: string, mb: number, seed: number): void {
  const block = Buffer.alloc(16 * 1024 * 1024);
  for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((i * 2654435761 + seed * 40503) >>> 0, i);
  const fd = openSync(file, 'w');
  for (let i = 0; i < mb / 16; i++) {
    block.writeUInt32LE(i, 0);
    block.writeUInt32LE(seed, 4);
    writeSync(fd, block);
  }
  closeSync(fd);
}
