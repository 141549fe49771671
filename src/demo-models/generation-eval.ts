// Evaluation items for the tiny GGUF. Half of the expectations were recorded from the model itself
// (generateTinyGguf() defaults, F32 and F16 agree; LlamaCompletion.generateCompletion(input,
// { maxTokens: 16, temperature: 0 })), the other half are sensible answers that random weights
// never produce. Exact match therefore scores 0.5: a suite that scores 0 or 1 is broken.
// demo-models.test.ts replays the recorded items, so a change to the generator shows up there.

/** Settings the recorded expectations depend on. */
export const GENERATION_EVAL_SETTINGS = { maxTokens: 16, temperature: 0 } as const;

export const RECORDED_GENERATIONS: ReadonlyArray<{ input: string; expected: string }> = [
  { input: 'Hello', expected: 'zZ88888888888888' },
  { input: 'The capital of France is', expected: 'c c c c c c c c c c c c c c c c' },
  { input: 'Once upon a time', expected: '| w> ft{r8{8888888' },
  { input: 'def add(a, b):', expected: '~00000000000 f f f f' },
  { input: 'The quick brown fox', expected: 'Y[ v wd p"Y`Y`Y`Y`Y' },
];

const UNREACHABLE: ReadonlyArray<{ input: string; expected: string }> = [
  { input: 'Q: What is 2+2?\nA:', expected: ' 4' },
  { input: 'Translate to French: cat', expected: ' chat' },
  { input: '1, 2, 3,', expected: ' 4, 5, 6' },
  { input: 'Model Garden', expected: ' is a model catalog' },
  { input: 'Write a haiku about rain', expected: '\nSoft rain on the roof' },
];

/** JSON lines `{"id", "input", "expected"}` in the evaluation-suite dataset format. */
export function generationEvalJsonl(): string {
  const items = [...RECORDED_GENERATIONS, ...UNREACHABLE];
  return items.map((item, i) => JSON.stringify({ id: `gen-${i + 1}`, ...item })).join('\n') + '\n';
}
