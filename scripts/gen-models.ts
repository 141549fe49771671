/** Writes the generated demo models and their eval datasets: `npx tsx scripts/gen-models.ts <outDir>`. */
import { stat } from 'node:fs/promises';
import { generateTextClassifier, measureAccuracy, writeDemoModels } from '../src/demo-models/index.js';

const outDir = process.argv[2];
if (!outDir) {
  console.error('usage: npx tsx scripts/gen-models.ts <outDir>');
  process.exit(2);
}

const started = performance.now();
const paths = await writeDemoModels(outDir);
console.log(`generated in ${Math.round(performance.now() - started)} ms`);
for (const path of Object.values(paths)) console.log(`${(await stat(path)).size.toString().padStart(9)} B  ${path}`);

const classifier = generateTextClassifier();
const evalAccuracy = await measureAccuracy(classifier.onnx, classifier.evalSet);
console.log(
  `support-router: ${classifier.labels.length} labels, ${classifier.vocabulary.length} features, ` +
    `train accuracy ${classifier.trainAccuracy.toFixed(3)}, held-out accuracy ${evalAccuracy.toFixed(3)} ` +
    `(onnxruntime-node, ${classifier.evalSet.length} items)`,
);
