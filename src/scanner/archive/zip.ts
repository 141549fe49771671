/**
 * Reading zip files safely (PyTorch checkpoints, .npz, .keras, plain archives): members come from
 * the central directory (yauzl), are streamed one at a time with their CRC-32 and size checked, and
 * every structural danger is reported as a finding: path traversal ("zip slip"), absolute paths,
 * symlinks, encryption, compression bombs (ratio and total size), too many members, damaged data.
 */
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { crc32 } from 'node:zlib';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { finding, type Finding, type ScanLimits } from '../types.js';

export interface ZipMember {
  /** The name as stored (forward slashes expected). */
  name: string;
  compressedSize: number;
  uncompressedSize: number;
  /** Offset of the member's local header in the zip file. */
  offset: number;
  isDirectory: boolean;
  isSymlink: boolean;
  encrypted: boolean;
  entry: Entry;
}

export interface OpenedZip {
  members: ZipMember[];
  /** Structural findings over the whole archive (slip, symlinks, bombs, limits). */
  findings: Finding[];
  /**
   * Streams one member's uncompressed bytes. The stream fails with a ZipDataError when the data
   * is damaged: CRC-32 or size differs from the central directory, or decompression fails.
   */
  open(member: ZipMember): Promise<Readable>;
  close(): void;
}

export class ZipDataError extends Error {
  constructor(
    message: string,
    readonly member: string,
  ) {
    super(message);
    this.name = 'ZipDataError';
  }
}

/**
 * The bomb rule for every compressed stream: more than 64 MiB out and more than
 * maxCompressionRatio × in (or past maxArchiveBytes). Below 64 MiB a high ratio is ordinary:
 * arrays of zeros (np.savez_compressed, joblib compress=3, initial weights) compress past 1000:1,
 * and the scanner streams what it reads, so a small output costs nothing.
 */
export const BOMB_MIN_BYTES = 64 * 1024 * 1024;

/** The most bytes `compressed` bytes may inflate to: the bomb rule, and never past maxArchiveBytes. */
export function inflateCap(compressed: number, limits: ScanLimits): number {
  return Math.min(limits.maxArchiveBytes, Math.max(BOMB_MIN_BYTES, compressed * limits.maxCompressionRatio));
}

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

/** Why a member name is dangerous to extract, or null. */
export function unsafeMemberName(name: string): string | null {
  if (name.includes('\0')) return 'contains a NUL byte';
  const n = name.replace(/\\/g, '/');
  if (n.startsWith('/') || /^[A-Za-z]:/.test(n)) return 'is an absolute path';
  if (n.split('/').includes('..')) return 'climbs out of the extraction folder with ..';
  if (name.includes('\\')) return 'uses backslashes (a path separator on Windows)';
  return null;
}

function openFile(file: string): Promise<ZipFile> {
  return new Promise((resolve, reject) =>
    // decodeStrings off: yauzl would reject `..` and absolute names by failing the whole archive;
    // names are decoded in openZip and bad ones reported as findings instead.
    yauzl.open(file, { lazyEntries: true, autoClose: false, strictFileNames: false, validateEntrySizes: true, decodeStrings: false }, (err, zip) =>
      err || !zip ? reject(err ?? new Error('no zip')) : resolve(zip),
    ),
  );
}

/**
 * Opens a zip file and reads its central directory. Throws when the file is not a readable zip
 * (the caller reports that as a parse failure: block).
 */
