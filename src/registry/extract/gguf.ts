/**
 * GGUF (llama.cpp) metadata reader. Parses the header, the typed key/value metadata and the tensor
 * infos through a 1 MB buffered reader; tensor data is never read, large arrays (e.g. the 150k-entry
 * `tokenizer.ggml.tokens`) are skipped with only their length kept, and the bytes read are capped.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { ExtractError, unreadable } from './errors.js';

const CHUNK = 1 << 20;
/** Cap on metadata + tensor-info bytes read from one file. */
export const MAX_GGUF_METADATA_BYTES = 64 * 1024 * 1024;
/** Arrays longer than this are skipped (only their length is kept). */
const MAX_KEPT_ARRAY = 256;
const MAX_STRING_BYTES = 16 * 1024 * 1024;
const MAX_COUNT = 10_000_000;

/** A metadata value. Skipped arrays keep their element type and length only. */
export type GgufValue =
  | number
  | bigint
  | boolean
  | string
  | GgufValue[]
  | { skippedArray: true; itemType: string; length: number };

/** One tensor info entry (no data). */
export interface GgufTensorInfo {
  name: string;
  dims: number[];
  /** ggml type name, e.g. Q4_K, F16 (or `TYPE_<n>` when unknown). */
  type: string;
  offset: number;
}

/** What {@link readGgufMetadata} returns. */
export interface GgufMetadata {
  version: number;
  architecture: string | null;
  name: string | null;
  contextLength: number | null;
  embeddingLength: number | null;
  blockCount: number | null;
  headCount: number | null;
  headCountKv: number | null;
  /** `${arch}.attention.key_length` when present. */
  headDim: number | null;
  /** general.file_type as a llama.cpp name, e.g. MOSTLY_Q4_K_M. */
  fileType: string | null;
  /** Tensor type holding the most parameters, e.g. Q4_K. */
  quantization: string | null;
  parameterCount: number;
  /** Parameters per tensor type. */
  typeCounts: Record<string, number>;
  chatTemplate: string | null;
  vocabularySize: number | null;
  metadata: Record<string, GgufValue>;
  tensors: GgufTensorInfo[];
}

const VALUE_TYPES = ['UINT8', 'INT8', 'UINT16', 'INT16', 'UINT32', 'INT32', 'FLOAT32', 'BOOL', 'STRING', 'ARRAY', 'UINT64', 'INT64', 'FLOAT64'] as const;
const FIXED_SIZE: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

/** ggml tensor types by id (ggml.h). */
const GGML_TYPES: Record<number, string> = {
  0: 'F32', 1: 'F16', 2: 'Q4_0', 3: 'Q4_1', 6: 'Q5_0', 7: 'Q5_1', 8: 'Q8_0', 9: 'Q8_1', 10: 'Q2_K', 11: 'Q3_K',
  12: 'Q4_K', 13: 'Q5_K', 14: 'Q6_K', 15: 'Q8_K', 16: 'IQ2_XXS', 17: 'IQ2_XS', 18: 'IQ3_XXS', 19: 'IQ1_S',
  20: 'IQ4_NL', 21: 'IQ3_S', 22: 'IQ2_S', 23: 'IQ4_XS', 24: 'I8', 25: 'I16', 26: 'I32', 27: 'I64', 28: 'F64',
  29: 'IQ1_M', 30: 'BF16', 34: 'TQ1_0', 35: 'TQ2_0', 39: 'MXFP4',
};

/** llama.cpp file types (llama_ftype) by general.file_type value. */
const FILE_TYPES: Record<number, string> = {
  0: 'ALL_F32', 1: 'MOSTLY_F16', 2: 'MOSTLY_Q4_0', 3: 'MOSTLY_Q4_1', 7: 'MOSTLY_Q8_0', 8: 'MOSTLY_Q5_0',
  9: 'MOSTLY_Q5_1', 10: 'MOSTLY_Q2_K', 11: 'MOSTLY_Q3_K_S', 12: 'MOSTLY_Q3_K_M', 13: 'MOSTLY_Q3_K_L',
  14: 'MOSTLY_Q4_K_S', 15: 'MOSTLY_Q4_K_M', 16: 'MOSTLY_Q5_K_S', 17: 'MOSTLY_Q5_K_M', 18: 'MOSTLY_Q6_K',
  19: 'MOSTLY_IQ2_XXS', 20: 'MOSTLY_IQ2_XS', 21: 'MOSTLY_Q2_K_S', 22: 'MOSTLY_IQ3_XS', 23: 'MOSTLY_IQ3_XXS',
  24: 'MOSTLY_IQ1_S', 25: 'MOSTLY_IQ4_NL', 26: 'MOSTLY_IQ3_S', 27: 'MOSTLY_IQ3_M', 28: 'MOSTLY_IQ2_S',
  29: 'MOSTLY_IQ2_M', 30: 'MOSTLY_IQ4_XS', 31: 'MOSTLY_IQ1_M', 32: 'MOSTLY_BF16', 36: 'MOSTLY_TQ1_0',
  37: 'MOSTLY_TQ2_0', 38: 'MOSTLY_MXFP4_MOE',
};

