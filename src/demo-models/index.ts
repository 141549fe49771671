// Small real models generated in-process (no downloads) for tests, benchmarks and the demo catalog.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generationEvalJsonl } from './generation-eval.js';
import { classifierEvalJsonl, generateTextClassifier } from './text-classifier.js';
import { generateTinyGguf } from './tiny-gguf.js';

export { classifierEvalJsonl, generateTextClassifier, type TextClassifier } from './text-classifier.js';
export { generateTinyGguf, type TinyGgufOptions } from './tiny-gguf.js';
export { generationEvalJsonl, GENERATION_EVAL_SETTINGS } from './generation-eval.js';
export { classifyTexts, measureAccuracy, type Classification } from './classify.js';
export type { LabelledText } from './support-tickets.js';

export interface DemoModelPaths {
  classifierPath: string;
  ggufPath: string;
  classifierEvalPath: string;
  generationEvalPath: string;
}

/** Leaves identical files untouched so mtimes (and anything watching them) stay stable. */
async function writeIfChanged(path: string, data: Uint8Array | string): Promise<void> {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const current = await readFile(path).catch(() => null);
  if (current && Buffer.compare(current, bytes) === 0) return;
  await writeFile(path, bytes);
}

/** Writes the support-ticket router, the tiny llama GGUF and their evaluation datasets into dir. */
export async function writeDemoModels(dir: string): Promise<DemoModelPaths> {
  await mkdir(dir, { recursive: true });
  const classifier = generateTextClassifier();
  const paths: DemoModelPaths = {
    classifierPath: join(dir, 'support-router.onnx'),
    ggufPath: join(dir, 'tiny-llama.gguf'),
    classifierEvalPath: join(dir, 'support-router.eval.jsonl'),
    generationEvalPath: join(dir, 'tiny-llama.eval.jsonl'),
  };
  await writeIfChanged(paths.classifierPath, classifier.onnx);
  await writeIfChanged(paths.ggufPath, generateTinyGguf());
  await writeIfChanged(paths.classifierEvalPath, classifierEvalJsonl(classifier.evalSet));
  await writeIfChanged(paths.generationEvalPath, generationEvalJsonl());
  return paths;
}
