import { beforeAll, describe, expect, it } from 'vitest';
import { createInferenceClient, textInfer, type InferenceClient } from './client.js';
import { ggufSpec, post, testRunner, writeTestModels } from './test-fixtures.js';
import type { EndpointHandle } from './types.js';

describe('GGUF endpoint: OIP text generation and the OpenAI-compatible API', () => {
  const models = writeTestModels();
  // Generation competes for 2 cores with the other test files: no hang detection at test speed here.
  const runner = testRunner(models.dir, { healthIntervalMs: 1_000, hangAfterMs: 20_000 });
  runner.onFailure((f) => console.error('endpoint failed', f));
  let h: EndpointHandle;
  let client: InferenceClient;

  beforeAll(async () => {
    h = await runner.start(ggufSpec(models));
    client = createInferenceClient(h.url);
  });

  it('generates over OIP from text_input, one output per prompt', async () => {
    const meta = await client.metadata('tiny');
    expect(meta).toMatchObject({ platform: 'llama.cpp', inputs: [{ name: 'text_input', datatype: 'BYTES' }], outputs: [{ name: 'text_output', datatype: 'BYTES' }] });
    const r = await client.infer('tiny', { inputs: [{ name: 'text_input', shape: [2], datatype: 'BYTES', data: ['Hello', 'World'] }], parameters: { max_tokens: 5, temperature: 0 } });
    expect(r.outputs[0]).toMatchObject({ name: 'text_output', datatype: 'BYTES', shape: [2] });
    expect((r.outputs[0]!.data as string[]).every((t) => typeof t === 'string' && t.length > 0)).toBe(true);
    expect(await textInfer(client, 'tiny', ['Hi'], meta)).toHaveLength(1);
  });

  it('answers /v1/completions in the OpenAI shape, deterministically at temperature 0', async () => {
    const body = { model: 'tiny', prompt: 'Once upon a time', max_tokens: 6, temperature: 0 };
    const a = await client.completions(body);
    expect(a).toMatchObject({ object: 'text_completion', model: 'tiny', choices: [{ index: 0, finish_reason: 'length' }] });
    expect(a.id).toMatch(/^cmpl-/);
    expect(typeof a.created).toBe('number');
    expect(a.usage).toMatchObject({ completion_tokens: 6 });
    const b = await client.completions(body);
    expect((b.choices as { text: string }[])[0]!.text).toBe((a.choices as { text: string }[])[0]!.text);
  });

  it('answers chat completions, also under /openai/v1', async () => {
    const r = await client.chat({ messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Say hi' }], max_tokens: 5, seed: 7 });
    expect(r).toMatchObject({ object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant' } }] });
    const usage = r.usage as { prompt_tokens: number; completion_tokens: number; total_tokens: number };
    expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);
    const prefixed = await post(`${h.url}/openai/v1/chat/completions`, JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 }));
    expect(prefixed.status).toBe(200);
    const list = await (await fetch(`${h.url}/openai/v1/models`)).json();
    expect(list).toMatchObject({ object: 'list', data: [{ id: 'tiny', object: 'model' }] });
  });

  it('streams chat deltas as server-sent events ending with [DONE]', async () => {
    const deltas: string[] = [];
    for await (const d of client.chatStream({ messages: [{ role: 'user', content: 'Tell a story' }], max_tokens: 8, temperature: 0 })) deltas.push(d);
    expect(deltas.length).toBeGreaterThan(1);
    const whole = await client.chat({ messages: [{ role: 'user', content: 'Tell a story' }], max_tokens: 8, temperature: 0 });
    expect(deltas.join('')).toBe((whole.choices as { message: { content: string } }[])[0]!.message.content);
  });

  it('streams completions as text chunks', async () => {
    const res = await fetch(`${h.url}/v1/completions`, { method: 'POST', body: JSON.stringify({ prompt: 'Hello', max_tokens: 4, stream: true, temperature: 0 }) });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const raw = await res.text();
    const events = raw.split('\n\n').filter(Boolean);
    expect(events[events.length - 1]).toBe('data: [DONE]');
    const first = JSON.parse(events[0]!.slice(6)) as { object: string; choices: { text: string }[] };
    expect(first.object).toBe('text_completion');
    expect(typeof first.choices[0]!.text).toBe('string');
  });

  it('rejects bad OpenAI requests with 400 in the OpenAI error shape and keeps serving', async () => {
    for (const body of ['{bad', '{"messages": []}', '{"messages": [{"role": "robot", "content": "x"}]}', '{"messages": [{"role": "user", "content": "x"}], "max_tokens": -1}', '{"messages": [{"role": "user", "content": "x"}], "stop": 5}']) {
      const r = await post(`${h.url}/v1/chat/completions`, body);
      expect(r.status, body).toBe(400);
      expect(r.json).toEqual({ error: { message: expect.any(String), type: 'invalid_request_error', code: null } });
    }
    const wrongModel = await post(`${h.url}/v1/completions`, '{"model": "other", "prompt": "x"}');
    expect(wrongModel.status).toBe(404);
    const stop = await client.completions({ prompt: 'Hello', max_tokens: 20, temperature: 0, stop: ['\n'] });
    expect((stop.choices as { text: string }[])[0]!.text).not.toContain('\n');
  });
});
