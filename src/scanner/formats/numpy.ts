/**
 * numpy `.npy` and `.npz`. An .npy file is a magic string, a version, a header (a Python dict
 * literal: descr, fortran_order, shape) and the array data. When the dtype holds Python objects
 * ('O', or a structured dtype with an 'O' field), the data is a pickle: np.load only reads it
 * with allow_pickle=True, and then runs it. Such payloads are scanned with the numpy family and
 * always reported (medium at least). Plain arrays are checked for size: data that is missing or
 * that continues past the array is reported. An .npz is a zip of .npy members; each is scanned,
 * and members that are not .npy are handed back to the orchestrator as files of their own.
 */
import { openZip, type ZipMember } from '../archive/zip.js';
import type { FormatScanner, ScanTarget } from '../context.js';
import { analyzePickle, errorText, numpyItemSize } from '../pickle/analyze.js';
import { ByteReader, fileChunks, readableChunks } from '../pickle/byte-reader.js';
import { finding, type Finding, type ScanLimits } from '../types.js';

const MAGIC = Buffer.from('\x93NUMPY', 'latin1');

// ---------------------------------------------------------------------------------------------
// A strict parser for the header literal (numpy uses ast.literal_eval; nothing is evaluated here).

export type PyLiteral = string | number | boolean | null | PyLiteral[] | { tuple: PyLiteral[] } | Map<string, PyLiteral>;

class LiteralError extends Error {}

export function parsePyLiteral(text: string): PyLiteral {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && /\s/.test(text[i] as string)) i++;
  };
  const value = (depth: number): PyLiteral => {
    if (depth > 32) throw new LiteralError('nested too deeply');
    ws();
    const c = text[i];
    if (c === undefined) throw new LiteralError('unexpected end');
    if (c === "'" || c === '"') {
      const q = c;
      let out = '';
      i++;
      while (i < text.length && text[i] !== q) {
        if (text[i] === '\\') {
          const d = text[i + 1];
          if (d === undefined) throw new LiteralError('bad escape');
          out += d === 'n' ? '\n' : d === 't' ? '\t' : d;
          i += 2;
        } else out += text[i++] as string;
      }
      if (text[i] !== q) throw new LiteralError('unterminated string');
      i++;
      return out;
    }
    if (c === '{') {
      i++;
      const m = new Map<string, PyLiteral>();
      for (;;) {
        ws();
        if (text[i] === '}') {
          i++;
          return m;
        }
        const k = value(depth + 1);
        if (typeof k !== 'string') throw new LiteralError('dict keys must be strings');
        ws();
        if (text[i] !== ':') throw new LiteralError('expected :');
        i++;
        if (m.has(k)) throw new LiteralError(`duplicate key ${k}`);
        m.set(k, value(depth + 1));
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== '}') throw new LiteralError('expected , or }');
      }
    }
    if (c === '(' || c === '[') {
      const close = c === '(' ? ')' : ']';
      i++;
      const items: PyLiteral[] = [];
      let sawComma = false;
      for (;;) {
        ws();
        if (text[i] === close) {
          i++;
          break;
        }
        items.push(value(depth + 1));
        ws();
        if (text[i] === ',') {
          sawComma = true;
          i++;
        } else if (text[i] !== close) throw new LiteralError(`expected , or ${close}`);
      }
      if (c === '[') return items;
      return items.length === 1 && !sawComma ? (items[0] as PyLiteral) : { tuple: items };
    }
    const m = /^(True|False|None|-?\d+L?)/.exec(text.slice(i, i + 64));
    if (!m) throw new LiteralError(`unexpected ${JSON.stringify(text.slice(i, i + 10))}`);
    i += (m[1] as string).length;
    const tok = m[1] as string;
    if (tok === 'True') return true;
    if (tok === 'False') return false;
    if (tok === 'None') return null;
    const n = Number(tok.replace(/L$/, ''));
    if (!Number.isSafeInteger(n)) throw new LiteralError('integer out of range');
    return n;
  };
  const v = value(0);
  ws();
  if (i !== text.length) throw new LiteralError('trailing characters');
  return v;
}

