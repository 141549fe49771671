/**
 * What a file is, from its bytes: magic numbers and structure first, the name only to choose
 * between formats that share a structure (protobuf has no magic: ONNX, SavedModel, SentencePiece).
 * A file that matches nothing is 'unknown', which the scanner blocks inside a model folder.
 */
import path from 'node:path';
import { openZip } from './archive/zip.js';
import { sniffCompression, sniffPickle } from './formats/pickle.js';
import { startsWithTorchMagic } from './formats/pytorch.js';
import { DEFAULT_LIMITS, type FileFormat } from './types.js';

export const HEAD_BYTES = 64 * 1024;

const startsWith = (b: Buffer, sig: number[] | string, at = 0) => {
  const s = typeof sig === 'string' ? Buffer.from(sig, 'latin1') : Buffer.from(sig);
  return b.length >= at + s.length && b.subarray(at, at + s.length).equals(s);
};

/** The legacy torch.save magic number 0x1950a86a20f9469cfc6c pickled with protocol 2 as LONG1. */
const TORCH_LEGACY_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

function isUtf8Text(head: Buffer, complete: boolean): boolean {
  // Text has no control characters other than tab, newlines, form feed and escape.
  for (const b of head) if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c && b !== 0x1b) return false;
  // A cut in the middle of a multi-byte character at the end of the head is not an error.
  let end = head.length;
  if (!complete) while (end > 0 && end > head.length - 4 && ((head[end - 1] ?? 0) & 0xc0) === 0x80) end--;
  if (!complete && end > 0 && (head[end - 1] ?? 0) >= 0xc0) end--;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, end));
    return true;
  } catch {
    return false;
  }
}

/** A Windows PE file: "MZ", and the PE signature where the DOS header points (when within the head). */
function isPortableExecutable(head: Buffer): boolean {
  if (!startsWith(head, 'MZ') || head.length < 0x40) return false;
  const at = head.readUInt32LE(0x3c);
  return at + 4 <= head.length ? startsWith(head, 'PE\0\0', at) : true;
}

/** Top-level protobuf field numbers of `head`, or null when it is not a well-formed message prefix. */
export function protobufFields(head: Buffer, complete: boolean): Set<number> | null {
  const fields = new Set<number>();
  let i = 0;
  const varint = (): number | null => {
    let v = 0;
    let mul = 1;
    for (let n = 0; n < 10; n++) {
      if (i >= head.length) return null;
      const b = head[i++] ?? 0;
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
    }
    return null;
  };
  while (i < head.length) {
    const key = varint();
    if (key === null) return complete ? null : fields;
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (field === 0 || field > 1000) return null;
    fields.add(field);
    if (wire === 0) {
      if (varint() === null) return complete ? null : fields;
    } else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else if (wire === 2) {
      const len = varint();
      if (len === null) return complete ? null : fields;
      i += len;
    } else return null;
    if (i > head.length) return complete ? null : fields;
  }
  return fields;
}

/** Formats of a zip file, by its members. */
async function zipKind(abs: string): Promise<FileFormat> {
  const zip = await openZip(abs, DEFAULT_LIMITS).catch(() => null);
  if (!zip) return 'zip';
  try {
    const names = zip.members.map((m) => m.name);
    if (names.some((n) => n === 'data.pkl' || n.endsWith('/data.pkl'))) return 'pytorch-zip';
    if (names.length > 0 && names.every((n) => n.endsWith('.npy'))) return 'numpy-npz';
    if (names.includes('config.json') && (names.includes('model.weights.h5') || names.includes('metadata.json'))) return 'keras';
    return 'zip';
  } finally {
    zip.close();
  }
}

