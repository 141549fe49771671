/**
 * Strict safetensors validation: reads the 8-byte header length and the JSON header only (never
 * tensor data) and checks everything the reference Rust loader checks, plus what a lenient parser
 * would let slip: invalid UTF-8, duplicate keys (JSON.parse silently keeps the last one, so two
 * tools can disagree on a tensor's offsets), numbers beyond 2^53, gaps, overlaps and trailing bytes
 * in the data area (a place to hide a payload). Every inconsistency is a finding; none are fixed up.
 */
import { open } from 'node:fs/promises';
import type { ScanTarget } from '../context.js';
import { capFindings, finding, type Finding } from '../types.js';

/** The reference loader refuses headers over 100 MB (safetensors MAX_HEADER_SIZE). */
const REFERENCE_MAX_HEADER = 100_000_000;
/** serde_json's recursion limit: deeper JSON is refused by the reference loader. */
const MAX_JSON_DEPTH = 128;

/** Bits per element for every dtype the safetensors crate knows (0.6). */
const DTYPE_BITS: Readonly<Record<string, number>> = {
  BOOL: 8, F4: 4, F6_E2M3: 6, F6_E3M2: 6, U8: 8, I8: 8, F8_E5M2: 8, F8_E4M3: 8, F8_E8M0: 8, F8_E4M3FNUZ: 8, F8_E5M2FNUZ: 8,
  I16: 16, U16: 16, F16: 16, BF16: 16, I32: 32, U32: 32, F32: 32, C64: 64, F64: 64, I64: 64, U64: 64,
};

// ---------------------------------------------------------------------------------------------
// A strict JSON parser: numbers keep their source text (exact integers), objects are Maps (no
// prototype tricks), duplicate keys and lone surrogates are reported, depth is capped.

/** A JSON number, kept as written so that integers above 2^53 stay exact. */
export class JsonNumber {
  constructor(readonly raw: string) {}
  /** The value as a non-negative integer, or null when it is not written as one. */
  get unsigned(): bigint | null {
    return /^(0|[1-9]\d*)$/.test(this.raw) ? BigInt(this.raw) : null;
  }
}
export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | JsonObject;
export type JsonObject = Map<string, JsonValue>;

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    /** Character index in the text. */
    readonly pos: number,
  ) {
    super(message);
  }
}

export interface StrictJson {
  value: JsonValue;
  /** Keys that appear more than once in one object, with the position of the repeat and the object's path. */
  duplicates: { key: string; pos: number; path: string }[];
  /** Strings containing a lone UTF-16 surrogate (\ud800 without its pair): Rust's serde refuses them. */
  loneSurrogates: number[];
  /** Character position of each top-level key (when the root is an object). */
  topKeyPos: Map<string, number>;
}

