/**
 * Plain pickle files and joblib files. joblib writes a pickle in which each numpy array is a
 * `NumpyArrayWrapper` followed by the raw array bytes (or, for object arrays, a nested pickle),
 * optionally compressed as a whole (zlib, gzip, bz2, xz, lzma, lz4: all decompressed as a
 * stream, capped, see archive/decompress.ts).
 *
 * joblib files are read the way joblib.load reads them (array bytes skipped by the size the
 * wrapper declares). Because the same file could instead be given to pickle.load, which reads
 * those bytes as opcodes, a second pass checks what pickle.load would do with them.
 */
import { decompressFile } from '../archive/decompress.js';
import { inflateCap } from '../archive/zip.js';
import type { FormatScanner, ScanTarget } from '../context.js';
import { analyzePickleSource, type PickleScanOptions } from '../pickle/analyze.js';
import type { PickleFamily } from '../pickle/globals.js';
import { ByteReader, fileChunks } from '../pickle/byte-reader.js';
import { PickleMachine } from '../pickle/interpreter.js';
import { startsWithProto } from '../pickle/ops.js';
import { scanTorchBlob } from './pytorch.js';
import { finding, type Finding } from '../types.js';

export type Compression = 'none' | 'zlib' | 'gzip' | 'joblib-compat' | 'bz2' | 'xz' | 'lzma' | 'lz4';

/** How the file is compressed, from its first bytes (joblib's own detection, plus zlib header validity). */
export function sniffCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x78 && ((head[0] << 8) | (head[1] as number)) % 31 === 0) return 'zlib';
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.subarray(0, 2).toString('latin1') === 'ZF') return 'joblib-compat';
  if (head.subarray(0, 3).toString('latin1') === 'BZh') return 'bz2';
  if (head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (head.subarray(0, 3).equals(Buffer.from([0x5d, 0x00, 0x00]))) return 'lzma';
  if (head.subarray(0, 4).equals(Buffer.from([0x04, 0x22, 0x4d, 0x18]))) return 'lz4';
  return 'none';
}

/** joblib's old format: 'ZF', the hex length padded to 19 characters, maybe a space, then zlib data. */
function compatHeaderLength(head: Buffer): number {
  return head[21] === 0x20 ? 22 : 21;
}

/**
 * The decompressed pickle of a compressed joblib file, streamed and capped (inflateCap: the
 * archive limits): past the cap `onBomb` is told and the stream ends (a compression bomb).
 */
function decompressed(t: ScanTarget, how: Exclude<Compression, 'none'>, onBomb: (bytes: number) => void): AsyncIterable<unknown> {
  const start = how === 'joblib-compat' ? compatHeaderLength(t.head) : 0;
  return decompressFile(t.abs, start, how === 'joblib-compat' ? 'zlib' : how, inflateCap(t.size, t.limits), onBomb);
}

/**
 * True when the first bytes of the (decompressed) stream name joblib, scikit-learn or scipy.sparse classes.
 * Protocols 0–2 write GLOBAL as 'c' + module + '\n', so the name follows a 'c' directly.
 */
function looksLikeSklearn(head: Buffer): boolean {
  const s = head.toString('latin1');
  return s.includes('joblib.numpy_pickle') || s.includes('NumpyArrayWrapper') || /(^|[^A-Za-z0-9_]|c)(sklearn|scipy\.sparse)[.\n]/.test(s);
}

/** True when the first bytes name torch's tensor rebuilders (pickle.dumps of tensors or state dicts). */
function looksLikeTorch(head: Buffer): boolean {
  const s = head.toString('latin1');
  return /(^|[^A-Za-z0-9_]|c)torch(\._utils|\.storage|\n_utils)\b/.test(s) || s.includes('torch._utils') || s.includes('_rebuild_tensor');
}

interface PickleFileOptions {
  family: PickleFamily;
  joblib: boolean;
}

