import { describe, expect, it } from 'vitest';
import { AppError } from '../core/errors.js';
import { parseDataset } from './dataset.js';

/** Runs fn and returns the AppError it throws, failing the test when it throws nothing else. */
function errorOf(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected an AppError');
}

describe('parseDataset', () => {
  it('reads items, skipping blank lines, CRLF endings and a byte-order mark', () => {
    const text = '\uFEFF{"id":"q1","input":"2+2?","expected":"4"}\r\n\r\n   \n{"input":"Capital of France?","expected":["Paris","paris, France"],"source":"wiki"}\n';
    expect(parseDataset(text)).toEqual([
      { id: 'q1', input: '2+2?', expected: ['4'] },
      { input: 'Capital of France?', expected: ['Paris', 'paris, France'] },
    ]);
  });

  it('names each bad line by its number in the file, blank lines included', () => {
    const text = [
      '{"input":"ok","expected":"yes"}',
      '',
      '{"input": "broken",', // 3: not JSON
      '["input","expected"]', // 4: not an object
      '{"expected":"x"}', // 5: no input
      '{"input":"x","expected":7}', // 6: expected is a number
      '{"input":"x","expected":[]}', // 7: no reference
      '{"input":"x","expected":["a",null]}', // 8: a reference is not a string
      '{"input":"x","expected":"a","id":3}', // 9: id is a number
    ].join('\n');
    const err = errorOf(() => parseDataset(text));
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.message).toMatch(/^line 3: not valid JSON .*\(and 6 more bad lines\)$/);
    const errors = err.details?.errors as string[];
    expect(errors.map((e) => e.split(':')[0])).toEqual(['line 3', 'line 4', 'line 5', 'line 6', 'line 7', 'line 8', 'line 9']);
    expect(errors[2]).toBe('line 5: "input" must be a string, got nothing');
    expect(errors[3]).toBe('line 6: "expected" must be a string or an array of strings, got a number');
    expect(errors[4]).toBe('line 7: "expected" must list at least one reference');
    expect(errors[5]).toBe('line 8: "expected"[1] must be a string, got null');
    expect(errors[6]).toBe('line 9: "id" must be a string when present, got a number');
    expect(err.details?.errorCount).toBe(7);
  });

  it('lists at most 10 bad lines but counts them all', () => {
    const text = Array.from({ length: 12 }, () => 'nope').join('\n');
    const err = errorOf(() => parseDataset(text));
    expect(err.details?.errors).toHaveLength(10);
    expect(err.details?.errorCount).toBe(12);
    expect(err.message).toMatch(/^line 1: .*\(and 11 more bad lines\)$/);
  });

  it('refuses a duplicate id, pointing at its first use', () => {
    const text = '{"id":"a","input":"x","expected":"1"}\n{"id":"a","input":"y","expected":"2"}';
    expect(() => parseDataset(text)).toThrow('line 2: duplicate id "a" (first on line 1)');
  });

  it('refuses an empty dataset', () => {
    for (const text of ['', '\n  \n\n']) {
      const err = errorOf(() => parseDataset(text));
      expect(err.code).toBe('INVALID_INPUT');
      expect(err.message).toMatch(/empty/);
    }
  });

  it('refuses more items than maxItems, 10,000 by default', () => {
    const line = '{"input":"x","expected":"y"}';
    expect(parseDataset([line, line, line].join('\n'), { maxItems: 3 })).toHaveLength(3);
    expect(errorOf(() => parseDataset([line, line, line].join('\n'), { maxItems: 2 })).details).toEqual({ maxItems: 2 });
    expect(parseDataset(Array.from({ length: 10_000 }, () => line).join('\n'))).toHaveLength(10_000);
    expect(() => parseDataset(Array.from({ length: 10_001 }, () => line).join('\n'))).toThrow('dataset has more than 10000 items (line 10001)');
  });

  it('refuses a limit that is not a positive integer', () => {
    expect(() => parseDataset('{"input":"x","expected":"y"}', { maxItems: 0 })).toThrow(/maxItems/);
  });
});
