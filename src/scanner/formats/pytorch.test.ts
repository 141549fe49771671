import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ScanTarget } from '../context.js';
import { detectFormat } from '../detect.js';
import { NESTED_KEEP } from '../pickle/ops.js';
import { verdictOf, type Finding } from '../types.js';
import { scanPickle } from './pickle.js';
import { scanPytorch, scanPytorchLegacy, scanPytorchZip } from './pytorch.js';
import { buildZip, fileTarget, tempDir } from './test-fixtures.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const cat = (...parts: (Buffer | string)[]): Buffer => Buffer.concat(parts.map((p) => (typeof p === 'string' ? b(p) : p)));
const bu = (s: string): Buffer => {
  const len = Buffer.alloc(4);
  len.writeUInt32LE(Buffer.byteLength(s));
  return cat('X', len, Buffer.from(s, 'utf8'));
};
const P2 = '\x80\x02';
const dir = tempDir('garden-pytorch-test-');

/** A stored (uncompressed) zip, as torch.save writes it. */
const zip = (entries: [string, Buffer][]) => buildZip(entries.map(([name, data]) => ({ name, data })));


let n = 0;
function target(data: Buffer): ScanTarget {
  return fileTarget(path.join(dir, `t${n++}.pt`), data, data.subarray(0, 2).toString('latin1') === 'PK' ? 'pytorch-zip' : 'pytorch-legacy');
}

const codes = (f: Finding[]): string[] => f.map((x) => `${x.severity} ${x.code}${x.member ? ` ${x.member}` : ''}`);

// {'w': _rebuild_tensor_v2(persistent_load(('storage', FloatStorage, '0', 'cpu', 6)), 0, (2, 3), (3, 1), False, OrderedDict())}
const tensor = (key: string, numel: number, legacy = false): Buffer =>
  cat(
    'ctorch._utils\n_rebuild_tensor_v2\n(',
    '(',
    bu('storage'),
    'ctorch\nFloatStorage\n',
    bu(key),
    bu('cpu'),
    'K',
    Buffer.from([numel]),
    legacy ? 'N' : '',
    'tQK\x00K\x02K\x03\x86K\x03K\x01\x86\x89ccollections\nOrderedDict\n)RtR',
  );
const stateDict = (body: Buffer): Buffer => cat(P2, 'ccollections\nOrderedDict\n)R(', bu('w'), body, 'u.');

describe('scanPytorchZip', () => {
  const floats = Buffer.alloc(24);

  it('passes a state dict and does not read the storages', async () => {
    const data = zip([
      ['archive/data.pkl', stateDict(tensor('0', 6))],
      ['archive/byteorder', b('little')],
      ['archive/data/0', floats],
      ['archive/version', b('3\n')],
    ]);
    expect(await scanPytorchZip(target(data))).toEqual([]);
  });

  it('finds code execution in data.pkl and in hidden members, by content', async () => {
    const evil = cat(P2, 'cos\nsystem\n(', bu('id'), 'tR.');
    const data = zip([
      ['archive/data.pkl', stateDict(tensor('0', 6))],
      ['archive/data/0', floats],
      ['archive/notes', b("cposix\nsystem\n(S'id'\ntR.")],
      ['archive/data/7', evil],
    ]);
    const f = await scanPytorchZip(target(data));
    expect(codes(f)).toEqual(['critical PICKLE_CODE_EXECUTION archive/notes', 'critical PICKLE_CODE_EXECUTION archive/data/7']);
    expect(verdictOf(f)).toBe('block');
  });

  it('checks storage sizes against the pickle and requires data.pkl', async () => {
    const short = zip([
      ['archive/data.pkl', stateDict(tensor('0', 6))],
      ['archive/data/0', Buffer.alloc(8)],
    ]);
    expect(codes(await scanPytorchZip(target(short)))).toEqual(['high PYTORCH_STORAGE_SIZE archive/data/0']);
    const missing = zip([['archive/data.pkl', stateDict(tensor('3', 6))]]);
    expect(codes(await scanPytorchZip(target(missing)))).toEqual(['high PYTORCH_STORAGE_MISSING archive/data.pkl']);
    expect(codes(await scanPytorchZip(target(zip([['archive/version', b('3\n')]]))))).toEqual(['high PYTORCH_NO_DATA_PKL']);
  });

  it('reports a member that fails its CRC and what its pickle does', async () => {
    const good = zip([['archive/data.pkl', cat(P2, 'cos\nsystem\n)R.')]]);
    const bad = Buffer.from(good);
    bad.writeUInt32LE(0x12345678, 14); // local header CRC
    bad.writeUInt32LE(0x12345678, good.length - 22 - 46 - 'archive/data.pkl'.length + 16); // central CRC
    const f = await scanPytorchZip(target(bad));
    expect(codes(f)).toEqual(['critical PICKLE_CODE_EXECUTION archive/data.pkl', 'high PICKLE_READ_ERROR archive/data.pkl']);
  });

  it('fails closed on a file that is not a zip', async () => {
    expect(codes(await scanPytorchZip(target(b('PK\x03\x04garbage'))))).toEqual(['high PYTORCH_INVALID']);
  });
});

