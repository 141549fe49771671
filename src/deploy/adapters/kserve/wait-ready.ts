/**
 * Waits for an InferenceService to serve: the watch reports Ready for the current generation
 * (readiness.ts), then the data plane itself answers `GET /v2/models/{name}/ready` with 200.
 * The second step exists because Ready describes service health, not a loaded model, and
 * clients see 404s right after Ready (kserve/kserve#1658, #3262).
 */
import { AppError } from '../../../core/errors.js';
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Probes the model's OIP readiness route until it answers 200; false when the deadline passes. */
async function probeDataPlane(url: string, model: string, deadline: number, intervalMs: number): Promise<{ ok: boolean; last: string }> {
  let last = 'not probed';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/v2/models/${encodeURIComponent(model)}/ready`, { signal: AbortSignal.timeout(Math.min(5000, Math.max(1, deadline - Date.now()))) });
      await res.body?.cancel();
      if (res.status === 200) return { ok: true, last: 'HTTP 200' };
      last = `HTTP ${res.status}`;
    } catch (err) {
      // DNS and ingress routes often lag behind Ready: keep probing until the deadline.
      last = err instanceof Error ? err.message : String(err);
    }
    await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
  return { ok: false, last };
}

export async function waitReady(client: KServeClient, name: string, opts: WaitReadyOptions): Promise<ReadyResult> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastSeen: IsvcObject | undefined;
  const ready = await client.watchUntil(
    name,
    opts.namespace,
    opts.timeoutMs,
    (type, o) => {
      lastSeen = o;
      return readyOrThrow(type, o);
    },
    () => {
      const p = lastSeen ? phaseOf(lastSeen) : undefined;
      const message = p && p.state === 'starting' ? p.message : 'no status from the controller';
      return new AppError('ENDPOINT_FAILED', `the endpoint did not become ready within ${opts.timeoutMs} ms: ${message}`, { reason: 'ReadyTimeout', message });
    },
  );
  const probe = await probeDataPlane(ready.url, name, deadline, opts.probeIntervalMs ?? 1000);
  if (!probe.ok) {
    throw new AppError('ENDPOINT_FAILED', `the InferenceService is Ready but ${ready.url}/v2/models/${name}/ready never answered 200 (last: ${probe.last})`, {
      reason: 'DataPlaneNotReady',
      message: probe.last,
    });
  }
  return ready;
}
