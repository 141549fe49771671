/**
 * Keras validation. A Keras v3 `.keras` file is a zip of `config.json`, `metadata.json` and the
 * weights (`model.weights.h5`); the config names every object Keras rebuilds at load time, so it
 * decides what code runs: Lambda layers carry Python bytecode, objects from modules outside Keras
 * import that module, and `function` objects call a function by name (CVE-2025-1550, -8747, -9906).
 * Legacy HDF5 files keep the same kind of JSON in a `model_config` attribute.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { openZip, ZipDataError, type OpenedZip, type ZipMember } from '../archive/zip.js';
import type { ScanTarget } from '../context.js';
import { capFindings, finding, type Finding } from '../types.js';
import { scanZipMembers } from './archive.js';

const MAX_DEPTH = 256;
const KERAS_MODULE = /^(keras|tf_keras|keras_hub|keras_nlp|keras_cv|tensorflow\.keras|tensorflow\.python\.keras)(\.|$)/;
/** Keras modules whose functions are safe to call by name (activations, losses, …). */
const SAFE_FUNCTION_MODULE =
  /^(keras|tf_keras)(\.src)?\.(activations|losses|metrics|initializers|regularizers|constraints|ops|backend|layers\.activations)(\.|$)/;
/** Modules that give a config direct access to processes, files, the network or code loading. */
const DANGEROUS_MODULE =
  /^(builtins|__builtin__|os|posix|nt|subprocess|sys|importlib|runpy|pickle|_pickle|dill|marshal|socket|shutil|ctypes|code|pty|webbrowser|requests|urllib|http|pathlib|io|tempfile|types|functools|operator|numpy\.testing|torch)(\.|$)/;
/** TF API names a TFOpLambda can call that touch files, run Python, or leave the process. */
const DANGEROUS_TF_FUNCTION = /(^|\.)(io|gfile|py_func|py_function|numpy_function|debugging|print|summary|saved_model|data|distribute|load_op_library|load_library|train|raw_ops|compat\.v1\.py_func)(\.|$)/;

const q = (s: string) => JSON.stringify(s.length > 120 ? `${s.slice(0, 120)}…` : s);

/**
 * Walks a Keras config (or any JSON holding Keras objects) and reports what loading it would run.
 * `where` names the config in messages, e.g. "config.json".
 */
export function kerasConfigFindings(config: unknown, where: string): Finding[] {
  const out: Finding[] = [];
  const seen = { depth: false };
  const walk = (v: unknown, depth: number, trail: string): void => {
    if (depth > MAX_DEPTH) {
      if (!seen.depth) out.push(finding('KERAS_PARSE', 'high', `${where} nests objects deeper than ${MAX_DEPTH} levels: not checked further`, null));
      seen.depth = true;
      return;
    }
    if (Array.isArray(v)) {
      for (const x of v) walk(x, depth + 1, trail);
      return;
    }
    if (!v || typeof v !== 'object') return;
    const o = v as Record<string, unknown>;
    const cls = typeof o.class_name === 'string' ? o.class_name : null;
    let here = trail;
    if (cls !== null) {
      const cfg = o.config && typeof o.config === 'object' ? (o.config as Record<string, unknown>) : null;
      const layer = typeof cfg?.name === 'string' ? cfg.name : typeof o.name === 'string' ? o.name : null;
      here = layer ? `${cls} ${q(layer)}` : cls;
      // A Lambda is reported once; its serialized function inside needs no second finding.
      if (checkObject(o, cls, cfg, `${here} in ${where}`, out)) return;
    }
    for (const [k, x] of Object.entries(o)) if (k !== 'class_name') walk(x, depth + 1, here);
  };
  walk(config, 0, '');
  return out;
}

