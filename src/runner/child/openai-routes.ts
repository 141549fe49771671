/**
 * OpenAI-compatible paths for generative models (served under /v1 and /openai/v1):
 * `GET /v1/models`, `POST /v1/completions`, `POST /v1/chat/completions`, each with
 * `"stream": true` as server-sent events ending in `data: [DONE]`. Errors use OpenAI's shape.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ChatMessage, GenerateOptions, GenerateResult } from './backend.js';
import { HttpError } from './http-error.js';
import { readJson, sendJson } from './http-util.js';
import type { ServerOptions } from './oip-server.js';

export function sendOpenAiError(res: ServerResponse, status: number, message: string): void {
  const type = status === 404 ? 'not_found_error' : status >= 500 ? 'server_error' : 'invalid_request_error';
  sendJson(res, status, { error: { message, type, code: null } });
}

function bad(message: string): never {
  throw new HttpError(400, message);
}

function optionsOf(body: Record<string, unknown>): GenerateOptions {
  const num = (key: string, fallback: number, min: number, max: number): number => {
    const v = body[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) bad(`${key} must be a number from ${min} to ${max}`);
    return v;
  };
  const stop = body.stop;
  let stops: string[] | undefined;
  if (typeof stop === 'string') stops = [stop];
  else if (Array.isArray(stop) && stop.every((s) => typeof s === 'string')) stops = stop;
  else if (stop !== undefined && stop !== null) bad('stop must be a string or an array of strings');
  const seed = body.seed;
  if (seed !== undefined && seed !== null && !Number.isInteger(seed)) bad('seed must be an integer');
  return {
    maxTokens: Math.floor(num('max_tokens', 16, 1, 32768)),
    temperature: num('temperature', 1, 0, 2),
    seed: typeof seed === 'number' ? seed : undefined,
    stop: stops?.filter((s) => s.length > 0),
  };
}

function parseMessages(raw: unknown): ChatMessage[] {
  if (!Array.isArray(raw) || raw.length === 0) bad('messages must be a non-empty array');
  return (raw as unknown[]).map((m, i) => {
    const { role, content } = (m ?? {}) as Record<string, unknown>;
    if (role !== 'system' && role !== 'user' && role !== 'assistant') bad(`messages[${i}].role must be system, user or assistant`);
    // Content parts ([{type:'text', text}]) are accepted too; other part types are not.
    if (Array.isArray(content)) {
      const parts = content as { type?: unknown; text?: unknown }[];
      if (!parts.every((p) => p?.type === 'text' && typeof p.text === 'string')) bad(`messages[${i}].content parts must be text`);
      return { role, content: parts.map((p) => p.text as string).join('') };
    }
    if (typeof content !== 'string') bad(`messages[${i}].content must be a string`);
    return { role, content };
  });
}

export async function handleOpenAi(req: IncomingMessage, res: ServerResponse, path: string, o: ServerOptions): Promise<void> {
  const gen = o.backend.generator;
  if (!gen) throw new HttpError(404, `model ${o.modelName} is not generative: use the Open Inference Protocol at /v2/models/${o.modelName}/infer`);
  const created = Math.floor(Date.now() / 1000);
  if (req.method === 'GET' && (path === '/v1/models' || path === `/v1/models/${o.modelName}`)) {
    const card = { id: o.modelName, object: 'model', created, owned_by: 'model-garden' };
    return sendJson(res, 200, path === '/v1/models' ? { object: 'list', data: [card] } : card);
  }
  const chat = path === '/v1/chat/completions';
  if (!chat && path !== '/v1/completions') throw new HttpError(404, `no route ${req.method} ${path}`);
  if (req.method !== 'POST') throw new HttpError(405, `use POST for ${path}`);
  if (!o.isReady()) throw new HttpError(503, `Model with name ${o.modelName} is not ready.`);
  const body = await readJson(req);
  if (body.model !== undefined && body.model !== o.modelName) throw new HttpError(404, `The model ${JSON.stringify(body.model)} does not exist; this endpoint serves ${o.modelName}.`);
  const opts = optionsOf(body);
  const id = `${chat ? 'chatcmpl' : 'cmpl'}-${randomUUID()}`;
  const object = chat ? 'chat.completion' : 'text_completion';
  const base = { id, created, model: o.modelName };
  const run = (options: GenerateOptions): Promise<GenerateResult> => {
    if (chat) return gen.chat(parseMessages(body.messages), options);
    const prompt = Array.isArray(body.prompt) && body.prompt.length === 1 ? body.prompt[0] : body.prompt;
    if (typeof prompt !== 'string') bad('prompt must be a string');
    return gen.complete(prompt, options);
  };
  const usage = (r: GenerateResult) => ({ prompt_tokens: r.promptTokens, completion_tokens: r.completionTokens, total_tokens: r.promptTokens + r.completionTokens });

  if (body.stream !== true) {
    const r = await run(opts);
    const choice = chat
      ? { index: 0, message: { role: 'assistant', content: r.text }, finish_reason: r.finishReason }
      : { index: 0, text: r.text, logprobs: null, finish_reason: r.finishReason };
    return sendJson(res, 200, { ...base, object, choices: [choice], usage: usage(r) });
  }

  // Streaming: validate first (run() throws 400s synchronously-ish before any byte is sent).
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  const chunkObject = chat ? 'chat.completion.chunk' : 'text_completion';
  const write = (payload: unknown) => res.write(`data: ${JSON.stringify(payload)}\n\n`);
  const head = () => {
    if (res.headersSent) return;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    if (chat) write({ ...base, object: chunkObject, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
  };
  const delta = (text: string) =>
    chat ? { index: 0, delta: { content: text }, finish_reason: null } : { index: 0, text, logprobs: null, finish_reason: null };
  const r = await run({
    ...opts,
    signal: abort.signal,
    onText: (text) => {
      if (!text) return;
      head();
      write({ ...base, object: chunkObject, choices: [delta(text)] });
    },
  });
  head();
  const last = chat ? { index: 0, delta: {}, finish_reason: r.finishReason } : { index: 0, text: '', logprobs: null, finish_reason: r.finishReason };
  write({ ...base, object: chunkObject, choices: [last], usage: usage(r) });
  res.end('data: [DONE]\n\n');
}
