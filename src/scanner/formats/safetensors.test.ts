import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, verdictOf, type Finding } from '../types.js';
import { parseStrictJson, scanSafetensors } from './safetensors.js';
import { fileTarget, tempDir } from './test-fixtures.js';

const dir = tempDir('garden-st-');
let n = 0;

async function scan(bytes: Buffer, limits = DEFAULT_LIMITS): Promise<Finding[]> {
  return scanSafetensors(fileTarget(path.join(dir, `f${n++}.safetensors`), bytes, 'safetensors', { path: 'model.safetensors', limits }));
}

function file(header: string | Buffer, data: Buffer | number, length?: bigint): Buffer {
  const h = typeof header === 'string' ? Buffer.from(header) : header;
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(length ?? BigInt(h.length));
  return Buffer.concat([len, h, typeof data === 'number' ? Buffer.alloc(data) : data]);
}

const codes = (fs: Finding[]) => fs.map((f) => f.code);
const T = (dtype: string, shape: number[], a: number | string, b: number | string) => `{"dtype":"${dtype}","shape":[${shape.join(',')}],"data_offsets":[${a},${b}]}`;

describe('safetensors validation', () => {
  it('passes a well-formed file, padding and metadata included', async () => {
    const f = await scan(file(`{"__metadata__":{"format":"pt"},"a":${T('F32', [2, 2], 0, 16)},"b":${T('BF16', [3], 16, 22)},"c":${T('F4', [4], 22, 24)}}   `, 24));
    expect(f).toEqual([]);
  });

  it('refuses header lengths beyond the file or the limit', async () => {
    expect(codes(await scan(file('{}', 0, 1000n)))).toEqual(['SAFETENSORS_HEADER']);
    expect(codes(await scan(file('{}', 0, 2n ** 63n)))).toEqual(['SAFETENSORS_HEADER']);
    expect(codes(await scan(Buffer.from([1, 2, 3])))).toEqual(['SAFETENSORS_HEADER']);
    const big = `{"a":${T('U8', [4], 0, 4)}}`;
    expect(codes(await scan(file(big, 4), { ...DEFAULT_LIMITS, maxHeaderBytes: 10 }))).toEqual(['SCAN_LIMIT']);
  });

  it('reports invalid UTF-8 (including overlong encodings) with its byte offset', async () => {
    const bad = Buffer.concat([Buffer.from('{"'), Buffer.from([0xc0, 0xaf]), Buffer.from(`":${T('U8', [1], 0, 1)}}`)]);
    const [f] = await scan(file(bad, 1));
    expect(f).toMatchObject({ code: 'SAFETENSORS_BAD_UTF8', severity: 'high', offset: 10 });
    const surrogate = Buffer.concat([Buffer.from('{"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from(`":${T('U8', [1], 0, 1)}}`)]);
    expect(codes(await scan(file(surrogate, 1)))).toEqual(['SAFETENSORS_BAD_UTF8']);
  });

  it('refuses a byte-order mark, leading spaces, trailing garbage and lone surrogate escapes', async () => {
    expect(codes(await scan(file(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{}')]), 0)))).toEqual(['SAFETENSORS_HEADER']);
    expect(codes(await scan(file(' {}', 0)))).toEqual(['SAFETENSORS_HEADER']);
    expect(codes(await scan(file('{}\0\0', 0)))).toEqual(['SAFETENSORS_HEADER']);
    expect(codes(await scan(file('{"a":1,}', 0)))).toEqual(['SAFETENSORS_HEADER']);
    expect(codes(await scan(file(`{"\\ud800":${T('U8', [1], 0, 1)}}`, 1)))).toEqual(['SAFETENSORS_HEADER']);
  });

  it('finds duplicate keys that JSON.parse would hide, also spelled with escapes and nested', async () => {
    const f = await scan(file(`{"a":${T('U8', [4], 0, 4)},"\\u0061":${T('U8', [4], 4, 8)}}`, 8));
    expect(codes(f)).toContain('SAFETENSORS_DUPLICATE_KEY');
    const nested = await scan(file(`{"a":{"dtype":"U8","dtype":"F32","shape":[1],"data_offsets":[0,1]}}`, 1));
    expect(nested[0]).toMatchObject({ code: 'SAFETENSORS_DUPLICATE_KEY' });
    expect(nested[0]!.message).toContain('"a"');
  });

  it('checks each tensor entry: dtype, shape, offsets, byte size, sub-byte dtypes', async () => {
    expect(codes(await scan(file(`{"a":${T('F128', [1], 0, 16)}}`, 16)))).toEqual(['SAFETENSORS_DTYPE']);
    expect(codes(await scan(file(`{"a":${T('F32', [-1], 0, 4)}}`, 4)))).toEqual(['SAFETENSORS_SHAPE']);
    expect(codes(await scan(file(`{"a":${T('F32', [1.0], 0, 4)}}`, 4)))).toEqual([]); // 1.0 is written "1" by join
    expect(codes(await scan(file(`{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}`, 4)))).toContain('SAFETENSORS_SHAPE');
    expect(codes(await scan(file(`{"a":${T('F32', [3], 0, 16)}}`, 16)))).toEqual(['SAFETENSORS_SIZE_MISMATCH']);
    expect(codes(await scan(file(`{"a":${T('F4', [3], 0, 2)}}`, 2)))).toEqual(['SAFETENSORS_SIZE_MISMATCH']);
    expect(codes(await scan(file(`{"a":${T('U8', [4], 4, 0)}}`, 4)))).toContain('SAFETENSORS_OUT_OF_RANGE');
    expect(codes(await scan(file(`{"a":${T('U8', [4], 0, 4)},"b":"x"}`, 4)))).toEqual(['SAFETENSORS_TENSOR_INFO']);
    expect(codes(await scan(file(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"x":1}}`, 1)))).toEqual(['SAFETENSORS_EXTRA_FIELD']);
  });

  it('keeps integers beyond 2^53 exact and catches 64-bit overflow', async () => {
    // 2^53 + 1 elements of U8 would round to 2^53 as a double and falsely match.
    const f = await scan(file('{"a":{"dtype":"U8","shape":[9007199254740993],"data_offsets":[0,9007199254740992]}}', 0));
    expect(codes(f)).toContain('SAFETENSORS_SIZE_MISMATCH');
    const o = await scan(file(`{"a":${T('F64', [4294967296, 4294967296], 0, 8)}}`, 8));
    expect(o[0]).toMatchObject({ code: 'SAFETENSORS_SIZE_MISMATCH' });
    expect(o[0]!.message).toContain('overflows');
  });

  it('finds overlaps, gaps, out-of-range ends and trailing bytes in the data area', async () => {
    expect(codes(await scan(file(`{"a":${T('U8', [8], 0, 8)},"b":${T('U8', [8], 4, 12)}}`, 12)))).toEqual(['SAFETENSORS_OVERLAP']);
    expect(codes(await scan(file(`{"a":${T('U8', [4], 0, 4)},"b":${T('U8', [4], 8, 12)}}`, 12)))).toEqual(['SAFETENSORS_GAP']);
    expect(codes(await scan(file(`{"a":${T('U8', [64], 0, 64)}}`, 16)))).toEqual(['SAFETENSORS_OUT_OF_RANGE']);
    const header = `{"a":${T('U8', [4], 0, 4)}}`;
    const trailing = await scan(file(header, Buffer.concat([Buffer.alloc(4), Buffer.from([0x80, 0x04, 0x2e])])));
    expect(trailing).toEqual([expect.objectContaining({ code: 'SAFETENSORS_TRAILING_DATA', severity: 'high', offset: 8 + header.length + 4 })]);
    // Zero-length tensors may share an offset.
    expect(await scan(file(`{"a":${T('U8', [0], 0, 0)},"b":${T('U8', [0], 0, 0)}}`, 0))).toEqual([]);
  });

  it('requires __metadata__ to map strings to strings', async () => {
    expect(codes(await scan(file(`{"__metadata__":{"n":1}}`, 0)))).toEqual(['SAFETENSORS_METADATA']);
    expect(codes(await scan(file(`{"__metadata__":"x"}`, 0)))).toEqual(['SAFETENSORS_METADATA']);
  });

  it('caps repeated findings and blocks', async () => {
    const entries = Array.from({ length: 50 }, (_, i) => `"t${i}":${T('F128', [1], 0, 1)}`).join(',');
    const f = await scan(file(`{${entries}}`, 0));
    expect(f.filter((x) => x.code === 'SAFETENSORS_DTYPE')).toHaveLength(21);
    expect(verdictOf(f)).toBe('block');
  });
});

describe('the strict JSON parser', () => {
  it('parses what JSON.parse parses, keeping numbers as written', () => {
    const { value } = parseStrictJson('{"a":[1,-2.5e3,true,null,"x\\n\\u00e9"],"b":{}}');
    expect(value).toBeInstanceOf(Map);
    const a = (value as Map<string, unknown>).get('a') as unknown[];
    expect(a.map((v) => (v && typeof v === 'object' && 'raw' in v ? (v as { raw: string }).raw : v))).toEqual(['1', '-2.5e3', true, null, 'x\né']);
  });

  it('refuses depth beyond serde_json’s limit and non-JSON numbers', () => {
    expect(() => parseStrictJson('['.repeat(200) + ']'.repeat(200))).toThrow(/nested/);
    expect(() => parseStrictJson('{"a":01}')).toThrow();
    expect(() => parseStrictJson('{"a":NaN}')).toThrow();
    expect(() => parseStrictJson('{"__proto__":{"x":1}}').value).not.toThrow();
  });
});
