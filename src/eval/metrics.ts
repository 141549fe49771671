/**
 * The metric registry: which metrics exist, which tasks they suit, which direction is better, and
 * how each is computed from a run's observations. Suites are validated against it on registration
 * so a suite can never name a metric the runner cannot compute.
 */
import { AppError } from '../core/errors.js';
import { accuracy, exactMatch, macroF1, rougeL, type Prediction } from './quality-metrics.js';
import { errorRate, percentile, throughput } from './run-metrics.js';

export const TASKS = ['text-classification', 'text-generation'] as const;
export type Task = (typeof TASKS)[number];

export const METRIC_NAMES = [
  'accuracy',
  'f1',
  'exact_match',
  'rouge_l',
  'latency_p50',
  'latency_p95',
  'latency_p99',
  'error_rate',
  'throughput',
] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

export interface MetricInfo {
  higherIsBetter: boolean;
  describe: string;
  tasks: Task[];
}

const ALL_TASKS: Task[] = [...TASKS];

export const METRICS: Readonly<Record<MetricName, MetricInfo>> = Object.freeze({
  accuracy: { higherIsBetter: true, describe: 'Fraction of items whose label matches a reference (trimmed, case-insensitive).', tasks: ['text-classification'] },
  f1: { higherIsBetter: true, describe: 'Macro-averaged F1: unweighted mean of per-label F1 over labels in references and predictions.', tasks: ['text-classification'] },
  exact_match: { higherIsBetter: true, describe: 'Fraction of items matching a reference after SQuAD normalisation (case, punctuation, articles, whitespace).', tasks: ['text-generation'] },
  rouge_l: { higherIsBetter: true, describe: 'Mean ROUGE-L F-measure (longest common token subsequence) against the best reference.', tasks: ['text-generation'] },
  latency_p50: { higherIsBetter: false, describe: 'Median request latency in ms (nearest rank, successful requests).', tasks: ALL_TASKS },
  latency_p95: { higherIsBetter: false, describe: '95th percentile request latency in ms (nearest rank, successful requests).', tasks: ALL_TASKS },
  latency_p99: { higherIsBetter: false, describe: '99th percentile request latency in ms (nearest rank, successful requests).', tasks: ALL_TASKS },
  error_rate: { higherIsBetter: false, describe: 'Fraction of items whose request failed.', tasks: ALL_TASKS },
  throughput: { higherIsBetter: true, describe: 'Items per second over the wall-clock duration of the run.', tasks: ALL_TASKS },
});

export function isTask(value: string): value is Task {
  return (TASKS as readonly string[]).includes(value);
}

export function isMetricName(value: string): value is MetricName {
  return Object.hasOwn(METRICS, value);
}

/** True when metric is a known metric that suits task. */
export function isMetricFor(task: string, metric: string): metric is MetricName {
  return isTask(task) && isMetricName(metric) && METRICS[metric].tasks.includes(task);
}

/**
 * Checks a suite's task and metric list; returns the metrics typed. Throws INVALID_INPUT naming
 * every problem at once (details: unknown, unsuitable, duplicates, allowed) so an admin fixes a
 * suite in one go. Takes strings because suites arrive from requests and the database.
 */
export function validateSuiteMetrics(task: string, metrics: readonly string[]): MetricName[] {
  if (!isTask(task)) {
    throw new AppError('INVALID_INPUT', `unknown task "${task}"; known tasks: ${TASKS.join(', ')}`, { task, tasks: [...TASKS] });
  }
  const allowed = METRIC_NAMES.filter((m) => METRICS[m].tasks.includes(task));
  if (metrics.length === 0) {
    throw new AppError('INVALID_INPUT', `a ${task} suite needs at least one metric`, { allowed });
  }
  const unknown = metrics.filter((m) => !isMetricName(m));
  const unsuitable = metrics.filter((m) => isMetricName(m) && !isMetricFor(task, m));
  const duplicates = metrics.filter((m, i) => metrics.indexOf(m) !== i);
  const problems: string[] = [];
  if (unknown.length > 0) problems.push(`unknown metric${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`);
  if (unsuitable.length > 0) problems.push(`not for ${task}: ${unsuitable.join(', ')}`);
  if (duplicates.length > 0) problems.push(`listed twice: ${duplicates.join(', ')}`);
  if (problems.length > 0) {
    throw new AppError('INVALID_INPUT', `${problems.join('; ')} (allowed: ${allowed.join(', ')})`, { unknown, unsuitable, duplicates, allowed });
  }
  return metrics as MetricName[];
}

/** What a run observed, index-aligned per item; a failed item has prediction null. */
export interface RunObservations {
  predictions: Prediction[];
  references: string[][];
  /** Latencies of successful requests only: a refused connection fails fast and would flatter the percentiles. */
  latenciesMs: number[];
  errors: number;
  durationMs: number;
}

export function computeMetric(metric: MetricName, run: RunObservations): number {
  switch (metric) {
    case 'accuracy':
      return accuracy(run.predictions, run.references);
    case 'f1':
      return macroF1(run.predictions, run.references);
    case 'exact_match':
      return exactMatch(run.predictions, run.references);
    case 'rouge_l':
      return rougeL(run.predictions, run.references);
    case 'latency_p50':
      return percentile(run.latenciesMs, 50);
    case 'latency_p95':
      return percentile(run.latenciesMs, 95);
    case 'latency_p99':
      return percentile(run.latenciesMs, 99);
    case 'error_rate':
      return errorRate(run.errors, run.predictions.length);
    case 'throughput':
      return throughput(run.predictions.length, run.durationMs);
  }
}
