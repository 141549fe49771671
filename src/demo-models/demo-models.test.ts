import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getLlama, LlamaChatSession, LlamaCompletion, type Llama, type LlamaContext, type LlamaModel } from 'node-llama-cpp';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECORDED_GENERATIONS } from './generation-eval.js';
import {
  classifierEvalJsonl,
  classifyTexts,
  GENERATION_EVAL_SETTINGS,
  generateTextClassifier,
  generateTinyGguf,
  generationEvalJsonl,
  measureAccuracy,
  writeDemoModels,
} from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'garden-demo-models-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('support-ticket classifier', () => {
  const classifier = generateTextClassifier();

  it('is deterministic per seed', () => {
    expect(Buffer.compare(generateTextClassifier().onnx, classifier.onnx)).toBe(0);
    expect(Buffer.compare(generateTextClassifier({ seed: 7 }).onnx, classifier.onnx)).not.toBe(0);
  });

  it('is small and fits its training data', () => {
    expect(classifier.onnx.length).toBeLessThan(1024 * 1024);
    expect(classifier.labels).toEqual(['billing', 'technical', 'account', 'shipping']);
    expect(classifier.trainAccuracy).toBeGreaterThanOrEqual(0.95);
    expect(classifier.evalSet).toHaveLength(120);
  });

  it('classifies the held-out set through onnxruntime-node', async () => {
    expect(await measureAccuracy(classifier.onnx, classifier.evalSet)).toBeGreaterThanOrEqual(0.85);
  });

  it('gives each row of a batch the same answer as alone', async () => {
    const session = await ort.InferenceSession.create(classifier.onnx);
    const texts = ['My parcel never arrived', 'Please refund the duplicate charge on my invoice', 'I FORGOT MY PASSWORD!'];
    const batch = await classifyTexts(session, texts);
    expect(batch.map((r) => r.label)).toEqual(['shipping', 'billing', 'account']);
    for (const [i, text] of texts.entries()) {
      const [single] = await classifyTexts(session, [text]);
      expect(single?.label).toBe(batch[i]?.label);
      single?.probabilities.forEach((p, c) => expect(p).toBeCloseTo(batch[i]?.probabilities[c] ?? NaN, 5));
    }
    const sums = batch.map((r) => r.probabilities.reduce((a, p) => a + p, 0));
    sums.forEach((s) => expect(s).toBeCloseTo(1, 5));
    await session.release();
  });

  it('exports the held-out set as evaluation JSON lines', () => {
    const lines = classifierEvalJsonl(classifier.evalSet).trimEnd().split('\n');
    expect(lines).toHaveLength(120);
    expect(JSON.parse(lines[0] ?? '')).toEqual({ input: classifier.evalSet[0]?.text, expected: classifier.evalSet[0]?.label });
  });
});

describe('tiny llama GGUF', () => {
  let llama: Llama;
  let model: LlamaModel;
  let context: LlamaContext;

  beforeAll(async () => {
    const { ggufPath } = await writeDemoModels(dir);
    llama = await getLlama({ gpu: false, build: 'never' });
    model = await llama.loadModel({ modelPath: ggufPath });
    // threads: 1 — on small machines thread sync makes this model many times slower.
    context = await model.createContext({ contextSize: 2048, threads: 1, sequences: 2 });
  });

  afterAll(async () => {
    await context?.dispose();
    await model?.dispose();
    await llama?.dispose();
  });

  it('is deterministic, and F16 keeps the layout at about half the size', () => {
    const f32 = generateTinyGguf();
    expect(Buffer.compare(generateTinyGguf(), f32)).toBe(0);
    expect(Buffer.compare(generateTinyGguf({ seed: 2 }), f32)).not.toBe(0);
    expect(Buffer.from(f32.subarray(0, 4)).toString('ascii')).toBe('GGUF');
    expect(generateTinyGguf({ f16: true }).length).toBeLessThan(f32.length * 0.6);
  });

  it('round-trips text through its byte-fallback tokenizer', () => {
    const tokens = model.tokenize('Hi there!\n');
    expect(tokens).toHaveLength(10);
    expect(model.detokenize(tokens)).toBe('Hi there!\n');
    expect(model.detokenize(model.tokenize('Grüße, 世界'))).toBe('Grüße, 世界');
  });

  it('reproduces the recorded greedy completions', async () => {
    const completion = new LlamaCompletion({ contextSequence: context.getSequence() });
    for (const { input, expected } of RECORDED_GENERATIONS) {
      expect(await completion.generateCompletion(input, GENERATION_EVAL_SETTINGS)).toBe(expected);
    }
    completion.dispose();
  });

  it('answers in a ChatML chat session', async () => {
    const chat = new LlamaChatSession({ contextSequence: context.getSequence(), systemPrompt: 'Be brief.' });
    expect(chat.chatWrapper.wrapperName).toBe('ChatML');
    expect((await chat.prompt('Say hi', { maxTokens: 8, temperature: 0 })).length).toBeGreaterThan(0);
    chat.dispose();
  });

  it('exports ten generation items, half of them reachable', () => {
    const items = generationEvalJsonl().trimEnd().split('\n').map((l) => JSON.parse(l) as { input: string; expected: string });
    expect(items).toHaveLength(10);
    expect(items.filter((i) => RECORDED_GENERATIONS.some((r) => r.input === i.input && r.expected === i.expected))).toHaveLength(5);
  });
});

describe('writeDemoModels', () => {
  it('leaves identical files untouched', async () => {
    const first = await writeDemoModels(dir);
    const mtimes = Object.values(first).map((p) => statSync(p).mtimeMs);
    const second = await writeDemoModels(dir);
    expect(second).toEqual(first);
    expect(Object.values(second).map((p) => statSync(p).mtimeMs)).toEqual(mtimes);
  });
});
