// GGUF v3 serialization: header, typed metadata KVs, tensor infos, then 32-byte aligned tensor data.

/** GGUF metadata value types (gguf.h). */
const ValueType = { UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7, STRING: 8, ARRAY: 9 } as const;

/** ggml tensor types used here. */
export const GgmlType = { F32: 0, F16: 1 } as const;

export type KvValue =
  | { type: 'u32'; value: number }
  | { type: 'f32'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'strings'; value: readonly string[] }
  | { type: 'f32s'; value: readonly number[] }
  | { type: 'i32s'; value: readonly number[] };

export interface GgufTensor {
  name: string;
  /** ggml order: ne[0] is the innermost (input) dimension. */
  dims: number[];
  type: (typeof GgmlType)[keyof typeof GgmlType];
  data: Uint8Array;
}

const ALIGNMENT = 32;

class ByteSink {
  private parts: Buffer[] = [];
  length = 0;

  push(buf: Buffer): void {
    this.parts.push(buf);
    this.length += buf.length;
  }
  u32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.push(b);
  }
  i32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    this.push(b);
  }
  u64(v: number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.push(b);
  }
  f32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.push(b);
  }
  string(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.push(b);
  }
  padTo(alignment: number): void {
    const pad = (alignment - (this.length % alignment)) % alignment;
    if (pad) this.push(Buffer.alloc(pad));
  }
  finish(): Uint8Array {
    return new Uint8Array(Buffer.concat(this.parts));
  }
}

function writeKv(sink: ByteSink, key: string, kv: KvValue): void {
  sink.string(key);
  const array = (itemType: number, count: number): void => {
    sink.u32(ValueType.ARRAY);
    sink.u32(itemType);
    sink.u64(count);
  };
  switch (kv.type) {
    case 'u32':
      sink.u32(ValueType.UINT32);
      return sink.u32(kv.value);
    case 'f32':
      sink.u32(ValueType.FLOAT32);
      return sink.f32(kv.value);
    case 'bool':
      sink.u32(ValueType.BOOL);
      return sink.push(Buffer.from([kv.value ? 1 : 0]));
    case 'string':
      sink.u32(ValueType.STRING);
      return sink.string(kv.value);
    case 'strings':
      array(ValueType.STRING, kv.value.length);
      return kv.value.forEach((s) => sink.string(s));
    case 'f32s':
      array(ValueType.FLOAT32, kv.value.length);
      return kv.value.forEach((v) => sink.f32(v));
    case 'i32s':
      array(ValueType.INT32, kv.value.length);
      return kv.value.forEach((v) => sink.i32(v));
  }
}

export function encodeGguf(kvs: ReadonlyArray<[string, KvValue]>, tensors: readonly GgufTensor[]): Uint8Array {
  const sink = new ByteSink();
  sink.push(Buffer.from('GGUF', 'ascii'));
  sink.u32(3);
  sink.u64(tensors.length);
  sink.u64(kvs.length + 1);
  writeKv(sink, 'general.alignment', { type: 'u32', value: ALIGNMENT });
  for (const [key, value] of kvs) writeKv(sink, key, value);
  // Offsets are relative to the start of the data section and each must be aligned.
  let offset = 0;
  for (const t of tensors) {
    sink.string(t.name);
    sink.u32(t.dims.length);
    t.dims.forEach((d) => sink.u64(d));
    sink.u32(t.type);
    sink.u64(offset);
    offset += Math.ceil(t.data.length / ALIGNMENT) * ALIGNMENT;
  }
  sink.padTo(ALIGNMENT);
  for (const t of tensors) {
    sink.push(Buffer.from(t.data));
    sink.padTo(ALIGNMENT);
  }
  return sink.finish();
}

/** IEEE half from a float, round-to-nearest-even via a Float32 bit view (weights here are small and finite). */
export function toF16Bits(value: number): number {
  const f = new Float32Array([value]);
  const bits = new Uint32Array(f.buffer)[0] ?? 0;
  const sign = (bits >>> 16) & 0x8000;
  const exp = ((bits >>> 23) & 0xff) - 127 + 15;
  const mant = bits & 0x7fffff;
  if (exp <= 0) {
    if (exp < -10) return sign;
    const m = (mant | 0x800000) >>> (1 - exp);
    return sign | ((m + 0x1000) >>> 13);
  }
  if (exp >= 31) return sign | 0x7c00;
  const rounded = mant + 0xfff + ((mant >>> 13) & 1);
  return rounded & 0x800000 ? sign | ((exp + 1) << 10) : sign | (exp << 10) | (rounded >>> 13);
}
