/**
 * What the child's HTTP server needs from a loaded model. One backend per format (onnx, gguf);
 * the server only sees this interface, so protocol handling is written once.
 */
import type { DecodedTensor, OutputTensor, TensorMeta } from './tensors.js';

export interface Backend {
  /** OIP metadata `platform`, e.g. `onnxruntime` or `llama.cpp`. */
  platform: string;
  inputs: TensorMeta[];
  outputs: TensorMeta[];
  /** Runs one inference; inputs are already validated against `inputs`. Throws HttpError for 4xx. */
  infer(inputs: DecodedTensor[], outputNames: string[] | undefined, parameters: Record<string, unknown>): Promise<OutputTensor[]>;
  /** Present for generative models only (serves the OpenAI-compatible paths). */
  generator?: TextGenerator;
  close(): Promise<void>;
}

export interface GenerateOptions {
  maxTokens: number;
  temperature: number;
  seed?: number | undefined;
  stop?: string[] | undefined;
  /** Called with each piece of generated text as it is produced (for SSE streaming). */
  onText?: ((text: string) => void) | undefined;
  signal?: AbortSignal | undefined;
}

export interface GenerateResult {
  text: string;
  finishReason: 'stop' | 'length';
  promptTokens: number;
  completionTokens: number;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface TextGenerator {
  complete(prompt: string, opts: GenerateOptions): Promise<GenerateResult>;
  chat(messages: ChatMessage[], opts: GenerateOptions): Promise<GenerateResult>;
}
