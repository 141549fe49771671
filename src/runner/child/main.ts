/**
 * Entry of an endpoint child process (started by ../supervisor.ts, detached in its own process
 * group). Reads the EndpointSpec from GARDEN_RUNNER_SPEC, loads the model, listens, and sends
 * `{ type: 'ready', port }` over IPC. stdout/stderr go to the endpoint's log file, which the
 * supervisor tails. The child deliberately survives the loss of its parent (the IPC channel) so a
 * restarted server can adopt it; it stops on SIGTERM/SIGINT.
 */
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
  const server = createOipServer({ modelName: spec.modelName, modelVersion: spec.modelVersion, backend, isReady: () => ready, log });
  // Longer than typical client keep-alive pools, so benchmark/proxy connections are reused.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(spec.port ?? 0, spec.host ?? '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  log(`listening on ${spec.host ?? '127.0.0.1'}:${port}`);
  process.send?.({ type: 'ready', port });
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

main().catch((err: unknown) => {
  log(`start failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
