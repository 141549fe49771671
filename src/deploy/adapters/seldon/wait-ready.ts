/**
 * Waits for a Seldon Model to serve: the watch reports ModelReady with an available replica
 * (readiness.ts), then seldon-mesh itself answers `GET /v2/models/{name}/ready` with 200 for
 * the header `Seldon-Model: {name}` (kserve-notes §6.3). The probe exists because ModelReady
 * comes from the scheduler while the mesh's Envoy routes are pushed separately
 * (status.modelgwReady), so the first requests after ModelReady can still get 404.
 */
import { AppError } from '../../../core/errors.js';
import { probeModelReady } from '../k8s/data-plane.js';
import type { SeldonClient } from './client.js';
import { phaseOf, type SeldonModelObject } from './readiness.js';

export interface WaitReadyOptions {
  timeoutMs: number;
  namespace?: string | undefined;
  /** The seldon-mesh base URL (e.g. http://seldon-mesh.seldon-mesh). */
  inferenceUrl: string;
  /** Pause between data-plane probes. Default 1 s. */
  probeIntervalMs?: number | undefined;
}

/** The phase check used while waiting: ready resolves, a failed load throws ENDPOINT_FAILED. */
export function readyOrThrow(type: string, o: SeldonModelObject): SeldonModelObject | undefined {
  if (type === 'DELETED') throw new AppError('ENDPOINT_FAILED', 'the Seldon Model was deleted while starting', { reason: 'Deleted', message: 'deleted while starting' });
  const p = phaseOf(o);
  if (p.state === 'failed') throw new AppError('ENDPOINT_FAILED', `the model did not load (${p.reason}): ${p.message}`, { reason: p.reason, message: p.message });
  return p.state === 'ready' ? o : undefined;
}

/** The headers every request to this model must carry through seldon-mesh. */
export const routingHeaders = (name: string): Record<string, string> => ({ 'Seldon-Model': name });

export async function waitReady(client: SeldonClient, name: string, opts: WaitReadyOptions): Promise<SeldonModelObject> {
  const deadline = Date.now() + opts.timeoutMs;
  const ready = await client.watchReady(name, opts.namespace, opts.timeoutMs, readyOrThrow, (last) => {
    const p = last ? phaseOf(last) : undefined;
    return p && p.state === 'starting' ? p.message : 'no status from the Seldon operator';
  });
  const base = opts.inferenceUrl.replace(/\/+$/, '');
  const probe = await probeModelReady(base, name, deadline, opts.probeIntervalMs ?? 1000, routingHeaders(name));
  if (!probe.ok) {
    throw new AppError('ENDPOINT_FAILED', `the Seldon Model is ready but ${base}/v2/models/${name}/ready (Seldon-Model: ${name}) never answered 200 (last: ${probe.last})`, {
      reason: 'DataPlaneNotReady',
      message: probe.last,
    });
  }
  return ready;
}
