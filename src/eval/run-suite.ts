/**
 * Runs an evaluation suite against a model endpoint: sends every dataset item to `predict` with
 * bounded concurrency, times each request, and computes the suite's metrics. No database or HTTP
 * here; the job that calls it supplies `predict` and stores the results.
 */
import { AppError } from '../core/errors.js';
import type { DatasetItem } from './dataset.js';
import { computeMetric, METRICS, validateSuiteMetrics, type MetricName, type Task } from './metrics.js';

export interface RunSuiteOptions {
  items: DatasetItem[];
  task: Task;
  metrics: MetricName[];
  /**
   * Asks the endpoint for one item. A rejection counts as a failed item. The signal fires when the
   * run is aborted or gives up, so an implementation can cancel its HTTP request.
   */
  predict: (input: string, signal?: AbortSignal) => Promise<string>;
  /** Requests in flight at once; default 4. */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** Clock in ms, for tests; default performance.now(). */
  now?: () => number;
}

export interface SuiteMetricResult {
  metric: MetricName;
  value: number;
  higherIsBetter: boolean;
}

export interface SuiteSample {
  id?: string;
  input: string;
  expected: string[];
  output: string | null;
  error: string | null;
  latencyMs: number;
}

export interface SuiteRunResult {
  /** One per requested metric, in the order the suite lists them. */
  results: SuiteMetricResult[];
  items: number;
  errors: number;
  /** Up to 5 failure messages, in dataset order, prefixed with the item. */
  firstErrors: string[];
  durationMs: number;
  /** The first 20 items in dataset order, for the UI. */
  samples: SuiteSample[];
}

export const DEFAULT_CONCURRENCY = 4;
const MAX_FIRST_ERRORS = 5;
const MAX_SAMPLES = 20;
/** Endpoints answer failures with whole HTML pages; keep messages readable in the UI and the DB. */
const MAX_ERROR_CHARS = 500;

interface Outcome {
  output: string | null;
  error: string | null;
  latencyMs: number;
}

/**
 * Runs the suite. Throws INVALID_INPUT for no items, a bad concurrency or metrics unsuitable for
 * the task; the abort reason when `signal` aborts (without waiting for requests in flight); and
 * ENDPOINT_FAILED (details.reason 'too_many_errors', details.firstErrors) once more than half the
 * items have failed, which is decided as soon as it is certain rather than after the whole dataset.
 */
export async function runSuite(opts: RunSuiteOptions): Promise<SuiteRunResult> {
  const { items, predict, onProgress } = opts;
  const now = opts.now ?? (() => performance.now());
  const concurrency = opts.concurrency ?? DEFAULT_CONCURRENCY;
  if (items.length === 0) throw new AppError('INVALID_INPUT', 'cannot run a suite on an empty dataset');
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new AppError('INVALID_INPUT', `concurrency must be a positive integer, got ${concurrency}`);
  }
  const metrics = [...new Set(validateSuiteMetrics(opts.task, opts.metrics))];
  opts.signal?.throwIfAborted();

  // One internal controller so that both an external abort and giving up cancel requests in flight.
  const stop = new AbortController();
  const onAbort = () => stop.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  const total = items.length;
  const outcomes: (Outcome | undefined)[] = new Array<Outcome | undefined>(total);
  let next = 0;
  let done = 0;
  let errors = 0;

  const runItem = async (index: number, item: DatasetItem): Promise<void> => {
    const started = now();
    let outcome: Outcome;
    try {
      const output = await predict(item.input, stop.signal);
      outcome = { output, error: null, latencyMs: now() - started };
    } catch (err) {
      outcome = { output: null, error: messageOf(err), latencyMs: now() - started };
    }
    if (stop.signal.aborted) return; // the run is over; a late answer must not change its result
    outcomes[index] = outcome;
    done++;
    if (outcome.error !== null) errors++;
    onProgress?.(done, total);
    if (errors * 2 > total) {
      throw new AppError('ENDPOINT_FAILED', `more than half of the ${total} items failed (${errors} so far): ${firstErrorsOf(items, outcomes)[0]}`, {
        reason: 'too_many_errors',
        errors,
        items: total,
        firstErrors: firstErrorsOf(items, outcomes),
      });
    }
  };

  const worker = async (): Promise<void> => {
    while (!stop.signal.aborted && next < total) {
      const index = next++;
      await runItem(index, items[index] as DatasetItem);
    }
  };

  const aborted = new Promise<never>((_, reject) => {
    stop.signal.addEventListener('abort', () => reject(stop.signal.reason as Error), { once: true });
  });
  // Stops unhandled-rejection warnings when the run ends for another reason and aborts `stop` below.
  aborted.catch(() => undefined);

  const started = now();
  try {
    const workers = Array.from({ length: Math.min(concurrency, total) }, () => worker());
    await Promise.race([Promise.all(workers), aborted]);
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    if (!stop.signal.aborted) stop.abort(new Error('suite run finished'));
  }
  const durationMs = now() - started;

  const finished = outcomes as Outcome[];
  const observations = {
    predictions: finished.map((o) => o.output),
    references: items.map((item) => item.expected),
    latenciesMs: finished.filter((o) => o.error === null).map((o) => o.latencyMs),
    errors,
    durationMs,
  };
  return {
    results: metrics.map((metric) => ({ metric, value: computeMetric(metric, observations), higherIsBetter: METRICS[metric].higherIsBetter })),
    items: total,
    errors,
    firstErrors: firstErrorsOf(items, outcomes),
    durationMs,
    samples: items.slice(0, MAX_SAMPLES).map((item, i) => {
      const o = finished[i] as Outcome;
      const sample: SuiteSample = { input: item.input, expected: item.expected, output: o.output, error: o.error, latencyMs: o.latencyMs };
      return item.id === undefined ? sample : { id: item.id, ...sample };
    }),
  };
}

function firstErrorsOf(items: DatasetItem[], outcomes: (Outcome | undefined)[]): string[] {
  const found: string[] = [];
  for (const [i, o] of outcomes.entries()) {
    if (found.length === MAX_FIRST_ERRORS) break;
    if (o?.error == null) continue;
    const item = items[i];
    found.push(`${item?.id !== undefined ? `item ${JSON.stringify(item.id)}` : `item #${i + 1}`}: ${o.error}`);
  }
  return found;
}

function messageOf(err: unknown): string {
  const text = err instanceof Error ? err.message || err.name : String(err);
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS)}…` : text;
}
