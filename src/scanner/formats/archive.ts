/**
 * Generic archives in a model folder: zip, tar and gzip (a gzip-compressed tar or a single
 * compressed file). Structure is checked here (names that escape the extraction folder, links,
 * device files, bombs, damaged data, duplicate names); every member's content goes to the
 * orchestrator's nested scan, so pickles or archives inside are scanned like files on disk. Tar is
 * parsed by hand (ustar, GNU long names, pax) from a stream, so a .tar.gz is never extracted to
 * disk as a whole and a compression bomb stops at the byte limit.
 */
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { inflateCap, openZip, unsafeMemberName, ZipDataError, type OpenedZip, type ZipMember } from '../archive/zip.js';
import type { ScanTarget } from '../context.js';
import { capFindings, finding, type Finding } from '../types.js';

const q = (s: string) => JSON.stringify(s.length > 200 ? `${s.slice(0, 200)}…` : s);

/** Scans a zip, tar or gzip file. Handles FileFormats 'zip', 'tar' and 'gzip'. */
export async function scanArchive(t: ScanTarget): Promise<Finding[]> {
  switch (t.format) {
    case 'zip':
      return capFindings(await scanZip(t));
    case 'tar':
      return capFindings(await scanTar(t, new ByteSource(createReadStream(t.abs, { highWaterMark: 1 << 20 }))));
    case 'gzip':
      return capFindings(await scanGzip(t));
    default:
      return [];
  }
}

async function scanZip(t: ScanTarget): Promise<Finding[]> {
  let zip: OpenedZip;
  try {
    zip = await openZip(t.abs, t.limits);
  } catch (err) {
    return [finding('ZIP_PARSE', 'high', `the zip file cannot be read (${(err as Error).message}): it cannot be checked`, 0)];
  }
  try {
    return [...zip.findings, ...(await scanZipMembers(zip, t))];
  } finally {
    zip.close();
  }
}

/**
 * Hands every file member but those `skip` picks to the orchestrator's nested scan. Members
 * already reported as bombs or encrypted are not expanded; the total-size limit stops the rest.
 */
export async function scanZipMembers(zip: OpenedZip, t: ScanTarget, skip: (m: ZipMember) => boolean = () => false): Promise<Finding[]> {
  const out: Finding[] = [];
  const flagged = new Set(zip.findings.filter((f) => f.code === 'ZIP_BOMB' || f.code === 'ZIP_ENCRYPTED').map((f) => f.member));
  let total = 0;
  for (const m of zip.members.slice(0, t.limits.maxArchiveMembers)) {
    if (m.isDirectory || m.isSymlink || flagged.has(m.name) || skip(m)) continue;
    total += m.uncompressedSize;
    if (total > t.limits.maxArchiveBytes) break;
    out.push(...(await scanZipMember(zip, m, t)));
  }
  return out;
}

/** Hands one member to the orchestrator's nested scan; a damaged member becomes ZIP_CRC. */
async function scanZipMember(zip: OpenedZip, m: ZipMember, t: ScanTarget): Promise<Finding[]> {
  let stream: Readable;
  try {
    stream = await zip.open(m);
  } catch (err) {
    return [finding('ZIP_PARSE', 'high', `member ${q(m.name)} cannot be opened (${(err as Error).message}): it cannot be checked`, m.offset, m.name)];
  }
  let dataError: unknown = null;
  stream.on('error', (err) => (dataError = err));
  const found = await t.scanNested(m.name, stream, m.uncompressedSize);
  if (dataError instanceof ZipDataError) {
    return [
      finding('ZIP_CRC', 'high', `${dataError.message}; loaders that skip the check (PyTorch does) would load bytes no scanner vouched for`, m.offset, m.name),
      ...found.filter((f) => f.code !== 'ARCHIVE_MEMBER_UNREADABLE'),
    ];
  }
  return found;
}

// ---------------------------------------------------------------------------------------------

/** Pulls exact byte counts from a stream (the stream's errors surface from read/skip). */
class ByteSource {
  pos = 0;
  private buf: Buffer = Buffer.alloc(0);
  private readonly it: AsyncIterator<unknown>;
  private ended = false;

