/**
 * Safetensors header reader. A safetensors file is an 8-byte little-endian header length, a JSON
 * header describing every tensor (dtype, shape, byte offsets into the data section) and then the
 * raw data. Only the first two parts are ever read here: a 100 GB checkpoint costs one small read.
 */
import { open, readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { ExtractError, unreadable } from './errors.js';

/** Largest header accepted (the reference implementation uses the same 100 MB limit). */
export const MAX_HEADER_BYTES = 100_000_000;

/** One tensor as described by a safetensors header. */
export interface SafetensorsTensor {
  name: string;
  dtype: string;
  shape: number[];
  /** [begin, end) byte offsets relative to the start of the data section. */
  offsets: [number, number];
}

/** A parsed safetensors header. */
export interface SafetensorsHeader {
  tensors: SafetensorsTensor[];
  /** The free-form `__metadata__` string map (empty when absent). */
  metadata: Record<string, string>;
}

/** Totals over one or more safetensors files (the shards of one model). */
export interface SafetensorsSummary {
  /** Exact parameter count: sum over tensors of the product of the shape. */
  parameters: number;
  /** Parameters per dtype, e.g. `{ BF16: 8.0e9, F32: 2.6e5 }`. */
  dtypes: Record<string, number>;
  tensorCount: number;
  /** Files read, in order. */
  files: string[];
  /** `__metadata__` of the first file that has one (e.g. `{ format: 'pt' }`). */
  metadata: Record<string, string>;
}

const isNonNegInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * Reads only the header of a safetensors file with positioned reads (never the tensor data).
 * @throws ExtractError UNREADABLE (I/O), TOO_LARGE (header > 100 MB), INVALID_FORMAT (header
 *   beyond the end of the file, not JSON, or a tensor entry without dtype/shape/data_offsets).
 */
export async function readSafetensorsHeader(file: string): Promise<SafetensorsHeader> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    throw unreadable(file, err);
  }
  try {
    const { size } = await fh.stat();
    const lenBuf = Buffer.alloc(8);
    const { bytesRead } = await fh.read(lenBuf, 0, 8, 0);
    if (bytesRead < 8) throw new ExtractError('INVALID_FORMAT', 'file shorter than the 8-byte header length', file);
    const declared = lenBuf.readBigUInt64LE(0);
    if (declared > BigInt(MAX_HEADER_BYTES)) {
      throw new ExtractError('TOO_LARGE', `header length ${declared} exceeds ${MAX_HEADER_BYTES} bytes`, file);
    }
    const headerLen = Number(declared);
    if (8 + headerLen > size) {
      throw new ExtractError('INVALID_FORMAT', `header length ${headerLen} runs past the end of the file (${size} bytes)`, file);
    }
    const headerBuf = Buffer.alloc(headerLen);
    const got = (await fh.read(headerBuf, 0, headerLen, 8)).bytesRead;
    if (got < headerLen) throw new ExtractError('INVALID_FORMAT', 'header truncated', file);
    return parseHeader(headerBuf.toString('utf8'), size - 8 - headerLen, file);
  } catch (err) {
    throw unreadable(file, err);
  } finally {
    await fh.close();
  }
}

function parseHeader(text: string, dataSize: number, file: string): SafetensorsHeader {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ExtractError('INVALID_FORMAT', 'header is not valid JSON', file);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ExtractError('INVALID_FORMAT', 'header is not a JSON object', file);
  }
  const tensors: SafetensorsTensor[] = [];
  const metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (entry && typeof entry === 'object') {
        for (const [k, v] of Object.entries(entry)) if (typeof v === 'string') metadata[k] = v;
      }
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    const offs = e?.data_offsets;
    if (
      !e ||
      typeof e.dtype !== 'string' ||
      !Array.isArray(e.shape) ||
      !e.shape.every(isNonNegInt) ||
      !Array.isArray(offs) ||
      offs.length !== 2 ||
      !isNonNegInt(offs[0]) ||
      !isNonNegInt(offs[1]) ||
      offs[0] > offs[1]
    ) {
      throw new ExtractError('INVALID_FORMAT', `tensor "${name}" lacks a valid dtype, shape or data_offsets`, file);
    }
    if (offs[1] > dataSize) {
      throw new ExtractError('INVALID_FORMAT', `tensor "${name}" data runs past the end of the file`, file);
    }
    tensors.push({ name, dtype: e.dtype, shape: e.shape, offsets: [offs[0], offs[1]] });
  }
  return { tensors, metadata };
}

/** Number of elements of a tensor shape (a scalar, shape `[]`, has one). */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Reads the headers of the given files and totals their parameters. A tensor name seen in an
 * earlier file is not counted twice.
 */
export async function summarizeSafetensors(paths: readonly string[]): Promise<SafetensorsSummary> {
  const out: SafetensorsSummary = { parameters: 0, dtypes: {}, tensorCount: 0, files: [], metadata: {} };
  const seen = new Set<string>();
  for (const file of paths) {
    const header = await readSafetensorsHeader(file);
    out.files.push(file);
    if (Object.keys(out.metadata).length === 0) out.metadata = header.metadata;
    for (const t of header.tensors) {
      if (seen.has(t.name)) continue;
      seen.add(t.name);
      const n = elementCount(t.shape);
      out.parameters += n;
      out.dtypes[t.dtype] = (out.dtypes[t.dtype] ?? 0) + n;
      out.tensorCount++;
    }
  }
  return out;
}

/**
 * Finds a model's safetensors files in a folder: the shards named by `model.safetensors.index.json`
 * (its `weight_map`) when present, otherwise every `*.safetensors` file at the top level, sorted.
 * Shard names from the index must be plain file names inside the folder.
 */
export async function findSafetensorsFiles(dir: string): Promise<string[]> {
  const indexPath = path.join(dir, 'model.safetensors.index.json');
  let indexText: string | null = null;
  try {
    indexText = await readFile(indexPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw unreadable(indexPath, err);
  }
  if (indexText !== null) {
    let index: unknown;
    try {
      index = JSON.parse(indexText);
    } catch {
      throw new ExtractError('INVALID_FORMAT', 'index is not valid JSON', indexPath);
    }
    const map = (index as { weight_map?: unknown } | null)?.weight_map;
    if (!map || typeof map !== 'object') throw new ExtractError('INVALID_FORMAT', 'index has no weight_map', indexPath);
    const shards = new Set<string>();
    for (const shard of Object.values(map)) {
      if (typeof shard !== 'string' || shard !== path.basename(shard) || shard === '..' || shard === '.') {
        throw new ExtractError('INVALID_FORMAT', `weight_map names an invalid shard ${JSON.stringify(shard)}`, indexPath);
      }
      shards.add(shard);
    }
    return [...shards].sort().map((s) => path.join(dir, s));
  }
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw unreadable(dir, err);
  }
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.safetensors'))
    .map((e) => e.name)
    .sort()
    .map((n) => path.join(dir, n));
}

/** {@link findSafetensorsFiles} then {@link summarizeSafetensors}; null when the folder has none. */
export async function summarizeSafetensorsFolder(dir: string): Promise<SafetensorsSummary | null> {
  const files = await findSafetensorsFiles(dir);
  return files.length === 0 ? null : summarizeSafetensors(files);
}
