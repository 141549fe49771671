/**
 * Hardware requirement estimate from a model's size and shape. Deliberately simple and documented:
 *
 *   GPU memory (per precision) = (weights + KV cache for one sequence at full context) × 1.1
 *   weights  = parameters × 2 bytes (fp16) | 1 byte (int8) | 0.5 byte × 1.06 (int4, ~6 % for scales)
 *   KV cache = 2 (K and V) × layers × kvHeads × headDim × contextLength × 2 bytes (fp16 cache)
 *   RAM to load = native weights size × 1.1
 *
 * GB here is the decimal gigabyte, 1 GB = 1e9 bytes (as GPU vendors and the catalog state sizes).
 * GPU figures round up to 0.1 GB, RAM rounds up to 0.5 GB.
 */
import type { QuantizationKey } from './types.js';

/** Decimal gigabyte: 1e9 bytes. */
export const GB = 1e9;
const OVERHEAD = 1.1;
const INT4_SCALES = 1.06;
const KV_BYTES = 2;

/** Bytes per parameter for each catalog precision. */
export const BYTES_PER_PARAM: Record<QuantizationKey, number> = {
  fp32: 4, fp16: 2, bf16: 2, fp8: 1, int8: 1, int4: 0.5 * INT4_SCALES,
};

/** Model size and shape; everything but `parameters` is optional. */
export interface HardwareInput {
  parameters: number;
  layers?: number | null;
  hiddenSize?: number | null;
  heads?: number | null;
  kvHeads?: number | null;
  headDim?: number | null;
  contextLength?: number | null;
  /** Precision the weights are stored in (drives the RAM figure); fp16 when unknown. */
  nativeDtype?: QuantizationKey | null;
  /** Actual size of the stored weights in bytes (e.g. a GGUF file); overrides parameters × dtype for RAM. */
  nativeWeightBytes?: number | null;
}

/** The estimate, in decimal GB. */
export interface HardwareEstimate {
  minGpuMemoryGb: { fp16: number; int8: number; int4: number };
  ramGb: number;
  /** KV-cache bytes for one sequence at full context (0 when unknown). */
  kvCacheBytes: number;
  notes: string[];
}

const pos = (v: number | null | undefined): number | null => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : null);
// The small epsilon keeps exact multiples (e.g. 16.0 GB) from rounding up a step through float error.
const ceilTo = (bytes: number, stepGb: number): number => {
  const steps = Math.ceil(bytes / GB / stepGb - 1e-9);
  return Math.round(steps * stepGb * 10) / 10;
};

/** Maps a torch_dtype / safetensors dtype / GGUF type name to a catalog precision, or null. */
export function toQuantizationKey(dtype: string | null | undefined): QuantizationKey | null {
  const d = (dtype ?? '').toLowerCase().replace(/^torch\./, '');
  if (['float32', 'f32', 'fp32', 'float'].includes(d)) return 'fp32';
  if (['float16', 'f16', 'fp16', 'half'].includes(d)) return 'fp16';
  if (['bfloat16', 'bf16'].includes(d)) return 'bf16';
  if (d.startsWith('f8') || d.startsWith('float8') || d === 'fp8') return 'fp8';
  if (['int8', 'i8', 'q8_0', 'q8_1', 'q8_k'].includes(d)) return 'int8';
  if (d === 'int4' || /^(q4_|iq4_)/.test(d)) return 'int4';
  return null;
}

/** Estimates GPU memory per precision and RAM to load; see the module comment for the formula. */
export function estimateHardware(input: HardwareInput): HardwareEstimate {
  const notes: string[] = [];
  const params = pos(input.parameters);
  if (params === null) throw new RangeError('parameters must be a positive number');
  const layers = pos(input.layers);
  const heads = pos(input.heads);
  const kvHeads = pos(input.kvHeads) ?? heads;
  const hidden = pos(input.hiddenSize);
  const headDim = pos(input.headDim) ?? (hidden && heads ? hidden / heads : null);
  const ctx = pos(input.contextLength);
  let kvCacheBytes = 0;
  if (layers && kvHeads && headDim && ctx) {
    kvCacheBytes = 2 * layers * kvHeads * headDim * ctx * KV_BYTES;
  } else {
    const missing = Object.entries({ layers, kvHeads, headDim, contextLength: ctx }).filter(([, v]) => !v).map(([k]) => k);
    notes.push(`KV cache not included: ${missing.join(', ')} unknown`);
  }
  const gpu = (q: QuantizationKey) => ceilTo((params * BYTES_PER_PARAM[q] + kvCacheBytes) * OVERHEAD, 0.1);
  const native = input.nativeDtype ?? null;
  if (!native && !pos(input.nativeWeightBytes)) notes.push('native precision unknown; RAM assumes fp16 weights');
  const nativeBytes = pos(input.nativeWeightBytes) ?? params * BYTES_PER_PARAM[native ?? 'fp16'];
  return {
    minGpuMemoryGb: { fp16: gpu('fp16'), int8: gpu('int8'), int4: gpu('int4') },
    ramGb: ceilTo(nativeBytes * OVERHEAD, 0.5),
    kvCacheBytes,
    notes,
  };
}