/** Reports what loading this object runs; returns true when its contents need no further walk. */
function checkObject(o: Record<string, unknown>, cls: string, cfg: Record<string, unknown> | null, where: string, out: Finding[]): boolean {
  const module = typeof o.module === 'string' ? o.module : null;
  if (cls === 'Lambda' || cls === '__lambda__') {
    const fn = cfg?.function;
    const how =
      fn && typeof fn === 'object' && !Array.isArray(fn)
        ? 'its function is serialized Python bytecode'
        : Array.isArray(fn)
          ? 'its function is marshalled Python bytecode (legacy format)'
          : typeof fn === 'string'
            ? `its function is looked up by the name ${q(fn)}`
            : 'it wraps a Python function';
    out.push(
      finding(
        'KERAS_LAMBDA',
        'critical',
        `${where} is a Lambda layer: ${how}, which runs in the loading process as soon as the model is loaded with safe_mode off (or by older Keras versions) — arbitrary code execution`,
        null,
      ),
    );
    return true;
  }
  if (cls === 'TFOpLambda' || cls === 'SlicingOpLambda') {
    const fn = typeof cfg?.function === 'string' ? cfg.function : '';
    if (DANGEROUS_TF_FUNCTION.test(fn)) {
      out.push(finding('KERAS_TF_OP_LAMBDA', 'high', `${where} calls the TensorFlow function ${q(fn)} by name when the model runs: it can touch files or run Python`, null));
    } else {
      out.push(finding('KERAS_TF_OP_LAMBDA', 'low', `${where} calls the TensorFlow function ${q(fn)} by name when the model runs`, null));
    }
  }
  if (module !== null && !KERAS_MODULE.test(module)) {
    const dangerous = DANGEROUS_MODULE.test(module) || cls === 'function';
    out.push(
      finding(
        dangerous ? 'KERAS_UNSAFE_MODULE' : 'KERAS_CUSTOM_OBJECT',
        dangerous ? 'high' : 'medium',
        dangerous
          ? `${where} comes from the module ${q(module)}: loading imports it and ${cls === 'function' ? `calls ${q(String(o.config))}` : `builds ${q(cls)}`} from it, which gives the file code execution`
          : `${where} is a custom object from the module ${q(module)}: loading imports that module and runs its code; review it`,
        null,
      ),
    );
    return false;
  }
  if (module !== null && cls === 'function' && !SAFE_FUNCTION_MODULE.test(module)) {
    out.push(
      finding(
        'KERAS_UNSAFE_FUNCTION',
        'high',
        `${where} makes Keras call the function ${q(`${module}.${String(o.config)}`)} while loading; only activations, losses, metrics and similar are expected (keras.utils.get_file and keras.config.enable_unsafe_deserialization have been abused this way)`,
        null,
      ),
    );
    return false;
  }
  const registered = typeof o.registered_name === 'string' ? o.registered_name : null;
  if ((registered && registered.includes('>')) || cls.includes('>')) {
    out.push(finding('KERAS_CUSTOM_OBJECT', 'medium', `${where} is a registered custom object (${q(registered ?? cls)}): loading needs, and runs, code from the package that registered it`, null));
  }
  return false;
}

