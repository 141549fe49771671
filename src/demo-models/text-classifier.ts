// A support-ticket router: bag-of-words softmax regression trained here and exported as an
// ONNX graph that takes raw text, so serving needs no tokenizer outside the model.
import { DataType, encodeModel, floatTensor, type NodeSpec } from './onnx-proto.js';
import { createRng } from './prng.js';
import { generateTickets, TICKET_LABELS, type LabelledText } from './support-tickets.js';

export interface TextClassifier {
  onnx: Uint8Array;
  labels: string[];
  /** Feature names in column order: unigrams, then bigrams written as "w1 w2". */
  vocabulary: string[];
  evalSet: LabelledText[];
  trainAccuracy: number;
}

// Must match the graph's Tokenizer: lowercase (StringNormalizer), then runs of [a-z0-9].
const TOKEN_PATTERN = '[a-z0-9]+';

function tokenize(text: string): string[] {
  return text.toLowerCase().match(new RegExp(TOKEN_PATTERN, 'g')) ?? [];
}

function ngrams(tokens: string[]): string[] {
  const bigrams = tokens.slice(1).map((t, i) => `${tokens[i]} ${t}`);
  return [...tokens, ...bigrams];
}

/** Unigrams seen twice and bigrams seen three times: rarer n-grams only add noise and bytes. */
function buildVocabulary(texts: string[]): string[] {
  const counts = new Map<string, number>();
  for (const text of texts) for (const g of ngrams(tokenize(text))) counts.set(g, (counts.get(g) ?? 0) + 1);
  const keep = (bigram: boolean): string[] =>
    [...counts]
      .filter(([g, n]) => g.includes(' ') === bigram && n >= (bigram ? 3 : 2))
      .map(([g]) => g)
      .sort();
  return [...keep(false), ...keep(true)];
}

/** Term counts, as TfIdfVectorizer mode TF computes them. */
function featurize(text: string, index: Map<string, number>): Float64Array {
  const x = new Float64Array(index.size);
  for (const g of ngrams(tokenize(text))) {
    const j = index.get(g);
    if (j !== undefined) x[j] = (x[j] ?? 0) + 1;
  }
  return x;
}

interface Weights {
  /** Row-major [features, classes], the MatMul layout. */
  w: Float64Array;
  b: Float64Array;
}

function logits(x: Float64Array, { w, b }: Weights, classes: number): Float64Array {
  const z = Float64Array.from(b);
  x.forEach((v, j) => {
    if (v !== 0) for (let c = 0; c < classes; c++) z[c] = (z[c] ?? 0) + v * (w[j * classes + c] ?? 0);
  });
  return z;
}

function argmax(z: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < z.length; i++) if ((z[i] ?? 0) > (z[best] ?? 0)) best = i;
  return best;
}

/** Plain SGD on cross-entropy with light L2; a seeded shuffle keeps the result reproducible. */
function train(xs: Float64Array[], ys: number[], classes: number, seed: number): Weights {
  const features = xs[0]?.length ?? 0;
  const model: Weights = { w: new Float64Array(features * classes), b: new Float64Array(classes) };
  const rng = createRng(seed);
  const order = xs.map((_, i) => i);
  const lr = 0.1;
  const l2 = 1e-4;
  for (let epoch = 0; epoch < 15; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [order[i], order[j]] = [order[j] ?? 0, order[i] ?? 0];
    }
    for (const i of order) {
      const x = xs[i] ?? new Float64Array(features);
      const z = logits(x, model, classes);
      const max = Math.max(...z);
      const e = z.map((v) => Math.exp(v - max));
      const sum = e.reduce((a, v) => a + v, 0);
      for (let c = 0; c < classes; c++) {
        const grad = (e[c] ?? 0) / sum - (c === ys[i] ? 1 : 0);
        model.b[c] = (model.b[c] ?? 0) - lr * grad;
        x.forEach((v, j) => {
          const k = j * classes + c;
          if (v !== 0) model.w[k] = (model.w[k] ?? 0) * (1 - lr * l2) - lr * grad * v;
        });
      }
    }
  }
  return model;
}

