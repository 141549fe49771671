import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ScanTarget } from '../context.js';
import { verdictOf, type Finding } from '../types.js';
import { descrInfo, parsePyLiteral, scanNpy, scanNpz } from './numpy.js';
import { buildZip, fileTarget, tempDir } from './test-fixtures.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const cat = (...parts: (Buffer | string)[]): Buffer => Buffer.concat(parts.map((p) => (typeof p === 'string' ? b(p) : p)));
const dir = tempDir('garden-numpy-test-');

function npy(descr: string, shape: string, payload: Buffer, major = 1): Buffer {
  let header = `{'descr': ${descr}, 'fortran_order': False, 'shape': ${shape}, }`;
  const pre = major === 1 ? 10 : 12;
  header += ' '.repeat((64 - ((pre + header.length + 1) % 64)) % 64) + '\n';
  const len = Buffer.alloc(major === 1 ? 2 : 4);
  if (major === 1) len.writeUInt16LE(header.length);
  else len.writeUInt32LE(header.length);
  return cat('\x93NUMPY', Buffer.from([major, 0]), len, header, payload);
}


/** A deflated zip, as np.savez_compressed writes it. */
const zip = (entries: [string, Buffer][]) => buildZip(entries.map(([name, data]) => ({ name, data, deflate: true })));

let n = 0;
function target(data: Buffer, ext: string, nested: string[] = []): ScanTarget {
  return fileTarget(path.join(dir, `t${n++}${ext}`), data, ext === '.npz' ? 'numpy-npz' : 'numpy-npy', {
    scanNested: async (name) => {
      nested.push(name);
      return [];
    },
  });
}

const codes = (f: Finding[]): string[] => f.map((x) => `${x.severity} ${x.code}${x.member ? ` ${x.member}` : ''}`);
const floats = npy("'<f8'", '(2, 3)', Buffer.alloc(48));
// pickle.dumps(['a', 1], protocol=3) and a gadget: [os.system('id')]
const benignObjects = b('\x80\x03]q\x00(X\x01\x00\x00\x00aq\x01K\x01e.');
const evilObjects = b('\x80\x03]q\x00cposix\nsystem\nq\x01X\x02\x00\x00\x00idq\x02\x85q\x03Rq\x04a.');

describe('scanNpy', () => {
  it('passes plain arrays of every header version', async () => {
    expect(await scanNpy(target(floats, '.npy'))).toEqual([]);
    expect(await scanNpy(target(npy("'<i4'", '(3,)', Buffer.alloc(12), 2), '.npy'))).toEqual([]);
    expect(await scanNpy(target(npy("[('a', '<i4'), ('b', '<f8', (2,))]", '(2,)', Buffer.alloc(40)), '.npy'))).toEqual([]);
    expect(await scanNpy(target(npy("'<U3'", '()', Buffer.alloc(12)), '.npy'))).toEqual([]);
  });

  it('reports object arrays and scans their pickle with the numpy allow-list', async () => {
    const benign = await scanNpy(target(npy("'|O'", '(2,)', benignObjects), '.npy'));
    expect(codes(benign)).toEqual(['medium NUMPY_OBJECT_ARRAY']);
    expect(benign[0]?.message).toMatch(/dtype '\|O', shape \(2,\)\) holds Python objects, stored as a pickle at offset 128/);
    const evil = await scanNpy(target(npy("[('a', '<i4'), ('b', '|O')]", '(1,)', evilObjects), '.npy'));
    expect(codes(evil)).toEqual(['medium NUMPY_OBJECT_ARRAY', 'critical PICKLE_CODE_EXECUTION']);
    expect(evil[1]?.offset).toBeGreaterThan(128);
  });

  it('finds missing and extra data and bad headers', async () => {
    expect(codes(await scanNpy(target(floats.subarray(0, floats.length - 1), '.npy')))).toEqual(['high NUMPY_DATA_SIZE']);
    expect(codes(await scanNpy(target(cat(floats, evilObjects), '.npy')))).toEqual(['high NUMPY_TRAILING_DATA']);
    expect(codes(await scanNpy(target(npy('__import__("os")', '(1,)', Buffer.alloc(8)), '.npy')))).toEqual(['high NUMPY_HEADER_INVALID']);
    expect(codes(await scanNpy(target(npy("'<f8'", '(-1,)', Buffer.alloc(8)), '.npy')))).toEqual(['high NUMPY_HEADER_INVALID']);
    expect(codes(await scanNpy(target(b('\x93NUMPY\x09\x00'), '.npy')))).toEqual(['high NUMPY_HEADER_INVALID']);
  });
});

describe('scanNpz', () => {
  it('scans every .npy member and hands other members back as files', async () => {
    const nested: string[] = [];
    const f = await scanNpz(target(zip([['a.npy', floats], ['evil.npy', npy("'|O'", '(1,)', evilObjects)], ['notes.txt', b('hello')]]), '.npz', nested));
    expect(codes(f)).toEqual(['medium NUMPY_OBJECT_ARRAY evil.npy', 'critical PICKLE_CODE_EXECUTION evil.npy']);
    expect(verdictOf(f)).toBe('block');
    expect(nested).toEqual(['notes.txt']);
  });

  it('fails closed on a broken zip', async () => {
    expect(codes(await scanNpz(target(b('PK\x03\x04nope'), '.npz')))).toEqual(['high NUMPY_NPZ_INVALID']);
  });
});

describe('header literals', () => {
  it('parses the dict numpy writes and nothing executable', () => {
    const lit = parsePyLiteral("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }");
    expect(lit).toEqual(new Map<string, unknown>([['descr', '<f8'], ['fortran_order', false], ['shape', { tuple: [3, 4] }]]));
    expect(() => parsePyLiteral("{'a': os.system('x')}")).toThrow();
    expect(() => parsePyLiteral("{'a': 1, 'a': 2}")).toThrow(/duplicate/);
    expect(descrInfo([{ tuple: ['a', '<i4'] }, { tuple: ['b', '|O'] }])).toEqual({ itemsize: 12, object: true });
  });
});
