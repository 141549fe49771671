import { describe, expect, it } from 'vitest';
import { canBatch, createBatcher, type RunFn } from './child/batcher.js';
import type { DecodedTensor } from './child/tensors.js';

const rows = (...xs: number[]): DecodedTensor[] => [{ name: 'x', datatype: 'FP32', shape: [xs.length, 1], data: xs }];

describe('dynamic batching', () => {
  it('runs requests of one event-loop turn as one inference and splits the rows back', async () => {
    const calls: number[] = [];
    const double: RunFn = async (inputs) => {
      const x = inputs[0]!;
      calls.push(x.shape[0]!);
      return [{ name: 'y', datatype: 'FP32', shape: [x.shape[0]!, 1], data: x.data.map((v) => (v as number) * 2) }];
    };
    const run = createBatcher(double);
    const out = await Promise.all([run(rows(1), undefined), run(rows(2, 3), undefined), run(rows(4), undefined)]);
    expect(calls).toEqual([4]);
    expect(out.map((o) => o[0]!.data)).toEqual([[2], [4, 6], [8]]);
    expect(out[1][0]!.shape).toEqual([2, 1]);
  });

  it('falls back to one run per request when the batched run fails or its rows do not add up', async () => {
    const calls: number[] = [];
    const picky: RunFn = async (inputs) => {
      const n = inputs[0]!.shape[0]!;
      calls.push(n);
      if (inputs[0]!.data.includes(-1)) throw new Error('negative');
      return [{ name: 'sum', datatype: 'FP32', shape: [1], data: [inputs[0]!.data.reduce((a, b) => (a as number) + (b as number), 0)] }];
    };
    const run = createBatcher(picky);
    const results = await Promise.allSettled([run(rows(1), undefined), run(rows(2), undefined), run(rows(-1), undefined)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect(calls).toEqual([3, 1, 1, 1]);
    const sums = await Promise.all([run(rows(1), undefined), run(rows(2), undefined)]);
    expect(sums.map((o) => o[0]!.data)).toEqual([[1], [2]]);
  });

  it('is only used when every input and output has a free first dimension', () => {
    expect(canBatch([{ name: 'x', datatype: 'FP32', shape: [-1, 4] }], [{ name: 'y', datatype: 'INT64', shape: [-1] }])).toBe(true);
    expect(canBatch([{ name: 'x', datatype: 'FP32', shape: [1, 4] }], [{ name: 'y', datatype: 'INT64', shape: [-1] }])).toBe(false);
    expect(canBatch([{ name: 'x', datatype: 'FP32', shape: [-1] }], [{ name: 'y', datatype: 'FP32', shape: [] }])).toBe(false);
  });
});
