import { describe, expect, it } from 'vitest';
import { ByteReader } from './byte-reader.js';
import { PickleMachine } from './interpreter.js';
import { machineLimits } from './ops.js';
import type { PickleVisitor, PyCall, PyGlobal, PyValue, RunResult, StopInfo } from './values.js';
import { DEFAULT_LIMITS } from '../types.js';

// A small pickle assembler (protocol opcodes by hand: streams no pickler writes).
const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const cat = (...parts: (Buffer | string)[]): Buffer => Buffer.concat(parts.map((p) => (typeof p === 'string' ? b(p) : p)));
const u = (s: string): Buffer => {
  const x = Buffer.from(s, 'utf8');
  if (x.length < 256) return cat(Buffer.from([0x8c, x.length]), x);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(x.length);
  return cat('X', len, x);
};
const int = (n: number): Buffer => {
  const x = Buffer.alloc(5);
  x[0] = 0x4a;
  x.writeInt32LE(n, 1);
  return x;
};
const proto = (p: number): Buffer => Buffer.from([0x80, p]);
const sglobal = (m: string, n: string): Buffer => cat(u(m), u(n), '\x93');

interface Trace {
  globals: string[];
  calls: PyCall[];
  stops: StopInfo[];
  irregular: string[];
  exts: number[];
  pids: PyValue[];
  builds: { target: PyValue; state: PyValue }[];
  memo: string[];
  result: RunResult;
}

async function run(data: Buffer | Buffer[], opts: { chunk?: number; limits?: Partial<ReturnType<typeof machineLimits>>; maxPickles?: number } = {}): Promise<Trace> {
  const whole = Array.isArray(data) ? Buffer.concat(data) : data;
  const chunks: Buffer[] = [];
  const size = opts.chunk ?? whole.length;
  for (let i = 0; i < whole.length; i += size) chunks.push(whole.subarray(i, i + size));
  const t: Omit<Trace, 'result'> = { globals: [], calls: [], stops: [], irregular: [], exts: [], pids: [], builds: [], memo: [] };
  const visitor: PickleVisitor = {
    onGlobal: (g: PyGlobal, _offset, via) => t.globals.push(`${via} ${g.module}.${g.name}${g.unresolved ? ' (unresolved)' : ''}`),
    onCall: (c) => t.calls.push(c),
    onStop: (s) => void t.stops.push(s),
    onIrregular: (w) => t.irregular.push(w),
    onExtension: (code) => t.exts.push(code),
    onPersistentId: (p) => t.pids.push(p.pid),
    onBuild: (target, state) => void t.builds.push({ target, state }),
    onMemo: (op, index) => t.memo.push(`${op} ${index}`),
  };
  const reader = new ByteReader(chunks);
  const m = new PickleMachine(reader, visitor, { limits: { ...machineLimits(DEFAULT_LIMITS), ...opts.limits }, maxPickles: opts.maxPickles });
  return { ...t, result: await m.run() };
}

function callee(c: PyCall | undefined): string {
  const g = c?.callee;
  return typeof g === 'object' && g !== null && g.k === 'global' ? `${g.module}.${g.name}` : JSON.stringify(g);
}

