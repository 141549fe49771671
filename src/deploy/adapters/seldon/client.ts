/**
 * The Kubernetes side of the Seldon engine: Models through the shared custom-object client
 * (the same calls and error mapping as KServe); readiness is learnt by watch, not polling.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { AppError } from '../../../core/errors.js';
import { createCustomObjectClient, toAppError as toK8sError, type CustomObjectClient } from '../k8s/custom-objects.js';
import { GROUP, MANAGER, PLURAL, VERSION } from './render.js';
import type { SeldonModelObject } from './readiness.js';

/** API errors as AppError, naming the Seldon Model in refusals. */
export const toAppError = (err: unknown, what: string): AppError => toK8sError(err, what, 'Seldon Model');

export interface SeldonClientOptions {
  kubeConfig: KubeConfig;
  namespace: string;
}

export type SeldonClient = CustomObjectClient<SeldonModelObject>;

export function createSeldonClient(opts: SeldonClientOptions): SeldonClient {
  return createCustomObjectClient<SeldonModelObject>({ ...opts, group: GROUP, version: VERSION, plural: PLURAL, kind: 'Seldon Model', manager: MANAGER });
}
