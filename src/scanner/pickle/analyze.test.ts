import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, verdictOf, type Finding } from '../types.js';
import { analyzePickle, analyzePickleSource, numpyItemSize, render, scanPickleStream, type PickleScanOptions } from './analyze.js';
import { ByteReader } from './byte-reader.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const cat = (...parts: (Buffer | string)[]): Buffer => Buffer.concat(parts.map((p) => (typeof p === 'string' ? b(p) : p)));
const u = (s: string): Buffer => cat(Buffer.from([0x8c, Buffer.byteLength(s)]), Buffer.from(s, 'utf8'));
const g2 = (m: string, n: string): string => `c${m}\n${n}\n`;
const sg = (m: string, n: string): Buffer => cat(u(m), u(n), '\x93');
const P2 = '\x80\x02';
const P4 = '\x80\x04';

async function scan(data: Buffer, opts: Partial<PickleScanOptions> = {}): Promise<Finding[]> {
  return scanPickleStream([data], { family: 'generic', limits: DEFAULT_LIMITS, ...opts });
}

const codes = (f: Finding[]): string[] => f.map((x) => `${x.severity} ${x.code}`);

describe('scanPickleStream', () => {
  it('quotes the call, its arguments and its offset', async () => {
    const data = cat(P2, g2('os', 'system'), '(', u('touch /tmp/x'), 'tR.');
    const f = await scan(data);
    expect(codes(f)).toEqual(['critical PICKLE_CODE_EXECUTION']);
    expect(f[0]?.message).toBe("calls os.system('touch /tmp/x') at offset 29 (REDUCE): os.system runs a shell command (os gives operating-system access (processes, files, environment))");
    expect(f[0]?.offset).toBe(29);
  });

  it('passes allowed globals and warns about unknown ones', async () => {
    expect(await scan(cat(P2, g2('collections', 'OrderedDict'), ')R.'))).toEqual([]);
    const f = await scan(cat(P4, sg('mylab.models', 'Net'), ')\x81.'));
    expect(codes(f)).toEqual(['medium PICKLE_UNSAFE_GLOBAL']);
    expect(f[0]?.message).toMatch(/imports mylab\.models\.Net at offset \d+ \(STACK_GLOBAL\): mylab\.models\.Net is not on the allow-list for plain pickles/);
  });

  it('reports a dangerous global that is imported but never called directly', async () => {
    const f = await scan(cat(P2, g2('collections', 'OrderedDict'), '(', g2('os', 'system'), 'tR.'));
    expect(codes(f)).toEqual(['critical PICKLE_CODE_EXECUTION']);
    expect(f[0]?.message).toMatch(/^imports os\.system at offset \d+ \(GLOBAL\)/);
  });

  it('shows a getattr / attrgetter chain as one call', async () => {
    const imp = cat(g2('builtins', '__import__'), '(', u('os'), 'tR');
    const chain = cat(P2, g2('operator', 'attrgetter'), '(', u('system'), 'tR', '(', imp, 'tR', '(', u('id'), 'tR.');
    const f = await scan(chain);
    expect(codes(f)).toEqual(['critical PICKLE_CODE_EXECUTION']);
    expect(f[0]?.message).toMatch(/^calls operator\.attrgetter\('system'\)\(builtins\.__import__\('os'\)\)\('id'\) at offset \d+ \(REDUCE\): a call chain/);
  });

  it('sees through callables that call their arguments', async () => {
    const f = await scan(cat(P2, g2('torch._tensor', '_rebuild_from_type_v2'), '(', g2('os', 'system'), g2('torch', 'Tensor'), '(', u('id'), 't}tR.'), { family: 'pytorch' });
    expect(codes(f)).toEqual(['critical PICKLE_CODE_EXECUTION']);
    expect(f[0]?.message).toMatch(/torch\._tensor\._rebuild_from_type_v2 calls its first argument, and os\.system runs a shell command/);
    const partial = await scan(cat(P2, g2('functools', 'partial'), '(', g2('builtins', 'print'), 'tR.'));
    expect(verdictOf(partial)).toBe('warn');
  });

  it('passes what scikit-learn and scipy write (newObj of a tree class, sparse matrices), not newObj of a gadget', async () => {
    const tree = cat(P2, g2('sklearn.neighbors._kd_tree', 'newObj'), '(', g2('sklearn.neighbors._kd_tree', 'KDTree'), 'tR', g2('scipy.sparse._csr', 'csr_matrix'), ')\x81', '\x86.');
    expect(await scan(tree, { family: 'joblib' })).toEqual([]);
    const evil = await scan(cat(P2, g2('sklearn.metrics._dist_metrics', 'newObj'), '(', g2('subprocess', 'Popen'), 'tR.'), { family: 'joblib' });
    expect(codes(evil)).toEqual(['critical PICKLE_CODE_EXECUTION']);
  });

  it('treats getattr(Class, "MEMBER") as an enum restore (review), anything else as critical', async () => {
    const enumLike = await scan(cat(P2, g2('builtins', 'getattr'), '(', g2('mylab.enums', 'Color'), u('RED'), 'tR.'));
    expect(verdictOf(enumLike)).toBe('warn');
    const onModule = await scan(cat(P2, g2('builtins', 'getattr'), '(', g2('torch', 'serialization'), u('load'), 'tR.'));
    expect(verdictOf(onModule)).toBe('block');
    const dunder = await scan(cat(P2, g2('builtins', 'getattr'), '(', g2('mylab.enums', 'Color'), u('__init__'), 'tR.'));
    expect(verdictOf(dunder)).toBe('block');
  });

  it('blocks BUILD and SETITEM on a class or module (monkey-patching)', async () => {
    const build = await scan(cat(P2, g2('collections', 'OrderedDict'), 'N}', u('x'), 'K\x01s\x86b.'));
    expect(codes(build)).toEqual(['high PICKLE_DYNAMIC_CALL']);
    const setitem = await scan(cat(P2, g2('collections', 'OrderedDict'), u('k'), 'K\x01s.'));
    expect(codes(setitem)).toEqual(['high PICKLE_DYNAMIC_CALL']);
  });

  it('accepts the PyTorch persistent-id form and collects storages', async () => {
    const pid = cat(P2, '(', u('storage'), g2('torch', 'FloatStorage'), u('0'), u('cpu'), 'K\x06tQ.');
    const a = await analyzePickle(new ByteReader([pid]), { family: 'pytorch', limits: DEFAULT_LIMITS });
    expect(a.findings).toEqual([]);
    expect(a.storages).toEqual([{ key: '0', type: 'FloatStorage', location: 'cpu', numel: 6, offset: 43 }]);
    const generic = await scan(pid);
    expect(codes(generic)).toEqual(['medium PICKLE_UNSAFE_GLOBAL', 'medium PICKLE_PERSISTENT_ID']);
    const odd = await scan(cat(P2, '(', u('exec'), u('x'), 'tQ.'), { family: 'pytorch' });
    expect(codes(odd)).toEqual(['medium PICKLE_PERSISTENT_ID']);
  });

  it('scans pickles handed to pickle.loads', async () => {
    const inner = cat(P2, g2('os', 'system'), '(', u('id'), 'tR.');
    const f = await scan(cat(P2, g2('pickle', 'loads'), '(', 'C', Buffer.from([inner.length]), inner, 'tR.'));
    expect(f.map((x) => x.message)).toEqual([expect.stringMatching(/^calls pickle\.loads/), expect.stringMatching(/^inside the pickle given to pickle\.loads at offset \d+ .*calls os\.system\('id'\)/)]);
  });

  it('fails closed: parse errors, trailing data, extension codes and limits block', async () => {
    expect(codes(await scan(cat(P2, ']')))).toEqual(['high PICKLE_PARSE_ERROR']);
    const trailing = await scan(cat(P2, 'N.', 'garbage'));
    expect(codes(trailing)).toEqual(['high PICKLE_PARSE_ERROR']);
    expect(trailing[0]?.message).toMatch(/^after the pickle that ends at offset 3, the bytes from offset 4 are not a valid pickle/);
    expect(codes(await scan(cat(P2, '\x82\x05.')))).toEqual(['high PICKLE_UNKNOWN_EXTENSION']);
    const limited = await scan(cat(P2, Buffer.alloc(100, 0x4e), '.'), { limits: { ...DEFAULT_LIMITS, maxPickleOps: 50 } });
    expect(codes(limited)).toEqual(['high SCAN_LIMIT']);
    // What ran before the error is still reported (the code would have executed).
    expect(codes(await scan(cat(P2, g2('os', 'system'), ')R', '\xff')))).toEqual(['critical PICKLE_CODE_EXECUTION', 'high PICKLE_PARSE_ERROR']);
  });

  it('analyses each pickle of a stream and notes that there are several', async () => {
    const f = await scan(cat(P2, 'N.', P2, g2('os', 'system'), ')R.'));
    expect(codes(f)).toEqual(['low PICKLE_MULTIPLE_STREAMS', 'critical PICKLE_CODE_EXECUTION']);
    expect(verdictOf(f)).toBe('block');
  });

  it('flags constructs the pickler never writes', async () => {
    const f = await scan(cat(P2, 'NN2.'));
    expect(codes(f)).toEqual(['medium PICKLE_NONSTANDARD']);
    expect(f[0]?.message).toMatch(/DUP.*left on the stack/);
  });

  it('reports a STACK_GLOBAL whose name could not be kept', async () => {
    const long = Buffer.alloc(5000, 0x61);
    const len = Buffer.alloc(4);
    len.writeUInt32LE(long.length);
    const f = await scan(cat(P4, u('os'), 'X', len, long, '\x93.'));
    expect(codes(f)).toEqual(['high PICKLE_UNRESOLVED_GLOBAL']);
  });

  it('adds the member and absolute offsets', async () => {
    const f = await scan(cat(P2, g2('os', 'system'), ')R.'), { baseOffset: 1000, member: 'archive/data.pkl' });
    expect(f[0]).toMatchObject({ member: 'archive/data.pkl', offset: 1014 });
  });
});