  constructor(stream: Readable) {
    this.it = stream[Symbol.asyncIterator]();
  }

  private async more(): Promise<boolean> {
    if (this.ended) return false;
    const r = await this.it.next();
    if (r.done) {
      this.ended = true;
      return false;
    }
    const chunk = r.value as Buffer;
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    return true;
  }

  /** Up to n bytes (fewer only at the end of the stream). */
  async read(n: number): Promise<Buffer> {
    while (this.buf.length < n && (await this.more()));
    const out = this.buf.subarray(0, Math.min(n, this.buf.length));
    this.buf = this.buf.subarray(out.length);
    this.pos += out.length;
    return out;
  }

  /** Up to n bytes, whatever is buffered or arrives next (for streaming content). */
  async chunk(n: number): Promise<Buffer> {
    if (this.buf.length === 0) await this.more();
    const out = this.buf.subarray(0, Math.min(n, this.buf.length));
    this.buf = this.buf.subarray(out.length);
    this.pos += out.length;
    return out;
  }

  unshift(b: Buffer): void {
    this.buf = Buffer.concat([b, this.buf]);
    this.pos -= b.length;
  }

  async close(): Promise<void> {
    await this.it.return?.();
  }
}

class Truncated extends Error {}

/**
 * Streams `size` bytes from `src` (or everything up to the end of the stream when `size` is null)
 * into the nested scan. When the source fails or ends early, the error is rethrown once the nested
 * scan has settled (its "unreadable member" finding is then replaced by the caller's).
 */
async function feedNested(t: ScanTarget, src: ByteSource, name: string, size: number | null): Promise<Finding[]> {
  const pass = new PassThrough({ highWaterMark: 1 << 20 });
  const nested = t.scanNested(name, pass, size ?? 0);
  let consumerDone = false;
  const settled = nested.then(
    () => (consumerDone = true),
    () => (consumerDone = true),
  );
  let remaining = size ?? Number.MAX_SAFE_INTEGER;
  let failure: Error | null = null;
  try {
    while (remaining > 0) {
      const b = await src.chunk(Math.min(remaining, 1 << 20));
      if (b.length === 0) {
        if (size === null) break;
        throw new Truncated(`the archive ends inside member ${q(name)}`);
      }
      remaining -= b.length;
      // A consumer that has finished or given up reads no more: skip the rest instead of buffering it.
      if (consumerDone || pass.destroyed || pass.writableEnded) continue;
      if (!pass.write(b)) {
        await Promise.race([new Promise((r) => (pass.once('drain', r), pass.once('close', r))), settled]);
      }
    }
    pass.end();
  } catch (err) {
    failure = err instanceof Error ? err : new Error(String(err));
    pass.destroy(failure);
  }
  const found = await nested;
  if (failure) throw failure;
  return found;
}

interface TarEntry {
  name: string;
  type: string;
  size: number;
  mode: number;
  link: string;
  at: number;
}

function octal(field: Buffer): number | null {
  // GNU base-256 for values that do not fit in octal digits.
  if ((field[0]! & 0x80) !== 0) {
    if (field[0] === 0xff) return null; // negative
    let v = BigInt(field[0]! & 0x7f);
    for (let i = 1; i < field.length; i++) v = (v << 8n) | BigInt(field[i]!);
    return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : null;
  }
  const s = field.toString('latin1').replace(/\0.*$/s, '').trim();
  if (s === '') return 0;
  return /^[0-7]+$/.test(s) ? parseInt(s, 8) : null;
}

const cstr = (b: Buffer) => {
  const z = b.indexOf(0);
  return (z >= 0 ? b.subarray(0, z) : b).toString('utf8');
};