/** Sequential reader over a FileHandle with a 1 MB buffer and a cap on bytes read. */
class Cursor {
  pos = 0;
  bytesRead = 0;
  private buf = Buffer.alloc(0);
  private bufStart = 0;

  constructor(
    private readonly fh: FileHandle,
    readonly size: number,
    private readonly file: string,
  ) {}

  fail(msg: string): never {
    throw new ExtractError('INVALID_FORMAT', msg, this.file);
  }

  private ensureAvailable(n: number, what: string): void {
    if (this.pos + n > this.size) this.fail(`${what} at offset ${this.pos} runs past the end of the file`);
  }

  async take(n: number, what = 'value'): Promise<Buffer> {
    this.ensureAvailable(n, what);
    const rel = this.pos - this.bufStart;
    if (rel < 0 || rel + n > this.buf.length) {
      if (this.bytesRead + n > MAX_GGUF_METADATA_BYTES) {
        throw new ExtractError('TOO_LARGE', `metadata exceeds ${MAX_GGUF_METADATA_BYTES} bytes`, this.file);
      }
      const len = Math.max(n, Math.min(CHUNK, this.size - this.pos, MAX_GGUF_METADATA_BYTES - this.bytesRead));
      const buf = Buffer.allocUnsafe(len);
      const { bytesRead } = await this.fh.read(buf, 0, len, this.pos);
      if (bytesRead < n) this.fail('file truncated while reading');
      this.bytesRead += bytesRead;
      this.buf = buf.subarray(0, bytesRead);
      this.bufStart = this.pos;
    }
    const start = this.pos - this.bufStart;
    this.pos += n;
    return this.buf.subarray(start, start + n);
  }

  skip(n: number, what: string): void {
    this.ensureAvailable(n, what);
    this.pos += n;
  }

  async u32(): Promise<number> {
    return (await this.take(4)).readUInt32LE(0);
  }

  /** A u64 used as a count or length: must be a safe integer. */
  async count(what: string): Promise<number> {
    const v = (await this.take(8, what)).readBigUInt64LE(0);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`${what} ${v} is out of range`);
    return Number(v);
  }

  async string(what: string): Promise<string> {
    const len = await this.count(`${what} length`);
    this.ensureAvailable(len, what);
    if (len > MAX_STRING_BYTES) throw new ExtractError('TOO_LARGE', `${what} of ${len} bytes`, this.file);
    return (await this.take(len, what)).toString('utf8');
  }

  async skipString(what: string): Promise<void> {
    const len = await this.count(`${what} length`);
    if (this.pos - this.bufStart + len <= this.buf.length) await this.take(len, what);
    else this.skip(len, what);
  }
}

const safeNum = (v: bigint): number | bigint => (v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);

async function readValue(c: Cursor, type: number, key: string): Promise<GgufValue> {
  switch (type) {
    case 0: return (await c.take(1)).readUInt8(0);
    case 1: return (await c.take(1)).readInt8(0);
    case 2: return (await c.take(2)).readUInt16LE(0);
    case 3: return (await c.take(2)).readInt16LE(0);
    case 4: return (await c.take(4)).readUInt32LE(0);
    case 5: return (await c.take(4)).readInt32LE(0);
    case 6: return (await c.take(4)).readFloatLE(0);
    case 7: return (await c.take(1)).readUInt8(0) !== 0;
    case 8: return c.string(`value of ${key}`);
    case 10: return safeNum((await c.take(8)).readBigUInt64LE(0));
    case 11: return safeNum((await c.take(8)).readBigInt64LE(0));
    case 12: return (await c.take(8)).readDoubleLE(0);
    case 9: {
      const itemType = await c.u32();
      const length = await c.count(`array length of ${key}`);
      const itemName = VALUE_TYPES[itemType];
      if (!itemName) c.fail(`array ${key} has unknown element type ${itemType}`);
      // Every element takes at least one byte: a longer array cannot fit in the file.
      if (length > c.size - c.pos) c.fail(`array ${key} of ${length} elements runs past the end of the file`);
      if (length <= MAX_KEPT_ARRAY) {
        const items: GgufValue[] = [];
        for (let i = 0; i < length; i++) items.push(await readValue(c, itemType, key));
        return items;
      }
      const fixed = FIXED_SIZE[itemType];
      if (fixed !== undefined) c.skip(fixed * length, `array ${key}`);
      else if (itemType === 8) for (let i = 0; i < length; i++) await c.skipString(`element of ${key}`);
      else for (let i = 0; i < length; i++) await readValue(c, itemType, key); // nested arrays: walk them
      return { skippedArray: true, itemType: itemName, length };
    }
    default:
      return c.fail(`key ${key} has unknown value type ${type}`);
  }
}

