/** The local runner domain: real inference endpoints on this host, and a client for any OIP endpoint. */
export type * from './types.js';
export { createLocalRunner, type LocalRunnerOptions } from './supervisor.js';
export {
  createInferenceClient,
  textInfer,
  type InferenceClient,
  type InferenceClientOptions,
  type InferRequest,
  type InferResponse,
  type InferTensor,
  type ModelMetadata,
} from './client.js';
