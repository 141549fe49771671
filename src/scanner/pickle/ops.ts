/**
 * What the pickle interpreter (PickleMachine) and the validator (PickleValidator) share: control
 * flow signals, limits and buffering constants, and the parsing of opcode arguments exactly as
 * CPython's `_pickle.c` parses them (Fail carries CPython's error message).
 */
import { mapPython2Name } from './globals.js';
import type { GlobalVia, LimitInfo, MachineLimits, PickleErrorInfo, PyGlobal, PyValue } from './values.js';

export interface MachineOptions {
  limits: MachineLimits;
  /** Stop after this many pickles (default: all the stream holds). */
  maxPickles?: number;
  /** Items kept per container (elements; dict keys and values count separately). */
  itemCap?: number;
  /** A pickle inside another stream (joblib object arrays): reported pickle indexes continue. */
  pickleIndexBase?: number;
}

/** Control-flow signal: the current opcode needs more bytes than are buffered. */
export class NeedMore extends Error {
  constructor(
    readonly bytes: number,
    readonly lines = 0,
  ) {
    super('need more bytes');
  }
}

/** The stream is not a pickle CPython would load (CPython's error message). */
export class Fail extends Error {
  constructor(
    readonly kind: PickleErrorInfo['kind'],
    message: string,
  ) {
    super(message);
  }
}

export class LimitHit extends Error {
  constructor(
    readonly what: LimitInfo['what'],
    readonly limit: number,
  ) {
    super(`limit ${what}`);
  }
}

export const ST_NEED = 1;
export const ST_STOP = 2;
export const ST_SKIP = 3;
export const ST_SKIPLINE = 4;
export const ST_ACTION = 5;
export const ST_ACTIVE = 6;

export const LINE_MAX = 64 * 1024;
export const STR_KEEP = 4096;
export const STR_HEAD = 256;
export const BYTES_HEAD = 64;
export const NESTED_KEEP = 1024 * 1024;
export const NESTED_BUDGET = 8 * 1024 * 1024;
export const HIGHEST_PROTOCOL = 5;
/** STOP values kept per stream (a stream of millions of tiny pickles must not grow memory). */
export const MAX_RESULTS = 64;

// BINFLOAT decoding without a call (little-endian hosts: bytes reversed into the double).
export const F64 = new Float64Array(1);
export const F64_BYTES = new Uint8Array(F64.buffer);
if (new Uint8Array(new Float64Array([1]).buffer)[7] !== 0x3f) throw new Error('pickle interpreter: big-endian hosts are not supported');

