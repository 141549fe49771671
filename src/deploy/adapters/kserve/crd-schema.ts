/**
 * Turns a vendored CRD's openAPIV3Schema into a JSON Schema that ajv validates the way the API
 * server does with fieldValidation=Strict, and shrinks it so that it compiles fast.
 *
 * Why the shrinking: the InferenceService schema repeats the same PodSpec/Container subtrees
 * dozens of times (predictor, transformer, explainer, canary, workerSpec, every framework key),
 * and ajv generates code for each copy: ~5 s. Identical subtrees are moved into `definitions`
 * and referenced with `$ref`, so ajv compiles each distinct subtree once. Nothing is dropped,
 * so the result validates exactly what the full schema validates.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { ROOT } from '../../../core/paths.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Schema = { [k: string]: Json };

/** The CRD files we ship (copies of /work/shared/fixtures/k8s/crds, KServe v0.20.0, Seldon v2.10.2). */
export const CRD_FILES = {
  inferenceService: 'serving.kserve.io_inferenceservices.yaml',
  seldonModel: 'mlops.seldon.io_models.yaml',
} as const;

/** Finds the crds folder both from src/ (tsx, vitest) and from dist/ (tsc does not copy YAML). */
export function crdPath(file: string): string {
  const here = path.join(path.dirname(fileURLToPath(import.meta.url)), 'crds', file);
  if (existsSync(here)) return here;
  return path.join(ROOT, 'src', 'deploy', 'adapters', 'kserve', 'crds', file);
}

export interface LoadedCrd {
  schema: Schema;
  /** sha256 of the CRD file: the key for any cache derived from it. */
  sha256: string;
}

/** Reads the served version's openAPIV3Schema from a CRD file. */
export function loadCrdSchema(file: string, version: string): LoadedCrd {
  const text = readFileSync(crdPath(file), 'utf8');
  const crd = parse(text) as { spec: { versions: { name: string; served: boolean; schema: { openAPIV3Schema: Schema } }[] } };
  const v = crd.spec.versions.find((x) => x.name === version && x.served);
  if (!v) throw new Error(`${file} does not serve version ${version}`);
  return { schema: v.schema.openAPIV3Schema, sha256: createHash('sha256').update(text).digest('hex') };
}

const isObj = (v: Json | undefined): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Calls fn on every subschema position (properties values, items, additionalProperties, not,
 * anyOf/allOf/oneOf members) and rebuilds the node from the results. `properties` is a map
 * of schemas, not a schema, so it is walked one level down.
 */
function mapChildren(node: Schema, fn: (s: Schema) => Json): Schema {
  const out: Schema = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'properties' && isObj(v)) {
      out[k] = Object.fromEntries(Object.entries(v).map(([pk, pv]) => [pk, isObj(pv) ? fn(pv) : pv]));
    } else if ((k === 'items' || k === 'additionalProperties' || k === 'not') && isObj(v)) {
      out[k] = fn(v);
    } else if ((k === 'anyOf' || k === 'allOf' || k === 'oneOf') && Array.isArray(v)) {
      out[k] = v.map((s) => (isObj(s) ? fn(s) : s));
    } else {
      out[k] = v;
    }
  }
  return out;
}

/**
 * Emulates fieldValidation=Strict: an object schema with `properties` and no
 * `x-kubernetes-preserve-unknown-fields` rejects unknown fields (the API server would reject
 * them instead of pruning). Same recipe as docs/kserve-notes.md §2.1.
 */
export function toStrict(node: Schema): Schema {
  const out = mapChildren(node, toStrict);
  if (out.properties !== undefined && out.additionalProperties === undefined && out['x-kubernetes-preserve-unknown-fields'] !== true) {
    out.additionalProperties = false;
  }
  return out;
}

/** Subtrees smaller than this stay inline: a $ref costs more than it saves for `{type: string}`. */
const MIN_SHARED_CHARS = 120;

/** Moves every subtree that occurs more than once into `definitions` (see the file comment). */
export function dedupe(root: Schema): Schema {
  const counts = new Map<string, number>();
  const info = new Map<Schema, { key: string; size: number }>();
  // Pass 1: a content hash and the JSON size of every subschema, children hashed first so the
  // cost stays linear. Equal raw subtrees are rewritten identically, so the raw hash is a sound key.
  const measure = (s: Schema): string => {
    let size = 0;
    const shallow = JSON.stringify(
      mapChildren(s, (c) => {
        const key = measure(c);
        size += info.get(c)?.size ?? 0;
        return key;
      }),
    );
    const key = 's' + createHash('sha1').update(shallow).digest('hex').slice(0, 20);
    info.set(s, { key, size: size + shallow.length });
    counts.set(key, (counts.get(key) ?? 0) + 1);
    return key;
  };
  measure(root);
  const definitions: Record<string, Schema> = {};
  const rewrite = (s: Schema): Json => {
    const rewritten = mapChildren(s, rewrite);
    const m = info.get(s);
    if (!m || (counts.get(m.key) ?? 0) < 2 || m.size < MIN_SHARED_CHARS) return rewritten;
    definitions[m.key] ??= rewritten;
    return { $ref: `#/definitions/${m.key}` };
  };
  const body = mapChildren(root, rewrite);
  return { ...body, definitions };
}
