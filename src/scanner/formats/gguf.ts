/**
 * Strict GGUF (llama.cpp) validation through bounded, buffered positioned reads: header, every
 * typed metadata value (nested arrays included), tensor infos, and the tensor layout checked the
 * way llama.cpp's gguf loader checks it (offsets exactly where the previous tensor ends, padded to
 * general.alignment; data inside the file). Tensor data is never read. Chat templates are Jinja,
 * rendered by servers when chatting; they are flagged for review and checked for template injection.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { ScanTarget } from '../context.js';
import { capFindings, finding, type Finding } from '../types.js';
import { firstInvalidUtf8 } from './safetensors.js';

const CHUNK = 1 << 20;
/** llama.cpp's GGML_MAX_DIMS and GGML_MAX_NAME. */
const MAX_DIMS = 4;
const MAX_NAME = 64;
const MAX_ARRAY_NESTING = 3;
const DEFAULT_ALIGNMENT = 32;
const INT64_MAX = 2n ** 63n - 1n;

/** ggml types by id: [name, elements per block, bytes per block] (ggml.h / ggml-common.h). */
const GGML_TYPES: Readonly<Record<number, readonly [string, number, number]>> = {
  0: ['F32', 1, 4], 1: ['F16', 1, 2], 2: ['Q4_0', 32, 18], 3: ['Q4_1', 32, 20], 6: ['Q5_0', 32, 22], 7: ['Q5_1', 32, 24],
  8: ['Q8_0', 32, 34], 9: ['Q8_1', 32, 36], 10: ['Q2_K', 256, 84], 11: ['Q3_K', 256, 110], 12: ['Q4_K', 256, 144],
  13: ['Q5_K', 256, 176], 14: ['Q6_K', 256, 210], 15: ['Q8_K', 256, 292], 16: ['IQ2_XXS', 256, 66], 17: ['IQ2_XS', 256, 74],
  18: ['IQ3_XXS', 256, 98], 19: ['IQ1_S', 256, 50], 20: ['IQ4_NL', 32, 18], 21: ['IQ3_S', 256, 110], 22: ['IQ2_S', 256, 82],
  23: ['IQ4_XS', 256, 136], 24: ['I8', 1, 1], 25: ['I16', 1, 2], 26: ['I32', 1, 4], 27: ['I64', 1, 8], 28: ['F64', 1, 8],
  29: ['IQ1_M', 256, 56], 30: ['BF16', 1, 2], 34: ['TQ1_0', 256, 54], 35: ['TQ2_0', 256, 66], 39: ['MXFP4', 32, 17],
  40: ['NVFP4', 64, 36], 41: ['Q1_0', 128, 18], 42: ['Q2_0', 64, 18],
};

/** GGUF metadata value types: name and fixed byte size (0 for string/array). */
const VALUE_TYPES: readonly (readonly [string, number])[] = [
  ['UINT8', 1], ['INT8', 1], ['UINT16', 2], ['INT16', 2], ['UINT32', 4], ['INT32', 4], ['FLOAT32', 4], ['BOOL', 1],
  ['STRING', 0], ['ARRAY', 0], ['UINT64', 8], ['INT64', 8], ['FLOAT64', 8],
];
const T_UINT32 = 4;
const T_BOOL = 7;
const T_STRING = 8;
const T_ARRAY = 9;

/** A structural error after which the rest of the file cannot be read. */
class GgufError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/** Sequential reader with a 1 MB window; never reads past `limit` bytes of metadata. */
class Cursor {
  pos = 0;
  private buf = Buffer.alloc(0);
  private bufStart = 0;

  constructor(
    private readonly fh: FileHandle,
    readonly size: number,
    private readonly limit: number,
  ) {}

  get remaining(): number {
    return this.size - this.pos;
  }