describe('render', () => {
  it('prints values the way Python would', () => {
    expect(render({ k: 'tuple', items: ['a', 1, null, true], n: 4 })).toBe("('a', 1, None, True)");
    expect(render({ k: 'tuple', items: ['a'], n: 1 })).toBe("('a',)");
    expect(render({ k: 'dict', items: ['k', 2.5], n: 1 })).toBe("{'k': 2.5}");
    expect(render({ k: 'list', items: [1, 2], n: 10 })).toBe('[1, 2, …]');
    expect(render({ k: 'bytes', len: 3, head: b('a\x00\''), data: null, at: 0, bytearray: false })).toBe("b'a\\x00\\''");
  });
});

describe('numpyItemSize', () => {
  it('sizes numpy type strings', () => {
    expect(numpyItemSize('<f8')).toEqual({ itemsize: 8, object: false });
    expect(numpyItemSize('|b1')).toEqual({ itemsize: 1, object: false });
    expect(numpyItemSize('<U10')).toEqual({ itemsize: 40, object: false });
    expect(numpyItemSize('|S5')).toEqual({ itemsize: 5, object: false });
    expect(numpyItemSize('|O')).toEqual({ itemsize: 8, object: true });
    expect(numpyItemSize('<M8[ns]')).toEqual({ itemsize: 8, object: false });
    expect(numpyItemSize('<c16')).toEqual({ itemsize: 16, object: false });
    expect(numpyItemSize('weird')).toBeNull();
  });
});

