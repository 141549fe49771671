import { describe, expect, it } from 'vitest';
import { formatOf, pathProblem, validateFilePaths } from './file-paths.js';

describe('file paths', () => {
  it('accepts the paths of a Hugging Face style folder', () => {
    expect(() =>
      validateFilePaths(['config.json', 'model-00001-of-00002.safetensors', 'model.safetensors.index.json', 'onnx/model.onnx', 'README.md']),
    ).not.toThrow();
  });

  it.each([
    ['', 'EMPTY'],
    ['/etc/passwd', 'ABSOLUTE'],
    ['C:/weights.bin', 'ABSOLUTE'],
    ['..\\evil', 'BACKSLASH'],
    ['../evil', 'TRAVERSAL'],
    ['a/../../b', 'TRAVERSAL'],
    ['a//b', 'TRAVERSAL'],
    ['./a', 'TRAVERSAL'],
    ['a\u0000b', 'CONTROL_CHARACTER'],
    ['x'.repeat(256), 'TOO_LONG'],
    [`${'d/'.repeat(600)}f`, 'TOO_LONG'],
  ])('refuses %j as %s', (p, reason) => {
    expect(pathProblem(p)).toBe(reason);
  });

  it('reports every problem at once, including case-insensitive duplicates', () => {
    try {
      validateFilePaths(['ok.json', '../x', 'Model.safetensors', 'model.safetensors']);
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({
        code: 'INVALID_INPUT',
        details: { problems: [{ path: '../x', reason: 'TRAVERSAL' }, { path: 'model.safetensors', reason: 'DUPLICATE' }] },
      });
    }
  });

  it('limits the number of files', () => {
    expect(() => validateFilePaths(Array.from({ length: 10_001 }, (_, i) => `f${i}`))).toThrow(/at most 10000 files/);
  });

  it('names formats for display', () => {
    expect(['a.safetensors', 'model.safetensors.index.json', 'm.gguf', 'onnx/model.onnx', 'model.onnx_data', 'tokenizer.json', 'README.md', 'config.json', 'x.bin'].map(formatOf)).toEqual([
      'safetensors',
      'safetensors-index',
      'gguf',
      'onnx',
      'onnx-data',
      'tokenizer',
      'readme',
      'config',
      'other',
    ]);
  });
});
