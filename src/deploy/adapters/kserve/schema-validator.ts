/**
 * ajv validators for the vendored CRDs, built lazily once per process (docs/kserve-notes.md §2).
 *
 * Cost (bench/kserve-validate.ts): parsing the 2 MB CRD YAML takes ~0.5 s and compiling the
 * full strict InferenceService schema ~3-5 s. The schema is deduplicated (crd-schema.ts), which
 * brings the compile to ~0.2 s, and the deduplicated schema is cached as JSON in a temp folder
 * keyed by the CRD file's sha256, so later processes skip the YAML parse too.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { CRD_FILES, crdPath, dedupe, loadCrdSchema, toStrict } from './crd-schema.js';

export interface ManifestError {
  path: string;
  message: string;
}

// ajv-formats is CommonJS; under NodeNext its default import is the module object.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

/** Structural keywords the API server interprets; ajv must know them to run in strict mode. */
const K8S_KEYWORDS = [
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-int-or-string',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-validations',
];

export function createAjv(): Ajv {
  // strictTypes off: kubebuilder's int-or-string `anyOf` trips ajv's type-union checks.
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, inlineRefs: false });
  addFormats(ajv);
  for (const keyword of K8S_KEYWORDS) ajv.addKeyword({ keyword });
  return ajv;
}

export interface SchemaOptions {
  /** Where to keep the derived schema; null disables the cache. Default: the OS temp folder. */
  cacheDir?: string | null;
  /** Skip deduplication (used by the bench and a test to prove both schemas agree). */
  full?: boolean;
}

/** The strict (and, unless `full`, deduplicated) schema of one CRD version, cached on disk. */
export function strictSchema(file: string, version: string, opts: SchemaOptions = {}): Record<string, unknown> {
  const sha = createHash('sha256').update(readFileSync(crdPath(file))).digest('hex');
  const cacheDir = opts.cacheDir === undefined ? path.join(tmpdir(), 'model-garden-crd-cache') : opts.cacheDir;
  const cacheFile = cacheDir && !opts.full ? path.join(cacheDir, `${file}.${version}.${sha.slice(0, 32)}.json`) : null;
  if (cacheFile) {
    try {
      return JSON.parse(readFileSync(cacheFile, 'utf8')) as Record<string, unknown>;
    } catch {
      // absent or torn: rebuild below
    }
  }
  const strict = toStrict(loadCrdSchema(file, version).schema);
  const schema = opts.full ? strict : dedupe(strict);
  if (cacheFile && cacheDir) {
    try {
      mkdirSync(cacheDir, { recursive: true });
      // Write then rename so a concurrent reader never sees half a file.
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(schema));
      renameSync(tmp, cacheFile);
    } catch {
      // a read-only temp folder only costs the YAML parse next time
    }
  }
  return schema;
}

let isvc: ValidateFunction | undefined;
let seldon: ValidateFunction | undefined;

/** The InferenceService v1beta1 validator (compiled on first use, then shared). */
export function inferenceServiceValidator(): ValidateFunction {
  isvc ??= createAjv().compile(strictSchema(CRD_FILES.inferenceService, 'v1beta1'));
  return isvc;
}

/** The Seldon Core v2 Model v1alpha1 validator. */
export function seldonModelValidator(): ValidateFunction {
  seldon ??= createAjv().compile(strictSchema(CRD_FILES.seldonModel, 'v1alpha1'));
  return seldon;
}

/** ajv errors as `{ path, message }` with the offending property named (ajv keeps it in params). */
export function toManifestErrors(errors: ErrorObject[] | null | undefined): ManifestError[] {
  const out: ManifestError[] = [];
  const seen = new Set<string>();
  for (const e of errors ?? []) {
    const p = e.instancePath === '' ? '/' : e.instancePath;
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'additionalProperties') message = `unknown field "${String(e.params.additionalProperty)}"`;
    else if (e.keyword === 'enum') message += `: ${(e.params.allowedValues as unknown[]).map(String).join(', ')}`;
    // int-or-string anyOf reports each branch; one line per path+message is enough.
    const key = `${p}\0${message}`;
    if (!seen.has(key)) out.push({ path: p, message });
    seen.add(key);
  }
  return out;
}