  need(n: number, what: string): void {
    if (n > this.size - this.pos) throw new GgufError('GGUF_TRUNCATED', `${what} at offset ${this.pos} needs ${n} bytes but the file ends after ${this.size - this.pos}`, this.pos);
    if (this.pos + n > this.limit) {
      throw new GgufError('SCAN_LIMIT', `the metadata and tensor infos run past ${this.limit} bytes, the scan limit: not checked further`, this.pos);
    }
  }

  async take(n: number, what: string): Promise<Buffer> {
    this.need(n, what);
    let rel = this.pos - this.bufStart;
    if (rel < 0 || rel + n > this.buf.length) {
      const len = Math.max(n, Math.min(CHUNK, this.size - this.pos));
      const buf = Buffer.allocUnsafe(len);
      const { bytesRead } = await this.fh.read(buf, 0, len, this.pos);
      if (bytesRead < n) throw new GgufError('GGUF_TRUNCATED', `the file ended while reading ${what}`, this.pos);
      this.buf = buf.subarray(0, bytesRead);
      this.bufStart = this.pos;
      rel = 0;
    }
    this.pos += n;
    return this.buf.subarray(rel, rel + n);
  }

  async u32(what: string): Promise<number> {
    return (await this.take(4, what)).readUInt32LE(0);
  }

  async u64(what: string): Promise<bigint> {
    return (await this.take(8, what)).readBigUInt64LE(0);
  }

  /** A u64 length or count that must fit in the rest of the file at `minEach` bytes per item. */
  async count(what: string, minEach: number, code = 'GGUF_TRUNCATED'): Promise<number> {
    const at = this.pos;
    const v = await this.u64(what);
    if (v * BigInt(Math.max(1, minEach)) > BigInt(this.size - this.pos)) {
      throw new GgufError(code, `${what} is ${v}, more than the remaining ${this.size - this.pos} bytes of the file can hold`, at);
    }
    return Number(v);
  }
}

interface Ctx {
  c: Cursor;
  out: Finding[];
  /** Values kept for later checks. */
  alignment: number;
  templates: { key: string; value: string; offset: number }[];
}

const q = (s: string) => JSON.stringify(s.length > 120 ? `${s.slice(0, 120)}…` : s);

/** Reads a GGUF string; `strict` makes invalid UTF-8 a high finding (keys, names), else medium. */
async function readString(x: Ctx, what: string, strict: boolean): Promise<{ text: string; offset: number; valid: boolean }> {
  const offset = x.c.pos;
  const len = await x.c.count(`length of ${what}`, 1);
  const bytes = await x.c.take(len, what);
  const bad = firstInvalidUtf8(bytes);
  if (bad >= 0 && strict) {
    x.out.push(finding('GGUF_BAD_UTF8', 'high', `${what} is not valid UTF-8 (byte ${offset + 8 + bad}): tools decode it differently`, offset + 8 + bad));
  }
  return { text: bytes.toString('utf8'), offset, valid: bad < 0 };
}