/** Parses JSON strictly (RFC 8259 grammar, no trailing commas or comments). Throws JsonSyntaxError. */
export function parseStrictJson(text: string): StrictJson {
  let i = 0;
  const duplicates: StrictJson['duplicates'] = [];
  const loneSurrogates: number[] = [];
  const topKeyPos = new Map<string, number>();
  const fail = (msg: string): never => {
    throw new JsonSyntaxError(msg, i);
  };
  const ws = () => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else return;
    }
  };
  const str = (): string => {
    const start = i;
    i++; // opening quote
    let out = '';
    let from = i;
    for (;;) {
      if (i >= text.length) fail('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) break;
      if (c < 0x20) fail('control character inside a string');
      if (c !== 0x5c) {
        i++;
        continue;
      }
      out += text.slice(from, i);
      const e = text[i + 1];
      i += 2;
      if (e === 'u') {
        const hex = text.slice(i, i + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('bad \\u escape');
        out += String.fromCharCode(parseInt(hex, 16));
        i += 4;
      } else {
        const map: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        const m = e === undefined ? undefined : map[e];
        if (m === undefined) fail('bad escape sequence');
        out += m;
      }
      from = i;
    }
    out += text.slice(from, i);
    i++; // closing quote
    if (/\p{Cs}/u.test(out)) loneSurrogates.push(start);
    return out;
  };
  const num = (): JsonNumber => {
    const m = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    m.lastIndex = i;
    const r = m.exec(text);
    if (!r) return fail('bad number');
    i += r[0].length;
    return new JsonNumber(r[0]);
  };
  const value = (depth: number, path: string): JsonValue => {
    if (depth > MAX_JSON_DEPTH) fail(`nested deeper than ${MAX_JSON_DEPTH} levels`);
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const obj: JsonObject = new Map();
      ws();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a key');
        const keyPos = i;
        const key = str();
        ws();
        if (text[i] !== ':') fail('expected ":"');
        i++;
        const v = value(depth + 1, `${path}.${key}`);
        if (obj.has(key)) duplicates.push({ key, pos: keyPos, path });
        obj.set(key, v);
        if (depth === 0 && !topKeyPos.has(key)) topKeyPos.set(key, keyPos);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return obj;
        }
        fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      i++;
      const arr: JsonValue[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value(depth + 1, path));
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return arr;
        }
        fail('expected "," or "]"');
      }
    }
    if (c === '"') return str();
    if (text.startsWith('true', i)) return (i += 4), true;
    if (text.startsWith('false', i)) return (i += 5), false;
    if (text.startsWith('null', i)) return (i += 4), null;
    return num();
  };
  const root = value(0, '$');
  ws();
  if (i !== text.length) fail('unexpected content after the JSON value');
  return { value: root, duplicates, loneSurrogates, topKeyPos };
}

