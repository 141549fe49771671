/**
 * Deployment templates: the organisation's standard ways to run a model (low-latency, batch,
 * streaming, evaluation). One zod schema gives validation, types and the API document; engines
 * read the resolved settings (template + a deployment's overrides).
 */
import { z } from 'zod';

const Quantity = z.string().regex(/^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/, 'a Kubernetes quantity such as "500m", "2", "4Gi"');

const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Kubernetes label key syntax: an optional DNS subdomain prefix (≤ 253) and "/", then a name of ≤ 63. */
export function isLabelKey(key: string): boolean {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : null;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== null && (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return false;
  return name.length <= 63 && LABEL_NAME.test(name);
}

/**
 * Labels become Kubernetes labels on every KServe and Seldon object, so they follow the API
 * server's rules here rather than failing (or worse, being smuggled into a manifest) later.
 */
export const LabelKey = z.string().max(317).refine(isLabelKey, 'a Kubernetes label key: an optional DNS subdomain prefix and "/", then at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit');
export const LabelValue = z.string().max(63).regex(/^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/, 'a Kubernetes label value: empty, or at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit');
export const MAX_LABELS = 32;
export const Labels = z.record(LabelKey, LabelValue).refine((l) => Object.keys(l).length <= MAX_LABELS, `at most ${MAX_LABELS} labels`);

export const TemplateSettings = z.strictObject({
  resources: z.strictObject({
    cpu: Quantity,
    memory: Quantity,
    gpus: z.number().int().min(0).max(16),
  }),
  health: z.strictObject({
    initialDelaySeconds: z.number().int().min(0).max(3600),
    periodSeconds: z.number().int().min(1).max(3600),
    timeoutSeconds: z.number().int().min(1).max(600),
    failureThreshold: z.number().int().min(1).max(100),
  }),
  autoscaling: z.strictObject({
    minReplicas: z.number().int().min(0).max(1000),
    maxReplicas: z.number().int().min(1).max(1000),
    /** What the autoscaler follows (the KServe CRD enum). */
    metric: z.enum(['cpu', 'memory', 'concurrency', 'rps']),
    target: z.number().int().min(1).max(100_000),
  }),
  /** Request timeout in seconds. */
  timeoutSeconds: z.number().int().min(1).max(3600),
  /** KServe deployment mode: Standard (raw Deployments) or Knative (scale to zero). */
  deploymentMode: z.enum(['Standard', 'Knative']),
  /** Labels put on every resource for monitoring (Prometheus relabelling, dashboards). */
  labels: Labels,
  /** Latency the smoke test holds a deployment to (p95 of the smoke inputs, milliseconds). */
  latencyTargetMs: z.number().int().min(1).max(600_000),
});
export type TemplateSettings = z.infer<typeof TemplateSettings>;

/**
 * Settings as stored and shown: labels are read as they were saved, so a template or deployment
 * recorded before the label rules still lists; deploying with it is refused (TemplateSettings).
 */
export const StoredTemplateSettings = TemplateSettings.extend({ labels: z.record(z.string(), z.string()) });

/** What a deployment may change of its template (any subset, merged one level deep). */
export const TemplateOverrides = z.strictObject({
  resources: TemplateSettings.shape.resources.partial().optional(),
  health: TemplateSettings.shape.health.partial().optional(),
  autoscaling: TemplateSettings.shape.autoscaling.partial().optional(),
  timeoutSeconds: TemplateSettings.shape.timeoutSeconds.optional(),
  deploymentMode: TemplateSettings.shape.deploymentMode.optional(),
  labels: TemplateSettings.shape.labels.optional(),
  latencyTargetMs: TemplateSettings.shape.latencyTargetMs.optional(),
});
export type TemplateOverrides = z.infer<typeof TemplateOverrides>;

export const TemplateName = z.string().regex(/^[a-z][a-z0-9-]{1,39}$/, 'lowercase letters, digits and dashes, 2-40 characters');

export const DeploymentTemplate = z.strictObject({
  name: TemplateName,
  description: z.string().max(500),
  settings: TemplateSettings,
});
export type DeploymentTemplate = z.infer<typeof DeploymentTemplate>;
/** A template as stored (see StoredTemplateSettings). */
export const StoredDeploymentTemplate = DeploymentTemplate.extend({ settings: StoredTemplateSettings });

/** Template settings with a deployment's overrides applied. */
export function resolveSettings(base: TemplateSettings, o: TemplateOverrides | undefined): TemplateSettings {
  if (!o) return base;
  return {
    resources: { ...base.resources, ...o.resources },
    health: { ...base.health, ...o.health },
    autoscaling: { ...base.autoscaling, ...o.autoscaling },
    timeoutSeconds: o.timeoutSeconds ?? base.timeoutSeconds,
    deploymentMode: o.deploymentMode ?? base.deploymentMode,
    labels: { ...base.labels, ...o.labels },
    latencyTargetMs: o.latencyTargetMs ?? base.latencyTargetMs,
  };
}

const health = { initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 };

/** The four templates every installation starts with; admins edit them or add their own. */
export const BUILT_IN_TEMPLATES: DeploymentTemplate[] = [
  {
    name: 'low-latency',
    description: 'Interactive traffic: always-warm replicas, CPU-driven scaling, short timeouts.',
    settings: { resources: { cpu: '2', memory: '4Gi', gpus: 0 }, health, autoscaling: { minReplicas: 1, maxReplicas: 4, metric: 'cpu', target: 60 }, timeoutSeconds: 30, deploymentMode: 'Standard', labels: { 'garden.io/profile': 'low-latency' }, latencyTargetMs: 200 },
  },
  {
    name: 'batch',
    description: 'Offline scoring: scales to zero between jobs, many concurrent requests per replica, long timeouts.',
    settings: { resources: { cpu: '4', memory: '8Gi', gpus: 0 }, health: { ...health, initialDelaySeconds: 10 }, autoscaling: { minReplicas: 0, maxReplicas: 8, metric: 'concurrency', target: 8 }, timeoutSeconds: 600, deploymentMode: 'Knative', labels: { 'garden.io/profile': 'batch' }, latencyTargetMs: 5000 },
  },
  {
    name: 'streaming',
    description: 'Generative models streaming tokens: a GPU per replica, concurrency-driven scaling, long timeouts.',
    settings: { resources: { cpu: '4', memory: '16Gi', gpus: 1 }, health: { ...health, initialDelaySeconds: 30 }, autoscaling: { minReplicas: 1, maxReplicas: 4, metric: 'concurrency', target: 4 }, timeoutSeconds: 900, deploymentMode: 'Standard', labels: { 'garden.io/profile': 'streaming' }, latencyTargetMs: 2000 },
  },
  {
    name: 'evaluation',
    description: 'Temporary evaluation endpoints: one small replica, no autoscaling, removed when their lifetime ends.',
    settings: { resources: { cpu: '1', memory: '2Gi', gpus: 0 }, health, autoscaling: { minReplicas: 1, maxReplicas: 1, metric: 'concurrency', target: 4 }, timeoutSeconds: 60, deploymentMode: 'Standard', labels: { 'garden.io/profile': 'evaluation' }, latencyTargetMs: 1000 },
  },
];
