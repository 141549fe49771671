/**
 * Quality metrics: compare each prediction with the item's references. Every function takes
 * predictions and references index-aligned; a null prediction is an item whose request failed
 * and always counts as wrong. Scores are fractions in [0, 1].
 */
import { AppError } from '../core/errors.js';

export type Prediction = string | null;

/** Label comparison for classification: only surrounding whitespace and case are forgiven. */
export function normaliseLabel(label: string): string {
  return label.normalize('NFC').trim().toLowerCase();
}

/**
 * SQuAD answer normalisation: lowercase, drop punctuation (Unicode punctuation and symbols, not
 * just ASCII, since datasets are multilingual), drop the articles a/an/the, collapse whitespace.
 * Punctuation is removed rather than replaced by a space, as SQuAD's script does ("don't" → "dont").
 */
export function normaliseAnswer(text: string): string {
  return text
    .normalize('NFC')
    .toLowerCase()
    .replace(/[\p{P}\p{S}]/gu, '')
    .replace(/(?<![\p{L}\p{N}])(a|an|the)(?![\p{L}\p{N}])/gu, ' ')
    .split(/\s+/u)
    .filter((t) => t !== '')
    .join(' ');
}

/** Fraction of items whose prediction equals one of the references after normaliseLabel. */
export function accuracy(predictions: Prediction[], references: string[][]): number {
  checkAligned(predictions, references);
  let correct = 0;
  predictions.forEach((p, i) => {
    if (p !== null && refsOf(references, i).some((r) => normaliseLabel(r) === normaliseLabel(p))) correct++;
  });
  return correct / predictions.length;
}

/**
 * Macro-averaged F1: the unweighted mean of per-label F1 over every label that appears in the
 * references or the predictions (after normaliseLabel), so rare labels weigh as much as common
 * ones. Per label, precision = TP/(TP+FP) and recall = TP/(TP+FN); a label with no TP scores 0
 * (scikit-learn's zero_division=0). Each item has one gold label: the reference the prediction
 * matched, else the first reference. Only the first reference joins the label set otherwise,
 * since alternatives are spellings, not classes. A failed item (null) is a false negative for
 * its gold label and predicts nothing, so it adds no false positive.
 */
export function macroF1(predictions: Prediction[], references: string[][]): number {
  checkAligned(predictions, references);
  const counts = new Map<string, { tp: number; fp: number; fn: number }>();
  const count = (label: string) => {
    let c = counts.get(label);
    if (!c) counts.set(label, (c = { tp: 0, fp: 0, fn: 0 }));
    return c;
  };
  predictions.forEach((p, i) => {
    const refs = refsOf(references, i).map(normaliseLabel);
    const predicted = p === null ? null : normaliseLabel(p);
    const gold = predicted !== null && refs.includes(predicted) ? predicted : (refs[0] as string);
    if (predicted === gold) {
      count(gold).tp++;
      return;
    }
    count(gold).fn++;
    if (predicted !== null) count(predicted).fp++;
  });
  let sum = 0;
  for (const { tp, fp, fn } of counts.values()) {
    // F1 = 2TP / (2TP + FP + FN), the harmonic mean of precision and recall without dividing by zero.
    sum += tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  }
  return sum / counts.size;
}

/** Mean over items of the best SQuAD exact match against any reference. */
export function exactMatch(predictions: Prediction[], references: string[][]): number {
  checkAligned(predictions, references);
  let matched = 0;
  predictions.forEach((p, i) => {
    if (p === null) return;
    const answer = normaliseAnswer(p);
    if (refsOf(references, i).some((r) => normaliseAnswer(r) === answer)) matched++;
  });
  return matched / predictions.length;
}

/**
 * ROUGE-L F-measure (β = 1, i.e. F1 of LCS precision and recall, as Google's rouge-score reports
 * `fmeasure`) of one pair, on whitespace tokens of normaliseAnswer text. Two empty texts score 0,
 * as in rouge-score: there is nothing to agree on.
 */
export function rougeLPair(prediction: string, reference: string): number {
  const p = tokens(prediction);
  const r = tokens(reference);
  if (p.length === 0 || r.length === 0) return 0;
  const lcs = lcsLength(p, r);
  if (lcs === 0) return 0;
  const precision = lcs / p.length;
  const recall = lcs / r.length;
  return (2 * precision * recall) / (precision + recall);
}

/** Mean over items of the best ROUGE-L F-measure against any reference. */
export function rougeL(predictions: Prediction[], references: string[][]): number {
  checkAligned(predictions, references);
  let sum = 0;
  predictions.forEach((p, i) => {
    if (p === null) return;
    sum += Math.max(...refsOf(references, i).map((r) => rougeLPair(p, r)));
  });
  return sum / predictions.length;
}

/** Length of the longest common subsequence; two rows of the DP table keep memory O(|b|). */
export function lcsLength(a: readonly string[], b: readonly string[]): number {
  let prev = new Array<number>(b.length + 1).fill(0);
  let curr = new Array<number>(b.length + 1).fill(0);
  for (const x of a) {
    for (let j = 1; j <= b.length; j++) {
      curr[j] = x === b[j - 1] ? (prev[j - 1] as number) + 1 : Math.max(prev[j] as number, curr[j - 1] as number);
    }
    [prev, curr] = [curr, prev];
  }
  return prev[b.length] as number;
}

function tokens(text: string): string[] {
  const normalised = normaliseAnswer(text);
  return normalised === '' ? [] : normalised.split(' ');
}

function refsOf(references: string[][], i: number): string[] {
  const refs = references[i];
  if (!refs || refs.length === 0) throw new AppError('INVALID_INPUT', `item ${i + 1} has no reference`);
  return refs;
}

/** A score over zero items would be NaN, which must never reach a stored benchmark. */
function checkAligned(predictions: Prediction[], references: string[][]): void {
  if (predictions.length === 0) throw new AppError('INVALID_INPUT', 'cannot score zero items');
  if (predictions.length !== references.length) {
    throw new AppError('INVALID_INPUT', `${predictions.length} predictions but ${references.length} reference lists`);
  }
}
