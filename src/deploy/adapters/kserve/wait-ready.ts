/**
 * Waits for an InferenceService to serve: the watch reports Ready for the current generation
 * (readiness.ts), then the data plane itself answers `GET /v2/models/{name}/ready` with 200.
 * The second step exists because Ready describes service health, not a loaded model, and
 * clients see 404s right after Ready (kserve/kserve#1658, #3262).
 */
import { AppError } from '../../../core/errors.js';
import { probeModelReady } from '../k8s/data-plane.js';
import { readyOrThrow, type KServeClient } from './client.js';
import { phaseOf, type IsvcObject } from './readiness.js';

export interface WaitReadyOptions {
  timeoutMs: number;
  namespace?: string | undefined;
  /** Pause between data-plane probes. Default 1 s. */
  probeIntervalMs?: number | undefined;
}

export interface ReadyResult {
  object: IsvcObject;
  url: string;
}

export async function waitReady(client: KServeClient, name: string, opts: WaitReadyOptions): Promise<ReadyResult> {
  const deadline = Date.now() + opts.timeoutMs;
  const ready = await client.watchReady(name, opts.namespace, opts.timeoutMs, readyOrThrow, (last) => {
    const p = last ? phaseOf(last) : undefined;
    return p && p.state === 'starting' ? p.message : 'no status from the controller';
  });
  const probe = await probeModelReady(ready.url, name, deadline, opts.probeIntervalMs ?? 1000);
  if (!probe.ok) {
    throw new AppError('ENDPOINT_FAILED', `the InferenceService is Ready but ${ready.url}/v2/models/${name}/ready never answered 200 (last: ${probe.last})`, {
      reason: 'DataPlaneNotReady',
      message: probe.last,
    });
  }
  return ready;
}
