import { beforeAll, describe, expect, it } from 'vitest';
import { createInferenceClient, textInfer, type InferenceClient } from './client.js';
import { onnxSpec, post, testRunner, writeTestModels } from './test-fixtures.js';
import type { EndpointHandle } from './types.js';

describe('OIP v2 endpoint serving the ONNX classifier', () => {
  const models = writeTestModels();
  const runner = testRunner(models.dir);
  let h: EndpointHandle;
  let client: InferenceClient;
  const text = (data: unknown, shape = [Array.isArray(data) ? data.length : 1], over: object = {}) =>
    JSON.stringify({ inputs: [{ name: 'text', shape, datatype: 'BYTES', data, ...over }] });

  beforeAll(async () => {
    h = await runner.start(onnxSpec(models));
    client = createInferenceClient(h.url);
  });

  it('answers the health, server and model metadata paths', async () => {
    expect(await client.live()).toBe(true);
    expect(await client.ready()).toBe(true);
    expect(await client.modelReady('router')).toBe(true);
    expect(await (await fetch(`${h.url}/v2`)).json()).toMatchObject({ name: 'marketplace-local-runner', extensions: [] });
    expect(await (await fetch(`${h.url}/v2/models`)).json()).toEqual({ models: ['router'] });
    expect(await (await fetch(`${h.url}/v2/models/router/versions/1/ready`)).json()).toEqual({ name: 'router', ready: true });
    const meta = await client.metadata('router');
    expect(meta).toEqual({
      name: 'router',
      versions: ['1'],
      platform: 'onnxruntime',
      inputs: [{ name: 'text', datatype: 'BYTES', shape: [-1] }],
      outputs: [
        { name: 'label', datatype: 'BYTES', shape: [-1] },
        { name: 'probabilities', datatype: 'FP32', shape: [-1, 4] },
      ],
    });
  });

  it('infers one text and a batch, echoing the id and honouring the outputs filter', async () => {
    const one = await client.infer('router', { id: 'req-1', inputs: [{ name: 'text', shape: [1], datatype: 'BYTES', data: ['I was charged twice on my invoice'] }] });
    expect(one).toMatchObject({ model_name: 'router', model_version: '1', id: 'req-1', parameters: {} });
    expect(one.outputs.map((o) => o.name)).toEqual(['label', 'probabilities']);
    expect(one.outputs[0]).toEqual({ name: 'label', datatype: 'BYTES', shape: [1], data: ['billing'] });
    expect(one.outputs[1]!.shape).toEqual([1, 4]);

    const batch = await client.infer('router', {
      inputs: [{ name: 'text', shape: [3], datatype: 'BYTES', data: ['refund my payment please', 'the app crashes with an error', 'where is my package delivery'] }],
      outputs: [{ name: 'label' }],
    });
    expect(batch.outputs).toHaveLength(1);
    expect(batch.outputs[0]!.data).toHaveLength(3);
    for (const label of batch.outputs[0]!.data) expect(models.labels).toContain(label);
  });

  it('gives concurrent requests (dynamically batched in the child) each their own rows', async () => {
    const texts = ['refund my payment please', 'the app crashes with an error', 'where is my package delivery', 'I forgot my password', 'charged twice', 'tracking number missing'];
    const together = await client.infer('router', { inputs: [{ name: 'text', shape: [texts.length], datatype: 'BYTES', data: texts }] });
    const apart = await Promise.all(
      [...texts, ...texts].map((t) => client.infer('router', { inputs: [{ name: 'text', shape: [1], datatype: 'BYTES', data: [t] }] })),
    );
    apart.forEach((r, i) => {
      expect(r.outputs[0]).toEqual({ name: 'label', datatype: 'BYTES', shape: [1], data: [together.outputs[0]!.data[i % texts.length]] });
      expect(r.outputs[1]!.shape).toEqual([1, 4]);
      expect(r.outputs[1]!.data).toEqual(together.outputs[1]!.data.slice((i % texts.length) * 4, (i % texts.length) * 4 + 4));
    });
  });

  it('accepts nested data and the versioned infer path', async () => {
    const r = await post(`${h.url}/v2/models/router/versions/1/infer`, JSON.stringify({ inputs: [{ name: 'text', shape: [2], datatype: 'BYTES', data: [['a'], ['b']] }] }));
    expect(r.status).toBe(200);
    expect(r.json.outputs[0].shape).toEqual([2]);
  });

  it('textInfer finds the tensor names itself', async () => {
    const labels = await textInfer(client, 'router', ['my invoice is wrong', 'I cannot log in to my account'], await client.metadata('router'));
    expect(labels).toHaveLength(2);
    for (const l of labels) expect(models.labels).toContain(l);
  });

  it.each([
    ['malformed JSON', '{"inputs": [', 400, /not valid JSON/],
    ['a non-object body', '[1,2]', 400, /JSON object/],
    ['no inputs', '{}', 400, /inputs/],
    ['the wrong datatype', text(['x'], [1], { datatype: 'FP32' }), 400, /datatype FP32 given, the model expects BYTES/],
    ['elements of the wrong type', text([1, 2], [2]), 400, /BYTES elements must be strings/],
    ['a shape that does not match the data', text(['a', 'b'], [3]), 400, /2 elements given/],
    ['the wrong rank', text(['a', 'b'], [1, 2]), 400, /rank 2/],
    ['an unknown input', JSON.stringify({ inputs: [{ name: 'nope', shape: [1], datatype: 'BYTES', data: ['x'] }] }), 400, /unknown input nope/],
    ['an unknown output', JSON.stringify({ inputs: [{ name: 'text', shape: [1], datatype: 'BYTES', data: ['x'] }], outputs: [{ name: 'zz' }] }), 400, /unknown output zz/],
    ['missing data', JSON.stringify({ inputs: [{ name: 'text', shape: [1], datatype: 'BYTES' }] }), 400, /data is missing/],
  ])('rejects %s with 400 {"error"}', async (_what, body, status, message) => {
    const r = await post(`${h.url}/v2/models/router/infer`, body);
    expect(r.status).toBe(status);
    expect(Object.keys(r.json)).toEqual(['error']);
    expect(r.json.error).toMatch(message);
  });

  it('answers unknown models, versions and paths with 404 {"error"}', async () => {
    for (const [method, path] of [
      ['POST', '/v2/models/other/infer'],
      ['POST', '/v2/models/router/versions/9/infer'],
      ['GET', '/v2/models/other'],
      ['GET', '/v2/models/other/ready'],
      ['GET', '/nothing'],
    ] as const) {
      const res = await fetch(`${h.url}${path}`, { method, body: method === 'POST' ? text(['x']) : undefined });
      expect(res.status, path).toBe(404);
      expect(typeof ((await res.json()) as { error: unknown }).error).toBe('string');
    }
    await expect(client.infer('other', { inputs: [] })).rejects.toMatchObject({ code: 'NOT_FOUND', details: { status: 404 } });
  });

  it('refuses bodies over 16 MB with 413 and says the model is not generative on /v1', async () => {
    const big = await post(`${h.url}/v2/models/router/infer`, text(['x'.repeat(17 * 1024 * 1024)]));
    expect(big.status).toBe(413);
    expect(big.json.error).toMatch(/larger than/);
    const v1 = await post(`${h.url}/v1/completions`, '{"prompt":"hi"}');
    expect(v1.status).toBe(404);
    expect(v1.json.error.message).toMatch(/not generative/);
  });

  it('keeps serving after all the bad requests', async () => {
    const r = await client.infer('router', { inputs: [{ name: 'text', shape: [1], datatype: 'BYTES', data: ['hello'] }] });
    expect(r.outputs[0]!.data).toHaveLength(1);
    expect(runner.list().map((e) => e.id)).toContain(h.id);
  });
});
