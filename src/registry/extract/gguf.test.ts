import { truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readGgufMetadata } from './gguf.js';
import { codeOf, ggufBuffer, tempDir, tinyLlamaGguf } from './test-fixtures.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());


describe('readGgufMetadata', () => {
  it('reads a tiny llama GGUF v3', async () => {
    const file = path.join(dir, 'tiny.gguf');
    writeFileSync(file, tinyLlamaGguf());
    const g = await readGgufMetadata(file);
    expect(g).toMatchObject({
      version: 3,
      architecture: 'llama',
      name: 'Tiny Llama',
      contextLength: 4096,
      embeddingLength: 64,
      blockCount: 2,
      headCount: 8,
      headCountKv: 2,
      fileType: 'MOSTLY_Q4_K_M',
      quantization: 'Q4_K',
      parameterCount: 256 * 64 + 64,
      typeCounts: { Q4_K: 16_384, F32: 64 },
      chatTemplate: '{% for m in messages %}{{ m.content }}{% endfor %}',
      vocabularySize: 1000,
    });
    // Large arrays are skipped but their length is kept; small ones are kept whole.
    expect(g.metadata['tokenizer.ggml.tokens']).toEqual({ skippedArray: true, itemType: 'STRING', length: 1000 });
    expect(g.metadata['tokenizer.ggml.token_type']).toEqual({ skippedArray: true, itemType: 'INT32', length: 1000 });
    expect(g.metadata['tokenizer.ggml.merges']).toEqual(['a b', 'c d']);
    expect(g.metadata['llama.rope.freq_base']).toBe(10000);
    expect(g.tensors).toEqual([
      { name: 'blk.0.attn_q.weight', dims: [256, 64], type: 'Q4_K', offset: 0 },
      { name: 'output_norm.weight', dims: [64], type: 'F32', offset: 9216 },
    ]);
  });

  it('returns nulls for keys a file lacks', async () => {
    const file = path.join(dir, 'bare.gguf');
    writeFileSync(file, ggufBuffer([], [{ name: 't', dims: [10], type: 1, bytes: 20 }], { version: 2 }));
    const g = await readGgufMetadata(file);
    expect(g).toMatchObject({ version: 2, architecture: null, contextLength: null, fileType: null, quantization: 'F16', parameterCount: 10, chatTemplate: null, vocabularySize: null });
  });

  it('rejects bad magic, unsupported versions and lengths beyond the file', async () => {
    const bad = path.join(dir, 'bad.gguf');
    writeFileSync(bad, ggufBuffer([], [], { magic: 'GGML' }));
    expect(await codeOf(readGgufMetadata(bad))).toBe('INVALID_FORMAT');

    writeFileSync(bad, ggufBuffer([], [], { version: 1 }));
    expect(await codeOf(readGgufMetadata(bad))).toBe('INVALID_FORMAT');

    // A string value whose declared length runs far past the end of the file.
    const buf = ggufBuffer([{ key: 'general.name', type: 'string', value: 'abc' }], []);
    const at = buf.indexOf('general.name') + 'general.name'.length + 4; // after the key and the value type
    buf.writeBigUInt64LE(1_000_000n, at);
    writeFileSync(bad, buf);
    expect(await codeOf(readGgufMetadata(bad))).toBe('INVALID_FORMAT');

    // Truncated in the middle of the tensor infos.
    const full = tinyLlamaGguf();
    writeFileSync(bad, full.subarray(0, full.indexOf('output_norm.weight') + 5));
    expect(await codeOf(readGgufMetadata(bad))).toBe('INVALID_FORMAT');

    // An array claiming more elements than the file has bytes.
    const arr = ggufBuffer([{ key: 'k', type: 'i32[]', value: [1] }], []);
    arr.writeBigUInt64LE(1n << 40n, arr.indexOf('k') + 1 + 8);
    writeFileSync(bad, arr);
    expect(await codeOf(readGgufMetadata(bad))).toBe('INVALID_FORMAT');

    expect(await codeOf(readGgufMetadata(path.join(dir, 'missing.gguf')))).toBe('UNREADABLE');
  });

  it('refuses a string value larger than its cap (sparse file)', async () => {
    const file = path.join(dir, 'huge-string.gguf');
    const buf = ggufBuffer([{ key: 'tokenizer.chat_template', type: 'string', value: 'x' }], []);
    buf.writeBigUInt64LE(20_000_000n, buf.indexOf('tokenizer.chat_template') + 'tokenizer.chat_template'.length + 4);
    writeFileSync(file, buf);
    truncateSync(file, 30_000_000);
    expect(await codeOf(readGgufMetadata(file))).toBe('TOO_LARGE');
  });
});