describe('robustness', () => {
  // A deterministic generator, so a failure reproduces.
  let seed = 12345;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return (seed >>> 8) % n; // the low bits of this generator cycle quickly
  };
  const samples = [
    cat(P2, g2('os', 'system'), '(', u('id'), 'tR.'),
    cat(P4, '\x95\x20\x00\x00\x00\x00\x00\x00\x00', sg('collections', 'OrderedDict'), ')R}(', u('a'), 'K\x01', u('b'), ']\x94(K\x01K\x02eu', 'b.'),
    b("(lp0\nI1\naVa\np1\naNaI01\naF2.5\ng1\na."),
    cat(P2, '(', u('storage'), g2('torch', 'FloatStorage'), u('0'), u('cpu'), 'K\x06tQ.'),
  ];

  it('never throws, always terminates, and gives the same findings whatever the chunking', async () => {
    for (let i = 0; i < 400; i++) {
      const base = Buffer.from(samples[rnd(samples.length)] as Buffer);
      const data = i % 4 === 0 ? Buffer.from(Array.from({ length: 1 + rnd(64) }, () => rnd(256))) : base;
      for (let k = 0; k < 1 + rnd(4); k++) data[rnd(data.length)] = rnd(256);
      const whole = await scanPickleStream([data], { family: 'pytorch', limits: DEFAULT_LIMITS });
      const step = 1 + rnd(5);
      const chunks: Buffer[] = [];
      for (let j = 0; j < data.length; j += step) chunks.push(data.subarray(j, j + step));
      const pieces = await scanPickleStream(chunks, { family: 'pytorch', limits: DEFAULT_LIMITS });
      expect(pieces, data.toString('hex')).toEqual(whole);
    }
  });
});