/** A short ASCII string straight from the bytes (no C++ round trip); null when not ASCII. */
export function shortAscii(b: Buffer, a: number, n: number): string | null {
  let or = 0;
  for (let i = 0; i < n; i++) or |= b[a + i] as number;
  if (or > 0x7f) return null;
  switch (n) {
    case 0:
      return '';
    case 1:
      return String.fromCharCode(b[a] as number);
    case 2:
      return String.fromCharCode(b[a] as number, b[a + 1] as number);
    case 3:
      return String.fromCharCode(b[a] as number, b[a + 1] as number, b[a + 2] as number);
    case 4:
      return String.fromCharCode(b[a] as number, b[a + 1] as number, b[a + 2] as number, b[a + 3] as number);
    case 5:
      return String.fromCharCode(b[a] as number, b[a + 1] as number, b[a + 2] as number, b[a + 3] as number, b[a + 4] as number);
    case 6:
      return String.fromCharCode(b[a] as number, b[a + 1] as number, b[a + 2] as number, b[a + 3] as number, b[a + 4] as number, b[a + 5] as number);
    case 7:
      return String.fromCharCode(b[a] as number, b[a + 1] as number, b[a + 2] as number, b[a + 3] as number, b[a + 4] as number, b[a + 5] as number, b[a + 6] as number);
    case 8:
      return String.fromCharCode(b[a] as number, b[a + 1] as number, b[a + 2] as number, b[a + 3] as number, b[a + 4] as number, b[a + 5] as number, b[a + 6] as number, b[a + 7] as number);
    case 9:
      return String.fromCharCode(b[a] as number, b[a + 1] as number, b[a + 2] as number, b[a + 3] as number, b[a + 4] as number, b[a + 5] as number, b[a + 6] as number, b[a + 7] as number, b[a + 8] as number);
    case 10:
      return String.fromCharCode(b[a] as number, b[a + 1] as number, b[a + 2] as number, b[a + 3] as number, b[a + 4] as number, b[a + 5] as number, b[a + 6] as number, b[a + 7] as number, b[a + 8] as number, b[a + 9] as number);
    case 11:
      return String.fromCharCode(b[a] as number, b[a + 1] as number, b[a + 2] as number, b[a + 3] as number, b[a + 4] as number, b[a + 5] as number, b[a + 6] as number, b[a + 7] as number, b[a + 8] as number, b[a + 9] as number, b[a + 10] as number);
    case 12:
      return String.fromCharCode(b[a] as number, b[a + 1] as number, b[a + 2] as number, b[a + 3] as number, b[a + 4] as number, b[a + 5] as number, b[a + 6] as number, b[a + 7] as number, b[a + 8] as number, b[a + 9] as number, b[a + 10] as number, b[a + 11] as number);
    default:
      return (shortAscii(b, a, 12) as string) + (shortAscii(b, a + 12, n - 12) as string);
  }
}

export const TUPLE_CAP = 64;

const utf8Fatal = new TextDecoder('utf-8', { fatal: true });

// Buffer#latin1Slice / #utf8Slice skip toString's argument handling; they exist in every Node
// release but are not in the type definitions, hence the fallback.
interface SliceMethods {
  latin1Slice?(start: number, end: number): string;
  utf8Slice?(start: number, end: number): string;
}
const proto = Buffer.prototype as unknown as SliceMethods;
export const latin1: (b: Buffer, start: number, end: number) => string =
  typeof proto.latin1Slice === 'function' ? (b, s, e) => (b as unknown as Required<SliceMethods>).latin1Slice(s, e) : (b, s, e) => b.toString('latin1', s, e);
export const utf8: (b: Buffer, start: number, end: number) => string =
  typeof proto.utf8Slice === 'function' ? (b, s, e) => (b as unknown as Required<SliceMethods>).utf8Slice(s, e) : (b, s, e) => b.toString('utf8', s, e);

/** Validates UTF-8 the way CPython's "surrogatepass" decoder does (encoded surrogates allowed). */
export function validUtf8SurrogatePass(b: Buffer, start: number, end: number): boolean {
  let i = start;
  while (i < end) {
    const c = b[i] as number;
    if (c < 0x80) {
      i++;
      continue;
    }
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c === 0xe0) {
      n = 2;
      lo = 0xa0;
    } else if (c >= 0xe1 && c <= 0xef) n = 2;
    else if (c === 0xf0) {
      n = 3;
      lo = 0x90;
    } else if (c >= 0xf1 && c <= 0xf3) n = 3;
    else if (c === 0xf4) {
      n = 3;
      hi = 0x8f;
    } else return false;
    if (i + n > end - 1) return false;
    const c1 = b[i + 1] as number;
    if (c1 < lo || c1 > hi) return false;
    for (let j = 2; j <= n; j++) {
      const cj = b[i + j] as number;
      if (cj < 0x80 || cj > 0xbf) return false;
    }
    i += n + 1;
  }
  return true;
}

