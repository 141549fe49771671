import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { deflateSync, gzipSync } from 'node:zlib';
import lzma from 'lzma-native';
import { describe, expect, it } from 'vitest';
import type { ScanTarget } from '../context.js';
import { verdictOf, type Finding } from '../types.js';
import { BOMB_MIN_BYTES } from '../archive/zip.js';
import { scanJoblib, scanPickle, sniffCompression, sniffPickle } from './pickle.js';
import { fileTarget, tempDir } from './test-fixtures.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const cat = (...parts: (Buffer | string)[]): Buffer => Buffer.concat(parts.map((p) => (typeof p === 'string' ? b(p) : p)));
const u = (s: string): Buffer => cat(Buffer.from([0x8c, Buffer.byteLength(s)]), Buffer.from(s, 'utf8'));
const sg = (m: string, n: string): Buffer => cat(u(m), u(n), '\x93');
const dir = tempDir('garden-pickle-test-');

const liblzma = async (data: Buffer, coder: 'easyEncoder' | 'aloneEncoder'): Promise<Buffer> =>
  buffer(Readable.from([data]).pipe((lzma as unknown as { createStream(c: string, o: object): NodeJS.ReadWriteStream }).createStream(coder, { preset: 1 })));

/** An LZ4 frame of stored (uncompressed) 64 KiB blocks, as lz4.frame writes incompressible data. */
function lz4Stored(data: Buffer): Buffer {
  const parts: Buffer[] = [Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x00])];
  for (let i = 0; i < data.length; i += 65536) {
    const block = data.subarray(i, i + 65536);
    const size = Buffer.alloc(4);
    size.writeUInt32LE((block.length | 0x80000000) >>> 0);
    parts.push(size, block);
  }
  parts.push(Buffer.alloc(4));
  return Buffer.concat(parts);
}

let n = 0;
function target(data: Buffer, format: 'pickle' | 'joblib'): ScanTarget {
  return fileTarget(path.join(dir, `t${n++}.${format}`), data, format);
}

const codes = (f: Finding[]): string[] => f.map((x) => `${x.severity} ${x.code}`);

/** A joblib NumpyArrayWrapper for a float64 or uint8 vector, followed by its raw bytes (and padding when aligned). */
function wrapper(count: number, typestr: 'f8' | 'u1' | 'O8', raw: Buffer, aligned = true): Buffer {
  const dtype = cat(sg('numpy', 'dtype'), '(', u(typestr), '\x89\x88tR(K\x03', u('|'), 'NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xff', typestr === 'O8' ? 'K?' : 'K\x00', 'tb');
  const state = cat('}(', u('subclass'), sg('numpy', 'ndarray'), u('shape'), 'J', Buffer.from(new Int32Array([count]).buffer), '\x85', u('order'), u('C'), u('dtype'), dtype, u('allow_mmap'), '\x88', aligned ? cat(u('numpy_array_alignment_bytes'), 'K\x10') : '', 'u');
  const head = cat(sg('joblib.numpy_pickle', 'NumpyArrayWrapper'), ')\x81', state, 'b');
  return cat(head, aligned && typestr !== 'O8' ? cat(Buffer.from([3]), Buffer.alloc(3, 0xff)) : '', raw);
}

// A scikit-learn model whose coef_ is a joblib array: LogisticRegression with __dict__ {'C': 1.0, 'coef_': <array>}
const model = (array: Buffer): Buffer => cat('\x80\x04', sg('sklearn.linear_model._logistic', 'LogisticRegression'), ')\x81}(', u('C'), 'G?\xf0\x00\x00\x00\x00\x00\x00', u('coef_'), array, 'ub.');
const floats = wrapper(3, 'f8', Buffer.alloc(24, 0x2e));

