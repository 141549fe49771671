/**
 * The playground and the comparison page: requests to ready endpoints made by the server (so the
 * browser needs no access to endpoint hosts), timed here, with the endpoint's own errors passed on.
 */
import { z } from 'zod';
import { AppError } from '../core/errors.js';
import { requireScope, type Actor } from '../identity/index.js';
import { percentile } from '../eval/index.js';
import { createInferenceClient, textInfer, type InferRequest } from '../runner/client.js';
import type { DeploymentService } from './service.js';

export const TryRequest = z.strictObject({
  /** text: one request per input (labels for classifiers, generated text for LLMs); chat: OpenAI chat; oip: a raw OIP v2 infer body. */
  mode: z.enum(['text', 'chat', 'oip']).default('text'),
  inputs: z.array(z.string().max(20_000)).min(1).max(32).optional(),
  messages: z.array(z.strictObject({ role: z.enum(['system', 'user', 'assistant']), content: z.string().max(20_000) })).min(1).max(50).optional(),
  maxTokens: z.number().int().min(1).max(2048).optional(),
  temperature: z.number().min(0).max(2).optional(),
  oip: z.record(z.string(), z.unknown()).optional(),
});
export type TryRequest = z.infer<typeof TryRequest>;

export const TryView = z.object({
  latencyMs: z.number(),
  outputs: z.array(z.string().nullable()),
  /** Per input: the endpoint's error, or null. */
  errors: z.array(z.string().nullable()),
  latencies: z.array(z.number()),
  /** The last raw response (OIP or OpenAI body), for the "raw" view. */
  raw: z.unknown(),
});
export type TryViewT = z.infer<typeof TryView>;

export const ChatStreamRequest = z.strictObject({
  messages: z.array(z.strictObject({ role: z.enum(['system', 'user', 'assistant']), content: z.string().max(20_000) })).min(1).max(50),
  maxTokens: z.number().int().min(1).max(2048).optional(),
  temperature: z.number().min(0).max(2).optional(),
});
export type ChatStreamRequest = z.infer<typeof ChatStreamRequest>;

/** One event of a streamed chat: a piece of text, then a summary with the timings. */
export type ChatStreamEvent = { delta: string } | { done: true; latencyMs: number; firstTokenMs: number | null; chunks: number };

export const CompareRequest = z.strictObject({
  deployments: z.array(z.string().uuid()).min(2).max(4),
  inputs: z.array(z.string().min(1).max(20_000)).min(1).max(50),
  maxTokens: z.number().int().min(1).max(512).optional(),
});
export type CompareRequest = z.infer<typeof CompareRequest>;

const Column = z.object({
  deployment: z.object({ id: z.string(), name: z.string().nullable(), model: z.string() }),
  outputs: z.array(z.string().nullable()),
  errors: z.array(z.string().nullable()),
  latencies: z.array(z.number()),
  p50: z.number().nullable(),
  p95: z.number().nullable(),
  errorCount: z.number(),
});
export const CompareView = z.object({ inputs: z.array(z.string()), columns: z.array(Column) });
export type CompareViewT = z.infer<typeof CompareView>;

const round = (ms: number) => Math.round(ms * 10) / 10;

/** Sends each input on its own, in order, timing each; failures are kept per input. */
async function runInputs(url: string, modelName: string, headers: Record<string, string>, inputs: string[], maxTokens: number | undefined) {
  const client = createInferenceClient(url, { timeoutMs: 60_000, headers });
  const meta = await client.metadata(modelName);
  const outputs: (string | null)[] = [];
  const errors: (string | null)[] = [];
  const latencies: number[] = [];
  let raw: unknown = null;
  for (const input of inputs) {
    const t0 = performance.now();
    try {
      const [out] = await textInfer(client, modelName, [input], meta, maxTokens ? { max_tokens: maxTokens } : undefined);
      outputs.push(out ?? null);
      errors.push(null);
      raw = out;
    } catch (err) {
      outputs.push(null);
      errors.push((err as Error).message);
    }
    latencies.push(round(performance.now() - t0));
  }
  return { outputs, errors, latencies, raw };
}

