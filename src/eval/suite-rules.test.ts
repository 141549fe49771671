import { describe, expect, it } from 'vitest';
import { TASK_SYNONYMS } from '../search/vocabulary.js';
import { METRIC_NAMES, METRICS, TASKS } from './metrics.js';
import { CATALOG_TASKS, SUITE_METRICS, validateSuite } from './suite-rules.js';

describe('suite rules', () => {
  it('know every task search knows, and every runnable task', () => {
    expect([...CATALOG_TASKS].sort()).toEqual(Object.keys(TASK_SYNONYMS).sort());
    for (const t of TASKS) expect(CATALOG_TASKS).toContain(t);
  });

  it('let a suite run elsewhere report every metric the platform computes, for the tasks the platform computes it for', () => {
    for (const m of METRIC_NAMES) {
      const tasks = SUITE_METRICS[m];
      for (const t of METRICS[m].tasks) expect(tasks === 'any' || tasks?.includes(t), `${m} for ${t}`).toBe(true);
    }
  });

  it('hold runnable suites to the metrics the runner computes', () => {
    expect(validateSuite('text-classification', ['accuracy', 'latency_p95'], { runnable: true })).toEqual(['accuracy', 'latency_p95']);
    expect(() => validateSuite('text-classification', ['precision'], { runnable: true })).toThrow(/unknown metric "precision"/);
    expect(validateSuite('text-classification', ['precision'], { runnable: false })).toEqual(['precision']);
  });
});
