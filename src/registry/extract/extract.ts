/**
 * Pre-fills catalog fields from a model folder or file, reading only headers and metadata: walks
 * the folder, recognises the layout (Hugging Face folder with config.json / safetensors / README,
 * GGUF files, ONNX models), runs the readers and merges what they found, with hardware estimates on top.
 */
import { lstat, opendir } from 'node:fs/promises';
import path from 'node:path';
import { readConfigJson, type ConfigSummary } from './config-json.js';
import { ExtractError, unreadable } from './errors.js';
import { readGgufMetadata, type GgufMetadata } from './gguf.js';
import { readOnnxModel, type OnnxSummary } from './onnx.js';
import { estimateHardware, toQuantizationKey, type HardwareEstimate } from './hardware.js';
import { readReadme, type ReadmeSummary } from './readme.js';
import { summarizeSafetensors, findSafetensorsFiles, type SafetensorsSummary } from './safetensors.js';
import type { ExtractedFields } from './types.js';

/** Most files a folder walk visits before giving up. */
export const MAX_FILES = 10_000;
/** Models below this many parameters are marked as runnable on CPU. */
const CPU_INFERENCE_MAX_PARAMS = 1.5e9;

/** Result of an extraction: catalog fields, the raw reader outputs, and human-readable notes. */
export interface Extraction {
  fields: ExtractedFields;
  details: {
    layout: 'huggingface' | 'gguf' | 'onnx' | 'unknown';
    files: string[];
    config?: ConfigSummary;
    safetensors?: SafetensorsSummary;
    /** One entry per GGUF file, keyed by path relative to the folder. */
    gguf?: Record<string, GgufMetadata>;
    readme?: ReadmeSummary;
    /** The ONNX model read (model.onnx, onnx/model.onnx, else the first .onnx file). */
    onnx?: OnnxSummary & { file: string };
    hardware?: HardwareEstimate;
  };
  notes: string[];
}

/** Relative paths of regular files under `dir`: no symlinks followed, dot-folders skipped. */
async function walk(dir: string): Promise<string[]> {
  const files: string[] = [];
  const pending = [''];
  while (pending.length > 0) {
    const rel = pending.pop() ?? '';
    let handle;
    try {
      handle = await opendir(path.join(dir, rel));
    } catch (err) {
      throw unreadable(path.join(dir, rel), err);
    }
    for await (const e of handle) {
      const child = rel ? path.join(rel, e.name) : e.name;
      if (e.isDirectory()) {
        if (!e.name.startsWith('.')) pending.push(child);
      } else if (e.isFile()) {
        files.push(child);
        if (files.length > MAX_FILES) throw new ExtractError('TOO_LARGE', `more than ${MAX_FILES} files`, dir);
      }
    }
  }
  return files.sort();
}

/** Runs a reader; a failure becomes a note instead of aborting the whole extraction. */
async function attempt<T>(notes: string[], what: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    if (!(err instanceof ExtractError)) throw err;
    notes.push(`${what} skipped: [${err.code}] ${err.message}`);
    return undefined;
  }
}

const add = (list: string[], v: string | null | undefined) => {
  if (v && !list.includes(v)) list.push(v);
};

/** Catalog precision (or the raw type name) for a safetensors dtype or GGUF tensor type. */
const precisionName = (t: string): string => toQuantizationKey(t) ?? t.toLowerCase();
/** Catalog precision for an ONNX TensorProto data type. */
const ONNX_PRECISION: Record<string, string> = {
  FLOAT: 'fp32', FLOAT16: 'fp16', BFLOAT16: 'bf16', INT8: 'int8', UINT8: 'int8', INT4: 'int4', UINT4: 'int4', DOUBLE: 'fp64',
};
const dominant = (counts: Record<string, number>): string | undefined => Object.entries(counts).sort((a, b) => b[1] - a[1])[0]?.[0];

/**
 * Extracts catalog fields from a model folder.
 * @throws ExtractError when the folder cannot be walked or has more than 10,000 files; problems
 *   with individual files are reported in `notes`.
 */
export async function extractFromFolder(dir: string): Promise<Extraction> {
  const st = await lstat(dir).catch((err: unknown) => {
    throw unreadable(dir, err);
  });
  if (!st.isDirectory()) throw new ExtractError('UNREADABLE', 'not a directory', dir);
  const files = await walk(dir);
  const notes: string[] = [];
  const has = (name: string) => files.includes(name);
  const abs = (rel: string) => path.join(dir, rel);
  const ex: Extraction = { fields: {}, details: { layout: 'unknown', files }, notes };

  if (has('config.json')) ex.details.config = await attempt(notes, 'config.json', () => readConfigJson(abs('config.json')));
  if (has('README.md')) ex.details.readme = await attempt(notes, 'README.md', () => readReadme(abs('README.md')));
  const topSafetensors = files.some((f) => f.endsWith('.safetensors') && !f.includes(path.sep));
  if (topSafetensors) {
    ex.details.safetensors = await attempt(notes, 'safetensors', async () => summarizeSafetensors(await findSafetensorsFiles(dir)));
  } else if (files.some((f) => f.endsWith('.safetensors'))) {
    notes.push('safetensors files found only in subfolders; not read');
  }
  const ggufFiles = files.filter((f) => f.toLowerCase().endsWith('.gguf'));
  for (const f of ggufFiles) {
    const meta = await attempt(notes, f, () => readGgufMetadata(abs(f)));
    if (meta) (ex.details.gguf ??= {})[f] = meta;
  }
  if (ggufFiles.length > 1) notes.push(`${ggufFiles.length} GGUF files; shape and parameters taken from ${ggufFiles[0]}`);
  if (ggufFiles.some((f) => /-\d{5}-of-\d{5}\.gguf$/i.test(f))) notes.push('split GGUF files: parameter count covers the first split only');

  const onnxFiles = files.filter((f) => f.toLowerCase().endsWith('.onnx'));
  const onnxFile = ['model.onnx', path.join('onnx', 'model.onnx')].find(has) ?? onnxFiles[0];
  if (onnxFile) {
    const onnx = await attempt(notes, onnxFile, () => readOnnxModel(abs(onnxFile)));
    if (onnx) ex.details.onnx = { ...onnx, file: onnxFile };
    if (onnxFiles.length > 1) notes.push(`${onnxFiles.length} ONNX files; read ${onnxFile}`);
  }

  ex.details.layout =
    ex.details.config || ex.details.safetensors ? 'huggingface' : ex.details.gguf ? 'gguf' : ex.details.onnx ? 'onnx' : 'unknown';
  if (ex.details.layout === 'unknown') notes.push('no config.json, safetensors, GGUF or ONNX file found');
  if (ex.details.config?.requiresRemoteCode) notes.push('config.json has auto_map: loading requires trust_remote_code');
  await merge(ex, dir);
  return ex;
}

