/**
 * The KServe admission-webhook rules that the CRD schema cannot express
 * (kserve pkg/apis/serving/v1beta1/inference_service_validation.go, v0.20.0; kserve-notes §2.3.6).
 * Without them a manifest passes ajv and is then refused by the cluster, or worse, accepted and
 * never becomes ready (an HPA cannot follow `concurrency`). Only rules that a Model Garden
 * manifest or a user override can break are re-implemented; metadata is checked here because
 * the CRD types it as a bare object.
 */
import type { ManifestError } from './schema-validator.js';

const NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Legacy framework keys: each is a predictor implementation, like `model` or `containers`. */
const FRAMEWORKS = ['sklearn', 'xgboost', 'tensorflow', 'pytorch', 'triton', 'onnx', 'huggingface', 'pmml', 'lightgbm', 'paddle'];
const AUTOSCALER_CLASSES = ['hpa', 'keda', 'external', 'none'];
const HPA_METRICS = ['cpu', 'memory'];
const STANDARD_MODES = ['Standard', 'RawDeployment'];

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

function checkLabels(labels: Obj, errors: ManifestError[]): void {
  for (const [key, value] of Object.entries(labels)) {
    const p = `/metadata/labels/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    const slash = key.lastIndexOf('/');
    const prefix = slash >= 0 ? key.slice(0, slash) : '';
    const name = key.slice(slash + 1);
    if (!LABEL_NAME.test(name) || name.length > 63 || (prefix !== '' && (!DNS_SUBDOMAIN.test(prefix) || prefix.length > 253))) {
      errors.push({ path: p, message: 'label key must be an optional DNS prefix and a name of at most 63 alphanumeric, "-", "_" or "." characters' });
    }
    if (typeof value !== 'string') errors.push({ path: p, message: 'label value must be a string' });
    else if (value.length > 63) errors.push({ path: p, message: `label value is ${value.length} characters; at most 63 allowed` });
    else if (!LABEL_VALUE.test(value)) errors.push({ path: p, message: 'label value must be alphanumeric, "-", "_" or ".", starting and ending alphanumeric' });
  }
}

/** Replica and autoscaling rules shared by predictor, transformer and explainer. */
function checkScaling(c: Obj, at: string, hpa: boolean, errors: ManifestError[]): void {
  const min = num(c.minReplicas);
  const max = num(c.maxReplicas);
  if (min !== undefined && min < 0) errors.push({ path: `${at}/minReplicas`, message: 'minReplicas cannot be negative' });
  if (max !== undefined && max < 0) errors.push({ path: `${at}/maxReplicas`, message: 'maxReplicas cannot be negative' });
  // maxReplicas 0 means "unset" to KServe, so only a positive maximum bounds the minimum.
  if (min !== undefined && max !== undefined && max > 0 && min > max) {
    errors.push({ path: `${at}/minReplicas`, message: `minReplicas (${min}) cannot be greater than maxReplicas (${max})` });
  }
  const metric = c.scaleMetric;
  if (hpa && typeof metric === 'string' && !HPA_METRICS.includes(metric)) {
    errors.push({ path: `${at}/scaleMetric`, message: `scaleMetric "${metric}" is not supported by the HPA autoscaler (Standard mode); use cpu or memory, or Knative mode` });
  }
  const target = num(c.scaleTarget);
  const utilisation = (metric === undefined || metric === 'cpu' || metric === 'memory') && c.scaleMetricType !== 'AverageValue';
  if (target !== undefined && utilisation && hpa && (target < 1 || target > 100)) {
    errors.push({ path: `${at}/scaleTarget`, message: `scaleTarget is a utilisation percentage for ${String(metric ?? 'cpu')}: 1..100, got ${target}` });
  }
  const canary = num(c.canaryTrafficPercent);
  if (canary !== undefined && (canary < 0 || canary > 100)) {
    errors.push({ path: `${at}/canaryTrafficPercent`, message: `canaryTrafficPercent must be 0..100, got ${canary}` });
  }
}

function checkPredictorImplementation(p: Obj, at: string, errors: ManifestError[]): void {
  const impls = [...(p.model !== undefined ? ['model'] : []), ...FRAMEWORKS.filter((f) => p[f] !== undefined)];
  const containers = Array.isArray(p.containers) && p.containers.length > 0;
  if (impls.length > 1) errors.push({ path: at, message: `exactly one predictor implementation is allowed, found ${impls.join(', ')}` });
  if (impls.length === 0 && !containers) errors.push({ path: at, message: 'a predictor needs one implementation: model, a framework key or containers' });
  for (const key of impls) {
    const impl = obj(p[key]) ?? {};
    const hasUri = typeof impl.storageUri === 'string' && impl.storageUri !== '';
    if (hasUri && p.storageUris !== undefined) errors.push({ path: `${at}/storageUris`, message: 'storageUri and storageUris are mutually exclusive' });
    if (!hasUri && p.storageUris === undefined) errors.push({ path: `${at}/${key}/storageUri`, message: 'storageUri is required (where the runtime fetches the model)' });
  }
}

/** Webhook-only checks of an InferenceService; the schema checks run separately (validate.ts). */
export function checkInferenceServiceAdmission(manifest: unknown): ManifestError[] {
  const errors: ManifestError[] = [];
  const m = obj(manifest) ?? {};
  const meta = obj(m.metadata) ?? {};
  const name = meta.name;
  if (typeof name !== 'string' || name === '') errors.push({ path: '/metadata/name', message: 'name is required' });
  else {
    if (!NAME.test(name)) errors.push({ path: '/metadata/name', message: `name "${name}" must match [a-z]([-a-z0-9]*[a-z0-9])? (lowercase letters, digits, dashes; starting with a letter)` });
    if (name.length > 63) errors.push({ path: '/metadata/name', message: `name is ${name.length} characters; at most 63 allowed` });
  }
  checkLabels(obj(meta.labels) ?? {}, errors);
  const annotations = obj(meta.annotations) ?? {};
  const klass = annotations['serving.kserve.io/autoscalerClass'];
  if (klass !== undefined && (typeof klass !== 'string' || !AUTOSCALER_CLASSES.includes(klass))) {
    errors.push({ path: '/metadata/annotations/serving.kserve.io~1autoscalerClass', message: `autoscalerClass must be one of ${AUTOSCALER_CLASSES.join(', ')}` });
  }
  const mode = annotations['serving.kserve.io/deploymentMode'];
  const standard = typeof mode === 'string' && STANDARD_MODES.includes(mode);
  // HPA rules apply when HPA is named, or implied by Standard mode without another class.
  const hpa = klass === 'hpa' || (klass === undefined && standard);
  const spec = obj(m.spec) ?? {};
  for (const component of ['predictor', 'transformer', 'explainer']) {
    const c = obj(spec[component]);
    if (c) checkScaling(c, `/spec/${component}`, hpa, errors);
  }
  const predictor = obj(spec.predictor);
  if (predictor) checkPredictorImplementation(predictor, '/spec/predictor', errors);
  if (Array.isArray(spec.canary)) {
    if (!standard) errors.push({ path: '/spec/canary', message: 'spec.canary needs the annotation serving.kserve.io/deploymentMode: Standard' });
    let sum = 0;
    spec.canary.forEach((entry, i) => {
      const e = obj(entry) ?? {};
      const pct = num(e.trafficPercent) ?? 0;
      sum += pct;
      if (pct < 0 || pct > 100) errors.push({ path: `/spec/canary/${i}/trafficPercent`, message: `trafficPercent must be 0..100, got ${pct}` });
      const cp = obj(e.predictor) ?? {};
      for (const k of ['maxReplicas', 'scaleTarget', 'scaleMetric', 'autoScaling']) {
        if (cp[k] !== undefined) errors.push({ path: `/spec/canary/${i}/predictor/${k}`, message: `${k} is not allowed on a canary (the stable predictor's autoscaling applies)` });
      }
    });
    if (sum > 100) errors.push({ path: '/spec/canary', message: `canary trafficPercent values add up to ${sum}; at most 100` });
  }
  return errors;
}
