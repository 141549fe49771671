/**
 * GGUF language models through node-llama-cpp on the CPU (prebuilt binaries only: `build:
 * 'never'` never downloads or compiles llama.cpp). One context sequence serves every request, so
 * generations run one at a time through a queue; each request starts from a clean sequence, which
 * keeps the API stateless like the OpenAI one it imitates.
 */
import { getLlama, LlamaChatSession, LlamaCompletion, type ChatHistoryItem } from 'node-llama-cpp';
import type { Backend, ChatMessage, GenerateOptions, GenerateResult, TextGenerator } from './backend.js';
import { HttpError } from './http-error.js';
import type { DecodedTensor, OutputTensor } from './tensors.js';

export interface GgufOptions {
  threads: number;
  contextSize: number;
}

/** Runs tasks strictly one after another (the model has a single sequence). */
function createQueue() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const run = tail.then(task, task);
    tail = run.catch(() => undefined);
    return run;
  };
}

function finish(stopReason: string): 'stop' | 'length' {
  return stopReason === 'maxTokens' ? 'length' : 'stop';
}

export async function loadGgufBackend(modelPath: string, opts: GgufOptions): Promise<Backend> {
  const llama = await getLlama({ gpu: false, build: 'never' });
  const model = await llama.loadModel({ modelPath });
  const context = await model.createContext({ contextSize: opts.contextSize, threads: opts.threads, sequences: 1 });
  const sequence = context.getSequence();
  const enqueue = createQueue();
  const countTokens = (text: string) => model.tokenize(text).length;

  // Generated tokens are counted as they come: re-tokenizing the text would not give the same count.
  const common = (o: GenerateOptions, counter: { n: number }) => ({
    onToken: (tokens: readonly unknown[]) => {
      counter.n += tokens.length;
    },
    maxTokens: o.maxTokens,
    temperature: o.temperature,
    seed: o.seed,
    customStopTriggers: o.stop?.length ? o.stop : undefined,
    onTextChunk: o.onText,
    signal: o.signal,
    stopOnAbortSignal: true,
  });

  const generator: TextGenerator = {
    complete: (prompt, o) =>
      enqueue(async (): Promise<GenerateResult> => {
        await sequence.clearHistory();
        const completion = new LlamaCompletion({ contextSequence: sequence });
        const counter = { n: 0 };
        try {
          const r = await completion.generateCompletionWithMeta(prompt, common(o, counter));
          return { text: r.response, finishReason: finish(r.metadata.stopReason), promptTokens: countTokens(prompt), completionTokens: counter.n };
        } finally {
          completion.dispose({ disposeSequence: false });
        }
      }),
    chat: (messages, o) =>
      enqueue(async (): Promise<GenerateResult> => {
        const last = messages[messages.length - 1];
        if (!last || last.role !== 'user') throw new HttpError(400, 'the last message must have role "user"');
        await sequence.clearHistory();
        const session = new LlamaChatSession({ contextSequence: sequence, systemPrompt: '' });
        const counter = { n: 0 };
        try {
          session.setChatHistory(toHistory(messages.slice(0, -1)));
          const r = await session.promptWithMeta(last.content, common(o, counter));
          // The chat template's own tokens are not counted: an approximation, as with many servers.
          const promptTokens = countTokens(messages.map((m) => m.content).join('\n'));
          return { text: r.responseText, finishReason: finish(r.stopReason), promptTokens, completionTokens: counter.n };
        } finally {
          session.dispose({ disposeSequence: false });
        }
      }),
  };

  return {
    platform: 'llama.cpp',
    inputs: [{ name: 'text_input', datatype: 'BYTES', shape: [-1] }],
    outputs: [{ name: 'text_output', datatype: 'BYTES', shape: [-1] }],
    generator,
    async infer(inputs: DecodedTensor[], _outputs, parameters): Promise<OutputTensor[]> {
      const prompts = inputs[0]?.data as string[];
      const maxTokens = numberParam(parameters, 'max_tokens', 64);
      const temperature = numberParam(parameters, 'temperature', 0);
      const texts: string[] = [];
      for (const p of prompts) texts.push((await generator.complete(p, { maxTokens, temperature })).text);
      return [{ name: 'text_output', datatype: 'BYTES', shape: [texts.length], data: texts }];
    },
    async close() {
      await context.dispose();
      await model.dispose();
      await llama.dispose();
    },
  };
}

function toHistory(messages: ChatMessage[]): ChatHistoryItem[] {
  return messages.map((m): ChatHistoryItem => {
    if (m.role === 'system') return { type: 'system', text: m.content };
    if (m.role === 'user') return { type: 'user', text: m.content };
    return { type: 'model', response: [m.content] };
  });
}

function numberParam(params: Record<string, unknown>, key: string, fallback: number): number {
  const v = params[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new HttpError(400, `parameter ${key} must be a non-negative number`);
  return v;
}