/** Extracts catalog fields from a single .gguf file. */
export async function extractFromFile(file: string): Promise<Extraction> {
  if (!file.toLowerCase().endsWith('.gguf')) throw new ExtractError('INVALID_FORMAT', 'only .gguf files are supported', file);
  const meta = await readGgufMetadata(file);
  const name = path.basename(file);
  const ex: Extraction = { fields: {}, details: { layout: 'gguf', files: [name], gguf: { [name]: meta } }, notes: [] };
  await merge(ex, path.dirname(file));
  return ex;
}

/** Fills `ex.fields` from the reader outputs; `baseDir` resolves the GGUF paths in `details`. */
async function merge(ex: Extraction, baseDir: string): Promise<void> {
  const { config, safetensors, readme, onnx } = ex.details;
  const gguf = Object.values(ex.details.gguf ?? {})[0];
  const f = ex.fields;
  const formats: string[] = [];
  const frameworks: string[] = [];
  const quantizations: string[] = [];

  if (safetensors) {
    add(formats, 'safetensors');
    add(frameworks, 'transformers');
    const top = dominant(safetensors.dtypes);
    if (top) add(quantizations, precisionName(top));
  }
  if (config?.quantization?.bits === 4) add(quantizations, 'int4');
  else if (config?.quantization?.bits === 8) add(quantizations, 'int8');
  if (!safetensors && config?.torchDtype) add(quantizations, precisionName(config.torchDtype));
  if (ex.details.gguf) {
    add(formats, 'gguf');
    add(frameworks, 'llama.cpp');
    for (const g of Object.values(ex.details.gguf)) if (g.quantization) add(quantizations, precisionName(g.quantization));
  }
  if (onnx) {
    add(formats, 'onnx');
    add(frameworks, 'onnxruntime');
    const top = dominant(onnx.dtypes);
    if (top) add(quantizations, ONNX_PRECISION[top] ?? top.toLowerCase());
  }

  f.architecture = config?.architecture ?? gguf?.architecture ?? null;
  f.parameters = safetensors?.parameters || gguf?.parameterCount || onnx?.parameterCount || null;
  f.contextLength = config?.contextLength ?? gguf?.contextLength ?? null;
  if (readme) {
    f.license = readme.license;
    f.languages = readme.languages;
    f.tasks = readme.tasks;
    f.tags = readme.tags;
    f.baseModel = readme.baseModel;
    f.benchmarks = readme.benchmarks;
    f.card = readme.card;
    ex.notes.push(...readme.notes);
  } else if (gguf?.name) {
    ex.notes.push(`GGUF general.name: ${gguf.name}`);
  }
  f.compatibility = { formats, frameworks, quantizations };

  if (f.parameters) {
    let nativeWeightBytes: number | null = null;
    if (!safetensors && gguf && ex.details.gguf) {
      // A GGUF file is almost all weights: its size is the RAM the weights need.
      const [rel] = Object.keys(ex.details.gguf);
      nativeWeightBytes = rel ? await lstat(path.join(baseDir, rel)).then((s) => s.size, () => null) : null;
    }
    const nativeDtype = safetensors
      ? toQuantizationKey(dominant(safetensors.dtypes))
      : gguf
        ? null
        : toQuantizationKey(config?.torchDtype ?? (onnx ? ONNX_PRECISION[dominant(onnx.dtypes) ?? ''] : null));
    const hw = estimateHardware({
      parameters: f.parameters,
      layers: config?.layers ?? gguf?.blockCount,
      hiddenSize: config?.hiddenSize ?? gguf?.embeddingLength,
      heads: config?.heads ?? gguf?.headCount,
      kvHeads: config?.kvHeads ?? gguf?.headCountKv,
      headDim: config?.headDim ?? gguf?.headDim,
      contextLength: f.contextLength,
      nativeDtype,
      nativeWeightBytes,
    });
    ex.details.hardware = hw;
    f.hardware = { minGpuMemoryGb: hw.minGpuMemoryGb, cpuInference: f.parameters < CPU_INFERENCE_MAX_PARAMS, ramGb: hw.ramGb };
    ex.notes.push(...hw.notes);
  } else {
    ex.notes.push('parameter count unknown: no hardware estimate');
  }
}
