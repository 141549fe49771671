import { describe, expect, it } from 'vitest';
import { decodeInputs, requestedOutputs, type TensorMeta } from './child/tensors.js';

const declared: TensorMeta[] = [
  { name: 'x', datatype: 'FP32', shape: [-1, 2] },
  { name: 'ids', datatype: 'INT64', shape: [-1] },
  { name: 'mask', datatype: 'BOOL', shape: [-1] },
];
const ok = [
  { name: 'x', shape: [2, 2], datatype: 'FP32', data: [[1, 2], [3, 4.5]] },
  { name: 'ids', shape: [2], datatype: 'INT64', data: [7, -1] },
  { name: 'mask', shape: [2], datatype: 'BOOL', data: [true, false] },
];

describe('OIP tensor decoding', () => {
  it('flattens nested data row-major and keeps the declared types', () => {
    const out = decodeInputs(ok, declared);
    expect(out[0]).toEqual({ name: 'x', datatype: 'FP32', shape: [2, 2], data: [1, 2, 3, 4.5] });
    expect(out.map((t) => t.data.length)).toEqual([4, 2, 2]);
  });

  it.each([
    ['a fixed dimension that differs', [{ ...ok[0], shape: [2, 3], data: [1, 2, 3, 4, 5, 6] }, ok[1], ok[2]], /dimension 1 is 3, the model expects 2/],
    ['a fractional INT64', [ok[0], { ...ok[1], data: [1.5, 2] }, ok[2]], /not a valid INT64/],
    ['numbers for BOOL', [ok[0], ok[1], { ...ok[2], data: [1, 0] }], /BOOL elements must be true or false/],
    ['a missing input', [ok[0], ok[1]], /missing input mask/],
    ['a duplicate input', [ok[0], ok[0], ok[1], ok[2]], /given twice/],
    ['a negative dimension', [{ ...ok[0], shape: [-1, 2] }, ok[1], ok[2]], /non-negative integers/],
    ['NaN as a number', [{ ...ok[0], data: [1, 2, 3, null] }, ok[1], ok[2]], /FP32 elements must be numbers/],
  ])('rejects %s with a 400', (_what, inputs, message) => {
    expect(() => decodeInputs(inputs, declared)).toThrow(message);
    try {
      decodeInputs(inputs, declared);
    } catch (err) {
      expect(err).toMatchObject({ status: 400 });
    }
  });

  it('checks requested outputs by name', () => {
    const outs: TensorMeta[] = [{ name: 'y', datatype: 'FP32', shape: [-1] }];
    expect(requestedOutputs(undefined, outs)).toBeUndefined();
    expect(requestedOutputs([{ name: 'y' }], outs)).toEqual(['y']);
    expect(() => requestedOutputs([{ name: 'z' }], outs)).toThrow(/unknown output z/);
  });
});
