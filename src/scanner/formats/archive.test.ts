import path from 'node:path';
import type { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, finding, type FileFormat, type Finding, type ScanLimits } from '../types.js';
import { BOMB_MIN_BYTES } from '../archive/zip.js';
import { scanArchive } from './archive.js';
import { buildZip, fileTarget, tempDir } from './test-fixtures.js';

const zip = buildZip;

interface TarItem {
  name: string;
  data?: Buffer | string;
  type?: string;
  link?: string;
  mode?: number;
  prefix?: string;
  size?: number;
  badChecksum?: boolean;
}

function tarHeader(e: TarItem, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(e.name, 0, 100, 'utf8');
  h.write(`${(e.mode ?? 0o644).toString(8).padStart(7, '0')}\0`, 100, 'latin1');
  h.write('0000000\0', 108, 'latin1');
  h.write('0000000\0', 116, 'latin1');
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  h.write('14000000000\0', 136, 'latin1');
  h.write(e.type ?? '0', 156, 'latin1');
  h.write(e.link ?? '', 157, 100, 'utf8');
  h.write('ustar\0', 257, 'latin1');
  h.write('00', 263, 'latin1');
  if (e.prefix) h.write(e.prefix, 345, 155, 'utf8');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${(e.badChecksum ? sum + 1 : sum).toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return h;
}

function tar(items: TarItem[], end = true): Buffer {
  const parts: Buffer[] = [];
  for (const e of items) {
    const data = Buffer.from(e.data ?? '');
    parts.push(tarHeader(e, e.size ?? data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  if (end) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}
const pax = (records: Record<string, string>) =>
  Object.entries(records)
    .map(([k, v]) => {
      const body = ` ${k}=${v}\n`;
      let len = body.length + 1;
      while (`${len}${body}`.length !== len) len = `${len}${body}`.length;
      return `${len}${body}`;
    })
    .join('');

const dir = tempDir('garden-archive-');
let n = 0;
let nested: { name: string; bytes: Buffer }[] = [];

async function collect(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Scans bytes as `format`; nested content is collected, and content containing EVIL is a finding. */
async function scan(bytes: Buffer, format: FileFormat, name = 'archive', limits: Partial<ScanLimits> = {}): Promise<Finding[]> {
  nested = [];
  const t = fileTarget(path.join(dir, `f${n++}`), bytes, format, {
    path: name,
    limits: { ...DEFAULT_LIMITS, ...limits },
    scanNested: async (member, content) => {
      let data: Buffer;
      try {
        data = await collect(content);
      } catch (err) {
        return [finding('ARCHIVE_MEMBER_UNREADABLE', 'high', (err as Error).message, null, member)];
      }
      nested.push({ name: member, bytes: data });
      return data.includes('EVIL') ? [finding('NESTED_EVIL', 'critical', 'evil', 0, member)] : [];
    },
  });
  return scanArchive(t);
}
const codes = (fs: Finding[]) => fs.map((f) => f.code);

describe('zip archives', () => {
  it('scans every member through the nested scan', async () => {
    const f = await scan(zip([{ name: 'a.txt', data: 'hello' }, { name: 'dir/', data: '' }, { name: 'b/evil.pkl', data: 'EVIL', deflate: true }]), 'zip');
    expect(f).toEqual([expect.objectContaining({ code: 'NESTED_EVIL', member: 'b/evil.pkl' })]);
    expect(nested.map((x) => [x.name, x.bytes.toString()])).toEqual([
      ['a.txt', 'hello'],
      ['b/evil.pkl', 'EVIL'],
    ]);
  });

  it('reports slip, absolute paths, symlinks and duplicates, and still scans the content', async () => {
    const f = await scan(
      zip([{ name: '../../x.txt', data: 'EVIL' }, { name: '/etc/passwd', data: 'a' }, { name: 'C:\\win.ini', data: 'b' }, { name: 'link', data: '/etc/shadow', mode: 0o120777 }, { name: 'a', data: '1' }, { name: 'a', data: '2' }]),
      'zip',
    );
    expect(codes(f).sort()).toEqual(['NESTED_EVIL', 'ZIP_DUPLICATE_MEMBER', 'ZIP_SLIP', 'ZIP_SLIP', 'ZIP_SLIP', 'ZIP_SYMLINK']);
    expect(nested.map((x) => x.name)).not.toContain('link');
  });

  it('reports damaged members as ZIP_CRC instead of an unreadable member', async () => {
    const stored = await scan(zip([{ name: 'w.bin', data: 'some weights bytes', corrupt: true }]), 'zip');
    expect(stored).toEqual([expect.objectContaining({ code: 'ZIP_CRC', severity: 'high', member: 'w.bin' })]);
    const deflated = await scan(zip([{ name: 'w.bin', data: 'x'.repeat(5000) + 'abcdefghijklmnopqrstuvwxyz'.repeat(50), deflate: true, corrupt: true }]), 'zip');
    expect(codes(deflated)).toEqual(['ZIP_CRC']);
  });

  it('does not expand compression bombs, and lets small highly compressible members through', async () => {
    const f = await scan(zip([{ name: 'zeros', data: Buffer.alloc(BOMB_MIN_BYTES + 1024 * 1024), deflate: true }]), 'zip');
    expect(codes(f)).toEqual(['ZIP_BOMB']);
    expect(nested).toEqual([]);
    // 4 MiB of zeros (np.savez_compressed of a zero array): 1000:1, but small.
    expect(codes(await scan(zip([{ name: 'w.npy', data: Buffer.alloc(4 * 1024 * 1024), deflate: true }]), 'zip'))).not.toContain('ZIP_BOMB');
  });

  it('fails closed on files that are not zips', async () => {
    expect(codes(await scan(Buffer.from('PK\x03\x04garbage'), 'zip'))).toEqual(['ZIP_PARSE']);
  });
});

describe('tar archives', () => {
  it('streams regular members (ustar prefix, GNU long names, pax paths) into the nested scan', async () => {
    const long = `${'d/'.repeat(70)}model.bin`;
    const f = await scan(
      tar([
        { name: 'a.txt', data: 'hello' },
        { name: 'sub/', type: '5' },
        { name: 'b.txt', prefix: 'deep/er', data: 'x'.repeat(1000) },
        { name: '././@LongLink', type: 'L', data: `${long}\0` },
        { name: 'truncated-name', data: 'EVIL' },
        { name: 'PaxHeaders/x', type: 'x', data: pax({ path: 'pax/name.bin' }) },
        { name: 'short', data: 'p' },
      ]),
      'tar',
    );
    expect(f).toEqual([expect.objectContaining({ code: 'NESTED_EVIL', member: long })]);
    expect(nested.map((x) => [x.name, x.bytes.length])).toEqual([
      ['a.txt', 5],
      ['deep/er/b.txt', 1000],
      [long, 4],
      ['pax/name.bin', 1],
    ]);
  });

  it('reports slip, links, devices, setuid, duplicates and the executable bit', async () => {
    const f = await scan(
      tar([
        { name: '../../etc/cron.d/x', data: 'a' },
        { name: 'cfg', type: '2', link: '/etc/passwd' },
        { name: 'ok-link', type: '2', link: 'weights/a.bin' },
        { name: 'escape', type: '2', link: '../../../../etc' },
        { name: 'hard', type: '1', link: '../outside' },
        { name: 'null', type: '3' },
        { name: 'fifo', type: '6' },
        { name: 'suid', data: 'x', mode: 0o4755 },
        { name: 'run', data: 'x', mode: 0o755 },
        { name: 'dup', data: '1' },
        { name: 'dup', data: '2' },
      ]),
      'tar',
    );
    const by = (code: string) => f.filter((x) => x.code === code).map((x) => [x.member, x.severity]);
    expect(by('TAR_SLIP')).toEqual([['../../etc/cron.d/x', 'critical']]);
    expect(by('TAR_SYMLINK')).toEqual([
      ['cfg', 'critical'],
      ['ok-link', 'high'],
      ['escape', 'critical'],
    ]);
    expect(by('TAR_HARDLINK')).toEqual([['hard', 'critical']]);
    expect(by('TAR_DEVICE')).toEqual([
      ['null', 'high'],
      ['fifo', 'high'],
    ]);
    expect(by('TAR_SETUID')).toEqual([['suid', 'high']]);
    expect(by('EXECUTABLE_BIT')).toEqual([['run', 'medium']]);
    expect(by('TAR_DUPLICATE_MEMBER')).toEqual([['dup', 'high']]);
  });

  it('fails closed: bad checksums, truncation, unknown types, sizes on links, bad pax', async () => {
    expect(codes(await scan(tar([{ name: 'a', data: 'x', badChecksum: true }]), 'tar'))).toEqual(['TAR_PARSE']);
    expect(codes(await scan(tar([{ name: 'a', data: 'x'.repeat(2000) }]).subarray(0, 1024), 'tar'))).toContain('TAR_PARSE');
    expect(codes(await scan(tar([{ name: 'sparse', type: 'S', data: 'x' }]), 'tar'))).toEqual(['TAR_UNSUPPORTED']);
    expect(codes(await scan(tar([{ name: 'l', type: '2', link: 'a', size: 512 }]), 'tar'))).toEqual(['TAR_PARSE', 'TAR_SYMLINK']);
    expect(codes(await scan(tar([{ name: 'p', type: 'x', data: '5 a\n' }, { name: 'b', data: 'x' }]), 'tar'))).toEqual(['TAR_PARSE']);
    expect(codes(await scan(tar([{ name: 'a', data: 'x' }], false), 'tar'))).toEqual(['TAR_PARSE']);
  });

  it('scans members hidden after the end-of-archive marker', async () => {
    const f = await scan(Buffer.concat([tar([{ name: 'a', data: 'x' }]), tar([{ name: 'hidden', data: 'EVIL' }])]), 'tar');
    expect(codes(f)).toEqual(['TAR_TRAILING_DATA', 'NESTED_EVIL']);
  });

  it('keeps its place when the nested scan stops reading a member early', async () => {
    const bytes = tar([{ name: 'big.bin', data: Buffer.alloc(3 * 1024 * 1024, 1) }, { name: 'next', data: 'EVIL' }]);
    const seen: string[] = [];
    const t = fileTarget(path.join(dir, `f${n++}`), bytes, 'tar', {
      path: 'a.tar',
      scanNested: async (member, content) => {
        seen.push(member);
        if (member === 'big.bin') {
          content.destroy();
          return [finding('SCAN_LIMIT', 'high', 'gave up', null, member)];
        }
        return (await collect(content)).toString() === 'EVIL' ? [finding('NESTED_EVIL', 'critical', 'evil', 0, member)] : [];
      },
    });
    expect(codes(await scanArchive(t))).toEqual(['SCAN_LIMIT', 'NESTED_EVIL']);
    expect(seen).toEqual(['big.bin', 'next']);
  });

  it('enforces member and size limits', async () => {
    const many = tar(Array.from({ length: 5 }, (_, i) => ({ name: `m${i}`, data: 'x' })));
    expect(codes(await scan(many, 'tar', 'a.tar', { maxArchiveMembers: 3 }))).toEqual(['SCAN_LIMIT']);
    expect(codes(await scan(tar([{ name: 'big', data: 'x'.repeat(100) }]), 'tar', 'a.tar', { maxArchiveBytes: 50 }))).toEqual(['SCAN_LIMIT']);
  });
});

describe('gzip', () => {
  it('scans a compressed tar as a tar', async () => {
    const f = await scan(gzipSync(tar([{ name: 'ok.txt', data: 'fine' }, { name: '../up', data: 'EVIL' }])), 'gzip', 'model.tar.gz');
    expect(codes(f)).toEqual(['TAR_SLIP', 'NESTED_EVIL']);
  });

  it('scans a single compressed file under its own name', async () => {
    const f = await scan(gzipSync(Buffer.from('EVIL pickle')), 'gzip', 'weights.pkl.gz');
    expect(f).toEqual([expect.objectContaining({ code: 'NESTED_EVIL', member: 'weights.pkl' })]);
    expect(nested[0]!.bytes.toString()).toBe('EVIL pickle');
  });

  it('stops compression bombs at the limit, without inflating them', async () => {
    const bomb = gzipSync(Buffer.alloc(BOMB_MIN_BYTES + 16 * 1024 * 1024));
    const t0 = Date.now();
    expect(codes(await scan(bomb, 'gzip', 'zeros.gz'))).toEqual(['GZIP_BOMB']);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(codes(await scan(gzipSync(tar([{ name: 'z', data: Buffer.alloc(BOMB_MIN_BYTES + 1024 * 1024) }])), 'gzip', 'z.tar.gz'))).toEqual(['GZIP_BOMB']);
    expect(codes(await scan(gzipSync(Buffer.alloc(8 * 1024 * 1024)), 'gzip', 'zeros.gz'))).not.toContain('GZIP_BOMB');
  });

  it('reports damaged and truncated gzip data', async () => {
    const good = gzipSync(Buffer.from('some model card text '.repeat(100)));
    const crc = Buffer.from(good);
    crc[crc.length - 6] = crc[crc.length - 6]! ^ 0xff;
    expect(codes(await scan(crc, 'gzip', 'x.gz'))).toEqual(['GZIP_CORRUPT']);
    expect(codes(await scan(good.subarray(0, good.length - 10), 'gzip', 'x.gz'))).toEqual(['GZIP_CORRUPT']);
    expect(codes(await scan(Buffer.from([0x1f, 0x8b, 7, 0, 0, 0, 0, 0, 0, 0]), 'gzip', 'x.gz'))).toEqual(['GZIP_PARSE']);
  });
});