describe('PickleMachine', () => {
  it('reads every pickle protocol Python writes and returns the STOP value', async () => {
    // pickle.dumps([1, 'a', None, True, 2.5], protocol=p) for p in 0, 2, 4
    const p0 = b('(lp0\nI1\naVa\np1\naNaI01\naF2.5\na.');
    const p2 = cat(proto(2), ']q\x00(K\x01X\x01\x00\x00\x00aq\x01N\x88G@\x04\x00\x00\x00\x00\x00\x00e.');
    const p4 = cat(proto(4), '\x95\x16\x00\x00\x00\x00\x00\x00\x00]\x94(K\x01\x8c\x01a\x94N\x88G@\x04\x00\x00\x00\x00\x00\x00e.');
    for (const data of [p0, p2, p4]) {
      const t = await run(data);
      expect(t.result.error).toBeNull();
      const v = t.result.results[0];
      expect(v).toMatchObject({ k: 'list', n: 5, items: [1, 'a', null, true, 2.5] });
    }
  });

  it('gives the same results whatever the chunk boundaries (1-byte chunks)', async () => {
    const data = cat(proto(4), sglobal('collections', 'OrderedDict'), ')R', '\x94', u('x'.repeat(300)), '0', b('B'), Buffer.from([5, 0, 0, 0]), 'hello', '0', 'h\x00', '.');
    const whole = await run(data);
    const bytewise = await run(data, { chunk: 1 });
    expect(bytewise.globals).toEqual(whole.globals);
    expect(bytewise.result.error).toBeNull();
    expect(bytewise.result.end).toBe(data.length);
    expect(bytewise.result.results[0]).toEqual(whole.result.results[0]);
  });

  it('resolves STACK_GLOBAL from memoized strings, even after the memo index was overwritten', async () => {
    const data = cat(proto(4), u('collections'), 'q\x00', '0', u('os'), 'q\x00', '0', 'h\x00', u('system'), '\x93', '(', u('id'), 'tR.');
    const t = await run(data);
    expect(t.globals).toEqual(['STACK_GLOBAL os.system']);
    expect(callee(t.calls[0])).toBe('os.system');
    expect(t.memo).toEqual(['put 0', 'put 0', 'get 0']);
  });

  it('puts MEMOIZE at the number of memo entries, not after the highest index (CPython memo_len)', async () => {
    const data = cat(proto(4), u('posix'), 'r\x05\x00\x00\x00', u('system'), '\x94', 'h\x05h\x01\x93', ')R.');
    const t = await run(data);
    expect(t.globals).toEqual(['STACK_GLOBAL posix.system']);
  });

  it('applies the Python 2 name mapping only below protocol 3', async () => {
    const p2 = cat(proto(2), 'c__builtin__\neval\n', ')R.');
    const p3 = cat(proto(3), 'c__builtin__\neval\n', ')R.');
    expect((await run(p2)).globals).toEqual(['GLOBAL builtins.eval']);
    expect((await run(p3)).globals).toEqual(['GLOBAL __builtin__.eval']);
    expect((await run(b('ccommands\ngetoutput\n(S"id"\ntR.'))).globals).toEqual(['GLOBAL subprocess.getoutput']);
  });

  it('interprets INST and OBJ as calls', async () => {
    const inst = await run(b("(S'touch x'\nios\nsystem\n."));
    expect(inst.calls.map((c) => `${c.op} ${callee(c)}`)).toEqual(['INST os.system']);
    expect(inst.calls[0]?.args).toMatchObject({ k: 'tuple', items: ['touch x'] });
    const obj = await run(b("(cos\nsystem\nS'touch x'\no."));
    expect(obj.calls.map((c) => `${c.op} ${callee(c)}`)).toEqual(['OBJ os.system']);
  });

  it('follows CPython where pickletools refuses: POP of a MARK, leftovers at STOP, octal INT', async () => {
    const popMark = await run(cat(proto(2), '(0', 'cos\nsystem\n', ')R.'));
    expect(popMark.result.error).toBeNull();
    expect(callee(popMark.calls[0])).toBe('os.system');
    const leftover = await run(cat(proto(2), 'NN.'));
    expect(leftover.result.error).toBeNull();
    expect(leftover.irregular).toEqual(['1 object(s) left on the stack at STOP']);
    const octal = await run(b('I010\n.'));
    expect(octal.result.results[0]).toBe(8);
    expect(octal.irregular[0]).toMatch(/not in canonical form/);
    expect((await run(b('I01\n.'))).result.results[0]).toBe(true);
    expect((await run(b('L12345678901234567890L\n.'))).result.results[0]).toBe(12345678901234567890n);
  });

  it('decodes STRING escapes and UNICODE raw-unicode-escape like CPython', async () => {
    expect((await run(b("S'a\\x41\\n\\'b'\n."))).result.results[0]).toBe("aA\n'b");
    expect((await run(b('Vcaf\\u00e9\n.'))).result.results[0]).toBe('café');
    expect((await run(b('S"unquoted\n.'))).result.error?.message).toMatch(/must be quoted/);
  });

  it('reports CPython errors: truncation, unknown opcode, underflow, missing MARK, bad STACK_GLOBAL, protocol', async () => {
    const cases: [Buffer, RegExp][] = [
      [cat(proto(2), ']q\x00('), /without a STOP/],
      [cat(proto(2), '\xff'), /invalid load key, '\\xff'/],
      [cat(proto(2), 'R.'), /stack underflow/],
      [cat(proto(2), 'e.'), /could not find MARK/],
      [cat(proto(2), 'N(R.'), /unexpected MARK found/],
      [cat(proto(4), int(1), u('x'), '\x93.'), /STACK_GLOBAL requires str/],
      [cat(proto(6), 'N.'), /unsupported pickle protocol: 6/],
      [cat(proto(2), 'h\x07.'), /Memo value not found at index 7/],
      [cat(proto(2), 'NNN(NNNu.'), /odd number of items/],
      [b(''), /empty/],
      [cat(proto(2), 'X', Buffer.from([10, 0, 0, 0]), 'abc'), /truncated/],
    ];
    for (const [data, msg] of cases) {
      const t = await run(data);
      expect(t.result.error?.message, data.toString('latin1')).toMatch(msg);
    }
  });

  it('fences pops at the last MARK like CPython (REDUCE cannot reach below a MARK)', async () => {
    const t = await run(cat(proto(2), 'cos\nsystem\n(', u('x'), 'R.'));
    expect(t.result.error?.message).toBe('unexpected MARK found');
    expect(t.calls).toEqual([]);
  });

  it('skips a large BINBYTES without keeping it, recording its length and prefix', async () => {
    const big = Buffer.alloc(50 * 1024 * 1024, 0x41);
    const len = Buffer.alloc(4);
    len.writeUInt32LE(big.length);
    const data = [cat(proto(3), 'B', len), big, b('.')];
    const before = process.memoryUsage().arrayBuffers;
    const t = await run(data, { chunk: 1 << 20 });
    expect(t.result.error).toBeNull();
    const v = t.result.results[0];
    expect(v).toMatchObject({ k: 'bytes', len: big.length, data: null });
    expect(typeof v === 'object' && v !== null && v.k === 'bytes' ? v.head.length : 0).toBe(64);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(big.length + 16 * 1024 * 1024);
  });

  it('keeps small pickle-looking bytes whole (for nested pickle.loads payloads)', async () => {
    const inner = cat(proto(2), 'cos\nsystem\n)R.');
    const t = await run(cat(proto(3), 'C', Buffer.from([inner.length]), inner, '.'));
    expect(t.result.results[0]).toMatchObject({ k: 'bytes', len: inner.length, data: inner });
  });

  it('handles protocol 5: BYTEARRAY8, NEXT_BUFFER, READONLY_BUFFER, FRAME', async () => {
    const n8 = Buffer.alloc(8);
    n8.writeBigUInt64LE(3n);
    const ba = await run(cat(proto(5), '\x95', n8, '\x96', n8, 'abc\x98.'));
    expect(ba.result.error).toBeNull();
    expect(ba.result.results[0]).toMatchObject({ k: 'bytes', bytearray: true, len: 3 });
    const nb = await run(cat(proto(5), '\x97.'));
    expect(nb.result.error).toBeNull();
    expect(nb.irregular[0]).toMatch(/out-of-band/);
    const ro = await run(cat(proto(5), 'N\x98.'));
    expect(ro.result.error?.message).toMatch(/buffer protocol/);
    const longFrame = Buffer.alloc(8);
    longFrame.writeBigUInt64LE(1000n);
    expect((await run(cat(proto(4), '\x95', longFrame, 'N.'))).result.error?.message).toMatch(/FRAME/);
  });

  it('reports EXT codes and persistent ids, and pushes placeholders so the analysis goes on', async () => {
    const t = await run(cat(proto(2), '\x82\x2a', ')R', '0', '(', u('storage'), u('0'), 't', 'Q', '0', 'P42\n.'));
    expect(t.exts).toEqual([42]);
    expect(t.calls).toHaveLength(1);
    expect(t.pids).toEqual([{ k: 'tuple', items: ['storage', '0'], n: 2 }, '42']);
    expect((await run(cat(proto(2), '\x84\x00\x00\x00\x00.'))).result.error?.message).toBe('EXT specifies code <= 0');
  });

  it('interprets several pickles in one stream, each with a fresh memo', async () => {
    const t = await run([cat(proto(2), 'N', 'q\x00', '.'), cat(proto(2), 'cos\nsystem\n)R.')]);
    expect(t.result.pickles).toBe(2);
    expect(t.stops.map((s) => s.pickle)).toEqual([0, 1]);
    expect(callee(t.calls[0])).toBe('os.system');
    const fresh = await run([cat(proto(2), 'Nq\x00.'), cat(proto(2), 'h\x00.')]);
    expect(fresh.result.error?.message).toMatch(/Memo value not found/);
    const one = await run([cat(proto(2), 'N.'), cat(proto(2), 'N.')], { maxPickles: 1 });
    expect(one.result.pickles).toBe(1);
  });

  it('records BUILD targets and states', async () => {
    const t = await run(cat(proto(2), 'ccollections\nOrderedDict\n)R}', u('a'), int(1), 's', 'b.'));
    expect(t.builds).toHaveLength(1);
    expect(t.builds[0]?.state).toMatchObject({ k: 'dict', n: 1, items: ['a', 1] });
    expect(t.result.results[0]).toMatchObject({ k: 'call', state: { k: 'dict' } });
  });

  it('stops at resource limits', async () => {
    const marks = cat(proto(2), Buffer.alloc(2000, 0x28), 'N.');
    expect((await run(marks, { limits: { maxStack: 1000 } })).result.limit?.what).toBe('stack');
    const ops = cat(proto(2), Buffer.alloc(2000, 0x4e), '.');
    expect((await run(ops, { limits: { maxOps: 1000 } })).result.limit?.what).toBe('ops');
    const memo = cat(proto(4), Buffer.concat(Array.from({ length: 100 }, () => b('N\x94'))), '.');
    expect((await run(memo, { limits: { maxMemo: 50 } })).result.limit?.what).toBe('memo');
  });

  it('compacts a huge memo yet still resolves module names taken from it', async () => {
    // 600k memoized strings (past the detail budget), then two globals from one memoized module string.
    const filler: Buffer[] = [];
    for (let i = 0; i < 600_000; i++) filler.push(u(`item${i}`), b('\x94'), b('0'));
    const data = cat(proto(4), Buffer.concat(filler), u('collections'), '\x94', u('OrderedDict'), '\x94', '\x93', '0', 'j', Buffer.from([0xc0, 0x27, 0x09, 0x00]), u('Counter'), '\x93', '0', 'N.');
    const t = await run(data, { chunk: 1 << 16 });
    expect(t.result.error).toBeNull();
    expect(t.globals).toEqual(['STACK_GLOBAL collections.OrderedDict', 'STACK_GLOBAL collections.Counter']);
  });
});