export async function openZip(file: string, limits: ScanLimits): Promise<OpenedZip> {
  const zip = await openFile(file);
  const members: ZipMember[] = [];
  const findings: Finding[] = [];
  let total = 0;
  await new Promise<void>((resolve, reject) => {
    zip.on('error', reject);
    zip.on('end', () => resolve());
    zip.on('entry', (entry: Entry) => {
      const mode = (entry.externalFileAttributes >>> 16) & 0xffff;
      // As yauzl decodes them (UTF-8 flag, Info-ZIP Unicode path field), keeping backslashes.
      entry.fileName = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, true);
      const m: ZipMember = {
        name: entry.fileName,
        compressedSize: entry.compressedSize,
        uncompressedSize: entry.uncompressedSize,
        offset: entry.relativeOffsetOfLocalHeader,
        isDirectory: entry.fileName.endsWith('/'),
        isSymlink: (mode & S_IFMT) === S_IFLNK,
        encrypted: (entry.generalPurposeBitFlag & 1) !== 0,
        entry,
      };
      members.push(m);
      if (members.length > limits.maxArchiveMembers) {
        findings.push(finding('SCAN_LIMIT', 'high', `the archive has more than ${limits.maxArchiveMembers} members; not scanned further`, m.offset));
        resolve();
        return;
      }
      const bad = unsafeMemberName(m.name);
      if (bad) findings.push(finding('ZIP_SLIP', 'critical', `member ${JSON.stringify(m.name.slice(0, 200))} ${bad}: extracting it writes outside the target folder`, m.offset, m.name));
      if (m.isSymlink) findings.push(finding('ZIP_SYMLINK', 'high', `member ${JSON.stringify(m.name.slice(0, 200))} is a symbolic link: extracting it can point at any file on the host`, m.offset, m.name));
      if (m.encrypted) findings.push(finding('ZIP_ENCRYPTED', 'high', `member ${JSON.stringify(m.name.slice(0, 200))} is encrypted: its content cannot be checked`, m.offset, m.name));
      const ratio = m.compressedSize > 0 ? m.uncompressedSize / m.compressedSize : m.uncompressedSize > 0 ? Infinity : 1;
      if (m.uncompressedSize > BOMB_MIN_BYTES && ratio > limits.maxCompressionRatio) {
        findings.push(
          finding('ZIP_BOMB', 'high', `member ${JSON.stringify(m.name.slice(0, 200))} expands ${Math.round(ratio)}× (${m.compressedSize} → ${m.uncompressedSize} bytes): a compression bomb`, m.offset, m.name),
        );
      }
      total += m.uncompressedSize;
      zip.readEntry();
    });
    zip.readEntry();
  });
  if (total > limits.maxArchiveBytes) {
    findings.push(finding('ZIP_BOMB', 'high', `the archive expands to ${total} bytes, over the limit of ${limits.maxArchiveBytes}`, 0));
  }
  const seen = new Set<string>();
  for (const m of members) {
    if (seen.has(m.name)) findings.push(finding('ZIP_DUPLICATE_MEMBER', 'high', `member ${JSON.stringify(m.name.slice(0, 200))} appears twice: tools disagree on which one they extract`, m.offset, m.name));
    seen.add(m.name);
  }

  async function open(member: ZipMember): Promise<Readable> {
    const raw = await new Promise<Readable>((resolve, reject) =>
      zip.openReadStream(member.entry, (err, stream) => (err || !stream ? reject(err ?? new Error('no stream')) : resolve(stream))),
    );
    let crc = 0;
    let bytes = 0;
    const check = new Transform({
      transform(chunk: Buffer, _enc, done) {
        crc = crc32(chunk, crc);
        bytes += chunk.length;
        if (bytes > member.uncompressedSize) {
          done(new ZipDataError(`member ${member.name} has more bytes than its header says`, member.name));
          return;
        }
        done(null, chunk);
      },
      flush(done) {
        if ((crc >>> 0) !== (member.entry.crc32 >>> 0)) {
          done(new ZipDataError(`member ${member.name} fails its CRC-32 check: the archive is damaged or was altered`, member.name));
          return;
        }
        done();
      },
    });
    raw.on('error', (err: Error) => check.destroy(new ZipDataError(`member ${member.name} cannot be read: ${err.message}`, member.name)));
    return raw.pipe(check);
  }

  return { members, findings, open, close: () => zip.close() };
}
