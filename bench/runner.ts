/**
 * Local runner benchmark on the demo support-ticket router (ONNX, raw-text input).
 *   npx tsx bench/runner.ts [--seconds 5] [--connections 8] [--threads 1] [--batch 1] [--pipelining 4]
 * (a) cold start: runner.start() until ready, median of 5;
 * (b) OIP POST /v2/models/{name}/infer over loopback, batch size 1, N keep-alive connections
 *     (autocannon), req/s and p50/p95 latency; also with HTTP pipelining (--pipelining, default 4);
 * (c) the same number of inferences through onnxruntime-node in this process: sequentially
 *     (one await at a time) and with N concurrent calls;
 * then the ratio throughput(OIP) / throughput(in-process, the better of the two). Target ≥ 0.5.
 * Client and child share the host's cores, as the playground proxy and an endpoint would.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import ort from 'onnxruntime-node';
import pino from 'pino';
import { writeDemoModels } from '../src/demo-models/index.js';
import { createLocalRunner } from '../src/runner/index.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1] ?? dflt) : dflt;
};
const SECONDS = arg('seconds', 5);
const CONNECTIONS = arg('connections', 8);
const THREADS = arg('threads', 1);
const PIPELINING = arg('pipelining', 4);
/** Texts per request; throughput is reported in requests (= inferences) per second either way. */
const BATCH = arg('batch', 1);
const TEXT = 'I was charged twice for my subscription this month, please refund the duplicate payment';

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const median = (xs: number[]) => pct([...xs].sort((a, b) => a - b), 50);

interface Load {
  count: number;
  seconds: number;
  latencies: number[];
}

/**
 * autocannon with N keep-alive connections (no pipelining unless asked); latencies come from its
 * per-response event, so p95 is exact rather than its histogram's p97.5.
 */
async function oipLoad(url: string, body: string, durationMs: number, connections: number, pipelining = 1): Promise<Load> {
  const latencies: number[] = [];
  const start = performance.now();
  const instance = autocannon({ url, method: 'POST', body, headers: { 'content-type': 'application/json' }, connections, pipelining, duration: durationMs / 1000 });
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    if (status !== 200) throw new Error(`status ${status}`);
    latencies.push(ms);
  });
  const result = (await instance) as { non2xx: number; errors: number };
  if (result.non2xx || result.errors) throw new Error(`${result.non2xx} non-2xx answers, ${result.errors} errors`);
  return { count: latencies.length, seconds: (performance.now() - start) / 1000, latencies };
}

/**
 * The HTTP ceiling: a node:http server in its own process that parses the same body and answers a
 * constant OIP reply without any model. No endpoint can beat it with this client on this host.
 */
const TRIVIAL_SERVER = `
const http = require('node:http');
const reply = JSON.stringify({ model_name: 'router', model_version: '1', parameters: {}, outputs: [{ name: 'label', datatype: 'BYTES', shape: [1], data: ['billing'] }] });
http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    JSON.parse(Buffer.concat(chunks).toString());
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(reply) });
    res.end(reply);
  });
}).listen(0, '127.0.0.1', function () { console.log(this.address().port); });`;

async function trivialCeiling(body: string): Promise<Load> {
  const child = spawn(process.execPath, ['-e', TRIVIAL_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
    await oipLoad(`http://127.0.0.1:${port}/`, body, 1000, CONNECTIONS);
    return await oipLoad(`http://127.0.0.1:${port}/`, body, SECONDS * 1000, CONNECTIONS);
  } finally {
    child.kill();
  }
}

async function inProcess(modelPath: string, count: number, concurrency: number): Promise<Load> {
  const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: THREADS, interOpNumThreads: 1 });
  const feeds = () => ({ text: new ort.Tensor('string', new Array<string>(BATCH).fill(TEXT), [BATCH]) });
  await session.run(feeds());
  const latencies: number[] = [];
  let left = count;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left-- > 0) {
        const t0 = performance.now();
        const out = await session.run(feeds());
        // Read the results as a caller would (the endpoint serialises them).
        void out.label?.data;
        void out.probabilities?.data;
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  await session.release();
  return { count: latencies.length, seconds, latencies };
}

function row(name: string, l: Load): { name: string; 'req/s': number; 'p50 ms': number; 'p95 ms': number; n: number } {
  const s = [...l.latencies].sort((a, b) => a - b);
  return { name, 'req/s': Math.round(l.count / l.seconds), 'p50 ms': +pct(s, 50).toFixed(3), 'p95 ms': +pct(s, 95).toFixed(3), n: l.count };
}

const dir = mkdtempSync(path.join(tmpdir(), 'garden-bench-runner-'));
try {
  const models = await writeDemoModels(path.join(dir, 'models'));
  const runner = createLocalRunner({ logDir: path.join(dir, 'logs'), logger: pino({ level: 'warn' }) });
  const spec = (i: number) => ({ id: `bench-${i}`, modelName: 'router', modelVersion: '1', format: 'onnx' as const, modelPath: models.classifierPath, memoryMb: 512, threads: THREADS });

  const starts: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await runner.start(spec(i));
    starts.push(performance.now() - t0);
    await runner.stop(`bench-${i}`);
  }
  console.log(`cold start (start() → ready), median of 5: ${median(starts).toFixed(0)} ms  [${starts.map((s) => s.toFixed(0)).join(', ')}]`);

  const h = await runner.start(spec(9));
  const body = JSON.stringify({ inputs: [{ name: 'text', shape: [BATCH], datatype: 'BYTES', data: new Array<string>(BATCH).fill(TEXT) }] });
  const url = `${h.url}/v2/models/router/infer`;
  await oipLoad(url, body, 1000, CONNECTIONS); // warm-up (JIT, sockets)
  const oip = await oipLoad(url, body, SECONDS * 1000, CONNECTIONS);
  const piped = await oipLoad(url, body, SECONDS * 1000, CONNECTIONS, PIPELINING);
  await runner.close();
  const ceiling = await trivialCeiling(body);

  const seq = await inProcess(models.classifierPath, oip.count, 1);
  const conc = await inProcess(models.classifierPath, oip.count, CONNECTIONS);
  console.table([row(`OIP /infer over HTTP, ${CONNECTIONS} connections`, oip), row(`OIP /infer, ${CONNECTIONS} conn. × pipelining ${PIPELINING}`, piped), row('HTTP ceiling: node:http, no model', ceiling), row('in-process session.run, sequential', seq), row(`in-process session.run, ${CONNECTIONS} concurrent`, conc)]);
  const best = Math.max(seq.count / seq.seconds, conc.count / conc.seconds);
  const ratio = oip.count / oip.seconds / best;
  console.log(`batch size ${BATCH}; throughput ratio OIP / in-process (best): ${ratio.toFixed(2)}  ${ratio >= 0.5 ? 'PASS' : 'FAIL'} (target ≥ 0.5)`);
  console.log(`  with pipelining ${PIPELINING}: ${(piped.count / piped.seconds / best).toFixed(2)}; HTTP ceiling (no model) / in-process: ${(ceiling.count / ceiling.seconds / best).toFixed(2)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