async function pickleKind(head: Buffer, complete: boolean): Promise<FileFormat | null> {
  // The magic number as torch writes it, or written any other way: torch.load reads the value.
  if (startsWith(head, TORCH_LEGACY_MAGIC) || (await startsWithTorchMagic(head))) return 'pytorch-legacy';
  // Protocol 2+ has a PROTO opcode; protocol 0/1 has no magic and can look like text
  // ("(S'touch x'\nios\nsystem\n."): sniffPickle interprets the start to decide.
  if (!(await sniffPickle(head, complete))) return null;
  const text = head.toString('latin1');
  if (text.includes('joblib.numpy_pickle') || text.includes('NumpyArrayWrapper')) return 'joblib';
  return 'pickle';
}

/**
 * Detects a file's format. `head` is its first bytes (HEAD_BYTES or the whole file when
 * smaller), `size` its length, `name` its path (for tie-breaks only), `abs` to look into zips.
 */
export async function detectFormat(head: Buffer, size: number, name: string, abs: string): Promise<FileFormat> {
  const base = path.posix.basename(name).toLowerCase();
  const complete = head.length >= size;
  if (size === 0) return 'text';
  if (startsWith(head, 'PK\x03\x04') || startsWith(head, 'PK\x05\x06')) return zipKind(abs);
  if (startsWith(head, 'GGUF')) return 'gguf';
  if (startsWith(head, '\x93NUMPY')) return 'numpy-npy';
  if (startsWith(head, [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a])) return 'hdf5';
  if (startsWith(head, 'TFL3', 4)) return 'tflite';
  // joblib compresses pickles (zlib, gzip, bz2, xz, lz4) and keeps the .joblib / .pkl name.
  if (/\.(joblib|pkl|pickle)(\.(gz|z|bz2|xz|lzma|lz4))?$/.test(base) && sniffCompression(head) !== 'none') return 'joblib';
  if (startsWith(head, [0x1f, 0x8b])) return 'gzip';
  if (startsWith(head, 'ustar', 257)) return 'tar';
  // TensorFlow reads checkpoint shards as raw numbers; the index is checked by the SavedModel scanner.
  if (/(^|\/)variables\.(index|data-\d{5}-of-\d{5})$/.test(name) || ['fingerprint.pb', 'keras_metadata.pb', 'saved_model.pbtxt'].includes(base)) return 'savedmodel';
  if (startsWith(head, '\x7fELF') || isPortableExecutable(head) || [0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe, 0xcafebabe].includes(head.length >= 4 ? head.readUInt32BE(0) : 0)) {
    return 'executable';
  }
  if (head.length >= 9 && head[8] === 0x7b) {
    const n = head.readBigUInt64LE(0);
    if (n > 1n && n <= BigInt(size - 8)) return 'safetensors';
  }
  if (startsWith(head, 'ZF0x')) return 'joblib';
  const pk = await pickleKind(head, complete);
  if (pk) return pk;
  if (isUtf8Text(head, complete)) {
    const text = head.toString('utf8');
    const trimmed = text.replace(/^\uFEFF/, '').trimStart();
    if (text.startsWith('#!')) return /^#![^\n]*python/.test(text) ? 'python' : 'shell';
    if (base.endsWith('.py') || base.endsWith('.pyw')) return 'python';
    if (/\.(sh|bash|zsh|ps1|bat|cmd)$/.test(base)) return 'shell';
    if ((trimmed.startsWith('{') || trimmed.startsWith('[')) && (base.endsWith('.json') || base.endsWith('.jsonl') || trimmed.startsWith('{'))) return 'json';
    return 'text';
  }
  // Protobuf: no magic number; the structure must parse and the fields fit the schema.
  const fields = protobufFields(head, complete);
  if (fields && fields.size > 0) {
    if (base === 'saved_model.pb' || base === 'saved_model.pbtxt') return 'savedmodel';
    if (fields.has(7) || fields.has(8)) return 'onnx';
    if (base.endsWith('.model') && fields.has(1)) return 'sentencepiece';
    if (fields.has(1) && fields.has(2) && [...fields].every((f) => f <= 2)) return 'savedmodel';
  }
  return 'unknown';
}
