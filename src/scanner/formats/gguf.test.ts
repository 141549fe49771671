import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, verdictOf, type Finding } from '../types.js';
import { chatTemplateFindings, scanGguf } from './gguf.js';
import { fileTarget, tempDir } from './test-fixtures.js';

const dir = tempDir('garden-gguf-');
let n = 0;

async function scan(bytes: Buffer, limits = DEFAULT_LIMITS): Promise<Finding[]> {
  return scanGguf(fileTarget(path.join(dir, `f${n++}.gguf`), bytes, 'gguf', { path: 'model.gguf', limits }));
}

const u32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return b;
};
const u64 = (v: bigint | number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(v));
  return b;
};
const str = (s: string | Buffer) => {
  const b = typeof s === 'string' ? Buffer.from(s) : s;
  return Buffer.concat([u64(b.length), b]);
};
const kv = (key: string, type: number, value: Buffer) => Buffer.concat([str(key), u32(type), value]);
const strArray = (items: (string | Buffer)[]) => Buffer.concat([u32(8), u64(items.length), ...items.map(str)]);

interface Tensor {
  name: string;
  dims: (number | bigint)[];
  type: number;
  offset: number | bigint;
}

function gguf(kvs: Buffer[], tensors: Tensor[], dataLen: number, opts: { align?: number; version?: number } = {}): Buffer {
  const align = opts.align ?? 32;
  const infos = tensors.map((t) => Buffer.concat([str(t.name), u32(t.dims.length), ...t.dims.map(u64), u32(t.type), u64(t.offset)]));
  let head = Buffer.concat([Buffer.from('GGUF'), u32(opts.version ?? 3), u64(tensors.length), u64(kvs.length), ...kvs, ...infos]);
  head = Buffer.concat([head, Buffer.alloc((align - (head.length % align)) % align)]);
  return Buffer.concat([head, Buffer.alloc(dataLen)]);
}

const baseKvs = () => [kv('general.architecture', 8, str('llama')), kv('tokenizer.ggml.tokens', 9, strArray(['<s>', 'a', 'b'])), kv('llama.context_length', 4, u32(4096))];
const twoTensors: Tensor[] = [
  { name: 'a', dims: [4], type: 0, offset: 0 }, // F32: 16 bytes, padded to 32
  { name: 'b', dims: [32, 2], type: 8, offset: 32 }, // Q8_0: 2 blocks of 34 bytes
];
const codes = (fs: Finding[]) => fs.map((f) => f.code);