/** A legacy checkpoint: magic number (as torch writes it, unless `magic` says otherwise), version, sys info, object, keys, storages. */
const legacy = (main: Buffer, keys: string[], storages: Buffer, magic: Buffer | string = cat(P2, '\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.')): Buffer =>
  cat(magic, P2, 'M\xe9\x03.', P2, '}(', bu('little_endian'), '\x88u.', main, P2, ']', '(', ...keys.map(bu), 'e.', storages);
const storage = (numel: number): Buffer => {
  const x = Buffer.alloc(8 + 4 * numel);
  x.writeBigInt64LE(BigInt(numel));
  return x;
};

describe('scanPytorchLegacy', () => {
  it('walks the five pickles and the storage records', async () => {
    const data = legacy(stateDict(tensor('0', 6, true)), ['0'], storage(6));
    expect(await scanPytorchLegacy(target(data))).toEqual([]);
    expect(await scanPytorch(target(data))).toEqual([]);
  });

  it('finds bytes after the last storage and a wrong magic number', async () => {
    const data = legacy(stateDict(tensor('0', 6, true)), ['0'], cat(storage(6), P2, 'cos\nsystem\n)R.'));
    expect(codes(await scanPytorchLegacy(target(data)))).toEqual(['high PYTORCH_TRAILING_DATA']);
    const wrong = Buffer.from(legacy(stateDict(tensor('0', 6, true)), ['0'], storage(6)));
    wrong[4] = 0;
    expect(codes(await scanPytorchLegacy(target(wrong)))).toEqual(['high PYTORCH_STRUCTURE']);
  });

  it('finds code execution in the object pickle and a storage count that does not match', async () => {
    const evil = legacy(cat(P2, 'cos\nsystem\n(', bu('id'), 'tR.'), [], b(''));
    expect(codes(await scanPytorchLegacy(target(evil)))).toEqual(['critical PICKLE_CODE_EXECUTION']);
    const miscount = legacy(stateDict(tensor('0', 6, true)), ['0'], storage(5));
    expect(codes(await scanPytorchLegacy(target(miscount)))).toEqual(['high PYTORCH_STRUCTURE']);
  });
});

describe('TorchScript archives (torch.jit.save)', () => {
  // data.pkl: __torch__.M (a class compiled from code/), built with NEWOBJ and BUILD; debug_pkl: build_intlist tags.
  const module = cat(P2, 'c__torch__\nM\n)\x81}(', bu('training'), '\x88ub.');
  const debug = cat(P2, '(', 'ctorch.jit._pickle\nbuild_intlist\n(]K\x01atR', 't.');
  const archive = (dataPkl: Buffer) =>
    zip([
      ['archive/data.pkl', dataPkl],
      ['archive/code/__torch__.py', b('class M(Module):\n  def forward(self, x: Tensor) -> Tensor:\n    return x\n')],
      ['archive/code/__torch__.py.debug_pkl', debug],
      ['archive/constants.pkl', cat(P2, ').')],
      ['archive/version', b('3\n')],
    ]);

  it('asks for review of the TorchScript code instead of blocking its __torch__ classes and list tags', async () => {
    const f = await scanPytorchZip(target(archive(module)));
    expect(codes(f)).toEqual(['medium PYTORCH_TORCHSCRIPT']);
    expect(f[0]!.message).toContain('archive/code/__torch__.py');
  });

  it('still blocks code execution in a TorchScript archive, and reviews __torch__ names outside one', async () => {
    const evil = cat(P2, 'c__torch__\nM\n)\x81}(', bu('hook'), 'cos\nsystem\n(', bu('id'), 'tRub.');
    expect(codes(await scanPytorchZip(target(archive(evil))))).toContain('critical PICKLE_CODE_EXECUTION archive/data.pkl');
    const plain = await scanPytorchZip(target(zip([['archive/data.pkl', module]])));
    expect(codes(plain)).toEqual(['medium PICKLE_UNSAFE_GLOBAL archive/data.pkl']);
  });
});

