/**
 * A small fetch-based client for any endpoint speaking the Open Inference Protocol v2 and, for
 * generative models, the OpenAI-compatible API: the local runner's children, KServe and Seldon
 * alike. Used by the API's playground proxy, the smoke test and evaluation suites. Endpoint errors
 * become AppError with the endpoint's own message and the HTTP status in details.
 */
import { AppError, type ErrorCode } from '../core/errors.js';

export interface InferTensor {
  name: string;
  shape: number[];
  datatype: string;
  data: unknown[];
  parameters?: Record<string, unknown>;
}

export interface InferRequest {
  id?: string;
  parameters?: Record<string, unknown>;
  inputs: InferTensor[];
  outputs?: { name: string }[];
}

export interface InferResponse {
  model_name: string;
  model_version?: string;
  id?: string;
  parameters?: Record<string, unknown>;
  outputs: InferTensor[];
}

export interface ModelMetadata {
  name: string;
  versions?: string[];
  platform: string;
  inputs: { name: string; datatype: string; shape: number[] }[];
  outputs: { name: string; datatype: string; shape: number[] }[];
}

export interface InferenceClientOptions {
  /** Sent with every request (e.g. Authorization, Host for an ingress). */
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export interface InferenceClient {
  live(): Promise<boolean>;
  ready(): Promise<boolean>;
  modelReady(name: string): Promise<boolean>;
  metadata(name: string): Promise<ModelMetadata>;
  infer(name: string, body: InferRequest): Promise<InferResponse>;
  /** POST /v1/completions (OpenAI body in, OpenAI body out). */
  completions(body: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** POST /v1/chat/completions. */
  chat(body: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** POST /v1/chat/completions with stream: true; yields the content deltas as they arrive. */
  chatStream(body: Record<string, unknown>): AsyncIterable<string>;
}

function codeFor(status: number): ErrorCode {
  if (status === 404) return 'NOT_FOUND';
  if (status === 400 || status === 413 || status === 422) return 'INVALID_INPUT';
  return 'ENDPOINT_FAILED';
}

/** The message of either error shape: OIP `{error: "..."}` or OpenAI `{error: {message}}`. */
function errorMessage(body: unknown, status: number): string {
  const e = (body as { error?: unknown } | null)?.error;
  if (typeof e === 'string') return e;
  const m = (e as { message?: unknown } | undefined)?.message;
  return typeof m === 'string' ? m : `endpoint answered ${status}`;
}

export function createInferenceClient(baseUrl: string, opts: InferenceClientOptions = {}): InferenceClient {
  const base = baseUrl.replace(/\/+$/, '');
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const model = (name: string) => `${base}/v2/models/${encodeURIComponent(name)}`;

  async function request(url: string, init: RequestInit = {}): Promise<Response> {
    try {
      return await fetch(url, {
        ...init,
        headers: { ...(init.body ? { 'content-type': 'application/json' } : {}), ...opts.headers },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new AppError('ADAPTER_UNAVAILABLE', `endpoint ${base} is not reachable: ${(err as Error).message}`, { url }, { cause: err });
    }
  }

  async function json<T>(url: string, body?: unknown): Promise<T> {
    const res = await request(url, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });
    const parsed: unknown = await res.json().catch(() => undefined);
    if (!res.ok) throw new AppError(codeFor(res.status), errorMessage(parsed, res.status), { status: res.status, url });
    if (parsed === undefined) throw new AppError('ENDPOINT_FAILED', `endpoint ${url} answered with invalid JSON`, { status: res.status, url });
    return parsed as T;
  }

  async function ok(url: string): Promise<boolean> {
    try {
      const res = await request(url);
      await res.arrayBuffer();
      return res.status === 200;
    } catch {
      return false;
    }
  }

  return {
    live: () => ok(`${base}/v2/health/live`),
    ready: () => ok(`${base}/v2/health/ready`),
    modelReady: (name) => ok(`${model(name)}/ready`),
    metadata: (name) => json<ModelMetadata>(model(name)),
    infer: (name, body) => json<InferResponse>(`${model(name)}/infer`, body),
    completions: (body) => json(`${base}/v1/completions`, body),
    chat: (body) => json(`${base}/v1/chat/completions`, body),
    chatStream: (body) => streamChat(request, `${base}/v1/chat/completions`, body),
  };
}

async function* streamChat(request: (url: string, init: RequestInit) => Promise<Response>, url: string, body: Record<string, unknown>): AsyncIterable<string> {
  const res = await request(url, { method: 'POST', body: JSON.stringify({ ...body, stream: true }) });
  if (!res.ok || !res.body) {
    const parsed: unknown = await res.json().catch(() => undefined);
    throw new AppError(codeFor(res.status), errorMessage(parsed, res.status), { status: res.status, url });
  }
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      for (const line of event.split('\n')) {
        if (!line.startsWith('data:')) continue;
        const data = line.slice(5).trim();
        if (data === '[DONE]') return;
        const parsed = JSON.parse(data) as { choices?: { delta?: { content?: string }; text?: string }[] };
        const text = parsed.choices?.[0]?.delta?.content ?? parsed.choices?.[0]?.text;
        if (text) yield text;
      }
    }
  }
}

/**
 * Runs a text model without knowing its tensor names: one BYTES input (the model's first input)
 * holding `texts`, and per item the first string output (a classifier's label, an LLM's text).
 */
export async function textInfer(client: InferenceClient, name: string, texts: string[], metadata: ModelMetadata, parameters?: Record<string, unknown>): Promise<string[]> {
  const input = metadata.inputs[0];
  if (!input) throw new AppError('INVALID_INPUT', `model ${name} declares no inputs`);
  if (input.datatype !== 'BYTES') throw new AppError('INVALID_INPUT', `model ${name} takes ${input.datatype} input ${input.name}, not text`);
  // Models declaring [-1, 1] (one string per row) get a column; [-1] a flat batch.
  const shape = input.shape.length === 2 ? [texts.length, 1] : [texts.length];
  const res = await client.infer(name, { inputs: [{ name: input.name, shape, datatype: 'BYTES', data: texts }], ...(parameters ? { parameters } : {}) });
  const out = res.outputs.find((o) => o.datatype === 'BYTES') ?? res.outputs[0];
  if (!out) throw new AppError('ENDPOINT_FAILED', `model ${name} returned no outputs`);
  if (out.data.length !== texts.length) {
    throw new AppError('ENDPOINT_FAILED', `model ${name} returned ${out.data.length} values for ${texts.length} texts in ${out.name}`);
  }
  return out.data.map((v) => String(v));
}