describe('GGUF validation', () => {
  it('passes a well-formed file with quantized tensors and nested arrays', async () => {
    const nested = Buffer.concat([u32(9), u64(2), u32(4), u64(2), u32(1), u32(2), u32(4), u64(1), u32(3)]);
    const f = await scan(gguf([...baseKvs(), kv('x.nested', 9, nested), kv('x.flag', 7, Buffer.from([1]))], twoTensors, 32 + 96));
    expect(f).toEqual([]);
  });

  it('honours general.alignment and checks it', async () => {
    const t: Tensor[] = [
      { name: 'a', dims: [4], type: 0, offset: 0 },
      { name: 'b', dims: [4], type: 0, offset: 64 },
    ];
    expect(await scan(gguf([kv('general.alignment', 4, u32(64)), ...baseKvs()], t, 128, { align: 64 }))).toEqual([]);
    expect(codes(await scan(gguf([kv('general.alignment', 4, u32(48))], [], 0)))).toEqual(['GGUF_ALIGNMENT']);
    expect(codes(await scan(gguf([kv('general.alignment', 10, u64(32))], [], 0)))).toEqual(['GGUF_ALIGNMENT']);
  });

  it('refuses bad magic, versions and implausible counts', async () => {
    const good = gguf(baseKvs(), twoTensors, 128);
    expect(codes(await scan(gguf(baseKvs(), twoTensors, 128, { version: 1 })))).toEqual(['GGUF_VERSION']);
    expect(codes(await scan(gguf(baseKvs(), twoTensors, 128, { version: 0x03000000 })))).toEqual(['GGUF_VERSION']);
    const counts = Buffer.from(good);
    counts.writeBigUInt64LE(1n << 40n, 8);
    expect(codes(await scan(counts))).toEqual(['GGUF_COUNT']);
    const magic = Buffer.from(good);
    magic.write('GGUX', 0);
    expect(codes(await scan(magic))).toEqual(['GGUF_HEADER']);
  });

  it('reports truncation with the offset where the file ends', async () => {
    const good = gguf(baseKvs(), twoTensors, 128);
    for (const cut of [20, 40, 70, 100]) {
      const f = await scan(good.subarray(0, cut));
      expect(f).toHaveLength(1);
      expect(['GGUF_TRUNCATED', 'GGUF_COUNT']).toContain(f[0]!.code);
      expect(verdictOf(f)).toBe('block');
    }
  });

  it('checks every value: types, booleans, string lengths, UTF-8, duplicate keys', async () => {
    expect(codes(await scan(gguf([kv('x', 13, u32(0))], [], 0)))).toEqual(['GGUF_VALUE_TYPE']);
    expect(codes(await scan(gguf([kv('x', 9, Buffer.concat([u32(99), u64(1)]))], [], 0)))).toEqual(['GGUF_VALUE_TYPE']);
    expect(codes(await scan(gguf([kv('x', 7, Buffer.from([2]))], [], 0)))).toEqual(['GGUF_VALUE_TYPE']);
    expect(codes(await scan(gguf([kv('x', 8, Buffer.concat([u64(1n << 50n), Buffer.from('abc')]))], [], 0)))).toEqual(['GGUF_TRUNCATED']);
    expect(codes(await scan(gguf([kv('x', 8, str(Buffer.from([0xff, 0xfe])))], [], 0)))).toEqual(['GGUF_BAD_UTF8']);
    const arr = await scan(gguf([kv('tokenizer.ggml.tokens', 9, strArray([Buffer.from([0xc3]), 'ok']))], [], 0));
    expect(arr).toEqual([expect.objectContaining({ code: 'GGUF_BAD_UTF8', severity: 'medium' })]);
    expect(codes(await scan(gguf([kv('a', 4, u32(1)), kv('a', 4, u32(2))], [], 0)))).toEqual(['GGUF_DUPLICATE_KEY']);
    const deep = Buffer.concat([u32(9), u64(1), u32(9), u64(1), u32(9), u64(1), u32(9), u64(1), u32(4), u64(1), u32(0)]);
    expect(codes(await scan(gguf([kv('x', 9, deep)], [], 0)))).toEqual(['GGUF_VALUE_TYPE']);
  });

  it('checks tensor infos: dims, types, block sizes, names, duplicates', async () => {
    const one = (t: Partial<Tensor>, data = 64) => scan(gguf(baseKvs(), [{ name: 'w', dims: [4], type: 0, offset: 0, ...t }], data));
    expect(codes(await one({ dims: [1, 1, 1, 1, 4] }))).toEqual(['GGUF_TENSOR_INFO']);
    expect(codes(await one({ dims: [2n ** 63n] }))).toEqual(['GGUF_TENSOR_INFO']);
    expect(codes(await one({ dims: [2n ** 62n, 4] }))).toEqual(['GGUF_TENSOR_INFO']);
    expect(codes(await one({ type: 4 }))).toEqual(['GGUF_TENSOR_TYPE']);
    expect(codes(await one({ type: 12, dims: [100] }))).toEqual(['GGUF_TENSOR_INFO']);
    expect(codes(await one({ name: 'x'.repeat(64) }))).toEqual(['GGUF_TENSOR_INFO']);
    const dup = await scan(gguf(baseKvs(), [twoTensors[0]!, { ...twoTensors[0]!, offset: 32 }], 64));
    expect(codes(dup)).toEqual(['GGUF_DUPLICATE_KEY']);
  });

  it('requires llama.cpp’s layout: aligned, contiguous, inside the file, nothing hidden after', async () => {
    const mk = (b: Partial<Tensor>, data = 128) => scan(gguf(baseKvs(), [twoTensors[0]!, { ...twoTensors[1]!, ...b }], data));
    expect(codes(await mk({ offset: 40 }))).toEqual(['GGUF_TENSOR_OFFSET']);
    expect(codes(await mk({ offset: 0 }))).toEqual(['GGUF_TENSOR_OFFSET']); // overlaps a
    expect(codes(await mk({ offset: 64 }, 160))).toEqual(['GGUF_TENSOR_OFFSET']); // gap
    expect(codes(await mk({}, 64))).toEqual(['GGUF_OUT_OF_RANGE']);
    expect(codes(await mk({ dims: [32, 1 << 20] }, 128))).toEqual(['GGUF_OUT_OF_RANGE']);
    const trailing = await mk({}, 128 + 4096);
    expect(trailing).toEqual([expect.objectContaining({ code: 'GGUF_TRAILING_DATA', severity: 'medium' })]);
    // An unpadded last tensor is fine.
    expect(await mk({}, 32 + 68)).toEqual([]);
  });

  it('stops at the metadata scan limit', async () => {
    const big = gguf([kv('x', 8, str('y'.repeat(5000)))], [], 0);
    expect(codes(await scan(big, { ...DEFAULT_LIMITS, maxHeaderBytes: 1024 }))).toEqual(['SCAN_LIMIT']);
  });

  it('notes chat templates and flags template injection', async () => {
    const plain = "{% for m in messages %}{{ m['content'] }}{% endfor %}";
    const f = await scan(gguf([...baseKvs(), kv('tokenizer.chat_template', 8, str(plain))], twoTensors, 128));
    expect(f).toEqual([expect.objectContaining({ code: 'CHAT_TEMPLATE', severity: 'info' })]);
    const ssti = "{{ cycler.__init__.__globals__.os.popen('id').read() }}";
    const bad = await scan(gguf([...baseKvs(), kv('tokenizer.chat_template.tool_use', 8, str(ssti))], twoTensors, 128));
    expect(bad).toEqual([expect.objectContaining({ code: 'CHAT_TEMPLATE_INJECTION', severity: 'high' })]);
  });
});

describe('chat template checks', () => {
  it('looks only at Jinja code, not at the text it prints', () => {
    expect(chatTemplateFindings('Say __class__ to the user {{ messages[0].content }}', 't', 0)[0]!.code).toBe('CHAT_TEMPLATE');
    expect(chatTemplateFindings("{{ ''|attr('\\x5f\\x5fclass\\x5f\\x5f') }}", 't', 0)[0]!.code).toBe('CHAT_TEMPLATE_INJECTION');
    expect(chatTemplateFindings("{% set x = namespace(a=1) %}{{ x|attr('a') }}", 't', 0)[0]).toMatchObject({ code: 'CHAT_TEMPLATE_SUSPICIOUS', severity: 'medium' });
    expect(chatTemplateFindings("{% import 'x.j2' as x %}", 't', 0)[0]!.code).toBe('CHAT_TEMPLATE_SUSPICIOUS');
    expect(chatTemplateFindings('{% set ns = namespace(found=false) %}{{ raise_exception("no") }}', 't', 0)[0]!.code).toBe('CHAT_TEMPLATE');
  });
});
