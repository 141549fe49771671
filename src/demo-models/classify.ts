// Runs the generated classifier through onnxruntime-node, the runtime that serves it.
import * as ort from 'onnxruntime-node';
import type { LabelledText } from './support-tickets.js';

export interface Classification {
  label: string;
  probabilities: number[];
}

/** Classifies a batch of raw texts in one run of an ONNX router session. */
export async function classifyTexts(session: ort.InferenceSession, texts: readonly string[]): Promise<Classification[]> {
  const out = await session.run({ text: new ort.Tensor('string', [...texts], [texts.length]) });
  const labels = out.label?.data as string[];
  const probs = out.probabilities?.data as Float32Array;
  const classes = probs.length / texts.length;
  return labels.map((label, i) => ({ label, probabilities: Array.from(probs.subarray(i * classes, (i + 1) * classes)) }));
}

/** Share of items whose predicted label equals the expected one. */
export async function measureAccuracy(onnx: Uint8Array, items: readonly LabelledText[]): Promise<number> {
  const session = await ort.InferenceSession.create(onnx);
  try {
    const results = await classifyTexts(session, items.map((i) => i.text));
    return results.filter((r, i) => r.label === items[i]?.label).length / items.length;
  } finally {
    await session.release();
  }
}