function buildGraph(vocabulary: string[], labels: string[], model: Weights): Uint8Array {
  const unigrams = vocabulary.filter((g) => !g.includes(' '));
  const nodes: NodeSpec[] = [
    {
      op: 'StringNormalizer',
      inputs: ['text'],
      outputs: ['lower'],
      // The default locale en_US.UTF-8 is missing on slim images and fails session creation;
      // "C" always exists and lowercases ASCII, which is all the vocabulary holds.
      attrs: { case_change_action: { kind: 'string', value: 'LOWER' }, locale: { kind: 'string', value: 'C' } },
    },
    {
      // ONNX has no general tokenizer before StringSplit, which splits on one delimiter only;
      // the contrib Tokenizer matches tokens by regex and pads rows to [N, maxTokens].
      op: 'Tokenizer',
      domain: 'com.microsoft',
      inputs: ['lower'],
      outputs: ['tokens'],
      attrs: {
        tokenexp: { kind: 'string', value: TOKEN_PATTERN },
        mark: { kind: 'int', value: 0 },
        mincharnum: { kind: 'int', value: 1 },
        pad_value: { kind: 'string', value: '#' },
      },
    },
    {
      op: 'TfIdfVectorizer',
      inputs: ['tokens'],
      outputs: ['counts'],
      attrs: {
        mode: { kind: 'string', value: 'TF' },
        min_gram_length: { kind: 'int', value: 1 },
        max_gram_length: { kind: 'int', value: 2 },
        max_skip_count: { kind: 'int', value: 0 },
        // pool_strings holds unigrams, then each bigram as two consecutive entries.
        pool_strings: { kind: 'strings', value: vocabulary.flatMap((g) => g.split(' ')) },
        ngram_counts: { kind: 'ints', value: [0, unigrams.length] },
        ngram_indexes: { kind: 'ints', value: vocabulary.map((_, i) => i) },
      },
    },
    { op: 'MatMul', inputs: ['counts', 'weights'], outputs: ['scores'] },
    { op: 'Add', inputs: ['scores', 'bias'], outputs: ['logits'] },
    { op: 'Softmax', inputs: ['logits'], outputs: ['probabilities'], attrs: { axis: { kind: 'int', value: -1 } } },
    { op: 'ArgMax', inputs: ['probabilities'], outputs: ['class_index'], attrs: { axis: { kind: 'int', value: 1 }, keepdims: { kind: 'int', value: 0 } } },
    {
      op: 'LabelEncoder',
      domain: 'ai.onnx.ml',
      inputs: ['class_index'],
      outputs: ['label'],
      attrs: {
        keys_int64s: { kind: 'ints', value: labels.map((_, i) => i) },
        values_strings: { kind: 'strings', value: labels },
        default_string: { kind: 'string', value: 'unknown' },
      },
    },
  ];
  return encodeModel({
    graphName: 'support_router',
    producer: 'model-garden demo-models',
    opsets: { '': 17, 'ai.onnx.ml': 3, 'com.microsoft': 1 },
    nodes,
    initializers: [
      floatTensor('weights', [vocabulary.length, labels.length], Float32Array.from(model.w)),
      floatTensor('bias', [labels.length], Float32Array.from(model.b)),
    ],
    inputs: [{ name: 'text', elemType: DataType.STRING, shape: ['N'] }],
    outputs: [
      { name: 'label', elemType: DataType.STRING, shape: ['N'] },
      { name: 'probabilities', elemType: DataType.FLOAT, shape: ['N', labels.length] },
    ],
    metadata: { labels: JSON.stringify(labels) },
  });
}

/** Generates the tickets, trains the router and encodes it; the same seed gives the same bytes. */
export function generateTextClassifier(opts: { seed?: number } = {}): TextClassifier {
  const seed = opts.seed ?? 42;
  const labels = [...TICKET_LABELS];
  const { train: trainSet, evalSet } = generateTickets(seed);
  const vocabulary = buildVocabulary(trainSet.map((t) => t.text));
  const index = new Map(vocabulary.map((g, i) => [g, i]));
  const xs = trainSet.map((t) => featurize(t.text, index));
  const ys = trainSet.map((t) => labels.indexOf(t.label as (typeof labels)[number]));
  const model = train(xs, ys, labels.length, seed);
  const correct = xs.filter((x, i) => argmax(logits(x, model, labels.length)) === ys[i]).length;
  return { onnx: buildGraph(vocabulary, labels, model), labels, vocabulary, evalSet, trainAccuracy: correct / xs.length };
}

/** Evaluation-suite dataset lines: `{"input": text, "expected": label}` per line. */
export function classifierEvalJsonl(evalSet: readonly LabelledText[]): string {
  return evalSet.map((e) => JSON.stringify({ input: e.text, expected: e.label })).join('\n') + '\n';
}