describe('tensors pickled with pickle.dumps (torch.storage._load_from_bytes)', () => {
  // _rebuild_tensor_v2(_load_from_bytes(<legacy torch.save of one storage>), 0, (6,), (1,), False, OrderedDict())
  const pickledTensor = (blob: Buffer): Buffer => {
    const len = Buffer.alloc(4);
    len.writeUInt32LE(blob.length);
    return cat(P2, 'ctorch._utils\n_rebuild_tensor_v2\n(ctorch.storage\n_load_from_bytes\n(B', len, blob, 'tRK\x00K\x06\x85K\x01\x85\x89ccollections\nOrderedDict\n)RtR.');
  };
  const storageBlob = legacy(cat(P2, '(', bu('storage'), 'ctorch\nFloatStorage\n', bu('0'), bu('cpu'), 'K\x06NtQ.'), ['0'], storage(6));

  it('scans the embedded checkpoint: a clean one passes', async () => {
    const t = fileTarget(path.join(dir, `p${n++}.pkl`), pickledTensor(storageBlob), 'pickle');
    expect(await scanPickle(t)).toEqual([]);
  });

  it('reads a blob too large to keep in memory again from the file', async () => {
    const big = legacy(cat(P2, '(', bu('storage'), 'ctorch\nFloatStorage\n', bu('0'), bu('cpu'), 'J\x00\x00\x06\x00NtQ.'), ['0'], storage(0x60000));
    expect(big.length).toBeGreaterThan(NESTED_KEEP);
    expect(await scanPickle(fileTarget(path.join(dir, `p${n++}.pkl`), pickledTensor(big), 'pickle'))).toEqual([]);
    const evil = legacy(cat(P2, 'cos\nsystem\n(', bu('id'), 'tR.'), [], Buffer.alloc(NESTED_KEEP));
    const f = await scanPickle(fileTarget(path.join(dir, `p${n++}.pkl`), pickledTensor(evil), 'pickle'));
    expect(codes(f)).toEqual(['critical PICKLE_CODE_EXECUTION', 'high PYTORCH_TRAILING_DATA']);
  });

  it('blocks an embedded checkpoint that runs a command, and one that is malformed', async () => {
    const evil = legacy(cat(P2, 'cos\nsystem\n(', bu('id'), 'tR.'), [], b(''));
    const f = await scanPickle(fileTarget(path.join(dir, `p${n++}.pkl`), pickledTensor(evil), 'pickle'));
    expect(codes(f)).toEqual(['critical PICKLE_CODE_EXECUTION']);
    expect(f[0]!.message).toContain('inside the torch.save blob given to torch.storage._load_from_bytes');
    expect(f[0]!.message).toContain("os.system('id')");
    const cut = await scanPickle(fileTarget(path.join(dir, `p${n++}.pkl`), pickledTensor(storageBlob.subarray(0, storageBlob.length - 4)), 'pickle'));
    expect(codes(cut)).toEqual(['high PYTORCH_STRUCTURE']);
  });
});

describe('legacy checkpoints whose magic-number pickle is written another way', () => {
  const body = (main: Buffer, magic: string) => legacy(main, ['0'], storage(6), magic);
  const protocol0 = 'L1950a86a20f9469cfc6cL\n.'.replace('1950a86a20f9469cfc6c', BigInt('0x1950a86a20f9469cfc6c').toString());
  const protocol4 = cat('\x80\x04\x95\x0c\x00\x00\x00\x00\x00\x00\x00\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.').toString('latin1');

  it('is detected as a legacy checkpoint (torch.load compares the value) and scanned as one', async () => {
    for (const magic of [protocol0, protocol4]) {
      const data = body(stateDict(tensor('0', 6, true)), magic);
      const abs = path.join(dir, `m${n++}.pt`);
      writeFileSync(abs, data);
      expect(await detectFormat(data, data.length, 'pytorch_model.bin', abs)).toBe('pytorch-legacy');
      expect(await scanPytorchLegacy(fileTarget(abs, data, 'pytorch-legacy'))).toEqual([]);
      const evil = legacy(cat(P2, 'cos\nsystem\n(', bu('id'), 'tR.'), [], b(''), magic);
      expect(codes(await scanPytorchLegacy(fileTarget(path.join(dir, `m${n++}.pt`), evil, 'pytorch-legacy')))).toEqual(['critical PICKLE_CODE_EXECUTION']);
    }
  });
});
