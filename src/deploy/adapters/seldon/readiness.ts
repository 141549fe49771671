/**
 * Reads a Seldon Core v2 Model's status. How the operator writes it (SeldonIO/seldon-core v2,
 * operator/scheduler/model.go SubscribeModelEvents, operator/apis/mlops/v1alpha1/model_conditions.go):
 *
 * - The scheduler streams a model state (ModelProgressing, ModelAvailable, ModelFailed,
 *   ScheduleFailed, ModelScaledDown, ModelTerminating, …). The operator sets condition
 *   `ModelReady` True only for ModelAvailable, else False, and `Ready` follows it (a knative
 *   living condition set with ModelReady as its only dependent).
 * - Careful: `CreateAndSetCondition(type, isTrue, message, reason)` is called with the state
 *   name as *message* and the scheduler's reason text (e.g. the load error) as *reason*; the
 *   reconciler's own errors do the same (`ModelFailed` + err.Error()). So the state name is
 *   looked for in both fields.
 * - `status.availableReplicas` / `replicas` come from the same event (vendored v2.10.2 CRD,
 *   printer column "Available Replicas"); both are omitempty, so a missing field means 0.
 * - Events for an older generation are ignored, but the operator does not write
 *   `observedGeneration`; when some version does, it is honoured like KServe's.
 *
 * Ready = ModelReady (or Ready, if ModelReady is absent) True AND availableReplicas ≥ 1.
 * Failed at once = a False condition naming ModelFailed or ScheduleFailed.
 */

export type ModelPhase =
  | { state: 'ready' }
  | { state: 'starting'; message: string }
  | { state: 'failed'; reason: string; message: string };

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

export interface SeldonModelObject {
  metadata?: { name?: string; namespace?: string; generation?: number; uid?: string; resourceVersion?: string; deletionTimestamp?: string };
  status?: {
    conditions?: Condition[];
    availableReplicas?: number;
    replicas?: number;
    modelgwReady?: string;
    observedGeneration?: number;
  };
}

/**
 * Scheduler states that waiting will not fix in the time a user waits. ScheduleFailed means no
 * Server has the capability or the memory; the scheduler retries when servers change (e.g. a
 * server scales up), but for an interactive deploy a prompt, explained failure is better.
 */
const FATAL_STATES = new Set(['ModelFailed', 'ScheduleFailed']);

const named = (c: Condition, states: Set<string>) => (c.message !== undefined && states.has(c.message)) || (c.reason !== undefined && states.has(c.reason));

export function phaseOf(o: SeldonModelObject): ModelPhase {
  const s = o.status ?? {};
  const conditions = s.conditions ?? [];
  const fatal = conditions.find((c) => c.status === 'False' && named(c, FATAL_STATES));
  if (fatal) {
    const state = fatal.message !== undefined && FATAL_STATES.has(fatal.message) ? fatal.message : (fatal.reason ?? 'ModelFailed');
    const detail = state === fatal.message ? fatal.reason : fatal.message;
    return { state: 'failed', reason: state, message: detail || `${fatal.type ?? 'ModelReady'} is False (${state})` };
  }
  if (o.metadata?.deletionTimestamp) return { state: 'starting', message: 'being deleted' };
  const ready = conditions.find((c) => c.type === 'ModelReady') ?? conditions.find((c) => c.type === 'Ready');
  if (ready?.status !== 'True') {
    const why = ready ? `${ready.type ?? '?'}=${ready.status ?? '?'}${ready.message ? ` (${ready.message})` : ''}` : 'no ModelReady condition yet';
    return { state: 'starting', message: `waiting for the model: ${why}` };
  }
  if (s.observedGeneration !== undefined && s.observedGeneration < (o.metadata?.generation ?? 0)) {
    return { state: 'starting', message: `controller has seen generation ${s.observedGeneration}, spec is at ${o.metadata?.generation ?? 0}` };
  }
  if ((s.availableReplicas ?? 0) < 1) return { state: 'starting', message: `ModelReady but ${s.availableReplicas ?? 0} available replicas` };
  return { state: 'ready' };
}