/** CPython's PyLong_FromString(s, base): digits with optional sign, underscores between digits. */
function parsePyLong(text: string, base: 0 | 10): bigint | null {
  let s = text.trim();
  let neg = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    neg = s.startsWith('-');
    s = s.slice(1);
  }
  let radix = 10;
  if (base === 0) {
    const p = s.slice(0, 2).toLowerCase();
    if (p === '0x') radix = 16;
    else if (p === '0o') radix = 8;
    else if (p === '0b') radix = 2;
    if (radix !== 10) {
      s = s.slice(2);
      if (s.startsWith('_')) s = s.slice(1);
    } else if (/^0+[1-9]/.test(s.replace(/_/g, ''))) return null; // base 0: no leading zeros
  }
  if (s === '' || s.startsWith('_') || s.endsWith('_') || s.includes('__')) return null;
  const digits = s.replace(/_/g, '');
  // CPython (3.11+) refuses decimal strings longer than 4300 digits.
  if (radix === 10 && digits.length > 4300) throw new Fail('value', 'Exceeds the limit (4300 digits) for integer string conversion');
  if (digits.length > 20_000) throw new Fail('value', 'integer literal too long');
  const valid = radix === 16 ? /^[0-9a-fA-F]+$/ : radix === 8 ? /^[0-7]+$/ : radix === 2 ? /^[01]+$/ : /^[0-9]+$/;
  if (!valid.test(digits)) return null;
  const prefix = radix === 16 ? '0x' : radix === 8 ? '0o' : radix === 2 ? '0b' : '';
  const v = BigInt(prefix + digits);
  return neg ? -v : v;
}

/** C strtol(s, &end, 0) on a whole line: returns the value or null when it stops early or overflows. */
function parseCStrtol(text: string): bigint | null {
  if (text.length > 32) return null; // beyond a C long whatever the notation
  const m = /^[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (!m) return null;
  const body = m[2] as string;
  let v: bigint;
  if (/^0[xX]/.test(body)) v = BigInt(body);
  else if (body.startsWith('0')) v = body.length > 1 ? BigInt('0o' + body.slice(1)) : 0n;
  else v = BigInt(body);
  if (m[1] === '-') v = -v;
  if (v > 0x7fffffffffffffffn || v < -0x8000000000000000n) return null;
  return v;
}

export function smallest(v: bigint): number | bigint {
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
}

/** Python's bytes escape decoding (PyBytes_DecodeEscape), to latin1 text. */
function decodeBytesEscape(s: string): string {
  if (!s.includes('\\')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c !== '\\' || i + 1 >= s.length) {
      out += c;
      continue;
    }
    const d = s[++i] as string;
    switch (d) {
      case '\n':
        break;
      case '\\':
      case "'":
      case '"':
        out += d;
        break;
      case 'a':
        out += '\x07';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'v':
        out += '\v';
        break;
      case 'x': {
        const hex = s.slice(i + 1, i + 3);
        if (/^[0-9a-fA-F]{2}$/.test(hex)) {
          out += String.fromCharCode(parseInt(hex, 16));
          i += 2;
        } else throw new Fail('value', 'invalid \\x escape in a STRING argument');
        break;
      }
      default:
        if (d >= '0' && d <= '7') {
          let oct = d;
          while (oct.length < 3 && i + 1 < s.length && (s[i + 1] as string) >= '0' && (s[i + 1] as string) <= '7') oct += s[++i] as string;
          out += String.fromCharCode(parseInt(oct, 8) & 0xff);
        } else out += '\\' + d;
    }
  }
  return out;
}

/** raw-unicode-escape decoding (UNICODE opcode): only \uXXXX and \UXXXXXXXX are escapes. */
function decodeRawUnicodeEscape(b: Buffer, start: number, end: number): string {
  const s = latin1(b, start, end);
  if (!s.includes('\\u') && !s.includes('\\U')) return s;
  return s.replace(/\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8})/g, (_m: string, g: string) => {
    const cp = parseInt(g.slice(1), 16);
    if (cp > 0x10ffff) throw new Fail('value', 'raw-unicode-escape: code point out of range');
    return String.fromCodePoint(cp);
  });
}

/**
 * The argument of INT, LONG, FLOAT, STRING or UNICODE (one line, without its newline), parsed the
 * way CPython parses it. Throws Fail where CPython raises.
 */
