/**
 * What an evaluation suite may be registered with. A suite with a dataset is run by the platform,
 * so its task and metrics must be ones the runner computes (`validateSuiteMetrics`). A suite
 * without one records results measured elsewhere; it still names a task the catalog knows and
 * metrics that mean something for that task, so a typo or a made-up metric never becomes a
 * suite that submissions count on.
 */
import { AppError } from '../core/errors.js';
import { METRIC_NAMES, METRICS, isTask, type MetricName } from './metrics.js';

/** The tasks models in the catalog are labelled with (Hugging Face pipeline tags). */
export const CATALOG_TASKS = [
  'text-generation',
  'text-classification',
  'token-classification',
  'zero-shot-classification',
  'fill-mask',
  'question-answering',
  'document-question-answering',
  'table-question-answering',
  'summarization',
  'translation',
  'feature-extraction',
  'sentence-similarity',
  'text-ranking',
  'automatic-speech-recognition',
  'text-to-speech',
  'image-to-text',
  'image-classification',
  'object-detection',
  'image-segmentation',
] as const;
export type CatalogTask = (typeof CATALOG_TASKS)[number];

/** More metrics than any real suite reports; also bounds what one registration stores. */
export const MAX_SUITE_METRICS = 32;

const CLASSIFY: CatalogTask[] = ['text-classification', 'token-classification', 'zero-shot-classification', 'fill-mask', 'image-classification'];
const QA: CatalogTask[] = ['question-answering', 'document-question-answering', 'table-question-answering'];
const RETRIEVAL: CatalogTask[] = ['feature-extraction', 'sentence-similarity', 'text-ranking'];
const ANY = 'any' as const;

/**
 * Metrics a suite run elsewhere may report, and the tasks each suits. The platform's own metrics
 * (METRICS) are here too, with the wider set of tasks a result measured elsewhere can carry them for.
 */
const TABLE: Record<string, readonly CatalogTask[] | typeof ANY> = {
  accuracy: [...CLASSIFY, ...QA, 'text-generation'],
  f1: [...CLASSIFY, ...QA],
  precision: [...CLASSIFY, 'object-detection'],
  recall: [...CLASSIFY, 'object-detection'],
  exact_match: [...QA, 'text-generation', 'translation', 'image-to-text'],
  rouge_l: ['text-generation', 'summarization', 'translation', 'image-to-text', ...QA],
  rouge_1: ['text-generation', 'summarization'],
  rouge_2: ['text-generation', 'summarization'],
  bleu: ['translation', 'text-generation', 'image-to-text'],
  chrf: ['translation', 'text-generation'],
  pass_at_1: ['text-generation'],
  wer: ['automatic-speech-recognition'],
  cer: ['automatic-speech-recognition', 'image-to-text'],
  mos: ['text-to-speech'],
  ndcg_at_10: RETRIEVAL,
  mrr: RETRIEVAL,
  recall_at_10: RETRIEVAL,
  map: [...RETRIEVAL, 'object-detection'],
  spearman: ['sentence-similarity', 'feature-extraction'],
  miou: ['image-segmentation'],
  latency_p50: ANY,
  latency_p95: ANY,
  latency_p99: ANY,
  error_rate: ANY,
  throughput: ANY,
};
export const SUITE_METRICS: Readonly<Record<string, readonly CatalogTask[] | typeof ANY>> = Object.freeze(TABLE);

export function isCatalogTask(value: string): value is CatalogTask {
  return (CATALOG_TASKS as readonly string[]).includes(value);
}

function suits(metric: string, task: CatalogTask): boolean {
  if (!Object.hasOwn(SUITE_METRICS, metric)) return false;
  const tasks = SUITE_METRICS[metric]!;
  return tasks === ANY || tasks.includes(task);
}

type Reason = 'unknown_task' | 'not_runnable_task' | 'no_metrics' | 'too_many_metrics' | 'unknown_metric' | 'metric_not_for_task' | 'duplicate_metric';

/**
 * Checks a suite's task and metrics before it is stored. `runnable`: the suite has a dataset, so
 * the platform computes its metrics (only the runner's tasks and metrics). Throws INVALID_INPUT
 * naming every problem at once: `details.reason` (the first), `reasons`, `field`, and the lists.
 */
export function validateSuite(task: string, metrics: readonly string[], opts: { runnable: boolean }): string[] {
  if (!isCatalogTask(task)) {
    throw new AppError('INVALID_INPUT', `unknown task "${task}"; known tasks: ${CATALOG_TASKS.join(', ')}`, { reason: 'unknown_task' satisfies Reason, field: 'task', task, tasks: [...CATALOG_TASKS] });
  }
  if (opts.runnable && !isTask(task)) {
    throw new AppError('INVALID_INPUT', `the platform runs suites for text-classification and text-generation; register a ${task} suite without a dataset and record its results`, { reason: 'not_runnable_task' satisfies Reason, field: 'task', task });
  }
  const computed = (m: string): m is MetricName => Object.hasOwn(METRICS, m);
  const allowed = opts.runnable ? METRIC_NAMES.filter((m) => METRICS[m].tasks.includes(task as never)) : Object.keys(SUITE_METRICS).filter((m) => suits(m, task));
  const fail = (reason: Reason, message: string, extra: Record<string, unknown> = {}) => new AppError('INVALID_INPUT', message, { reason, reasons: [reason], field: 'metrics', allowed, ...extra });
  if (metrics.length === 0) throw fail('no_metrics', `a ${task} suite needs at least one metric (allowed: ${allowed.join(', ')})`);
  if (metrics.length > MAX_SUITE_METRICS) throw fail('too_many_metrics', `a suite names at most ${MAX_SUITE_METRICS} metrics, not ${metrics.length}`, { max: MAX_SUITE_METRICS, count: metrics.length });
  const known = (m: string) => (opts.runnable ? computed(m) : Object.hasOwn(SUITE_METRICS, m));
  const fits = (m: string) => (opts.runnable ? computed(m) && METRICS[m].tasks.includes(task as never) : suits(m, task));
  const unknown = [...new Set(metrics.filter((m) => !known(m)))];
  const unsuitable = [...new Set(metrics.filter((m) => known(m) && !fits(m)))];
  const duplicates = [...new Set(metrics.filter((m, i) => metrics.indexOf(m) !== i))];
  const reasons: Reason[] = [];
  const problems: string[] = [];
  if (unknown.length) {
    reasons.push('unknown_metric');
    problems.push(`unknown metric${unknown.length > 1 ? 's' : ''} ${unknown.map((m) => JSON.stringify(m.slice(0, 50))).join(', ')}`);
  }
  if (unsuitable.length) {
    reasons.push('metric_not_for_task');
    problems.push(`not for ${task}: ${unsuitable.join(', ')}`);
  }
  if (duplicates.length) {
    reasons.push('duplicate_metric');
    problems.push(`listed twice: ${duplicates.join(', ')}`);
  }
  if (reasons.length) {
    throw new AppError('INVALID_INPUT', `${problems.join('; ')} (allowed for ${task}: ${allowed.join(', ')})`, { reason: reasons[0], reasons, field: 'metrics', unknown, unsuitable, duplicates, allowed });
  }
  return [...metrics];
}
