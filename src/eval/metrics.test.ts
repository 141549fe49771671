import { describe, expect, it } from 'vitest';
import { METRIC_NAMES, METRICS, computeMetric, isMetricFor, validateSuiteMetrics } from './metrics.js';
import { accuracy, exactMatch, lcsLength, macroF1, normaliseAnswer, rougeL, rougeLPair } from './quality-metrics.js';
import { errorRate, percentile, throughput } from './run-metrics.js';

const refs = (...labels: string[]) => labels.map((l) => [l]);

describe('accuracy', () => {
  it('matches labels after trimming and case-folding; a failed item is wrong', () => {
    expect(accuracy(['Positive ', 'neg', null, 'neutral'], [['positive'], ['negative'], ['neg'], ['neutral', 'neu']])).toBe(0.5);
  });

  it('refuses zero items and misaligned lists', () => {
    expect(() => accuracy([], [])).toThrow(/zero items/);
    expect(() => accuracy(['a'], [])).toThrow(/1 predictions but 0/);
  });
});

describe('macroF1', () => {
  it('averages per-label F1 of a confusion matrix without weighting by support', () => {
    // cat: TP 2, FP 1, FN 1 → 2/3; dog: TP 1, FP 1, FN 1 → 1/2; bird: TP 1 → 1. Macro = 13/18;
    // accuracy and support-weighted F1 would both be 4/6.
    const gold = refs('cat', 'cat', 'cat', 'dog', 'dog', 'bird');
    const predicted = ['cat', 'CAT', 'dog', 'dog', 'cat', 'bird'];
    expect(macroF1(predicted, gold)).toBeCloseTo(13 / 18, 12);
  });

  it('counts labels that only the predictions use', () => {
    // a: TP 1, FN 1 → 2/3; zebra: FP 1 → 0. Macro = 1/3.
    expect(macroF1(['a', 'zebra'], refs('a', 'a'))).toBeCloseTo(1 / 3, 12);
  });

  it('treats a failed item as a miss of its gold label, not as a prediction', () => {
    // pos: TP 1 → 1; neg: FN 1 → 0.
    expect(macroF1(['pos', null], refs('pos', 'neg'))).toBe(0.5);
  });

  it('is 1 for perfect predictions and uses the matched alternative as the gold label', () => {
    expect(macroF1(['yes', 'Y'], [['yes'], ['no', 'y']])).toBe(1);
  });
});

describe('normaliseAnswer', () => {
  it('lowercases, drops punctuation and articles, collapses whitespace', () => {
    expect(normaliseAnswer('  The  quick, brown\tfox. ')).toBe('quick brown fox');
    expect(normaliseAnswer("An apple a day; don't!")).toBe('apple day dont');
    expect(normaliseAnswer('Theatre and anthem')).toBe('theatre and anthem');
    expect(normaliseAnswer('«Café» — à la carte')).toBe('café à la carte');
  });
});

describe('exactMatch', () => {
  it('takes the best reference per item and averages over items', () => {
    const predictions = ['The Eiffel Tower!', 'Paris', 'apples', null, 'an apple'];
    const references = [['eiffel tower'], ['London', 'paris.'], ['apple'], ['anything'], ['Apple']];
    expect(exactMatch(predictions, references)).toBe(3 / 5);
  });
});

describe('ROUGE-L', () => {
  it('computes the longest common subsequence', () => {
    expect(lcsLength([...'ABCBDAB'], [...'BDCABA'])).toBe(4);
    expect(lcsLength([], ['x'])).toBe(0);
  });

  it('scores known pairs', () => {
    // "cat sat on mat" vs "cat is on mat" after dropping articles: LCS 3 of 4 and 4 → 0.75.
    expect(rougeLPair('the cat sat on the mat', 'The cat is on the mat.')).toBe(0.75);
    // LCS "x z" = 2: precision 2/3, recall 2/4 → F = 4/7.
    expect(rougeLPair('x y z', 'x q z w')).toBeCloseTo(4 / 7, 12);
    expect(rougeLPair('w x y z', 'w y')).toBeCloseTo(2 / 3, 12);
    expect(rougeLPair('same words here', 'Same words, here!')).toBe(1);
    expect(rougeLPair('nothing shared', 'entirely different')).toBe(0);
    expect(rougeLPair('', '')).toBe(0);
  });

  it('takes the best reference per item and averages, failed items scoring 0', () => {
    const value = rougeL(['x y z', null, 'cat sat on the mat'], [['q', 'x q z w'], ['x'], ['The cat is on the mat.']]);
    expect(value).toBeCloseTo((4 / 7 + 0 + 0.75) / 3, 12);
  });
});

