/**
 * One verdict for a Seldon Model: the vendored CRD schema (what the API server checks with
 * fieldValidation=Strict, via the shared validateManifest) plus the checks the Seldon operator
 * only makes after admission. Seldon has no validating webhook for Model scaling: a Model with
 * minReplicas > maxReplicas is accepted by the API server and then fails in the operator
 * (GetValidatedScalingSpec → ModelFailed), so we catch it before talking to a cluster.
 */
import { AppError } from '../../../core/errors.js';
import { validateManifest, type ManifestError, type ManifestVerdict } from '../kserve/validate.js';

/** Same cap as the KServe engine: names are reused in derived names (topics, routes, metrics). */
export const MAX_NAME = 40;
const DNS_1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

interface ModelShape {
  metadata?: { name?: unknown };
  spec?: { replicas?: unknown; minReplicas?: unknown; maxReplicas?: unknown };
}

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

function ownChecks(manifest: unknown): ManifestError[] {
  const m = (typeof manifest === 'object' && manifest !== null ? manifest : {}) as ModelShape;
  const errors: ManifestError[] = [];
  const name = m.metadata?.name;
  if (typeof name === 'string') {
    if (!DNS_1035.test(name)) errors.push({ path: '/metadata/name', message: 'must be a DNS-1035 label: lowercase letters, digits and dashes, starting with a letter' });
    if (name.length > MAX_NAME) errors.push({ path: '/metadata/name', message: `must be at most ${MAX_NAME} characters` });
  }
  const min = num(m.spec?.minReplicas);
  const max = num(m.spec?.maxReplicas);
  const replicas = num(m.spec?.replicas);
  // maxReplicas 0 means "no maximum" to Seldon, so only a positive maximum bounds the others.
  if (min !== undefined && max !== undefined && max > 0 && min > max) {
    errors.push({ path: '/spec/minReplicas', message: `minReplicas (${min}) is greater than maxReplicas (${max})` });
  }
  if (replicas !== undefined && max !== undefined && max > 0 && replicas > max) {
    errors.push({ path: '/spec/replicas', message: `replicas (${replicas}) is greater than maxReplicas (${max})` });
  }
  return errors;
}

/** Schema + operator rules for a Seldon Model manifest. */
export function validateSeldonModel(manifest: unknown): ManifestVerdict {
  const errors = [...validateManifest(manifest).errors, ...ownChecks(manifest)];
  return { ok: errors.length === 0, errors };
}

/** Throws MANIFEST_INVALID listing every problem, or returns the manifest unchanged. */
export function assertValidSeldonModel(manifest: Record<string, unknown>): Record<string, unknown> {
  const verdict = validateSeldonModel(manifest);
  if (!verdict.ok) {
    const name = (manifest.metadata as { name?: string } | undefined)?.name ?? '?';
    throw new AppError('MANIFEST_INVALID', `the Seldon Model ${name} is invalid: ${verdict.errors.map((e) => `${e.path} ${e.message}`).join('; ')}`, { errors: verdict.errors });
  }
  return manifest;
}