function checksumOk(h: Buffer): boolean {
  const stored = octal(h.subarray(148, 156));
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < 512; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : h[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return stored === unsigned || stored === signed;
}

function parsePax(data: Buffer): Map<string, string> | null {
  const out = new Map<string, string>();
  let i = 0;
  while (i < data.length) {
    const sp = data.indexOf(0x20, i);
    if (sp < 0) return null;
    const len = Number(data.subarray(i, sp).toString('latin1'));
    if (!Number.isInteger(len) || len <= 0 || i + len > data.length || data[i + len - 1] !== 0x0a) return null;
    const rec = data.subarray(sp + 1, i + len - 1).toString('utf8');
    const eq = rec.indexOf('=');
    if (eq < 0) return null;
    out.set(rec.slice(0, eq), rec.slice(eq + 1));
    i += len;
  }
  return out;
}

const LINK_TYPES: Readonly<Record<string, string>> = { '1': 'hard link', '2': 'symbolic link' };
const SPECIAL_TYPES: Readonly<Record<string, string>> = { '3': 'character device', '4': 'block device', '6': 'FIFO' };
/** Types whose size field is ignored by tar readers (Python's tarfile): no data blocks follow. */
const NO_DATA = new Set(['1', '2', '3', '4', '5', '6']);

/** Scans a tar stream member by member. */
async function scanTar(t: ScanTarget, src: ByteSource): Promise<Finding[]> {
  const out: Finding[] = [];
  const names = new Set<string>();
  let members = 0;
  let total = 0;
  let ended = false;
  let globalPax = new Map<string, string>();
  let pax = new Map<string, string>();
  let longName: string | null = null;
  let longLink: string | null = null;
  const metaMax = Math.min(t.limits.maxHeaderBytes, 16 * 1024 * 1024);
  try {
    for (;;) {
      const at = src.pos;
      const h = await src.read(512);
      if (h.length === 0) {
        if (!ended) out.push(finding('TAR_PARSE', 'low', 'the tar archive has no end-of-archive marker (it may be truncated)', at));
        break;
      }
      if (h.length < 512) throw new Truncated('the archive ends inside a header');
      if (h.every((b) => b === 0)) {
        ended = true;
        continue;
      }
      if (!checksumOk(h)) {
        out.push(finding('TAR_PARSE', 'high', `the tar header at offset ${at} fails its checksum: the archive is damaged or is not a tar, and the rest cannot be checked`, at));
        break;
      }
      if (ended) {
        out.push(finding('TAR_TRAILING_DATA', 'medium', `members follow the end-of-archive marker at offset ${at}: plain tar stops there, tar --ignore-zeros extracts them (scanned anyway)`, at));
        ended = false;
      }
      const type = String.fromCharCode(h[156]!) === '\0' ? '0' : String.fromCharCode(h[156]!);
      const size = octal(h.subarray(124, 136));
      if (size === null) {
        out.push(finding('TAR_PARSE', 'high', `the tar header at offset ${at} has an unreadable size field: the rest cannot be checked`, at));
        break;
      }
      const padded = Math.ceil(size / 512) * 512;
      // Metadata entries: pax headers and GNU long names apply to the next member.
      if (type === 'x' || type === 'g' || type === 'L' || type === 'K') {
        if (size > metaMax) {
          out.push(finding('SCAN_LIMIT', 'high', `a tar metadata entry at offset ${at} is ${size} bytes, over the limit of ${metaMax}`, at));
          break;
        }
        const data = await src.read(padded);
        if (data.length < padded) throw new Truncated('the archive ends inside a metadata entry');
        const body = data.subarray(0, size);
        if (type === 'L') longName = cstr(body);
        else if (type === 'K') longLink = cstr(body);
        else {
          const records = parsePax(body);
          if (!records) {
            out.push(finding('TAR_PARSE', 'high', `the pax header at offset ${at} is malformed: tools disagree on what it says`, at));
            break;
          }
          if (type === 'g') globalPax = new Map([...globalPax, ...records]);
          else pax = records;
        }
        continue;
      }
      const ustar = h.subarray(257, 262).toString('latin1') === 'ustar';
      const prefix = ustar ? cstr(h.subarray(345, 500)) : '';
      const merged = new Map([...globalPax, ...pax]);
      const e: TarEntry = {
        name: merged.get('path') ?? longName ?? (prefix ? `${prefix}/${cstr(h.subarray(0, 100))}` : cstr(h.subarray(0, 100))),
        type,
        size: merged.has('size') ? Number(merged.get('size')) : size,
        mode: octal(h.subarray(100, 108)) ?? 0,
        link: merged.get('linkpath') ?? longLink ?? cstr(h.subarray(157, 257)),
        at,
      };
      pax = new Map();
      longName = null;
      longLink = null;
      if (!Number.isSafeInteger(e.size) || e.size < 0) {
        out.push(finding('TAR_PARSE', 'high', `member ${q(e.name)} has an invalid pax size: the rest cannot be checked`, at));
        break;
      }
      if (++members > t.limits.maxArchiveMembers) {
        out.push(finding('SCAN_LIMIT', 'high', `the archive has more than ${t.limits.maxArchiveMembers} members; not scanned further`, at));
        break;
      }
      const dataBytes = NO_DATA.has(type) ? 0 : Math.ceil(e.size / 512) * 512;
      if (NO_DATA.has(type) && e.size > 0 && type !== '5') {
        out.push(finding('TAR_PARSE', 'high', `${q(e.name)} is a ${LINK_TYPES[type] ?? SPECIAL_TYPES[type]} with a non-zero size: tar readers disagree on where the next member starts`, at, e.name));
      }
      out.push(...entryFindings(e, names));
      const regular = type === '0' || type === '7';
      if (regular) {
        total += e.size;
        if (total > t.limits.maxArchiveBytes) {
          out.push(finding('SCAN_LIMIT', 'high', `the archive holds more than ${t.limits.maxArchiveBytes} bytes; not scanned further`, at, e.name));
          break;
        }
        out.push(...(await feedNested(t, src, e.name, e.size)));
        const pad = dataBytes - e.size;
        if ((await src.read(pad)).length < pad) throw new Truncated('the archive ends inside member padding');
      } else if (dataBytes > 0) {
        if ((await src.read(dataBytes)).length < dataBytes) throw new Truncated(`the archive ends inside member ${q(e.name)}`);
      }
    }
  } catch (err) {
    out.push(streamFailure(err, t, src.pos));
  } finally {
    await src.close();
  }
  return out;
}

function entryFindings(e: TarEntry, names: Set<string>): Finding[] {
  const out: Finding[] = [];
  const shown = q(e.name);
  const bad = unsafeMemberName(e.name);
  if (bad) out.push(finding('TAR_SLIP', 'critical', `member ${shown} ${bad}: extracting it writes outside the target folder`, e.at, e.name));
  const link = LINK_TYPES[e.type];
  if (link) {
    const escapes = unsafeMemberName(e.link) !== null || (e.type === '2' && path.posix.normalize(path.posix.join(path.posix.dirname(e.name), e.link)).startsWith('..'));
    out.push(
      finding(
        e.type === '1' ? 'TAR_HARDLINK' : 'TAR_SYMLINK',
        escapes ? 'critical' : 'high',
        `member ${shown} is a ${link} to ${q(e.link)}${escapes ? ', outside the extraction folder' : ''}: extracting it can expose or overwrite files on the host`,
        e.at,
        e.name,
      ),
    );
  }
  const special = SPECIAL_TYPES[e.type];
  if (special) out.push(finding('TAR_DEVICE', 'high', `member ${shown} is a ${special}: no model needs one, and extracting it as root creates it on the host`, e.at, e.name));
  if (!'0125673'.includes(e.type)) {
    const what = e.type === 'S' ? 'a GNU sparse file' : e.type === 'V' ? 'a volume label' : e.type === 'M' ? 'a multi-volume continuation' : `of unknown type ${q(e.type)}`;
    out.push(finding('TAR_UNSUPPORTED', 'high', `member ${shown} is ${what}: its content cannot be checked`, e.at, e.name));
  }
  if ((e.mode & 0o6000) !== 0) out.push(finding('TAR_SETUID', 'high', `member ${shown} has the setuid/setgid bit: extracting it as root creates a privileged program`, e.at, e.name));
  else if ((e.type === '0' || e.type === '7') && (e.mode & 0o111) !== 0) {
    out.push(finding('EXECUTABLE_BIT', 'medium', `member ${shown} is marked executable, which a model file never needs`, e.at, e.name));
  }
  if (e.type !== '5') {
    if (names.has(e.name)) out.push(finding('TAR_DUPLICATE_MEMBER', 'high', `member ${shown} appears twice: the later copy silently replaces the earlier one`, e.at, e.name));
    names.add(e.name);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

class BombError extends Error {}

function streamFailure(err: unknown, t: ScanTarget, at: number): Finding {
  if (err instanceof BombError) return finding('GZIP_BOMB', 'high', err.message, null);
  if (err instanceof Truncated) return finding(t.format === 'gzip' ? 'GZIP_PARSE' : 'TAR_PARSE', 'high', `${err.message}: the archive is truncated`, at);
  const code = (err as { code?: string }).code ?? '';
  if (code.startsWith('Z_')) return finding('GZIP_CORRUPT', 'high', `the gzip data is damaged (${(err as Error).message}): it cannot be checked`, null);
  return finding('SCAN_ERROR', 'high', `the archive could not be read: ${(err as Error).message}`, null);
}

/** Parses the gzip member header: method, flags and the stored file name. */
function gzipHeader(head: Buffer): { name: string | null } | string {
  if (head.length < 10 || head[0] !== 0x1f || head[1] !== 0x8b) return 'it does not start with the gzip magic number';
  if (head[2] !== 8) return `compression method ${head[2]} is not deflate`;
  const flags = head[3]!;
  if ((flags & 0xe0) !== 0) return 'reserved header flags are set';
  let i = 10;
  if (flags & 0x04) i += 2 + head.readUInt16LE(Math.min(i, head.length - 2));
  let name: string | null = null;
  if (flags & 0x08) {
    const z = head.indexOf(0, i);
    if (z < 0) return 'the stored file name is not terminated';
    name = head.subarray(i, z).toString('latin1');
  }
  return { name };
}

async function scanGzip(t: ScanTarget): Promise<Finding[]> {
  const header = gzipHeader(t.head);
  if (typeof header === 'string') return [finding('GZIP_PARSE', 'high', `the gzip header is invalid (${header}): it cannot be checked`, 0)];
  const cap = inflateCap(t.size, t.limits);
  let produced = 0;
  const limiter = new Transform({
    transform(chunk: Buffer, _e, done) {
      produced += chunk.length;
      if (produced > cap) {
        done(
          new BombError(
            produced > t.limits.maxArchiveBytes
              ? `the gzip data expands past ${t.limits.maxArchiveBytes} bytes, the total limit: a compression bomb`
              : `the gzip data expands more than ${t.limits.maxCompressionRatio}× (${t.size} bytes → over ${cap}): a compression bomb`,
          ),
        );
      } else done(null, chunk);
    },
  });
  const file = createReadStream(t.abs, { highWaterMark: 1 << 20 });
  const gunzip = createGunzip();
  file.on('error', (e) => gunzip.destroy(e));
  gunzip.on('error', (e) => limiter.destroy(e));
  const stream = file.pipe(gunzip).pipe(limiter);
  const src = new ByteSource(stream);
  const inner = header.name ? path.posix.basename(header.name.replace(/\\/g, '/')) : path.posix.basename(t.path).replace(/\.t?gz$/i, (m) => (m.toLowerCase() === '.tgz' ? '.tar' : ''));
  try {
    const first = await src.read(512);
    src.unshift(first);
    const isTar = first.length === 512 && first.subarray(257, 262).toString('latin1') === 'ustar' && checksumOk(first);
    if (isTar) return await scanTar(t, src);
    // A single compressed file: its size is unknown until it is inflated; the nested scan counts it.
    return await feedNested(t, src, inner || 'content', null);
  } catch (err) {
    return [streamFailure(err, t, src.pos)];
  } finally {
    await src.close();
    file.destroy();
    gunzip.destroy();
  }
}
