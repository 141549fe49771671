/** How an evaluation metric reads: ratios as 0.967, latencies as "12.3 ms", throughput per second. */
import { formatMetric } from '../lib/format';

/** Metrics that are fractions between 0 and 1. */
const RATIOS = new Set(['accuracy', 'f1', 'exact_match', 'rouge_l', 'error_rate']);

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  return `${ms >= 100 ? Math.round(ms).toLocaleString('en-US') : ms.toFixed(1)} ms`;
}

export function formatResult(metric: string, value: number): string {
  if (!Number.isFinite(value)) return '—';
  if (metric.startsWith('latency')) return formatMs(value);
  if (metric === 'throughput') return `${formatMetric(value)} items/s`;
  if (RATIOS.has(metric) || (value >= 0 && value <= 1 && !Number.isInteger(value))) return value.toFixed(3);
  return formatMetric(value);
}

/** Lower case, no punctuation or articles, single spaces: close to how the suites compare answers. */
const normalise = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]/gu, ' ')
    .replace(/\b(a|an|the)\b/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();

/** Whether an output matches one of the expected answers (null when there is nothing to compare). */
export function matchesExpected(output: string | null, expected: string[]): boolean | null {
  if (output === null || expected.length === 0) return null;
  const o = normalise(output);
  return expected.some((e) => normalise(e) === o);
}