/** Reads (and validates) one value of `type`. Returns scalars and short strings needed later. */
async function readValue(x: Ctx, type: number, key: string, depth: number): Promise<{ num?: number; str?: string; badUtf8?: number }> {
  const at = x.c.pos;
  const vt = VALUE_TYPES[type];
  if (!vt) throw new GgufError('GGUF_VALUE_TYPE', `metadata ${q(key)} has unknown value type ${type}`, at - 4);
  if (type === T_STRING) {
    const s = await readString(x, `the value of ${q(key)}`, depth === 0);
    return { str: s.text, badUtf8: s.valid ? 0 : 1 };
  }
  if (type === T_ARRAY) {
    if (depth >= MAX_ARRAY_NESTING) throw new GgufError('GGUF_VALUE_TYPE', `metadata ${q(key)} nests arrays more than ${MAX_ARRAY_NESTING} deep`, at);
    const itemType = await x.c.u32(`element type of ${q(key)}`);
    const item = VALUE_TYPES[itemType];
    if (!item) throw new GgufError('GGUF_VALUE_TYPE', `array ${q(key)} has unknown element type ${itemType}`, at);
    // Strings take at least 8 bytes (their length), arrays at least 12.
    const minEach = item[1] || (itemType === T_STRING ? 8 : 12);
    const n = await x.c.count(`length of array ${q(key)}`, minEach);
    let badUtf8 = 0;
    if (item[1] > 0 && itemType !== T_BOOL) {
      x.c.need(n * item[1], `array ${q(key)}`);
      x.c.pos += n * item[1];
    } else {
      for (let i = 0; i < n; i++) badUtf8 += (await readValue(x, itemType, key, depth + 1)).badUtf8 ?? 0;
    }
    if (badUtf8 > 0 && depth === 0) {
      x.out.push(finding('GGUF_BAD_UTF8', 'medium', `${badUtf8} strings in array ${q(key)} are not valid UTF-8 (some vocabularies store raw bytes; review)`, at));
    }
    return { badUtf8 };
  }
  const b = await x.c.take(vt[1], `the value of ${q(key)}`);
  if (type === T_BOOL && b[0]! > 1) {
    x.out.push(finding('GGUF_VALUE_TYPE', 'high', `boolean ${q(key)} holds ${b[0]}, neither 0 nor 1: readers disagree on its meaning`, at));
  }
  if (type === T_UINT32) return { num: b.readUInt32LE(0) };
  return {};
}

/** Validates a GGUF file. Handles FileFormat 'gguf'. */
export async function scanGguf(t: ScanTarget): Promise<Finding[]> {
  let fh: FileHandle;
  try {
    fh = await open(t.abs, 'r');
  } catch (err) {
    return [finding('SCAN_ERROR', 'high', `the file could not be opened: ${(err as Error).message}`, null)];
  }
  const x: Ctx = { c: new Cursor(fh, t.size, t.limits.maxHeaderBytes), out: [], alignment: DEFAULT_ALIGNMENT, templates: [] };
  try {
    await validate(x);
  } catch (err) {
    if (err instanceof GgufError) {
      const sev = 'high';
      const why = err.code === 'SCAN_LIMIT' ? err.message : `${err.message}: llama.cpp refuses the file, and nothing after this point was checked`;
      x.out.push(finding(err.code, sev, why, err.offset));
    } else {
      x.out.push(finding('SCAN_ERROR', 'high', `the file could not be read: ${(err as Error).message}`, null));
    }
  } finally {
    await fh.close();
  }
  for (const tpl of x.templates) x.out.push(...chatTemplateFindings(tpl.value, `metadata ${q(tpl.key)}`, tpl.offset));
  return capFindings(x.out);
}

