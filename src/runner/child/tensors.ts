/**
 * Open Inference Protocol v2 tensors: decoding and validating request inputs against the model's
 * declared inputs, and encoding outputs. Everything here throws HttpError(400) on bad input so the
 * server answers `{"error": ...}` instead of crashing.
 */
import { HttpError } from './http-error.js';

export type OipDatatype =
  | 'BOOL' | 'UINT8' | 'UINT16' | 'UINT32' | 'UINT64' | 'INT8' | 'INT16' | 'INT32' | 'INT64'
  | 'FP16' | 'FP32' | 'FP64' | 'BYTES';

/** A model input or output as published in `/v2/models/{name}` (-1 = any size). */
export interface TensorMeta {
  name: string;
  datatype: OipDatatype;
  shape: number[];
}

/** A validated request input: flat row-major values of the declared type. */
export interface DecodedTensor {
  name: string;
  datatype: OipDatatype;
  shape: number[];
  data: unknown[];
}

export interface OutputTensor {
  name: string;
  datatype: OipDatatype;
  shape: number[];
  data: unknown[];
}

const INT_RANGES: Partial<Record<OipDatatype, [number, number]>> = {
  UINT8: [0, 255], UINT16: [0, 65535], UINT32: [0, 4294967295], UINT64: [0, Number.MAX_SAFE_INTEGER],
  INT8: [-128, 127], INT16: [-32768, 32767], INT32: [-2147483648, 2147483647],
  INT64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

function bad(message: string): never {
  throw new HttpError(400, message);
}

/** Flattens nested `data` row-major; non-array data is one element. */
function flatten(data: unknown): unknown[] {
  if (!Array.isArray(data)) return [data];
  if (!data.some(Array.isArray)) return data;
  const out: unknown[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) for (const x of v) walk(x);
    else out.push(v);
  };
  walk(data);
  return out;
}

function checkElements(name: string, datatype: OipDatatype, data: unknown[]): void {
  const range = INT_RANGES[datatype];
  for (const v of data) {
    if (datatype === 'BYTES') {
      if (typeof v !== 'string') bad(`input ${name}: BYTES elements must be strings`);
    } else if (datatype === 'BOOL') {
      if (typeof v !== 'boolean') bad(`input ${name}: BOOL elements must be true or false`);
    } else if (typeof v !== 'number' || !Number.isFinite(v)) {
      bad(`input ${name}: ${datatype} elements must be numbers`);
    } else if (range && (!Number.isInteger(v) || v < range[0] || v > range[1])) {
      bad(`input ${name}: ${v} is not a valid ${datatype}`);
    }
  }
}

function parseShape(name: string, shape: unknown): number[] {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && (d as number) >= 0)) {
    bad(`input ${name}: shape must be an array of non-negative integers`);
  }
  return shape as number[];
}

// The declared inputs never change for a loaded model: index them once, not per request.
const indexes = new WeakMap<readonly TensorMeta[], Map<string, TensorMeta>>();
function indexOf(declared: readonly TensorMeta[]): Map<string, TensorMeta> {
  let index = indexes.get(declared);
  if (!index) indexes.set(declared, (index = new Map(declared.map((d) => [d.name, d]))));
  return index;
}

/**
 * Validates `inputs` of an infer request against the model: every input known and present, the
 * datatype equal to the declared one, the rank and fixed dimensions matching, and the element
 * count equal to the product of the shape.
 */
export function decodeInputs(raw: unknown, declared: readonly TensorMeta[]): DecodedTensor[] {
  if (!Array.isArray(raw) || raw.length === 0) bad('inputs must be a non-empty array');
  const byName = indexOf(declared);
  const seen = new Set<string>();
  const out: DecodedTensor[] = [];
  for (const item of raw as unknown[]) {
    if (typeof item !== 'object' || item === null) bad('each input must be an object');
    const { name, shape, datatype, data } = item as Record<string, unknown>;
    if (typeof name !== 'string') bad('input name must be a string');
    const meta = byName.get(name);
    if (!meta) bad(`unknown input ${name}; the model takes ${declared.map((d) => d.name).join(', ')}`);
    if (seen.has(name)) bad(`input ${name} given twice`);
    seen.add(name);
    if (datatype !== meta.datatype) bad(`input ${name}: datatype ${String(datatype)} given, the model expects ${meta.datatype}`);
    const dims = parseShape(name, shape);
    if (meta.shape.length > 0 && dims.length !== meta.shape.length) {
      bad(`input ${name}: shape [${dims.join(',')}] has rank ${dims.length}, the model expects [${meta.shape.join(',')}]`);
    }
    meta.shape.forEach((d, i) => {
      if (d >= 0 && dims[i] !== d) bad(`input ${name}: dimension ${i} is ${dims[i]}, the model expects ${d}`);
    });
    if (data === undefined) bad(`input ${name}: data is missing`);
    const flat = flatten(data);
    const count = dims.reduce((a, b) => a * b, 1);
    if (flat.length !== count) bad(`input ${name}: ${flat.length} elements given, shape [${dims.join(',')}] needs ${count}`);
    checkElements(name, meta.datatype, flat);
    out.push({ name, datatype: meta.datatype, shape: dims, data: flat });
  }
  const missing = declared.filter((d) => !seen.has(d.name)).map((d) => d.name);
  if (missing.length) bad(`missing input ${missing.join(', ')}`);
  return out;
}

/** The names of requested outputs (`outputs: [{name}]`), or undefined for all of them. */
export function requestedOutputs(raw: unknown, declared: readonly TensorMeta[]): string[] | undefined {
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw)) bad('outputs must be an array');
  const known = new Set(declared.map((d) => d.name));
  return (raw as unknown[]).map((o) => {
    const name = (o as { name?: unknown } | null)?.name;
    if (typeof name !== 'string') bad('each requested output needs a name');
    if (!known.has(name)) bad(`unknown output ${name}; the model has ${[...known].join(', ')}`);
    return name;
  });
}