/** Index of the first byte that makes `buf` invalid UTF-8 (overlongs, surrogates, > U+10FFFF), or -1. */
export function firstInvalidUtf8(buf: Buffer): number {
  let i = 0;
  const n = buf.length;
  while (i < n) {
    const b = buf[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    let cp: number;
    if (b >= 0xc2 && b <= 0xdf) [need, min, cp] = [1, 0x80, b & 0x1f];
    else if (b >= 0xe0 && b <= 0xef) [need, min, cp] = [2, 0x800, b & 0x0f];
    else if (b >= 0xf0 && b <= 0xf4) [need, min, cp] = [3, 0x10000, b & 0x07];
    else return i;
    if (i + need >= n) return i;
    for (let k = 1; k <= need; k++) {
      const c = buf[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------

interface TensorSpan {
  name: string;
  begin: bigint;
  end: bigint;
  pos: number;
}

const q = (s: string) => JSON.stringify(s.length > 120 ? `${s.slice(0, 120)}…` : s);

/** Validates a safetensors file's header against its data area. Handles FileFormat 'safetensors'. */
export async function scanSafetensors(t: ScanTarget): Promise<Finding[]> {
  if (t.size < 8) return [finding('SAFETENSORS_HEADER', 'high', `the file is ${t.size} bytes, shorter than the 8-byte header length: it is truncated`, 0)];
  const fh = await open(t.abs, 'r');
  try {
    const lenBuf = Buffer.alloc(8);
    await fh.read(lenBuf, 0, 8, 0);
    const n = lenBuf.readBigUInt64LE(0);
    if (n > BigInt(t.size - 8)) {
      return [finding('SAFETENSORS_HEADER', 'high', `the header length field says ${n} bytes but only ${t.size - 8} bytes follow it: the file is truncated or the length is forged`, 0)];
    }
    if (n > BigInt(t.limits.maxHeaderBytes) || n > BigInt(REFERENCE_MAX_HEADER)) {
      const ref = n > BigInt(REFERENCE_MAX_HEADER);
      return [
        finding(
          ref ? 'SAFETENSORS_HEADER' : 'SCAN_LIMIT',
          'high',
          ref
            ? `the JSON header is ${n} bytes; the reference loader refuses headers over ${REFERENCE_MAX_HEADER} bytes`
            : `the JSON header is ${n} bytes, over the scan limit of ${t.limits.maxHeaderBytes} bytes: not checked`,
          0,
        ),
      ];
    }
    const headerLen = Number(n);
    const header = Buffer.alloc(headerLen);
    const { bytesRead } = await fh.read(header, 0, headerLen, 8);
    if (bytesRead !== headerLen) return [finding('SAFETENSORS_HEADER', 'high', 'the file ended while reading the JSON header', 8 + bytesRead)];
    return capFindings(validateHeader(header, BigInt(t.size - 8 - headerLen), 8 + headerLen));
  } catch (err) {
    return [finding('SCAN_ERROR', 'high', `the file could not be read: ${(err as Error).message}`, null)];
  } finally {
    await fh.close();
  }
}

/** Validates a raw header (bytes after the length field) against a data area of `dataSize` bytes starting at `dataStart`. */
export function validateHeader(header: Buffer, dataSize: bigint, dataStart: number): Finding[] {
  const out: Finding[] = [];
  const bad = firstInvalidUtf8(header);
  if (bad >= 0) {
    return [finding('SAFETENSORS_BAD_UTF8', 'high', `the JSON header is not valid UTF-8 (byte 0x${header[bad]!.toString(16)} at offset ${8 + bad}): parsers disagree on what such a header says`, 8 + bad)];
  }
  // ignoreBOM keeps a byte-order mark in the text so that it fails the '{' check below, as in Rust.
  const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(header);
  const at = (pos: number) => 8 + Buffer.byteLength(text.slice(0, pos));
  if (!text.startsWith('{')) return [finding('SAFETENSORS_HEADER', 'high', 'the JSON header does not start with "{": the reference loader refuses it', 8)];
  let parsed: StrictJson;
  try {
    parsed = parseStrictJson(text);
  } catch (err) {
    if (!(err instanceof JsonSyntaxError)) throw err;
    return [finding('SAFETENSORS_HEADER', 'high', `the JSON header does not parse (${err.message} at offset ${at(err.pos)}): the file cannot be loaded and cannot be checked`, at(err.pos))];
  }
  for (const d of parsed.duplicates) {
    out.push(
      finding(
        'SAFETENSORS_DUPLICATE_KEY',
        'high',
        `key ${q(d.key)} appears more than once in ${d.path === '$' ? 'the header' : q(d.path.slice(2))}: loaders keep different copies, so what gets loaded is not what was checked`,
        at(d.pos),
      ),
    );
  }
  for (const pos of parsed.loneSurrogates) {
    out.push(finding('SAFETENSORS_HEADER', 'high', 'a string in the header escapes an unpaired UTF-16 surrogate (\\udXXX): the reference loader refuses it, other parsers accept it', at(pos)));
  }
  const root = parsed.value;
  if (!(root instanceof Map)) return [...out, finding('SAFETENSORS_HEADER', 'high', 'the JSON header is not an object', 8)];

  const spans: TensorSpan[] = [];
  let unreadable = 0;
  for (const [name, entry] of root) {
    const pos = at(parsed.topKeyPos.get(name) ?? 0);
    if (name === '__metadata__') {
      const ok = entry instanceof Map && [...entry.values()].every((v) => typeof v === 'string');
      if (!ok) out.push(finding('SAFETENSORS_METADATA', 'high', '__metadata__ must map strings to strings; the reference loader refuses anything else', pos));
      continue;
    }
    const span = checkTensor(name, entry, pos, dataSize, out);
    if (span) spans.push(span);
    else unreadable++;
  }

  spans.sort((a, b) => (a.begin < b.begin ? -1 : a.begin > b.begin ? 1 : a.end < b.end ? -1 : a.end > b.end ? 1 : 0));
  let covered = 0n;
  let last: TensorSpan | null = null;
  for (const s of spans) {
    if (s.begin < covered && last) {
      out.push(
        finding(
          'SAFETENSORS_OVERLAP',
          'high',
          `tensor ${q(s.name)} [${s.begin}, ${s.end}) overlaps tensor ${q(last.name)} [${last.begin}, ${last.end}): two tensors share bytes, which no writer produces`,
          s.pos,
        ),
      );
    } else if (s.begin > covered && unreadable === 0) {
      out.push(
        finding(
          'SAFETENSORS_GAP',
          'high',
          `${s.begin - covered} bytes of the data area before tensor ${q(s.name)} (offsets ${covered}–${s.begin}) belong to no tensor: unreferenced bytes can hide a payload, and the reference loader refuses the file`,
          dataStart + Number(covered),
        ),
      );
    }
    if (s.end > covered) {
      covered = s.end;
      last = s;
    }
  }
  // Coverage is only meaningful when every entry could be read (a bad entry is already a finding).
  if (covered < dataSize && unreadable === 0) {
    out.push(
      finding(
        'SAFETENSORS_TRAILING_DATA',
        'high',
        `${dataSize - covered} bytes after the last tensor belong to no tensor: trailing bytes can hide a payload (a pickle, say), and the reference loader refuses the file`,
        dataStart + Number(covered),
      ),
    );
  }
  return out;
}

function checkTensor(name: string, entry: JsonValue, pos: number, dataSize: bigint, out: Finding[]): TensorSpan | null {
  const bad = (code: string, why: string) => {
    out.push(finding(code, 'high', `tensor ${q(name)}: ${why}`, pos));
    return null;
  };
  if (!(entry instanceof Map)) return bad('SAFETENSORS_TENSOR_INFO', 'its entry is not an object with dtype, shape and data_offsets');
  const extra = [...entry.keys()].filter((k) => k !== 'dtype' && k !== 'shape' && k !== 'data_offsets');
  if (extra.length) out.push(finding('SAFETENSORS_EXTRA_FIELD', 'low', `tensor ${q(name)} has fields the format does not define: ${extra.map(q).join(', ')}`, pos));
  const dtype = entry.get('dtype');
  const shape = entry.get('shape');
  const offsets = entry.get('data_offsets');
  if (typeof dtype !== 'string' || DTYPE_BITS[dtype] === undefined) {
    return bad('SAFETENSORS_DTYPE', `dtype ${typeof dtype === 'string' ? q(dtype) : 'is missing or not a string'}${typeof dtype === 'string' ? ' is not a safetensors dtype' : ''}: its byte size cannot be known`);
  }
  if (!Array.isArray(shape) || shape.some((d) => !(d instanceof JsonNumber) || d.unsigned === null)) {
    return bad('SAFETENSORS_SHAPE', 'shape must be a list of non-negative integers');
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || offsets.some((d) => !(d instanceof JsonNumber) || d.unsigned === null)) {
    return bad('SAFETENSORS_TENSOR_INFO', 'data_offsets must be a list of two non-negative integers [begin, end]');
  }
  const begin = (offsets[0] as JsonNumber).unsigned!;
  const end = (offsets[1] as JsonNumber).unsigned!;
  if (end < begin) return bad('SAFETENSORS_OUT_OF_RANGE', `data_offsets [${begin}, ${end}] end before they begin`);
  const numel = shape.reduce<bigint>((p, d) => p * (d as JsonNumber).unsigned!, 1n);
  const bits = numel * BigInt(DTYPE_BITS[dtype]);
  const MAX_USIZE = 2n ** 64n - 1n;
  if (bits > MAX_USIZE) return bad('SAFETENSORS_SIZE_MISMATCH', `shape [${shape.map((d) => (d as JsonNumber).raw).join(', ')}] overflows 64 bits`);
  if (bits % 8n !== 0n) return bad('SAFETENSORS_SIZE_MISMATCH', `${numel} elements of ${dtype} do not fill whole bytes`);
  if (bits / 8n !== end - begin) {
    bad('SAFETENSORS_SIZE_MISMATCH', `shape × ${dtype} is ${bits / 8n} bytes but data_offsets [${begin}, ${end}] span ${end - begin} bytes`);
  }
  if (end > dataSize) return bad('SAFETENSORS_OUT_OF_RANGE', `data_offsets [${begin}, ${end}] run past the data area of ${dataSize} bytes`);
  return { name, begin, end, pos };
}
