/**
 * Renders a deployment as a KServe v1beta1 InferenceService (kserve-notes §8). Pure: no I/O,
 * no validation; the engine validates every manifest it renders (validate.ts).
 */
import { AppError } from '../../../core/errors.js';
import type { EngineDeployment } from '../../ports/engine.js';
import { chooseRuntime, type FormatOptions } from './formats.js';

export const GROUP = 'serving.kserve.io';
export const VERSION = 'v1beta1';
export const PLURAL = 'inferenceservices';
export const MANAGED_BY = 'garden.io/managed-by';
export const MANAGER = 'model-garden';
export const DEPLOYMENT_ID = 'garden.io/deployment-id';

/** Derived names such as `<name>-predictor-<hash>` must still fit 63 characters. */
const MAX_NAME = 40;
/** The port every stock KServe runtime listens on for HTTP (Triton is started with --http-port=8080). */
const HTTP_PORT = 8080;

export interface RenderOptions extends FormatOptions {
  namespace: string;
}

/** A label value the API server accepts: [A-Za-z0-9._-], ≤ 63, alphanumeric at both ends. */
export function labelValue(v: string): string {
  return v
    .replace(/[^a-zA-Z0-9._-]/g, '-')
    .slice(0, 63)
    .replace(/^[^a-zA-Z0-9]+|[^a-zA-Z0-9]+$/g, '');
}

/** The garden.io labels every object of a deployment carries, after the template's own. */
export function labels(d: EngineDeployment): Record<string, string> {
  // Ours come last so a template label cannot disguise who manages the object.
  return {
    ...d.settings.labels,
    [MANAGED_BY]: MANAGER,
    [DEPLOYMENT_ID]: labelValue(d.id),
    'garden.io/template': labelValue(d.template),
    'garden.io/model': labelValue(d.model.slug),
    'garden.io/version': labelValue(d.model.version),
    'garden.io/team': labelValue(d.team),
  };
}

function annotations(d: EngineDeployment, autoscalerClass: string | undefined): Record<string, string> {
  const a: Record<string, string> = {
    // The cluster default differs between installs (Knative vs Standard): always say which.
    'serving.kserve.io/deploymentMode': d.settings.deploymentMode,
    'garden.io/use-case': d.useCase,
    'garden.io/environment': d.environment,
  };
  if (autoscalerClass) a['serving.kserve.io/autoscalerClass'] = autoscalerClass;
  // KServe has no TTL: the marketplace sweeper deletes on this annotation (kserve-notes §5.3).
  if (d.expiresAt) a['garden.io/expires-at'] = d.expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return a;
}

/**
 * Autoscaling fields for the predictor. Knative: KPA follows any of the four metrics and may
 * scale to zero. Standard: the HPA follows only cpu/memory utilisation and cannot go below 1;
 * a fixed replica count needs no autoscaler; a concurrency/rps template falls back to the
 * HPA's default (cpu 80 %) because request metrics need KEDA + Prometheus, which we cannot
 * assume (kserve-notes §8).
 */
function scaling(d: EngineDeployment): { autoscalerClass?: string; fields: Record<string, unknown> } {
  const { minReplicas, maxReplicas, metric, target } = d.settings.autoscaling;
  if (d.settings.deploymentMode === 'Knative') {
    return { fields: { minReplicas, maxReplicas, scaleMetric: metric, scaleTarget: target } };
  }
  const min = Math.max(1, minReplicas);
  if (min === maxReplicas) return { autoscalerClass: 'none', fields: { minReplicas: min, maxReplicas } };
  if (metric === 'cpu' || metric === 'memory') {
    return { autoscalerClass: 'hpa', fields: { minReplicas: min, maxReplicas, scaleMetric: metric, scaleTarget: target } };
  }
  return { autoscalerClass: 'hpa', fields: { minReplicas: min, maxReplicas } };
}

function resources(d: EngineDeployment): Record<string, Record<string, string>> {
  const r: Record<string, string> = { cpu: d.settings.resources.cpu, memory: d.settings.resources.memory };
  if (d.settings.resources.gpus > 0) r['nvidia.com/gpu'] = String(d.settings.resources.gpus);
  // requests = limits: Guaranteed QoS, so a busy node never squeezes a serving pod.
  return { requests: r, limits: { ...r } };
}

/** The InferenceService for one deployment. Throws INVALID_INPUT for names or formats KServe cannot take. */
export function renderInferenceService(d: EngineDeployment, opts: RenderOptions): Record<string, unknown> {
  if (d.name.length > MAX_NAME) {
    throw new AppError('INVALID_INPUT', `deployment name "${d.name}" is longer than ${MAX_NAME} characters`, { name: d.name });
  }
  const runtime = chooseRuntime(d.model.format, d.model.task, opts);
  const { autoscalerClass, fields } = scaling(d);
  const h = d.settings.health;
  const model: Record<string, unknown> = {
    modelFormat: { name: runtime.modelFormat },
    ...(runtime.runtime ? { runtime: runtime.runtime } : {}),
    ...(runtime.protocolVersion ? { protocolVersion: runtime.protocolVersion } : {}),
    ...(runtime.args ? { args: runtime.args } : {}),
    storageUri: d.model.storageUri,
    resources: resources(d),
    // /v2/health/ready is served by every KServe runtime (Python model server and Triton);
    // the model container accepts a probe (it is a full Container in the CRD).
    readinessProbe: {
      httpGet: { path: '/v2/health/ready', port: HTTP_PORT },
      initialDelaySeconds: h.initialDelaySeconds,
      periodSeconds: h.periodSeconds,
      timeoutSeconds: h.timeoutSeconds,
      failureThreshold: h.failureThreshold,
    },
  };
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'InferenceService',
    metadata: { name: d.name, namespace: opts.namespace, labels: labels(d), annotations: annotations(d, autoscalerClass) },
    spec: { predictor: { ...fields, timeout: d.settings.timeoutSeconds, model } },
  };
}
