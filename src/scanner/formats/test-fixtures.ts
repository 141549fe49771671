/**
 * Test-only helpers for the format scanners' tests: targets for files on disk, temp folders, and
 * zip files and protobuf messages built byte by byte. Nothing in the scanner imports this module.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import { afterAll } from 'vitest';
import type { ScanTarget } from '../context.js';
import { HEAD_BYTES } from '../detect.js';
import { DEFAULT_LIMITS, type FileFormat } from '../types.js';

/** A fresh temp folder, removed when the test file is done. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Writes `data` to `abs` and describes it as the orchestrator would a file on disk (default
 * limits, no folder, nested content ignored); `over` replaces any of that.
 */
export function fileTarget(abs: string, data: Buffer, format: FileFormat, over: Partial<ScanTarget> = {}): ScanTarget {
  writeFileSync(abs, data);
  return { path: path.basename(abs), abs, size: data.length, head: data.subarray(0, HEAD_BYTES), format, root: null, limits: DEFAULT_LIMITS, depth: 0, scanNested: async () => [], ...over };
}

// ---------------------------------------------------------------------------------------------
// Protobuf wire format by hand (ONNX, SavedModel).

export const pbVarint = (v: number): Buffer => {
  const out: number[] = [];
  let n = BigInt(v);
  do {
    let b = Number(n & 0x7fn);
    n >>= 7n;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return Buffer.from(out);
};
/** A varint field. */
export const pbInt = (field: number, v: number) => Buffer.concat([pbVarint(field * 8), pbVarint(v)]);
/** A length-delimited field. */
export const pbBytes = (field: number, b: Buffer) => Buffer.concat([pbVarint(field * 8 + 2), pbVarint(b.length), b]);
export const pbStr = (field: number, s: string) => pbBytes(field, Buffer.from(s));

// ---------------------------------------------------------------------------------------------
// Zip files

export interface ZipFixtureEntry {
  name: string;
  data: Buffer | string;
  /** Deflate the member (np.savez_compressed); stored otherwise (torch.save). */
  deflate?: boolean;
  /** Flip a data byte after the CRC is computed. */
  corrupt?: boolean;
  /** Unix mode in the external attributes (symlinks: 0o120777). */
  mode?: number;
}

/** A zip with stored or deflated members; `mode` sets Unix permissions (symlinks: 0o120777). */
export function buildZip(entries: ZipFixtureEntry[]): Buffer {
  const parts: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const raw = Buffer.from(e.data);
    const name = Buffer.from(e.name);
    const crc = crc32(raw);
    const data = e.deflate ? deflateRawSync(raw) : Buffer.from(raw);
    if (e.corrupt) data[data.length >> 1] = data[data.length >> 1]! ^ 0xff;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(e.deflate ? 8 : 0, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(raw.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(e.mode ? 0x0314 : 20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(e.deflate ? 8 : 0, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(raw.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(((e.mode ?? 0) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    parts.push(local, name, data);
    centrals.push(central, name);
    offset += 30 + name.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, cd, end]);
}