export function textValue(op: number, buf: Buffer, start: number, nl: number): { value: PyValue; irregular: string | null } {
  switch (op) {
    case 0x49: {
      // INT: C strtol(base 0) first, then Python's int(s, 0); "00"/"01" are booleans
      const text = latin1(buf, start, nl);
      if (text.length === 0) throw new Fail('truncated', 'pickle data was truncated (empty INT line)');
      const note = `INT argument ${JSON.stringify(text.slice(0, 40))} is not in canonical form`;
      const c = parseCStrtol(text);
      if (c !== null) {
        const canonical = /^-?(0|[1-9][0-9]*)$/.test(text) || text === '00' || text === '01';
        return { value: text.length === 2 && (c === 0n || c === 1n) ? c === 1n : smallest(c), irregular: canonical ? null : note };
      }
      const v = parsePyLong(text, 0);
      if (v === null) throw new Fail('value', 'could not convert string to int');
      return { value: smallest(v), irregular: note };
    }
    case 0x4c: {
      // LONG: an optional trailing L
      let text = latin1(buf, start, nl);
      if (text.length === 0) throw new Fail('truncated', 'pickle data was truncated (empty LONG line)');
      if (text.endsWith('L')) text = text.slice(0, -1);
      const v = parsePyLong(text, 0);
      if (v === null) throw new Fail('value', 'invalid literal for int() in a LONG argument');
      return { value: smallest(v), irregular: /^-?(0|[1-9][0-9]*)$/.test(text) ? null : `LONG argument ${JSON.stringify(text.slice(0, 40))} is not in canonical form` };
    }
    case 0x46: {
      // FLOAT
      const text = latin1(buf, start, nl);
      if (text.length === 0) throw new Fail('truncated', 'pickle data was truncated (empty FLOAT line)');
      if (!/^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|inf(inity)?|nan)$/i.test(text)) throw new Fail('value', 'could not convert string to float');
      const lower = text.toLowerCase().replace(/^\+/, '');
      return { value: lower.includes('inf') ? (lower.startsWith('-') ? -Infinity : Infinity) : lower.includes('nan') ? NaN : Number(text), irregular: null };
    }
    case 0x53: {
      // STRING: quoted, Python bytes escapes, then decoded (latin1: lenient)
      const text = latin1(buf, start, nl);
      const q = text[0];
      if (text.length < 2 || text[text.length - 1] !== q || (q !== "'" && q !== '"')) throw new Fail('value', 'the STRING opcode argument must be quoted');
      const v = decodeBytesEscape(text.slice(1, -1));
      return { value: v.length <= STR_KEEP ? v : { k: 'strtrunc', len: v.length, head: v.slice(0, STR_HEAD) }, irregular: null };
    }
    default: {
      // UNICODE: raw-unicode-escape
      const v = decodeRawUnicodeEscape(buf, start, nl);
      return { value: v.length <= STR_KEEP ? v : { k: 'strtrunc', len: v.length, head: v.slice(0, STR_HEAD) }, irregular: null };
    }
  }
}

/** The memo index of GET / PUT (base 10, like CPython). Throws Fail where CPython raises. */
export function memoIndexArg(op: number, buf: Buffer, start: number, nl: number): { index: number; irregular: string | null } {
  const text = latin1(buf, start, nl);
  if (text.length === 0) throw new Fail('truncated', 'pickle data was truncated (empty memo index)');
  const v = parsePyLong(text, 10);
  if (v === null) throw new Fail('value', `invalid literal for int() with base 10: ${JSON.stringify(text.slice(0, 40))}`);
  if (op === 0x70 && v < 0n) throw new Fail('value', 'negative PUT argument');
  if (v > 1n << 40n) throw new Fail('value', 'memo index too large (CPython runs out of memory resizing its memo)');
  return { index: Number(v), irregular: /^(0|[1-9][0-9]*)$/.test(text) ? null : `memo index ${JSON.stringify(text.slice(0, 40))} is not in canonical form` };
}