async function validate(x: Ctx): Promise<void> {
  const { c } = x;
  const magic = await c.take(4, 'the magic number');
  if (magic.toString('latin1') !== 'GGUF') throw new GgufError('GGUF_HEADER', 'the file does not start with the GGUF magic number', 0);
  const version = await c.u32('the version');
  if (version === 1) throw new GgufError('GGUF_VERSION', 'GGUF version 1 (32-bit counts) is obsolete and refused by llama.cpp', 4);
  if (version !== 2 && version !== 3) {
    const swapped = version > 0xffff ? ' (it looks byte-swapped: a big-endian GGUF, which this scanner does not check)' : '';
    throw new GgufError('GGUF_VERSION', `GGUF version ${version} is unknown${swapped}`, 4);
  }
  // Each tensor info takes at least 24 bytes (name length, n_dims, type, offset); each key/value 13.
  const tensorCount = await c.count('the tensor count', 24, 'GGUF_COUNT');
  const kvCount = await c.count('the metadata count', 13, 'GGUF_COUNT');

  const keys = new Set<string>();
  for (let i = 0; i < kvCount; i++) {
    const k = await readString(x, `metadata key #${i}`, true);
    if (keys.has(k.text)) x.out.push(finding('GGUF_DUPLICATE_KEY', 'high', `metadata key ${q(k.text)} appears twice: llama.cpp refuses the file, other readers keep either copy`, k.offset));
    keys.add(k.text);
    const type = await c.u32(`the type of ${q(k.text)}`);
    const v = await readValue(x, type, k.text, 0);
    if (k.text === 'general.alignment') {
      if (type !== T_UINT32 || v.num === undefined) {
        throw new GgufError('GGUF_ALIGNMENT', `general.alignment must be a UINT32 (it is ${VALUE_TYPES[type]?.[0] ?? type})`, k.offset);
      }
      if (v.num === 0 || (v.num & (v.num - 1)) !== 0) throw new GgufError('GGUF_ALIGNMENT', `general.alignment ${v.num} is not a power of two`, k.offset);
      x.alignment = v.num;
    }
    if (k.text.startsWith('tokenizer.chat_template') && v.str !== undefined) x.templates.push({ key: k.text, value: v.str, offset: k.offset });
  }

  interface Info {
    name: string;
    offset: bigint;
    bytes: bigint;
    at: number;
  }
  const infos: Info[] = [];
  const names = new Set<string>();
  for (let i = 0; i < tensorCount; i++) {
    const n = await readString(x, `tensor name #${i}`, true);
    if (Buffer.byteLength(n.text) >= MAX_NAME) throw new GgufError('GGUF_TENSOR_INFO', `tensor name ${q(n.text)} is ${Buffer.byteLength(n.text)} bytes; llama.cpp allows ${MAX_NAME - 1}`, n.offset);
    if (names.has(n.text)) throw new GgufError('GGUF_DUPLICATE_KEY', `tensor ${q(n.text)} is listed twice`, n.offset);
    names.add(n.text);
    const nDims = await c.u32(`n_dims of ${q(n.text)}`);
    if (nDims > MAX_DIMS) throw new GgufError('GGUF_TENSOR_INFO', `tensor ${q(n.text)} has ${nDims} dimensions; ggml allows at most ${MAX_DIMS}`, c.pos - 4);
    const dims: bigint[] = [];
    for (let d = 0; d < nDims; d++) {
      const v = await c.u64(`dimension ${d} of ${q(n.text)}`);
      if (v > INT64_MAX) throw new GgufError('GGUF_TENSOR_INFO', `tensor ${q(n.text)} has a negative dimension`, c.pos - 8);
      dims.push(v);
    }
    const typeId = await c.u32(`the type of ${q(n.text)}`);
    const type = GGML_TYPES[typeId];
    if (!type) throw new GgufError('GGUF_TENSOR_TYPE', `tensor ${q(n.text)} has unknown ggml type ${typeId} (newer than this scanner, or forged): its size cannot be known`, c.pos - 4);
    const offset = await c.u64(`the offset of ${q(n.text)}`);
    const numel = dims.reduce((p, d) => p * d, 1n);
    if (numel > INT64_MAX) throw new GgufError('GGUF_TENSOR_INFO', `tensor ${q(n.text)} has more than 2^63 elements`, n.offset);
    const [tname, blck, tsize] = type;
    const ne0 = dims[0] ?? 1n;
    if (ne0 % BigInt(blck) !== 0n) throw new GgufError('GGUF_TENSOR_INFO', `tensor ${q(n.text)}: its first dimension ${ne0} is not a multiple of the ${tname} block size ${blck}`, n.offset);
    infos.push({ name: n.text, offset, bytes: (numel / BigInt(blck)) * BigInt(tsize), at: n.offset });
  }

  // The data section starts at the next multiple of the alignment; llama.cpp requires each tensor
  // to start exactly where the previous one ends, padded to the alignment.
  const align = BigInt(x.alignment);
  const pad = (v: bigint) => ((v + align - 1n) / align) * align;
  const dataStart = pad(BigInt(c.pos));
  const size = BigInt(c.size);
  let expected = 0n;
  for (const ti of infos) {
    if (ti.offset % align !== 0n) {
      x.out.push(finding('GGUF_TENSOR_OFFSET', 'high', `tensor ${q(ti.name)} starts at data offset ${ti.offset}, not a multiple of the alignment ${align}`, ti.at));
    } else if (ti.offset !== expected) {
      x.out.push(
        finding(
          'GGUF_TENSOR_OFFSET',
          'high',
          `tensor ${q(ti.name)} starts at data offset ${ti.offset}, but the previous tensors end at ${expected}: ${ti.offset < expected ? 'tensors overlap' : 'bytes between tensors belong to no tensor'}, and llama.cpp refuses the file`,
          ti.at,
        ),
      );
    }
    const end = dataStart + ti.offset + ti.bytes;
    if (end > size) {
      x.out.push(finding('GGUF_OUT_OF_RANGE', 'high', `tensor ${q(ti.name)} (${ti.bytes} bytes at data offset ${ti.offset}) runs past the end of the file (${end} > ${size})`, ti.at));
    }
    expected = (ti.offset > expected ? ti.offset : expected) + pad(ti.bytes);
  }
  if (dataStart > size && infos.length > 0) {
    x.out.push(finding('GGUF_OUT_OF_RANGE', 'high', 'the file ends before its tensor data section begins', Number(size)));
  }
  const dataEnd = dataStart + expected;
  if (size > dataEnd && size - dataEnd >= align) {
    x.out.push(
      finding('GGUF_TRAILING_DATA', 'medium', `${size - dataEnd} bytes after the last tensor belong to no tensor: loaders ignore them, but they can hide a payload`, Number(dataEnd)),
    );
  }
}