describe('fast data-only pass', () => {
  let seed = 777;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return (seed >>> 8) % n; // the low bits of this generator cycle quickly
  };
  // Data-only opcodes with well-formed (or deliberately odd) arguments.
  const pieces = (withCalls: boolean): Buffer => {
    switch (rnd(withCalls ? 32 : 24)) {
      case 0:
        return b('N');
      case 1:
        return cat('K', Buffer.from([rnd(256)]));
      case 2:
        return cat('J', Buffer.from([rnd(256), rnd(256), rnd(256), rnd(256)]));
      case 3:
        return u(['a', 'name', 'x'.repeat(rnd(40)), 'é'][rnd(4)] as string);
      case 4:
        return b('\x94');
      case 5:
        return cat('h', Buffer.from([rnd(8)]));
      case 6:
        return cat('q', Buffer.from([rnd(8)]));
      case 7:
        return b('(');
      case 8:
        return b(['t', 'l', 'd', 'e', 'u', 'a', 's', '\x90', '\x91', '1', '0', '2'][rnd(12)] as string);
      case 9:
        return b([')', ']', '}', '\x8f', '\x85', '\x86', '\x87', '\x88', '\x89'][rnd(9)] as string);
      case 10:
        return b(['I1\n', 'I01\n', 'I0x1f\n', 'L5L\n', 'F1.5\n', "S'a\\n'\n", 'Vx\\u0041\n', 'g0\n', 'p1\n', 'Ixyz\n', 'S"bad\n'][rnd(11)] as string);
      case 11:
        return cat('G', Buffer.alloc(8, rnd(256)));
      case 12:
        return cat('C', Buffer.from([3]), 'abc');
      case 13:
        return cat('\x8a', Buffer.from([2, rnd(256), rnd(256)]));
      case 14:
        return b('\x80\x04');
      case 15:
        return cat('\x95', Buffer.from([rnd(40), 0, 0, 0, 0, 0, 0, 0]));
      case 16:
        return cat('\x8c', Buffer.from([2, 0xff, 0xfe]));
      case 17:
        return b('.');
      // Imports and calls: quiet ones stay on the fast path, the others hand over.
      case 24:
        return cat(u('__main__'), '\x94', u('Record'), '\x94', '\x93');
      case 25:
        return cat(u(['os', 'collections', 'builtins'][rnd(3)] as string), u(['system', 'OrderedDict', 'getattr'][rnd(3)] as string), '\x93');
      case 26:
        return b(['ccollections\nOrderedDict\n', 'c__builtin__\nset\n', 'c__main__\nThing\n', 'cposix\nsystem\n'][rnd(4)] as string);
      case 27:
      case 28:
        return b(['R', '\x81', 'b', 'o', '\x92', 'b', '\x81'][rnd(7)] as string);
      case 29:
        return b(['i__main__\nThing\n', 'h\x03', 'h\x01', '\x94'][rnd(4)] as string);
      case 30:
        return cat(')', '\x81', '}', '(', u('id'), 'K\x01', 'u', 'b');
      default:
        return b(['N', 'K\x01', ']', '}', '(', 't'][rnd(6)] as string);
    }
  };

  it.each([
    ['data-only streams', false],
    ['streams with imports and calls', true],
  ])('gives exactly the findings of the full interpreter on %s', async (_what, withCalls) => {
    let validated = 0;
    let validatedWithImports = 0;
    for (let i = 0; i < 1500; i++) {
      const parts = [b(rnd(2) ? '\x80\x02' : '\x80\x04')];
      for (let k = 0; k < 1 + rnd(30); k++) parts.push(pieces(withCalls));
      if (rnd(3) > 0) parts.push(b('.'));
      const data = Buffer.concat(parts);
      const step = 1 + rnd(7);
      const chunks = (): Buffer[] => {
        const out: Buffer[] = [];
        for (let j = 0; j < data.length; j += step) out.push(data.subarray(j, j + step));
        return out;
      };
      const full = await scanPickleStream(chunks(), { family: 'generic', limits: DEFAULT_LIMITS });
      const fast = await analyzePickleSource(() => chunks(), { family: 'generic', limits: DEFAULT_LIMITS, multiplePickles: 'note' });
      expect(fast.findings, data.toString('hex')).toEqual(full);
      if (fast.pass === 'validator') {
        validated++;
        if (fast.globals.length > 0) validatedWithImports++;
      }
    }
    // Most random streams break early (underflow, bad memo index), so few reach the end either way.
    expect(validated).toBeGreaterThan(100);
    if (withCalls) expect(validatedWithImports).toBeGreaterThan(20);
    else expect(validatedWithImports).toBe(0);
  });

  it('hands streams with dangerous calls to the full interpreter', async () => {
    const data = cat(P2, 'N0', g2('os', 'system'), '(', u('id'), 'tR.');
    const a = await analyzePickleSource(() => [data], { family: 'generic', limits: DEFAULT_LIMITS });
    expect(a.pass).toBe('interpreter');
    expect(codes(a.findings)).toEqual(['critical PICKLE_CODE_EXECUTION']);
    expect(a.findings[0]?.message).toContain("os.system('id')");
  });

  it('resolves a module name fetched from the memo long after it left the read window', async () => {
    // __main__ is memoized at index 1 with the first class, 200 KB of data follow, then a second class
    // of the same module takes its module name from the memo, as the pickler writes it.
    const filler = Array.from({ length: 20_000 }, (_, i) => cat(u(`value-${i}`), 'a'));
    const data = Buffer.concat([cat(P4, ']\x94', u('__main__'), '\x94', u('First'), '\x94\x93\x94)\x81a'), ...filler, cat('h\x01', u('Second'), '\x94\x93)\x81a.')]);
    const chunks = (): Buffer[] => Array.from({ length: Math.ceil(data.length / 4096) }, (_, i) => data.subarray(i * 4096, (i + 1) * 4096));
    const a = await analyzePickleSource(chunks, { family: 'generic', limits: DEFAULT_LIMITS });
    expect(a.pass).toBe('validator');
    expect(a.globals).toEqual(['__main__.First', '__main__.Second']);
    expect(a.findings).toEqual((await analyzePickle(new ByteReader(chunks()), { family: 'generic', limits: DEFAULT_LIMITS })).findings);
  });

  it('handles stacks deeper than its first allocation', async () => {
    const ints = Array.from({ length: 150_000 }, (_, i) => cat('J', Buffer.from([i & 255, (i >> 8) & 255, i >> 16, 0])));
    const data = Buffer.concat([b(P4 + '('), ...ints, sg('__main__', 'Thing'), b(')\x81t.')]);
    const a = await analyzePickleSource(() => [data], { family: 'generic', limits: DEFAULT_LIMITS });
    expect(a.pass).toBe('validator');
    expect(codes(a.findings)).toEqual(['medium PICKLE_UNSAFE_GLOBAL']);
  });

  it('keeps instances of an unlisted class (NEWOBJ + BUILD, memoized class) on the fast pass', async () => {
    const record = (i: number) => cat('h\x01)\x81\x94}\x94(', u('id'), '\x94J', Buffer.from([i, 0, 0, 0]), u('name'), '\x94', u(`item-${i}`), '\x94ub');
    const data = cat(P4, ']\x94(', sg('__main__', 'Record'), '\x94', '0', ...Array.from({ length: 50 }, (_, i) => record(i)), 'e.');
    const a = await analyzePickleSource(() => [data], { family: 'generic', limits: DEFAULT_LIMITS });
    expect(a.pass).toBe('validator');
    expect(a.globals).toEqual(['__main__.Record']);
    expect(codes(a.findings)).toEqual(['medium PICKLE_UNSAFE_GLOBAL']);
    expect(a.findings).toEqual((await analyzePickle(new ByteReader([data]), { family: 'generic', limits: DEFAULT_LIMITS })).findings);
  });
});