/** Python's repr of a header literal, for messages. */
function pyRepr(v: PyLiteral): string {
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (v === null) return 'None';
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (v instanceof Map) return `{${[...v].map(([k, x]) => `'${k}': ${pyRepr(x)}`).join(', ')}}`;
  return v.tuple.length === 1 ? `(${pyRepr(v.tuple[0] as PyLiteral)},)` : `(${v.tuple.map(pyRepr).join(', ')})`;
}

function isTuple(v: PyLiteral | undefined): v is { tuple: PyLiteral[] } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Map);
}

/** itemsize and object-ness of an .npy descr (a type string or a structured list). */
export function descrInfo(descr: PyLiteral, depth = 0): { itemsize: number; object: boolean } | null {
  if (typeof descr === 'string') return numpyItemSize(descr);
  if (!Array.isArray(descr) || depth > 8) return null;
  let itemsize = 0;
  let object = false;
  for (const field of descr) {
    if (!isTuple(field) || field.tuple.length < 2 || field.tuple.length > 3) return null;
    const info = descrInfo(field.tuple[1] as PyLiteral, depth + 1);
    if (!info) return null;
    let count = 1;
    const shape = field.tuple[2];
    if (shape !== undefined) {
      const dims = isTuple(shape) ? shape.tuple : [shape];
      for (const d of dims) {
        if (typeof d !== 'number' || d < 0) return null;
        count *= d;
      }
    }
    itemsize += info.itemsize * count;
    object ||= info.object;
  }
  return { itemsize, object };
}

export interface NpyHeader {
  version: string;
  descr: PyLiteral;
  shape: number[];
  fortran: boolean;
  /** Offset of the array data (end of the header). */
  dataOffset: number;
}

/** Reads and validates an .npy header from the reader (positioned at the magic). */
async function readNpyHeader(reader: ByteReader, limits: ScanLimits): Promise<NpyHeader | string> {
  const pre = await reader.read(8);
  if (!pre) return 'the file is shorter than the .npy preamble';
  if (!pre.subarray(0, 6).equals(MAGIC)) return 'the file does not start with the .npy magic string';
  const major = pre[6] as number;
  const minor = pre[7] as number;
  if (major < 1 || major > 3) return `unsupported .npy format version ${major}.${minor}`;
  const lenBytes = await reader.read(major === 1 ? 2 : 4);
  if (!lenBytes) return 'the header length is truncated';
  const hlen = major === 1 ? lenBytes.readUInt16LE(0) : lenBytes.readUInt32LE(0);
  if (hlen > limits.maxHeaderBytes) return `the header is ${hlen} bytes, over the limit of ${limits.maxHeaderBytes}`;
  if (!(await reader.fill(hlen))) return 'the header is truncated';
  const raw = reader.buf.subarray(reader.pos, reader.pos + hlen);
  reader.pos += hlen;
  const text = major === 3 ? raw.toString('utf8') : raw.toString('latin1');
  let lit: PyLiteral;
  try {
    lit = parsePyLiteral(text.replace(/\n$/, ''));
  } catch (e) {
    return `the header is not a valid Python literal (${(e as Error).message})`;
  }
  if (!(lit instanceof Map)) return 'the header is not a dict';
  const keys = [...lit.keys()].sort().join(',');
  if (keys !== 'descr,fortran_order,shape') return `the header has keys ${keys}, expected descr, fortran_order and shape`;
  const shape = lit.get('shape');
  const fortran = lit.get('fortran_order');
  if (!isTuple(shape) || !shape.tuple.every((d) => typeof d === 'number' && d >= 0)) return 'shape is not a tuple of non-negative integers';
  if (typeof fortran !== 'boolean') return 'fortran_order is not a bool';
  return { version: `${major}.${minor}`, descr: lit.get('descr') as PyLiteral, shape: shape.tuple as number[], fortran, dataOffset: reader.offset };
}

interface NpyScan {
  size: number;
  limits: ScanLimits;
  member?: string;
}