// ---------------------------------------------------------------------------------------------

/** Only the code inside Jinja delimiters can run; literal text around it is just printed. */
function jinjaCode(template: string): string {
  const parts: string[] = [];
  const re = /\{\{([\s\S]*?)\}\}|\{%([\s\S]*?)%\}/g;
  for (const m of template.matchAll(re)) parts.push(m[1] ?? m[2] ?? '');
  return parts.join('\n');
}

const DUNDER = /__[A-Za-z]\w*__|\\x5f|\\u005f|\\137/i;
const SUSPICIOUS: readonly [RegExp, string][] = [
  [/\|\s*attr\b|\battr\s*\(/, 'the attr() filter (attribute access by computed name)'],
  [/(^|\n)[\s-]*(import|from|include|extends)\b/, 'an import/include statement (a chat template has no other templates to include)'],
  [/\b(os|sys|subprocess|builtins|importlib)\s*\./, 'a reference to a Python module'],
  [/\b(popen|system|eval|exec|getattr|globals|cycler|joiner|namespace\s*\.\s*__init__|lipsum|config|request|self)\b\s*[.(]/, 'a name used in template-injection payloads'],
];

/**
 * Findings for a Jinja chat template: always an info note (servers render it, so a reviewer may
 * look), high when its code reaches for Python internals (`__class__`, `__globals__`, … — the
 * shape of CVE-2024-34359; no real chat template needs them), medium for weaker signals.
 */
export function chatTemplateFindings(template: string, where: string, offset: number | null): Finding[] {
  const code = jinjaCode(template);
  const dunder = DUNDER.exec(code);
  if (dunder) {
    return [
      finding(
        'CHAT_TEMPLATE_INJECTION',
        'high',
        `${where} is a Jinja chat template whose code uses ${q(dunder[0])}: that reaches Python internals, the template-injection technique that runs commands on servers rendering it (CVE-2024-34359); no chat template needs it`,
        offset,
      ),
    ];
  }
  const hits = SUSPICIOUS.filter(([re]) => re.test(code)).map(([, why]) => why);
  if (hits.length) {
    return [finding('CHAT_TEMPLATE_SUSPICIOUS', 'medium', `${where} is a Jinja chat template that uses ${hits.join('; ')}: review it before serving the model`, offset)];
  }
  return [
    finding('CHAT_TEMPLATE', 'info', `${where} is a Jinja chat template (${template.length} characters), rendered by inference servers; no dangerous constructs were found`, offset),
  ];
}
