/**
 * One verdict for a manifest: the CRD schema (what the API server checks with
 * fieldValidation=Strict) plus the KServe webhook rules (what admission checks). The engine
 * validates everything it renders before it talks to a cluster, so a bad override fails fast
 * with every problem listed instead of one opaque 422 from the API server.
 */
import { checkInferenceServiceAdmission } from './admission.js';
import { inferenceServiceValidator, seldonModelValidator, toManifestErrors, type ManifestError } from './schema-validator.js';

export type { ManifestError };

export interface ManifestVerdict {
  ok: boolean;
  errors: ManifestError[];
}

const KINDS = ['serving.kserve.io/InferenceService', 'mlops.seldon.io/Model'];

/** Validates an InferenceService (schema + admission) or a Seldon Model (schema). */
export function validateManifest(manifest: unknown): ManifestVerdict {
  const m = (typeof manifest === 'object' && manifest !== null ? manifest : {}) as { apiVersion?: unknown; kind?: unknown };
  const group = typeof m.apiVersion === 'string' ? m.apiVersion.split('/')[0] : undefined;
  const kind = `${group ?? ''}/${String(m.kind)}`;
  let errors: ManifestError[];
  if (kind === KINDS[0]) {
    const validate = inferenceServiceValidator();
    validate(manifest);
    errors = [...toManifestErrors(validate.errors), ...checkInferenceServiceAdmission(manifest)];
  } else if (kind === KINDS[1]) {
    const validate = seldonModelValidator();
    validate(manifest);
    errors = toManifestErrors(validate.errors);
  } else {
    errors = [{ path: '/kind', message: `unsupported kind ${kind}; expected one of ${KINDS.join(', ')}` }];
  }
  return { ok: errors.length === 0, errors };
}
