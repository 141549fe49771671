import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { DatasetItem } from './dataset.js';
import { runSuite } from './run-suite.js';

const item = (input: string, expected: string, id?: string): DatasetItem => (id === undefined ? { input, expected: [expected] } : { id, input, expected: [expected] });
const many = (n: number) => Array.from({ length: n }, (_, i) => item(`in-${i}`, `out-${i}`));

describe('runSuite', () => {
  it('computes the requested metrics in suite order, counting a failed item as wrong', async () => {
    // A fake clock advanced only by predict, so latencies and duration are exact.
    let clock = 0;
    const answers: Record<string, { after: number; answer?: string }> = {
      good: { after: 10, answer: 'pos' },
      bad: { after: 20, answer: 'neg' },
      fail: { after: 30 },
      meh: { after: 40, answer: 'neg' },
    };
    const result = await runSuite({
      items: [item('good', 'pos', 'g'), item('bad', 'neg'), item('fail', 'neg', 'f'), item('meh', 'pos')],
      task: 'text-classification',
      metrics: ['error_rate', 'accuracy', 'f1', 'latency_p50', 'latency_p95', 'throughput'],
      concurrency: 1,
      now: () => clock,
      predict: async (input) => {
        const a = answers[input];
        clock += a?.after ?? 0;
        if (a?.answer === undefined) throw new Error('HTTP 503 Service Unavailable');
        return a.answer;
      },
    });
    expect(result.results).toEqual([
      { metric: 'error_rate', value: 0.25, higherIsBetter: false },
      { metric: 'accuracy', value: 0.5, higherIsBetter: true },
      // pos: TP 1, FN 1 → 2/3; neg: TP 1, FP 1, FN 1 (the failure) → 1/2.
      { metric: 'f1', value: (2 / 3 + 1 / 2) / 2, higherIsBetter: true },
      // Successful latencies only: 10, 20, 40.
      { metric: 'latency_p50', value: 20, higherIsBetter: false },
      { metric: 'latency_p95', value: 40, higherIsBetter: false },
      { metric: 'throughput', value: 40, higherIsBetter: true },
    ]);
    expect(result).toMatchObject({ items: 4, errors: 1, durationMs: 100, firstErrors: ['item "f": HTTP 503 Service Unavailable'] });
    expect(result.samples).toEqual([
      { id: 'g', input: 'good', expected: ['pos'], output: 'pos', error: null, latencyMs: 10 },
      { input: 'bad', expected: ['neg'], output: 'neg', error: null, latencyMs: 20 },
      { id: 'f', input: 'fail', expected: ['neg'], output: null, error: 'HTTP 503 Service Unavailable', latencyMs: 30 },
      { input: 'meh', expected: ['pos'], output: 'neg', error: null, latencyMs: 40 },
    ]);
  });

  it('never has more requests in flight than the concurrency, and reports progress', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const progress: number[] = [];
    const result = await runSuite({
      items: many(30),
      task: 'text-generation',
      metrics: ['exact_match', 'rouge_l'],
      concurrency: 3,
      onProgress: (done, total) => {
        expect(total).toBe(30);
        progress.push(done);
      },
      predict: async (input) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await sleep(Number(input.slice(3)) % 4);
        inFlight--;
        return input.replace('in', 'out');
      },
    });
    expect(maxInFlight).toBe(3);
    expect(progress).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(result.results.map((r) => r.value)).toEqual([1, 1]);
    // Samples follow dataset order, not completion order.
    expect(result.samples.map((s) => s.input)).toEqual(many(20).map((i) => i.input));
  });

  it('accepts exactly half the items failing', async () => {
    const result = await runSuite({
      items: many(4),
      task: 'text-generation',
      metrics: ['error_rate'],
      predict: async (input) => (input.endsWith('1') || input.endsWith('3') ? Promise.reject(new Error('boom')) : 'x'),
    });
    expect(result.errors).toBe(2);
    expect(result.firstErrors).toEqual(['item #2: boom', 'item #4: boom']);
  });

  it('gives up with ENDPOINT_FAILED as soon as more than half the items have failed', async () => {
    let calls = 0;
    const run = runSuite({
      items: many(10),
      task: 'text-classification',
      metrics: ['accuracy'],
      concurrency: 1,
      predict: async () => {
        calls++;
        throw new Error(`connection refused ${calls}`);
      },
    });
    await expect(run).rejects.toMatchObject({
      code: 'ENDPOINT_FAILED',
      details: {
        reason: 'too_many_errors',
        firstErrors: ['item #1: connection refused 1', 'item #2: connection refused 2', 'item #3: connection refused 3', 'item #4: connection refused 4', 'item #5: connection refused 5'],
      },
    });
    expect(calls).toBe(6);
  });

  it('stops on abort without waiting for requests in flight, and cancels them', async () => {
    const controller = new AbortController();
    const signals: AbortSignal[] = [];
    let calls = 0;
    const run = runSuite({
      items: many(50),
      task: 'text-generation',
      metrics: ['rouge_l'],
      concurrency: 2,
      signal: controller.signal,
      onProgress: (done) => {
        if (done === 3) controller.abort(new Error('cancelled by admin'));
      },
      predict: async (input, signal) => {
        calls++;
        if (signal) signals.push(signal);
        if (calls > 3) return new Promise<string>(() => undefined); // hangs, ignoring the signal
        return input;
      },
    });
    await expect(run).rejects.toThrow('cancelled by admin');
    expect(calls).toBeLessThanOrEqual(5);
    expect(signals.every((s) => s.aborted)).toBe(true);
  });

  it('does not call the endpoint when already aborted or when the metrics do not suit the task', async () => {
    let calls = 0;
    const predict = async () => {
      calls++;
      return 'x';
    };
    await expect(
      runSuite({ items: many(2), task: 'text-generation', metrics: ['rouge_l'], predict, signal: AbortSignal.abort(new Error('too late')) }),
    ).rejects.toThrow('too late');
    await expect(runSuite({ items: many(2), task: 'text-generation', metrics: ['accuracy'], predict })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(runSuite({ items: [], task: 'text-generation', metrics: ['rouge_l'], predict })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(runSuite({ items: many(2), task: 'text-generation', metrics: ['rouge_l'], predict, concurrency: 0 })).rejects.toThrow(/concurrency/);
    expect(calls).toBe(0);
  });
});