// Memo paging: dense indices in pages of one byte (or bits) per entry, the rest in a map.
export const PAGE_BITS = 14;
export const PAGE = 1 << PAGE_BITS;
export const DENSE_LIMIT = 1 << 25;
export const SPARSE_LIMIT = 100_000;

/** UTF-8 as CPython's unpickler decodes it ("surrogatepass": encoded surrogates are accepted). */
export function decodeUtf8(buf: Buffer, start: number, end: number): string {
  const s = utf8(buf, start, end);
  if (s.includes('\ufffd')) {
    try {
      utf8Fatal.decode(buf.subarray(start, end));
    } catch {
      if (!validUtf8SurrogatePass(buf, start, end)) throw new Fail('value', "'utf-8' codec can't decode a string argument");
    }
  }
  return s;
}

/** The module and name lines of GLOBAL / INST (CPython: UTF-8 for GLOBAL, ASCII for INST). */
export function globalLines(op: number, buf: Buffer, pos: number, end: number): { module: string; name: string; next: number } {
  const nl1 = buf.indexOf(10, pos + 1);
  const nl2 = nl1 >= 0 && nl1 < end ? buf.indexOf(10, nl1 + 1) : -1;
  if (nl1 < 0 || nl1 >= end || nl2 < 0 || nl2 >= end) {
    if (end - pos > 2 * LINE_MAX) throw new Fail('value', 'a module or class name is longer than 64 KiB');
    throw new NeedMore(1, 2);
  }
  if (nl1 - pos - 1 < 1 || nl2 - nl1 - 1 < 1) throw new Fail('truncated', 'pickle data was truncated (empty module or name line)');
  const text = op === 0x63 ? decodeUtf8 : ascii;
  return { module: text(buf, pos + 1, nl1), name: text(buf, nl1 + 1, nl2), next: nl2 + 1 };
}

export function ascii(buf: Buffer, start: number, end: number): string {
  for (let i = start; i < end; i++) if ((buf[i] as number) > 0x7f) throw new Fail('value', "'ascii' codec can't decode a name");
  return latin1(buf, start, end);
}

/** The globals of one stream: one PyGlobal per distinct (module, name) as find_class sees it. */
export class GlobalTable {
  private readonly byKey = new Map<string, PyGlobal>();

  constructor(private readonly max: number) {}

  resolve(rawModule: string, rawName: string, proto: number, offset: number, via: GlobalVia): PyGlobal {
    const { module, name } = mapPython2Name(rawModule, rawName, proto);
    const key = `${module}\n${name}`;
    let g = this.byKey.get(key);
    if (!g) {
      if (this.byKey.size >= this.max) throw new LimitHit('globals', this.max);
      g = { k: 'global', module, name, offset, via };
      if (module !== rawModule || name !== rawName) {
        g.rawModule = rawModule;
        g.rawName = rawName;
      }
      this.byKey.set(key, g);
    }
    return g;
  }
}

/** Default machine limits derived from the scanner's ScanLimits. */
export function machineLimits(l: { maxPickleOps: number; maxPickleStack: number; maxPickleMemo: number }): MachineLimits {
  return { maxOps: l.maxPickleOps, maxStack: l.maxPickleStack, maxMemo: l.maxPickleMemo, maxGlobals: 100_000 };
}

/** The error CPython raises for an unknown opcode byte. */
export function invalidOpcode(op: number): Fail {
  const c = String.fromCharCode(op);
  const shown = op >= 0x20 && op <= 0x7e && c !== "'" && c !== '\\' ? `'${c}'` : `'\\x${op.toString(16).padStart(2, '0')}'`;
  return new Fail('opcode', `invalid load key, ${shown}`);
}

/** Starts with a PROTO opcode (protocol 2 to 5 begin so; 0 and 1 have no magic). */
export function startsWithProto(head: Buffer): boolean {
  return head.length >= 2 && head[0] === 0x80 && (head[1] as number) <= 5;
}