async function scanPickleFile(t: ScanTarget, o: PickleFileOptions): Promise<Finding[]> {
  const compression = sniffCompression(t.head);
  const findings: Finding[] = [];
  const joblib = o.joblib || compression !== 'none';
  const family: PickleFamily = joblib ? 'joblib' : o.family;
  let bomb = -1;
  const open = (): AsyncIterable<unknown> =>
    compression === 'none'
      ? fileChunks(t.abs)
      : decompressed(t, compression, (n) => {
          bomb = n;
        });
  const what = compression === 'none' ? 'the pickle' : `the ${compression === 'joblib-compat' ? 'zlib' : compression}-compressed pickle`;
  const base: PickleScanOptions = {
    family,
    limits: t.limits,
    multiplePickles: 'note',
    joblibArrays: joblib,
    label: what,
    torchBlob: scanTorchBlob,
    // A plain file can be read again where a large embedded blob sits (pickle.dumps of a big tensor).
    ...(compression === 'none' ? { reread: (at: number, len: number) => fileChunks(t.abs, at, at + len) } : {}),
  };

  const first = await analyzePickleSource(open, base);
  findings.push(...first.findings);
  if (bomb >= 0) {
    findings.push(finding('COMPRESSION_BOMB', 'high', `the file expands to more than ${bomb} bytes from ${t.size} compressed bytes (over the scanner's limits); the rest was not analysed`, null));
  }

  // joblib skipped array bytes; pickle.load would read them as opcodes. Check that view too.
  if (first.arrayWrappers > 0 && first.firstArrayOffset !== null) {
    const from = first.firstArrayOffset;
    const plain = await analyzePickleSource(open, { ...base, joblibArrays: false, maxPickles: 1 });
    const seen = new Set(first.findings.map((f) => `${f.code}@${f.offset}`));
    const noise = new Set(['PICKLE_PARSE_ERROR', 'PICKLE_READ_ERROR', 'SCAN_LIMIT', 'PICKLE_NONSTANDARD', 'PICKLE_MULTIPLE_STREAMS']);
    for (const f of plain.findings) {
      const inside = f.offset !== null && f.offset > from;
      if (!inside || noise.has(f.code) || seen.has(`${f.code}@${f.offset}`) || f.severity === 'low' || f.severity === 'info') continue;
      findings.push({ ...f, message: `read by pickle.load instead of joblib.load, the array bytes after the NumpyArrayWrapper at offset ${from} are opcodes: ${f.message}` });
    }
  }
  return findings;
}

const IDENTIFIER_PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/**
 * Whether a file's first bytes are a pickle, by running the interpreter on them (for detection:
 * protocol 0/1 pickles have no magic, e.g. "(S'…'\nios\nsystem\n." starts with MARK, STRING).
 * True when the bytes start with PROTO, reach STOP cleanly, run cleanly to the end of an
 * incomplete head, or import a well-formed global name before failing (a broken pickle still
 * runs what precedes the break).
 */
export async function sniffPickle(head: Buffer, complete: boolean): Promise<boolean> {
  if (startsWithProto(head)) return true;
  let named = false;
  const machine = new PickleMachine(
    new ByteReader([head]),
    {
      onGlobal: (g) => {
        named ||= IDENTIFIER_PATH.test(g.module) && IDENTIFIER_PATH.test(g.name);
      },
    },
    { limits: { maxOps: 10_000, maxStack: 10_000, maxMemo: 10_000, maxGlobals: 1000 }, maxPickles: 1 },
  );
  const run = await machine.run();
  if (run.pickles > 0 && !run.error) return true;
  if (!complete && run.error?.kind === 'truncated' && run.ops >= 4) return true;
  return named;
}

/**
 * Scans a plain pickle file (format 'pickle'). scikit-learn pickles get the joblib family
 * allow-list, pickled tensors (pickle.dumps of a tensor or state dict) the PyTorch one.
 */
export const scanPickle: FormatScanner = async (t) => {
  const family: PickleFamily = looksLikeSklearn(t.head) ? 'joblib' : looksLikeTorch(t.head) ? 'tensor-pickle' : 'generic';
  return scanPickleFile(t, { family, joblib: family === 'joblib' });
};

/** Scans a joblib file (format 'joblib'): plain, zlib/gzip-compressed or joblib's old 'ZF' format. */
export const scanJoblib: FormatScanner = async (t) => scanPickleFile(t, { family: 'joblib', joblib: true });