async function readAll(stream: Readable, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of stream) {
    const b = c as Buffer;
    n += b.length;
    if (n > max) {
      stream.destroy();
      throw new Error(`larger than ${max} bytes`);
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

const META_MEMBERS = new Set(['config.json', 'metadata.json']);

/** Scans a Keras v3 `.keras` zip: its config, then every other member as a file of its own. Handles FileFormat 'keras'. */
export async function scanKerasArchive(t: ScanTarget): Promise<Finding[]> {
  let zip: OpenedZip;
  try {
    zip = await openZip(t.abs, t.limits);
  } catch (err) {
    return [finding('KERAS_PARSE', 'high', `the .keras file is not a readable zip (${(err as Error).message}): it cannot be checked`, 0)];
  }
  const out: Finding[] = [...zip.findings];
  try {
    const byName = new Map(zip.members.map((m) => [m.name, m]));
    const config = byName.get('config.json');
    if (!config) out.push(finding('KERAS_PARSE', 'high', 'the .keras archive has no config.json: it is not a Keras model as its contents suggest, and cannot be checked', 0));
    for (const name of META_MEMBERS) {
      const m = byName.get(name);
      if (!m) continue;
      const json = await readJsonMember(zip, m, t, out);
      if (json !== undefined && name === 'config.json') out.push(...kerasConfigFindings(json, 'config.json').map((f) => ({ ...f, member: 'config.json', offset: f.offset ?? 0 })));
    }
    out.push(...(await scanZipMembers(zip, t, (m) => META_MEMBERS.has(m.name))));
  } finally {
    zip.close();
  }
  return capFindings(out);
}

async function readJsonMember(zip: OpenedZip, m: ZipMember, t: ScanTarget, out: Finding[]): Promise<unknown> {
  if (m.uncompressedSize > t.limits.maxHeaderBytes) {
    out.push(finding('SCAN_LIMIT', 'high', `${m.name} is ${m.uncompressedSize} bytes, over the scan limit of ${t.limits.maxHeaderBytes}: not checked`, m.offset, m.name));
    return undefined;
  }
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(await readAll(await zip.open(m), t.limits.maxHeaderBytes));
    return JSON.parse(text) as unknown;
  } catch (err) {
    const crc = err instanceof ZipDataError;
    out.push(finding(crc ? 'ZIP_CRC' : 'KERAS_PARSE', 'high', `${m.name} cannot be read as JSON (${(err as Error).message}): the model cannot be checked`, m.offset, m.name));
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Legacy HDF5. Parsing HDF5 in full is a large job; the JSON attributes Keras writes
// (model_config, training_config) are stored as contiguous UTF-8 text (attribute messages or the
// global heap), so a bounded byte search finds them: the first 64 MB (where h5py writes root
// attributes when the file is created) and the last 16 MB (where attributes added later land).

const HEAD_WINDOW = 64 * 1024 * 1024;
const TAIL_WINDOW = 16 * 1024 * 1024;
const READ = 4 * 1024 * 1024;
const MARKERS = [Buffer.from('{"class_name": "'), Buffer.from('{"class_name":"')];
const LAMBDA = [Buffer.from('"class_name": "Lambda"'), Buffer.from('"class_name":"Lambda"')];
const MODEL_CONFIG = Buffer.from('model_config');

/** Reads a balanced JSON object starting at `start` (at most `max` bytes), or null. */
async function extractObject(fh: FileHandle, start: number, size: number, max: number): Promise<string | null> {
  let depth = 0;
  let inString = false;
  let escaped = false;
  const parts: Buffer[] = [];
  for (let pos = start; pos < size && pos - start < max; ) {
    const buf = Buffer.alloc(Math.min(READ, size - pos, max - (pos - start)));
    const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
    if (bytesRead === 0) return null;
    for (let i = 0; i < bytesRead; i++) {
      const b = buf[i]!;
      if (inString) {
        if (escaped) escaped = false;
        else if (b === 0x5c) escaped = true;
        else if (b === 0x22) inString = false;
        else if (b < 0x20) return null;
      } else if (b === 0x22) inString = true;
      else if (b === 0x7b || b === 0x5b) depth++;
      else if (b === 0x7d || b === 0x5d) {
        depth--;
        if (depth === 0) {
          parts.push(buf.subarray(0, i + 1));
          return Buffer.concat(parts).toString('utf8');
        }
      } else if (b === 0) return null;
    }
    parts.push(buf.subarray(0, bytesRead));
    pos += bytesRead;
  }
  return null;
}

/** Scans a legacy HDF5 file for a Keras model config. Handles FileFormat 'hdf5'. */
export async function scanHdf5(t: ScanTarget): Promise<Finding[]> {
  const fh = await open(t.abs, 'r');
  const out: Finding[] = [];
  try {
    const windows: [number, number][] = [[0, Math.min(t.size, HEAD_WINDOW)]];
    if (t.size > HEAD_WINDOW) windows.push([Math.max(HEAD_WINDOW, t.size - TAIL_WINDOW), t.size]);
    const starts: number[] = [];
    const lambdas: number[] = [];
    let modelConfigAt = -1;
    const overlap = 64;
    const buf = Buffer.alloc(READ + overlap);
    for (const [from, to] of windows) {
      for (let pos = from; pos < to; pos += READ) {
        const len = Math.min(READ + overlap, to - pos);
        const { bytesRead } = await fh.read(buf, 0, len, pos);
        const view = buf.subarray(0, bytesRead);
        const collect = (needle: Buffer, into: number[]) => {
          for (let i = view.indexOf(needle); i >= 0 && i < READ; i = view.indexOf(needle, i + 1)) into.push(pos + i);
        };
        for (const m of MARKERS) collect(m, starts);
        for (const m of LAMBDA) collect(m, lambdas);
        if (modelConfigAt < 0) {
          const i = view.indexOf(MODEL_CONFIG);
          if (i >= 0 && i < READ) modelConfigAt = pos + i;
        }
      }
    }
    starts.sort((a, b) => a - b);
    let coveredTo = -1;
    let parsedConfigs = 0;
    for (const s of starts) {
      if (s < coveredTo) continue; // nested inside an object already checked
      const text = await extractObject(fh, s, t.size, t.limits.maxHeaderBytes);
      if (text === null) continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        continue;
      }
      parsedConfigs++;
      coveredTo = s + Buffer.byteLength(text);
      out.push(...kerasConfigFindings(value, 'the model_config attribute').map((f) => ({ ...f, offset: f.offset ?? s })));
    }
    if (lambdas.length > 0 && !out.some((f) => f.code === 'KERAS_LAMBDA')) {
      out.push(finding('KERAS_LAMBDA', 'critical', 'the file contains a Keras Lambda layer config ("class_name": "Lambda"): loading the model runs the Python bytecode it carries', lambdas[0] ?? null));
    }
    if (modelConfigAt >= 0 && parsedConfigs === 0) {
      out.push(
        finding('KERAS_PARSE', 'high', 'the file has a model_config attribute but the scanner could not read it as JSON (compressed or split storage?): the model cannot be checked', modelConfigAt),
      );
    }
    if (modelConfigAt < 0 && parsedConfigs === 0) {
      out.push(
        finding(
          'HDF5_NO_MODEL_CONFIG',
          'info',
          `an HDF5 file without a Keras model config (weights or data only); HDF5 is not parsed in full: the first ${HEAD_WINDOW / 1048576} MB and last ${TAIL_WINDOW / 1048576} MB were searched`,
          null,
        ),
      );
    }
  } catch (err) {
    out.push(finding('SCAN_ERROR', 'high', `the file could not be read: ${(err as Error).message}`, null));
  } finally {
    await fh.close();
  }
  return capFindings(out);
}

/** Dispatches on format: 'keras' (v3 zip) or 'hdf5' (legacy .h5 / weights). */
export async function scanKeras(t: ScanTarget): Promise<Finding[]> {
  return t.format === 'hdf5' ? scanHdf5(t) : scanKerasArchive(t);
}
