/**
 * Which KServe serving runtime runs a catalog file format. KServe picks the runtime from
 * `modelFormat.name` (+ protocolVersion) among ClusterServingRuntimes with autoSelect; these
 * choices follow the v0.20.0 runtimes (see shared fixtures clusterservingruntime-*.yaml).
 */
import { AppError } from '../../../core/errors.js';

export interface RuntimeChoice {
  modelFormat: string;
  /** 'v2' selects the Open Inference Protocol; omitted for generative runtimes (OpenAI routes). */
  protocolVersion?: 'v2';
  /** Pins a (Cluster)ServingRuntime instead of auto-selection. */
  runtime?: string;
  args?: string[];
}

/** Catalog tasks served through the OpenAI-compatible routes rather than OIP v2. */
const GENERATIVE_TASKS = new Set(['text-generation', 'text2text-generation', 'conversational', 'image-text-to-text', 'chat-completion']);

/** format → modelFormat.name of a stock KServe runtime that serves OIP v2. */
const V2_FORMATS: Record<string, string> = {
  onnx: 'onnx', // kserve-tritonserver (autoSelect for onnx + v2)
  sklearn: 'sklearn',
  joblib: 'sklearn',
  pickle: 'sklearn',
  xgboost: 'xgboost',
  lightgbm: 'lightgbm',
  pytorch: 'pytorch',
  torchscript: 'pytorch',
  tensorflow: 'tensorflow', // kserve-tritonserver autoSelects tensorflow + v2
  savedmodel: 'tensorflow',
  pmml: 'pmml',
  mlflow: 'mlflow',
};

export interface FormatOptions {
  /**
   * A ClusterServingRuntime (e.g. llama.cpp server) that supports modelFormat `gguf`. Without it,
   * GGUF goes to the stock huggingface runtime with the vLLM backend, whose GGUF support vLLM
   * calls experimental (kserve/kserve#3892).
   */
  ggufRuntime?: string | undefined;
}

export function chooseRuntime(format: string, task: string | null, opts: FormatOptions = {}): RuntimeChoice {
  const f = format.toLowerCase();
  if (f === 'gguf') {
    if (opts.ggufRuntime) return { modelFormat: 'gguf', runtime: opts.ggufRuntime };
    return { modelFormat: 'huggingface', args: ['--backend=vllm'] };
  }
  if (f === 'safetensors' || f === 'huggingface' || f === 'transformers') {
    // The huggingface runtime serves both; only predictive tasks speak OIP v2.
    return task !== null && GENERATIVE_TASKS.has(task) ? { modelFormat: 'huggingface' } : { modelFormat: 'huggingface', protocolVersion: 'v2' };
  }
  const name = V2_FORMATS[f];
  if (name) return { modelFormat: name, protocolVersion: 'v2' };
  throw new AppError('INVALID_INPUT', `KServe has no serving runtime for the model format "${format}"`, {
    format,
    supported: ['gguf', 'safetensors', ...Object.keys(V2_FORMATS)],
  });
}