const num = (v: GgufValue | undefined): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: GgufValue | undefined): string | null => (typeof v === 'string' ? v : null);
const arrayLength = (v: GgufValue | undefined): number | null =>
  Array.isArray(v) ? v.length : v && typeof v === 'object' && 'skippedArray' in v ? v.length : null;
/** Per-layer arrays (some architectures) collapse to their maximum. */
const numOrMax = (v: GgufValue | undefined): number | null =>
  Array.isArray(v) ? v.reduce<number | null>((m, x) => (typeof x === 'number' && (m === null || x > m) ? x : m), null) : num(v);

/**
 * Reads a GGUF v2/v3 file's header, metadata and tensor infos (never tensor data).
 * @throws ExtractError UNREADABLE (I/O), INVALID_FORMAT (bad magic, unsupported version, lengths
 *   beyond the file, unknown value types), TOO_LARGE (more than 64 MB of metadata).
 */
export async function readGgufMetadata(file: string): Promise<GgufMetadata> {
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    throw unreadable(file, err);
  }
  try {
    const c = new Cursor(fh, (await fh.stat()).size, file);
    if ((await c.take(4, 'magic')).toString('latin1') !== 'GGUF') c.fail('not a GGUF file (bad magic)');
    const version = await c.u32();
    if (version !== 2 && version !== 3) c.fail(`unsupported GGUF version ${version}`);
    const tensorCount = await c.count('tensor count');
    const kvCount = await c.count('metadata count');
    if (tensorCount > MAX_COUNT || kvCount > MAX_COUNT) c.fail('implausible tensor or metadata count');

    const metadata: Record<string, GgufValue> = {};
    for (let i = 0; i < kvCount; i++) {
      const key = await c.string('metadata key');
      metadata[key] = await readValue(c, await c.u32(), key);
    }
    const tensors: GgufTensorInfo[] = [];
    const typeCounts: Record<string, number> = {};
    let parameterCount = 0;
    for (let i = 0; i < tensorCount; i++) {
      const name = await c.string('tensor name');
      const nDims = await c.u32();
      if (nDims > 8) c.fail(`tensor ${name} has ${nDims} dimensions`);
      const dims: number[] = [];
      for (let d = 0; d < nDims; d++) dims.push(await c.count(`dimension of ${name}`));
      const typeId = await c.u32();
      const type = GGML_TYPES[typeId] ?? `TYPE_${typeId}`;
      const offset = await c.count(`offset of ${name}`);
      tensors.push({ name, dims, type, offset });
      const n = dims.reduce((a, b) => a * b, 1);
      parameterCount += n;
      typeCounts[type] = (typeCounts[type] ?? 0) + n;
    }

    const arch = str(metadata['general.architecture']);
    const a = (k: string) => (arch ? metadata[`${arch}.${k}`] : undefined);
    const fileTypeId = num(metadata['general.file_type']);
    const quantization = Object.entries(typeCounts).sort((x, y) => y[1] - x[1])[0]?.[0] ?? null;
    return {
      version,
      architecture: arch,
      name: str(metadata['general.name']),
      contextLength: num(a('context_length')),
      embeddingLength: num(a('embedding_length')),
      blockCount: num(a('block_count')),
      headCount: numOrMax(a('attention.head_count')),
      headCountKv: numOrMax(a('attention.head_count_kv')),
      headDim: num(a('attention.key_length')),
      fileType: fileTypeId === null ? null : (FILE_TYPES[fileTypeId] ?? `UNKNOWN_${fileTypeId}`),
      quantization,
      parameterCount,
      typeCounts,
      chatTemplate: str(metadata['tokenizer.chat_template']),
      vocabularySize: arrayLength(metadata['tokenizer.ggml.tokens']) ?? num(a('vocab_size')),
      metadata,
      tensors,
    };
  } catch (err) {
    throw unreadable(file, err);
  } finally {
    await fh.close();
  }
}
