/**
 * Which Seldon Core v2 server capability serves a catalog file format. Seldon schedules a Model
 * onto a Server whose capabilities contain every entry of `spec.requirements`, so the
 * requirement must be a capability a stock server advertises. The defaults (SeldonIO/seldon-core
 * v2 `operator/config/serverconfigs/{mlserver,triton}.yaml`, env SELDON_SERVER_CAPABILITIES,
 * and docs "Servers"):
 *   MLServer: mlserver, alibi-detect, alibi-explain, huggingface, lightgbm, mlflow, python,
 *             sklearn, spark-mlib, xgboost
 *   Triton:   triton, dali, fil, onnx, openvino, python, pytorch, tensorflow, tensorrt
 * The official samples use `sklearn`, `huggingface`, `onnx`, `tensorflow` (shared fixtures
 * seldon-model-examples.yaml).
 */
import { AppError } from '../../../core/errors.js';

const CAPABILITY: Record<string, string> = {
  onnx: 'onnx', // Triton
  safetensors: 'huggingface', // MLServer huggingface runtime (also text generation, over OIP v2)
  huggingface: 'huggingface',
  transformers: 'huggingface',
  sklearn: 'sklearn',
  joblib: 'sklearn',
  pickle: 'sklearn',
  xgboost: 'xgboost',
  lightgbm: 'lightgbm',
  mlflow: 'mlflow',
  tensorflow: 'tensorflow', // Triton
  savedmodel: 'tensorflow',
  // Triton's pytorch backend loads TorchScript; a plain state dict needs a custom server.
  torchscript: 'pytorch',
  pytorch: 'pytorch',
};

/**
 * The `requirements` entry for a format. GGUF is refused on purpose: no stock Seldon server
 * advertises a llama.cpp capability (Seldon's LLM module is a separate, licensed product), so a
 * Model requiring one would sit in ScheduleFailed forever.
 */
export function capabilityFor(format: string): string {
  const c = CAPABILITY[format.toLowerCase()];
  if (c) return c;
  throw new AppError('INVALID_INPUT', `no stock Seldon Core v2 server has a capability for the model format "${format}"`, {
    format,
    supported: Object.keys(CAPABILITY),
  });
}
