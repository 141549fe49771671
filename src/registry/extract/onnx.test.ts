import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readOnnxModel } from './onnx.js';
import { pbInt, pbLd, tempDir, tinyOnnx, writePieces } from './test-fixtures.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

describe('readOnnxModel', () => {
  it('reads opsets, inputs/outputs and initializer shapes', async () => {
    const file = path.join(dir, 'model.onnx');
    writePieces(file, tinyOnnx());
    expect(await readOnnxModel(file)).toEqual({
      irVersion: 8,
      producerName: 'pytorch',
      producerVersion: '2.4.0',
      opsets: [{ domain: '', version: 17 }, { domain: 'com.microsoft', version: 1 }],
      graphName: 'main',
      inputs: ['x'], // W is an initializer listed as an input: dropped
      outputs: ['y'],
      nodeCount: 1,
      initializerCount: 2,
      parameterCount: 12 + 3,
      dtypes: { FLOAT: 12, FLOAT16: 3 },
      metadata: { author: 'me' },
    });
  });

  it('skips raw_data without reading it (sparse 1.5 GB initializer)', async () => {
    const file = path.join(dir, 'big.onnx');
    writePieces(file, tinyOnnx(1_500_000_000));
    const started = performance.now();
    const m = await readOnnxModel(file);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(m.outputs).toEqual(['y']);
    expect(m.opsets).toHaveLength(2);
  });

  it('rejects truncated and non-ONNX files', async () => {
    const file = path.join(dir, 'bad.onnx');
    const pieces = tinyOnnx();
    const bytes = Buffer.concat(pieces.map((p) => (typeof p === 'number' ? Buffer.alloc(p) : p)));
    writeFileSync(file, bytes.subarray(0, bytes.length - 20));
    await expect(readOnnxModel(file)).rejects.toMatchObject({ code: 'INVALID_FORMAT' });
    writeFileSync(file, 'hello, this is not protobuf');
    await expect(readOnnxModel(file)).rejects.toMatchObject({ code: 'INVALID_FORMAT' });
    writePieces(file, [...pbInt(1, 8), ...pbLd(2, 'no graph')]);
    await expect(readOnnxModel(file)).rejects.toMatchObject({ code: 'INVALID_FORMAT' });
    await expect(readOnnxModel(path.join(dir, 'missing.onnx'))).rejects.toMatchObject({ code: 'UNREADABLE' });
  });
});