export function createPlayground(deps: { deployments: DeploymentService }) {
  return {
    async tryOut(actor: Actor, id: string, req: TryRequest): Promise<TryViewT> {
      const { url, modelName, headers } = await deps.deployments.endpointOf(actor, id);
      const client = createInferenceClient(url, { timeoutMs: 120_000, headers });
      const t0 = performance.now();
      if (req.mode === 'chat') {
        if (!req.messages) throw new AppError('INVALID_INPUT', 'chat needs messages', { errors: [{ path: 'messages', message: 'required' }] });
        const res = await client.chat({ model: modelName, messages: req.messages, max_tokens: req.maxTokens ?? 64, temperature: req.temperature ?? 0 });
        const choice = (res as { choices?: { message?: { content?: string } }[] }).choices?.[0];
        const text = choice?.message?.content ?? '';
        const ms = round(performance.now() - t0);
        return { latencyMs: ms, outputs: [text], errors: [null], latencies: [ms], raw: res };
      }
      if (req.mode === 'oip') {
        if (!req.oip) throw new AppError('INVALID_INPUT', 'oip mode needs an OIP v2 infer body', { errors: [{ path: 'oip', message: 'required' }] });
        const res = await client.infer(modelName, req.oip as unknown as InferRequest);
        const ms = round(performance.now() - t0);
        return { latencyMs: ms, outputs: [JSON.stringify(res.outputs ?? [])], errors: [null], latencies: [ms], raw: res };
      }
      if (!req.inputs) throw new AppError('INVALID_INPUT', 'text mode needs inputs', { errors: [{ path: 'inputs', message: 'required' }] });
      const r = await runInputs(url, modelName, headers, req.inputs, req.maxTokens);
      return { latencyMs: round(performance.now() - t0), ...r };
    },

    /**
     * A chat answer as it is generated (the endpoint's OpenAI-compatible stream). Resolves the
     * endpoint first, so refusals are ordinary errors; the iterator then yields the text pieces
     * and a closing summary with time to first token.
     */
    async chatStream(actor: Actor, id: string, req: ChatStreamRequest): Promise<AsyncIterable<ChatStreamEvent>> {
      const { url, modelName, headers } = await deps.deployments.endpointOf(actor, id);
      const client = createInferenceClient(url, { timeoutMs: 300_000, headers });
      const body = { model: modelName, messages: req.messages, max_tokens: req.maxTokens ?? 128, temperature: req.temperature ?? 0 };
      return (async function* () {
        const t0 = performance.now();
        let first: number | null = null;
        let chunks = 0;
        for await (const delta of client.chatStream(body)) {
          first ??= round(performance.now() - t0);
          chunks += 1;
          yield { delta };
        }
        yield { done: true as const, latencyMs: round(performance.now() - t0), firstTokenMs: first, chunks };
      })();
    },

    async compare(actor: Actor, req: CompareRequest): Promise<CompareViewT> {
      requireScope(actor, 'read');
      if (new Set(req.deployments).size !== req.deployments.length) throw new AppError('INVALID_INPUT', 'compare distinct deployments', { errors: [{ path: 'deployments', message: 'duplicates' }] });
      const targets = await Promise.all(req.deployments.map((id) => deps.deployments.endpointOf(actor, id)));
      // Endpoints are measured one after the other so they do not compete for this host's cores.
      const columns: CompareViewT['columns'] = [];
      for (const t of targets) {
        const r = await runInputs(t.url, t.modelName, t.headers, req.inputs, req.maxTokens);
        const ok = r.latencies.filter((_, i) => r.errors[i] === null);
        columns.push({
          deployment: { id: t.view.id, name: t.view.name, model: `${t.view.model.slug}@${t.view.model.version}` },
          outputs: r.outputs,
          errors: r.errors,
          latencies: r.latencies,
          p50: ok.length ? percentile(ok, 50) : null,
          p95: ok.length ? percentile(ok, 95) : null,
          errorCount: r.errors.filter((e) => e !== null).length,
        });
      }
      return { inputs: req.inputs, columns };
    },
  };
}

export type Playground = ReturnType<typeof createPlayground>;
