/**
 * Entry of an endpoint child process (started by ../supervisor.ts, detached in its own process
 * group). Reads the EndpointSpec from GARDEN_RUNNER_SPEC, loads the model, listens, and sends
 * `{ type: 'ready', port }` over IPC. stdout/stderr go to the endpoint's log file, which the
 * supervisor tails. The child deliberately survives the loss of its parent (the IPC channel) so a
 * restarted server can adopt it; it stops on SIGTERM/SIGINT.
 */
import cluster from 'node:cluster';
import type { AddressInfo } from 'node:net';
import type { EndpointSpec } from '../types.js';
import type { Backend } from './backend.js';
import { injectRunFault, injectStartFault } from './faults.js';
import { createOipServer } from './oip-server.js';

const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);

function readSpec(): EndpointSpec {
  const raw = process.env.GARDEN_RUNNER_SPEC;
  if (!raw) throw new Error('GARDEN_RUNNER_SPEC is not set');
  return JSON.parse(raw) as EndpointSpec;
}

async function loadBackend(spec: EndpointSpec): Promise<Backend> {
  const threads = spec.threads ?? 1;
  if (spec.format === 'onnx') {
    const { loadOnnxBackend } = await import('./onnx-backend.js');
    return loadOnnxBackend(spec.modelPath, threads);
  }
  const { loadGgufBackend } = await import('./gguf-backend.js');
  return loadGgufBackend(spec.modelPath, { threads, contextSize: spec.contextSize ?? 2048 });
}

async function main(): Promise<void> {
  const spec = readSpec();
  log(`endpoint ${spec.id}: loading ${spec.format} model ${spec.modelName}:${spec.modelVersion} from ${spec.modelPath}`);
  await injectStartFault(log);
  const t0 = Date.now();
  const backend = await loadBackend(spec);
  log(`model loaded and warmed up in ${Date.now() - t0} ms (inputs: ${backend.inputs.map((i) => `${i.name}:${i.datatype}`).join(', ')})`);
  let ready = true;
  const server = createOipServer({ apiKey: spec.apiKey, modelName: spec.modelName, modelVersion: spec.modelVersion, backend, isReady: () => ready, log });
  // Longer than typical client keep-alive pools, so benchmark/proxy connections are reused.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(spec.port ?? 0, spec.host ?? '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  log(`listening on ${spec.host ?? '127.0.0.1'}:${port}`);
  if (cluster.isPrimary) process.send?.({ type: 'ready', port });
  injectRunFault(log);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    ready = false;
    log(`${signal}: shutting down`);
    server.closeAllConnections();
    server.close();
    backend.close().then(
      () => process.exit(0),
      () => process.exit(0),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // Losing the parent is expected (server restart); keep serving until adopted or stopped.
  process.on('disconnect', () => log('IPC channel closed (supervisor detached or gone); still serving'));
}

/**
 * With several workers this process only supervises them: node's cluster hands each accepted
 * connection to a worker, all on one port. It reports ready once every worker listens, and exits
 * (a crash, to the supervisor) when any worker dies unasked, so its log tail is the worker's.
 */
async function primary(workers: number): Promise<void> {
  const port = await new Promise<number>((resolve, reject) => {
    let listening = 0;
    cluster.on('listening', (_w, address) => {
      listening += 1;
      if (listening === workers) resolve(address.port);
    });
    cluster.on('exit', (w, code, signal) => reject(new Error(`worker ${w.process.pid} exited while starting (${signal ?? `exit code ${code}`})`)));
    for (let i = 0; i < workers; i++) cluster.fork();
  });
  cluster.removeAllListeners('exit');
  log(`${workers} workers listening on port ${port}`);
  process.send?.({ type: 'ready', port });
  let stopping = false;
  cluster.on('exit', (w, code, signal) => {
    if (stopping) return;
    log(`worker ${w.process.pid} died (${signal ?? `exit code ${code}`}); stopping the endpoint`);
    process.exit(1);
  });
  const stop = (signal: NodeJS.Signals) => {
    stopping = true;
    log(`${signal}: stopping ${workers} workers`);
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    const check = setInterval(() => {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    }, 20);
    check.unref();
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('disconnect', () => log('IPC channel closed (supervisor detached or gone); still serving'));
  // The primary holds no model; keep it alive while the workers serve.
  setInterval(() => undefined, 1 << 30);
}

const workerCount = Math.max(1, Math.floor(readSpec().workers ?? 1));
(cluster.isPrimary && workerCount > 1 ? primary(workerCount) : main()).catch((err: unknown) => {
  log(`start failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