/** Scans one .npy stream from its first byte. */
async function scanNpyReader(reader: ByteReader, o: NpyScan): Promise<Finding[]> {
  const at = (code: string, sev: Parameters<typeof finding>[1], msg: string, off: number | null): Finding => finding(code, sev, msg, off, o.member);
  const h = await readNpyHeader(reader, o.limits);
  if (typeof h === 'string') return [at('NUMPY_HEADER_INVALID', 'high', `not a readable .npy file: ${h}`, 0)];
  const info = descrInfo(h.descr);
  const dtype = pyRepr(h.descr).slice(0, 120);
  const shape = pyRepr({ tuple: h.shape });
  if (!info) return [at('NUMPY_HEADER_INVALID', 'high', `the dtype ${dtype} is not one numpy can read`, 8)];
  if (info.object) {
    const out: Finding[] = [
      at(
        'NUMPY_OBJECT_ARRAY',
        'medium',
        `the array (dtype ${dtype}, shape ${shape}) holds Python objects, stored as a pickle at offset ${h.dataOffset}; np.load refuses it unless allow_pickle=True, which runs that pickle`,
        h.dataOffset,
      ),
    ];
    const a = await analyzePickle(reader, { family: 'numpy', limits: o.limits, member: o.member, multiplePickles: 'note', label: 'the object-array pickle' });
    out.push(...a.findings);
    return out;
  }
  let count = 1;
  for (const d of h.shape) count *= d;
  const expected = count * info.itemsize;
  const actual = o.size - h.dataOffset;
  if (!Number.isSafeInteger(expected) || actual < expected) {
    return [at('NUMPY_DATA_SIZE', 'high', `the header announces ${expected} bytes of array data but only ${actual} follow: the file is truncated or the header lies`, h.dataOffset)];
  }
  if (actual > expected) {
    return [
      at(
        'NUMPY_TRAILING_DATA',
        'high',
        `${actual - expected} bytes follow the array data (from offset ${h.dataOffset + expected}); np.load ignores them, so anything can hide there`,
        h.dataOffset + expected,
      ),
    ];
  }
  return [];
}

/** Scans a .npy file. */
export const scanNpy: FormatScanner = async (t: ScanTarget) => {
  const reader = new ByteReader(fileChunks(t.abs));
  try {
    return await scanNpyReader(reader, { size: t.size, limits: t.limits });
  } finally {
    await reader.close();
  }
};

async function scanNpzMember(t: ScanTarget, open: (m: ZipMember) => Promise<import('node:stream').Readable>, m: ZipMember): Promise<Finding[]> {
  const stream = await open(m);
  const reader = new ByteReader(readableChunks(stream));
  let isNpy = false;
  try {
    isNpy = (await reader.fill(6)) && reader.buf.subarray(reader.pos, reader.pos + 6).equals(MAGIC);
    if (isNpy) {
      const out = await scanNpyReader(reader, { size: m.uncompressedSize, limits: t.limits, member: m.name });
      if (reader.sourceError && !out.some((f) => f.code === 'PICKLE_READ_ERROR')) {
        out.push(finding('ZIP_DATA_ERROR', 'high', `member ${m.name} cannot be read: ${errorText(reader.sourceError)}`, m.offset, m.name));
      }
      return out;
    }
  } finally {
    await reader.close();
    stream.destroy();
  }
  // Not an .npy: np.load hands its bytes back as-is; scan it as a file of its own.
  return t.scanNested(m.name, await open(m), m.uncompressedSize);
}

/** Scans an .npz file: every member, .npy or not. */
export const scanNpz: FormatScanner = async (t: ScanTarget) => {
  let zip;
  try {
    zip = await openZip(t.abs, t.limits);
  } catch (e) {
    return [finding('NUMPY_NPZ_INVALID', 'high', `not a readable .npz (zip) file: ${(e as Error).message}`, 0)];
  }
  const findings: Finding[] = [...zip.findings];
  try {
    for (const m of zip.members) {
      if (m.isDirectory || m.isSymlink || m.encrypted) continue;
      findings.push(...(await scanNpzMember(t, zip.open, m)));
    }
  } finally {
    zip.close();
  }
  return findings;
};