describe('scanJoblib', () => {
  it('skips the array bytes after NumpyArrayWrapper and passes a scikit-learn model', async () => {
    expect(await scanJoblib(target(model(floats), 'joblib'))).toEqual([]);
    // Without the joblib view the '.' bytes of the array would end the pickle early.
    expect(await scanPickle(target(model(floats), 'pickle'))).toEqual([]);
  });

  it('reads zlib, gzip and the old ZF format', async () => {
    const plain = model(floats);
    expect(sniffCompression(deflateSync(plain))).toBe('zlib');
    expect(await scanJoblib(target(deflateSync(plain), 'joblib'))).toEqual([]);
    expect(await scanJoblib(target(gzipSync(plain), 'joblib'))).toEqual([]);
    const zf = cat('ZF', `0x${plain.length.toString(16)}`.padEnd(19), deflateSync(plain));
    expect(await scanJoblib(target(zf, 'joblib'))).toEqual([]);
  });

  it('reads bz2, xz, lzma and lz4 (joblib\'s other compressors) and finds gadgets inside', async () => {
    const plain = model(floats);
    const evil = cat('\x80\x04(', plain.subarray(2, -1), sg('os', 'system'), '(', u('id'), 'tRt.');
    for (const [how, pack] of [
      ['xz', (d: Buffer) => liblzma(d, 'easyEncoder')],
      ['lzma', (d: Buffer) => liblzma(d, 'aloneEncoder')],
      ['lz4', async (d: Buffer) => lz4Stored(d)],
    ] as const) {
      const packed = await pack(plain);
      expect(sniffCompression(packed), how).toBe(how);
      expect(await scanJoblib(target(packed, 'joblib')), how).toEqual([]);
      expect(codes(await scanJoblib(target(await pack(evil), 'joblib'))), how).toContain('critical PICKLE_CODE_EXECUTION');
    }
    // bz2.compress(b"cos\nsystem\n(S'id'\ntR.") in Python (Node has no bz2 encoder).
    const bz2Evil = Buffer.from('QlpoOTFBWSZTWR8vIqUAAATTgAAQAMEYAA4ijCAgACIhobRPKYpgACi8jgQkuCV+mTWLuSKcKEgPl5FSgA==', 'base64');
    expect(codes(await scanJoblib(target(bz2Evil, 'joblib')))).toEqual(['critical PICKLE_CODE_EXECUTION']);
    expect(codes(await scanJoblib(target(cat('BZh91AY&SY', Buffer.alloc(20)), 'joblib')))).toContain('high PICKLE_READ_ERROR');
  });

  it('passes highly compressible arrays, and reports a file that expands past the limits as a bomb', async () => {
    // A pickle holding N MiB of zero bytes (BINBYTES8), as concatenated xz streams (joblib reads them).
    const zeros8 = await liblzma(Buffer.alloc(8 * 1024 * 1024), 'easyEncoder');
    const pickled = async (mib: number) => {
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(mib) * 1024n * 1024n);
      return Buffer.concat([await liblzma(cat('\x80\x04\x8e', len), 'easyEncoder'), ...Array<Buffer>(mib / 8).fill(zeros8), await liblzma(b('.'), 'easyEncoder')]);
    };
    // 16 MiB from ~3 kB (over 5000:1): zeros, not a bomb below BOMB_MIN_BYTES.
    expect(BOMB_MIN_BYTES).toBe(64 * 1024 * 1024);
    expect(await scanJoblib(target(await pickled(16), 'joblib'))).toEqual([]);
    const f = await scanJoblib(target(await pickled(96), 'joblib'));
    expect(codes(f)).toEqual(['high PICKLE_PARSE_ERROR', 'high COMPRESSION_BOMB']);
  });

  it('finds gadgets in compressed files and in object arrays (a nested pickle)', async () => {
    const gadget = cat(sg('os', 'system'), '(', u('id'), 'tR');
    const evil = cat('\x80\x04(', model(floats).subarray(2, -1), gadget, 't.');
    expect(codes(await scanJoblib(target(deflateSync(evil), 'joblib')))).toEqual(['critical PICKLE_CODE_EXECUTION']);
    const nested = wrapper(1, 'O8', cat('\x80\x02]', 'cposix\nsystem\n(', u('id'), 'tRa.'));
    const f = await scanJoblib(target(model(nested), 'joblib'));
    expect(codes(f)).toContain('critical PICKLE_CODE_EXECUTION');
  });

  it('checks what pickle.load would do with the array bytes', async () => {
    // joblib < 1.2 layout (no padding): the "array" is a gadget when read as opcodes.
    const payload = cat('cos\nsystem\n(', u('id'), 'tR0');
    const f = await scanJoblib(target(model(wrapper(payload.length, 'u1', payload, false)), 'joblib'));
    expect(codes(f)).toEqual(['critical PICKLE_CODE_EXECUTION']);
    expect(f[0]?.message).toMatch(/^read by pickle\.load instead of joblib\.load, the array bytes after the NumpyArrayWrapper at offset \d+ are opcodes: calls os\.system\('id'\)/);
  });

  it('sizes arrays whose dtype comes from a large memo', async () => {
    // 300k memoized strings exhaust the memo's detail budget; the dtype is memoized after them and reused.
    const filler = Buffer.concat(Array.from({ length: 300_000 }, (_, i) => cat(u(`s${i}`), '\x94', '0')));
    const dtype = cat(sg('numpy', 'dtype'), '(', u('f8'), '\x89\x88tR(K\x03', u('<'), 'NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb', 'r\xa0\xbb\x0d\x00');
    const state = (d: Buffer): Buffer => cat('}(', u('subclass'), sg('numpy', 'ndarray'), u('shape'), 'K\x02\x85', u('order'), u('C'), u('dtype'), d, u('allow_mmap'), '\x88', u('numpy_array_alignment_bytes'), 'K\x10', 'u');
    const arr = (d: Buffer): Buffer => cat(sg('joblib.numpy_pickle', 'NumpyArrayWrapper'), ')\x81', state(d), 'b', Buffer.from([1, 0xff]), Buffer.alloc(16, 0x2e));
    const data = cat('\x80\x04', filler, '(', arr(dtype), arr(b('j\xa0\xbb\x0d\x00')), 't.');
    expect(await scanJoblib(target(data, 'joblib'))).toEqual([]);
  });

  it('stops a decompression bomb', async () => {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(300n * 1024n * 1024n);
    const bomb = deflateSync(cat('\x80\x04\x8e', len, Buffer.alloc(300 * 1024 * 1024), '.'));
    const f = await scanJoblib(target(bomb, 'joblib'));
    expect(codes(f)).toEqual(['high PICKLE_PARSE_ERROR', 'high COMPRESSION_BOMB']);
  });
});

