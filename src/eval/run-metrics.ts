/** Operational metrics of a run: latency percentiles, error rate and throughput. */
import { AppError } from '../core/errors.js';

/**
 * Nearest-rank percentile: the smallest value with at least p% of the values at or below it,
 * i.e. sorted[ceil(p/100 · n) − 1]. Unlike interpolating definitions it always returns a latency
 * that was actually observed. p is in (0, 100].
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new AppError('INVALID_INPUT', 'cannot take a percentile of no values');
  if (!(p > 0 && p <= 100)) throw new AppError('INVALID_INPUT', `percentile must be in (0, 100], got ${p}`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.max(rank, 1) - 1] as number;
}

/** Fraction of items whose request failed. */
export function errorRate(errors: number, items: number): number {
  if (items <= 0) throw new AppError('INVALID_INPUT', 'cannot compute an error rate over zero items');
  return errors / items;
}

/**
 * Items per second over the wall-clock duration of the run (failed items included: they used the
 * endpoint too). A duration under 1 ms is counted as 1 ms so a fake or cached endpoint does not
 * report Infinity.
 */
export function throughput(items: number, durationMs: number): number {
  return items / (Math.max(durationMs, 1) / 1000);
}
