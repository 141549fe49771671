/**
 * The Kubernetes side of the KServe engine: InferenceServices through the shared custom-object
 * client. Readiness is learnt by watch, not polling (waitReady).
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { AppError } from '../../../core/errors.js';
import { createCustomObjectClient, type CustomObjectClient } from '../k8s/custom-objects.js';
import { GROUP, MANAGER, PLURAL, VERSION } from './render.js';
import { phaseOf, type IsvcObject } from './readiness.js';

export { isNetworkError, isNotFound, toAppError } from '../k8s/custom-objects.js';

export interface KServeClientOptions {
  kubeConfig: KubeConfig;
  namespace: string;
}

export type KServeClient = CustomObjectClient<IsvcObject>;

export function createKServeClient(opts: KServeClientOptions): KServeClient {
  return createCustomObjectClient<IsvcObject>({ ...opts, group: GROUP, version: VERSION, plural: PLURAL, kind: 'InferenceService', manager: MANAGER });
}

/** The phase check used while waiting: ready resolves, a failed model load throws ENDPOINT_FAILED. */
export function readyOrThrow(type: string, o: IsvcObject): { object: IsvcObject; url: string } | undefined {
  if (type === 'DELETED') throw new AppError('ENDPOINT_FAILED', 'the InferenceService was deleted while starting', { reason: 'Deleted', message: 'deleted while starting' });
  const p = phaseOf(o);
  if (p.state === 'failed') throw new AppError('ENDPOINT_FAILED', `the model did not load: ${p.message}`, { reason: p.reason, message: p.message });
  return p.state === 'ready' ? { object: o, url: p.url } : undefined;
}
