/**
 * Reads an InferenceService's status the way kserve-notes §5.1 recommends: ready iff the Ready
 * condition is True AND the controller has seen the latest spec (observedGeneration ≥
 * metadata.generation; otherwise Ready may describe the previous spec). Model-load failures
 * are reported as failed at once instead of waiting for the timeout.
 */

export type IsvcPhase =
  | { state: 'ready'; url: string }
  | { state: 'starting'; message: string }
  | { state: 'failed'; reason: string; message: string };

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

export interface IsvcObject {
  metadata?: { name?: string; namespace?: string; generation?: number; uid?: string; resourceVersion?: string };
  status?: {
    observedGeneration?: number;
    url?: string;
    address?: { url?: string };
    conditions?: Condition[];
    modelStatus?: {
      transitionStatus?: string;
      states?: { activeModelState?: string; targetModelState?: string };
      lastFailureInfo?: { reason?: string; message?: string; exitCode?: number };
    };
  };
}

/** Condition reasons that will not heal by waiting (inference_service_status.go). */
const FATAL_REASONS = new Set(['ModelLoadFailed', 'RuntimeUnhealthy', 'RuntimeDisabled', 'NoSupportingRuntime', 'RuntimeNotRecognized', 'InvalidPredictorSpec']);
const FATAL_TRANSITIONS = new Set(['BlockedByFailedLoad', 'InvalidSpec']);

/**
 * The base URL of the data plane. Old releases put a predict path in address.url
 * (`…/v1/models/x:predict`); a path-based ingress may put a prefix in url, which must stay.
 */
export function endpointBase(status: IsvcObject['status']): string | null {
  const raw = status?.url ?? status?.address?.url;
  if (!raw) return null;
  return raw.replace(/\/v[12]\/models\/.*$/, '').replace(/\/+$/, '');
}

export function phaseOf(o: IsvcObject): IsvcPhase {
  const s = o.status ?? {};
  const ms = s.modelStatus;
  const failure = ms?.lastFailureInfo;
  if ((ms?.transitionStatus && FATAL_TRANSITIONS.has(ms.transitionStatus)) || ms?.states?.activeModelState === 'FailedToLoad') {
    return {
      state: 'failed',
      reason: failure?.reason ?? ms?.transitionStatus ?? 'FailedToLoad',
      message: failure?.message ?? `model status ${ms?.transitionStatus ?? ''} ${ms?.states?.activeModelState ?? ''}`.trim(),
    };
  }
  const conditions = s.conditions ?? [];
  const fatal = conditions.find((c) => c.status === 'False' && c.reason !== undefined && FATAL_REASONS.has(c.reason));
  if (fatal) return { state: 'failed', reason: fatal.reason ?? 'Failed', message: fatal.message ?? `${fatal.type ?? 'condition'} is False` };
  const ready = conditions.find((c) => c.type === 'Ready');
  const generation = o.metadata?.generation ?? 0;
  const observed = s.observedGeneration ?? -1;
  if (ready?.status !== 'True') {
    const waiting = conditions.filter((c) => c.status !== 'True').map((c) => `${c.type ?? '?'}=${c.status ?? '?'}${c.reason ? ` (${c.reason})` : ''}`);
    return { state: 'starting', message: waiting.length > 0 ? `waiting for ${waiting.join(', ')}` : 'waiting for the controller' };
  }
  if (observed < generation) return { state: 'starting', message: `controller has seen generation ${observed}, spec is at ${generation}` };
  const url = endpointBase(s);
  if (!url) return { state: 'starting', message: 'Ready but no url yet' };
  return { state: 'ready', url };
}
