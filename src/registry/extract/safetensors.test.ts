import { closeSync, openSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findSafetensorsFiles, readSafetensorsHeader, summarizeSafetensors, summarizeSafetensorsFolder } from './safetensors.js';
import { codeOf, safetensorsHeader, tempDir, writeSafetensors } from './test-fixtures.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());


describe('readSafetensorsHeader', () => {
  it('reads tensors and __metadata__', async () => {
    const file = path.join(dir, 'model.safetensors');
    writeSafetensors(file, { 'a.weight': { dtype: 'F16', shape: [4, 3] }, 'a.bias': { dtype: 'F32', shape: [4] }, scale: { dtype: 'F32', shape: [] } }, { format: 'pt' });
    const h = await readSafetensorsHeader(file);
    expect(h.metadata).toEqual({ format: 'pt' });
    expect(h.tensors).toEqual([
      { name: 'a.weight', dtype: 'F16', shape: [4, 3], offsets: [0, 24] },
      { name: 'a.bias', dtype: 'F32', shape: [4], offsets: [24, 40] },
      { name: 'scale', dtype: 'F32', shape: [], offsets: [40, 44] },
    ]);
    const s = await summarizeSafetensors([file]);
    expect(s.parameters).toBe(12 + 4 + 1);
    expect(s.dtypes).toEqual({ F16: 12, F32: 5 });
  });

  it('sums a sharded model found through model.safetensors.index.json', async () => {
    writeSafetensors(path.join(dir, 'model-00001-of-00002.safetensors'), {
      'embed.weight': { dtype: 'BF16', shape: [1000, 64] },
      'layer.0.weight': { dtype: 'BF16', shape: [64, 64] },
    });
    writeSafetensors(path.join(dir, 'model-00002-of-00002.safetensors'), {
      'layer.1.weight': { dtype: 'BF16', shape: [64, 64] },
      'norm.weight': { dtype: 'F32', shape: [64] },
      'q.weight': { dtype: 'I8', shape: [128, 32] },
    });
    // A stray file not named by the index must be ignored.
    writeSafetensors(path.join(dir, 'consolidated.safetensors'), { x: { dtype: 'F32', shape: [999] } });
    writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({
      metadata: { total_size: 1 },
      weight_map: {
        'embed.weight': 'model-00001-of-00002.safetensors',
        'layer.0.weight': 'model-00001-of-00002.safetensors',
        'layer.1.weight': 'model-00002-of-00002.safetensors',
        'norm.weight': 'model-00002-of-00002.safetensors',
        'q.weight': 'model-00002-of-00002.safetensors',
      },
    }));
    const s = await summarizeSafetensorsFolder(dir);
    expect(s?.files.map((f) => path.basename(f))).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    expect(s?.parameters).toBe(64_000 + 4096 + 4096 + 64 + 4096);
    expect(s?.dtypes).toEqual({ BF16: 64_000 + 8192, F32: 64, I8: 4096 });
    expect(s?.tensorCount).toBe(5);
  });

  it('without an index, takes every top-level *.safetensors file', async () => {
    writeSafetensors(path.join(dir, 'b.safetensors'), { y: { dtype: 'F16', shape: [2] } });
    writeSafetensors(path.join(dir, 'a.safetensors'), { x: { dtype: 'F16', shape: [3] } });
    writeFileSync(path.join(dir, 'notes.txt'), 'x');
    expect((await findSafetensorsFiles(dir)).map((f) => path.basename(f))).toEqual(['a.safetensors', 'b.safetensors']);
    expect((await summarizeSafetensorsFolder(dir))?.parameters).toBe(5);
  });

  it('rejects an index whose shard names leave the folder', async () => {
    writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { x: '../evil.safetensors' } }));
    expect(await codeOf(findSafetensorsFiles(dir))).toBe('INVALID_FORMAT');
  });

  it('reads only the header of a sparse 10 GB shard', async () => {
    // 2 × (50000 × 50000) BF16 = 10 GB of data, never written: the file is sparse.
    const tensors = { 'w1': { dtype: 'BF16', shape: [50_000, 50_000] }, 'w2': { dtype: 'BF16', shape: [50_000, 50_000] } };
    const { header, dataBytes } = safetensorsHeader(tensors);
    const file = path.join(dir, 'model.safetensors');
    const fd = openSync(file, 'w');
    writeSync(fd, header);
    closeSync(fd);
    truncateSync(file, header.length + dataBytes);
    const started = performance.now();
    const s = await summarizeSafetensors([file]);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(s.parameters).toBe(5_000_000_000);
    expect(s.dtypes).toEqual({ BF16: 5_000_000_000 });
  });

  it('rejects corrupt files with typed errors', async () => {
    const short = path.join(dir, 'short.safetensors');
    writeFileSync(short, Buffer.from([1, 2, 3]));
    expect(await codeOf(readSafetensorsHeader(short))).toBe('INVALID_FORMAT');

    const truncated = path.join(dir, 'truncated.safetensors');
    const { header } = safetensorsHeader({ x: { dtype: 'F32', shape: [2] } });
    writeFileSync(truncated, header.subarray(0, header.length - 5));
    expect(await codeOf(readSafetensorsHeader(truncated))).toBe('INVALID_FORMAT');

    const huge = path.join(dir, 'huge.safetensors');
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(200_000_000n);
    writeFileSync(huge, Buffer.concat([len, Buffer.from('{}')]));
    expect(await codeOf(readSafetensorsHeader(huge))).toBe('TOO_LARGE');

    const notJson = path.join(dir, 'notjson.safetensors');
    len.writeBigUInt64LE(5n);
    writeFileSync(notJson, Buffer.concat([len, Buffer.from('{oops')]));
    expect(await codeOf(readSafetensorsHeader(notJson))).toBe('INVALID_FORMAT');

    const pastEnd = path.join(dir, 'pastend.safetensors');
    writeFileSync(pastEnd, header); // header promises 8 bytes of data that are missing
    expect(await codeOf(readSafetensorsHeader(pastEnd))).toBe('INVALID_FORMAT');

    const badEntry = path.join(dir, 'badentry.safetensors');
    const body = Buffer.from(JSON.stringify({ x: { dtype: 'F32', shape: [-1], data_offsets: [0, 0] } }));
    len.writeBigUInt64LE(BigInt(body.length));
    writeFileSync(badEntry, Buffer.concat([len, body]));
    expect(await codeOf(readSafetensorsHeader(badEntry))).toBe('INVALID_FORMAT');

    expect(await codeOf(readSafetensorsHeader(path.join(dir, 'missing.safetensors')))).toBe('UNREADABLE');
  });
});