describe('run metrics', () => {
  it('takes nearest-rank percentiles of 1..100 in any order', () => {
    const values = Array.from({ length: 100 }, (_, i) => ((i * 37) % 100) + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 95)).toBe(95);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
  });

  it('returns an observed value, never an interpolated one', () => {
    const values = [15, 20, 35, 40, 50];
    expect([5, 30, 40, 50, 100].map((p) => percentile(values, p))).toEqual([15, 20, 20, 35, 50]);
    // Rank is ceil(p/100 · n): 1.05 → 2nd, 8.1 → 9th, 9.5 → 10th (interpolation would say 9.55).
    expect(percentile(values, 21)).toBe(20);
    expect(percentile([9, 8, 7, 6, 5, 4, 3, 2, 1], 90)).toBe(9);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).toBe(10);
    expect(percentile([7], 99)).toBe(7);
    expect(() => percentile([], 50)).toThrow(/no values/);
    expect(() => percentile([1], 0)).toThrow(/percentile/);
  });

  it('computes error rate and throughput', () => {
    expect(errorRate(3, 12)).toBe(0.25);
    expect(() => errorRate(0, 0)).toThrow(/zero items/);
    expect(throughput(50, 2000)).toBe(25);
    expect(throughput(10, 0)).toBe(10_000);
  });
});

describe('metric registry', () => {
  it('describes every metric and gives it a task and a direction', () => {
    for (const name of METRIC_NAMES) {
      expect(METRICS[name].tasks.length, name).toBeGreaterThan(0);
      expect(METRICS[name].describe, name).not.toBe('');
    }
    expect(METRIC_NAMES.filter((m) => !METRICS[m].higherIsBetter)).toEqual(['latency_p50', 'latency_p95', 'latency_p99', 'error_rate']);
  });

  it('knows which metrics suit which task', () => {
    expect(isMetricFor('text-classification', 'f1')).toBe(true);
    expect(isMetricFor('text-classification', 'rouge_l')).toBe(false);
    expect(isMetricFor('text-generation', 'exact_match')).toBe(true);
    expect(isMetricFor('text-generation', 'latency_p95')).toBe(true);
    expect(isMetricFor('text-generation', 'toString')).toBe(false);
    expect(isMetricFor('image-classification', 'accuracy')).toBe(false);
  });

  it('validates a suite, naming every unknown, unsuitable and repeated metric', () => {
    expect(validateSuiteMetrics('text-generation', ['rouge_l', 'error_rate'])).toEqual(['rouge_l', 'error_rate']);
    expect(() => validateSuiteMetrics('text-classification', ['accuracy', 'rouge_l', 'bleu', 'accuracy'])).toThrow(
      expect.objectContaining({
        code: 'INVALID_INPUT',
        message: expect.stringMatching(/^unknown metric bleu; not for text-classification: rouge_l; listed twice: accuracy/),
        details: expect.objectContaining({ unknown: ['bleu'], unsuitable: ['rouge_l'], duplicates: ['accuracy'] }),
      }),
    );
    expect(() => validateSuiteMetrics('text-classification', [])).toThrow(/at least one metric/);
    expect(() => validateSuiteMetrics('speech', ['accuracy'])).toThrow(/unknown task "speech"/);
  });

  it('computes each metric from run observations', () => {
    const run = { predictions: ['x', null, 'y', 'y'], references: refs('x', 'x', 'y', 'x'), latenciesMs: [30, 10, 20], errors: 1, durationMs: 500 };
    const values = Object.fromEntries(METRIC_NAMES.map((m) => [m, computeMetric(m, run)]));
    expect(values).toEqual({
      accuracy: 0.5,
      f1: (2 / 4 + 2 / 3) / 2, // x: TP 1, FN 2 → 1/2; y: TP 1, FP 1 → 2/3
      exact_match: 0.5,
      rouge_l: 0.5,
      latency_p50: 20,
      latency_p95: 30,
      latency_p99: 30,
      error_rate: 0.25,
      throughput: 8,
    });
  });
});
