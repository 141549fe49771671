/**
 * Result types of the model-file extractors. Plain TypeScript shapes that mirror (a subset of) the
 * catalog's ModelFields / VersionFields in src/catalog/model.ts, so a caller can merge them into a
 * draft entry without this module depending on the zod schemas.
 */

/** Quantization keys the catalog uses for `hardware.minGpuMemoryGb`. */
export type QuantizationKey = 'fp32' | 'fp16' | 'bf16' | 'fp8' | 'int8' | 'int4';

/** Relation of a model to its base model, as in the catalog's BASE_RELATIONS. */
export type BaseRelation = 'finetune' | 'quantized' | 'adapter' | 'merge' | 'distilled';

/** One benchmark row, shaped like the catalog's Benchmark. */
export interface BenchmarkRow {
  suite: string;
  suiteVersion?: string | null;
  dataset?: string | null;
  metric: string;
  value: number;
  higherIsBetter: boolean;
  date?: string | null;
  hardware?: string | null;
}

/** Model card text, shaped like the catalog's Card. */
export interface CardFields {
  markdown: string;
  intendedUse: string;
  limitations: string;
  trainingData: string;
}

/** Hardware requirements, shaped like the catalog's Hardware. */
export interface HardwareFields {
  minGpuMemoryGb: Partial<Record<QuantizationKey, number | null>>;
  cpuInference: boolean;
  ramGb?: number | null;
}

/** Compatibility, shaped like the catalog's Compatibility. */
export interface CompatibilityFields {
  formats: string[];
  frameworks: string[];
  quantizations: string[];
}

/** Catalog fields an extraction can pre-fill (model-level and version-level together). */
export interface ExtractedFields {
  // ModelFields
  tasks?: string[];
  tags?: string[];
  baseModel?: { ref: string; relation: BaseRelation } | null;
  // VersionFields
  architecture?: string | null;
  parameters?: number | null;
  contextLength?: number | null;
  languages?: string[];
  license?: string | null;
  benchmarks?: BenchmarkRow[];
  card?: CardFields;
  hardware?: HardwareFields;
  compatibility?: CompatibilityFields;
}