describe('scanPickle', () => {
  it('uses the generic allow-list for plain pickles, and the PyTorch one for pickled tensors', async () => {
    expect(await scanPickle(target(b('\x80\x02ccollections\nOrderedDict\n)R.'), 'pickle'))).toEqual([]);
    expect(verdictOf(await scanPickle(target(b('\x80\x02cnumpy.lib.npyio\nNpzFile\n)R.'), 'pickle')))).toBe('warn');
    // pickle.dumps(tensor) rebuilds tensors with torch._utils: the PyTorch allow-list applies.
    expect(await scanPickle(target(b('\x80\x02ctorch._utils\n_rebuild_tensor_v2\n)R.'), 'pickle'))).toEqual([]);
    expect(verdictOf(await scanPickle(target(b('\x80\x02ctorch._utils\n_rebuild_tensor_v2\n)Rctorch.nn.modules.linear\nLinear\n)R.'), 'pickle')))).toBe('warn');
    // torch.load resolves any "...Storage" name itself; pickle.load imports the module: not allowed here.
    expect(verdictOf(await scanPickle(target(b('\x80\x02ctorch._utils\n_rebuild_tensor_v2\n)Rcantigravity\nFloatStorage\n)R.'), 'pickle')))).toBe('warn');
  });
});

describe('sniffPickle', () => {
  it('recognises pickles without magic, and not text', async () => {
    expect(await sniffPickle(b("(S'touch /tmp/x'\nios\nsystem\n."), true)).toBe(true);
    expect(await sniffPickle(b('\x80\x02N.'), true)).toBe(true);
    expect(await sniffPickle(b("cos\nsystem\n(S'id'\ntR\xff"), true)).toBe(true);
    expect(await sniffPickle(b('(dp0\nVa\np1\nI1\ns.'), true)).toBe(true);
    expect(await sniffPickle(b('(lp0\nI1\naI2\na'), false)).toBe(true);
    expect(await sniffPickle(b('(c) 2024 The Authors\nAll rights reserved.\n'), true)).toBe(false);
    expect(await sniffPickle(b('# Model card\n\nThis model…'), true)).toBe(false);
    expect(await sniffPickle(b('{"a": 1}'), true)).toBe(false);
    expect(await sniffPickle(b('3\n'), true)).toBe(false);
  });
});
