/**
 * Renders a deployment as a Seldon Core v2 `Model` (mlops.seldon.io/v1alpha1). Pure: no I/O,
 * no validation (validate.ts). The Model only asks for a server with the right capability and
 * enough memory; the Server (MLServer or Triton pods) is installed and sized by the cluster
 * admins, which is why cpu, GPUs, probes and timeouts of the template have no place here.
 */
import type { EngineDeployment } from '../../ports/engine.js';
import { DEPLOYMENT_ID, MANAGED_BY, MANAGER, labels } from '../kserve/render.js';
import { capabilityFor } from './capabilities.js';

export const GROUP = 'mlops.seldon.io';
export const VERSION = 'v1alpha1';
export const PLURAL = 'models';
export const KIND = 'Model';
export { DEPLOYMENT_ID, MANAGED_BY, MANAGER };

export interface SeldonRenderOptions {
  namespace: string;
  /** Pins the Model to one Server (spec.server) instead of capability-based scheduling. */
  server?: string | undefined;
}

function annotations(d: EngineDeployment): Record<string, string> {
  const a: Record<string, string> = { 'garden.io/use-case': d.useCase, 'garden.io/environment': d.environment };
  // Seldon has no TTL either: the marketplace sweeper deletes on this annotation (kserve-notes §5.3).
  if (d.expiresAt) a['garden.io/expires-at'] = d.expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return a;
}

/**
 * The Model for one deployment. Throws INVALID_INPUT for a format no stock server serves.
 * `replicas` starts at minReplicas but never at 0: a deployment must answer once started, and
 * Seldon reports a 0-replica model as ModelScaledDown (not ready). minReplicas 0 is kept so
 * Seldon's model autoscaling may still scale an idle batch model down later.
 */
export function renderSeldonModel(d: EngineDeployment, opts: SeldonRenderOptions): Record<string, unknown> {
  const { minReplicas, maxReplicas } = d.settings.autoscaling;
  const spec: Record<string, unknown> = {
    storageUri: d.model.storageUri,
    requirements: [capabilityFor(d.model.format)],
    // The scheduler packs models onto servers by this figure (and overcommits beyond it).
    memory: d.settings.resources.memory,
    replicas: Math.max(1, minReplicas),
    minReplicas,
    maxReplicas,
  };
  if (opts.server) spec.server = opts.server;
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: KIND,
    metadata: { name: d.name, namespace: opts.namespace, labels: labels(d), annotations: annotations(d) },
    spec,
  };
}
