/**
 * A streaming pickle interpreter that follows CPython's `_pickle.c` unpickler (protocols 0 to 5)
 * and never executes anything. It keeps a real stack (with CPython's separate mark stack and
 * "fence") and a real memo, but the values are small symbolic descriptors: strings up to a few
 * KiB, lengths and short prefixes of bytes, capped containers, `global` (what an import would
 * fetch), `call` (what REDUCE/NEWOBJ/OBJ/INST would call, with its arguments), `pid` (what
 * persistent_load would receive). A 100 MB BINBYTES is skipped, not read into memory.
 *
 * Where CPython and `pickletools` disagree, CPython wins: a stream pickletools rejects (POP of a
 * MARK, leftovers on the stack at STOP, memo puts at arbitrary indices, FRAME boundaries crossed)
 * is analysed the way CPython would load it. Irregularities are reported to the visitor.
 *
 * The interpreter reports what matters to a visitor (globals, calls, BUILDs, persistent ids,
 * extension codes, memo traffic, the end of each pickle, errors). Several pickles one after
 * another are interpreted in turn, each with a fresh stack and memo (like repeated pickle.load).
 *
 * PickleValidator (validator.ts) is a value-free pass for the common case that hands over to this
 * machine when values matter.
 */
import type { ByteReader } from './byte-reader.js';
import {
  ascii,
  BYTES_HEAD,
  decodeUtf8,
  DENSE_LIMIT,
  F64,
  smallest,
  F64_BYTES,
  Fail,
  GlobalTable,
  globalLines,
  HIGHEST_PROTOCOL,
  invalidOpcode,
  latin1,
  LimitHit,
  LINE_MAX,
  MAX_RESULTS,
  memoIndexArg,
  NeedMore,
  NESTED_BUDGET,
  NESTED_KEEP,
  PAGE,
  PAGE_BITS,
  shortAscii,
  SPARSE_LIMIT,
  ST_ACTION,
  ST_NEED,
  ST_SKIP,
  ST_SKIPLINE,
  ST_STOP,
  STR_HEAD,
  STR_KEEP,
  textValue,
  TUPLE_CAP,
  type MachineOptions,
} from './ops.js';
import type { ContainerKind, GlobalVia, PickleErrorInfo, PickleVisitor, PyBytes, PyCall, CallOp, PyContainer, PyGlobal, PyPid, PyStrTrunc, PyValue, RawAction, RunResult } from './values.js';


const T_EMPTY = 0;
const T_NONE = 1;
const T_TRUE = 2;
const T_FALSE = 3;
const T_OBJ = 4; // value in the detail map
const T_RSTR = 5; // recent string: ring[idx % RING]
const T_KIND = 6; // 6..15: compacted, OPAQUE_KINDS[tag - T_KIND]
const T_CALL = 16; // 16..255: result of calling callees[tag - T_CALL]
const MAX_CALLEES = 256 - T_CALL;

const RING = 4096;
const DETAIL_BUDGET = 8 * 1024 * 1024;

const NO_ITEMS: PyValue[] = Object.freeze([]) as unknown as PyValue[];
const EMPTY_TUPLE: PyContainer = Object.freeze<PyContainer>({ k: 'tuple', items: NO_ITEMS, n: 0 });

const OPAQUE_KINDS: PyValue[] = [
  { k: 'list', items: NO_ITEMS, n: 0, opaque: true },
  { k: 'dict', items: NO_ITEMS, n: 0, opaque: true },
  { k: 'tuple', items: NO_ITEMS, n: 0, opaque: true },
  { k: 'set', items: NO_ITEMS, n: 0, opaque: true },
  { k: 'frozenset', items: NO_ITEMS, n: 0, opaque: true },
  { k: 'opaque', what: 'bytes (compacted memo entry)' },
  { k: 'opaque', what: 'a number (compacted memo entry)' },
  { k: 'strtrunc', len: -1, head: '', dropped: true },
  { k: 'opaque', what: 'an object (compacted memo entry)' },
  { k: 'opaque', what: 'a persistent object (compacted memo entry)' },
];

class Memo {
  private pages: (Uint8Array | undefined)[] = [];
  /** Full entries: a dense array for the usual 0, 1, 2… indices, a map for the others. */
  private dense: PyValue[] = [];
  private detail = new Map<number, PyValue>();
  private sparse = new Map<number, PyValue>();
  private ringIdx = new Float64Array(RING).fill(-1);
  private ringStr: string[] = new Array<string>(RING);
  private callees: PyValue[] = [];
  private calleeSlot = new Map<PyValue, number>();
  private retained = 0;
  private lastIdx = -1;
  /** Occupied slots (CPython's memo_len: MEMOIZE puts at this index). */
  count = 0;
  readonly knownNames = new Set<string>();

  clear(): void {
    this.pages = [];
    this.dense = [];
    this.detail.clear();
    this.sparse.clear();
    this.ringIdx.fill(-1);
    this.callees = [];
    this.calleeSlot.clear();
    this.retained = 0;
    this.lastIdx = -1;
    this.count = 0;
  }

  /** Stores v at idx: 1 when the slot was empty, 0 when it was overwritten, -1 when the sparse part is full. */
  put(idx: number, v: PyValue): number {
    if (idx >= DENSE_LIMIT) {
      const fresh = !this.sparse.has(idx);
      if (fresh) {
        if (this.sparse.size >= SPARSE_LIMIT) return -1;
        this.count++;
      }
      this.sparse.set(idx, v);
      return fresh ? 1 : 0;
    }
    this.lastIdx = idx;
    const p = idx >>> PAGE_BITS;
    let page = this.pages[p];
    if (page === undefined) {
      page = new Uint8Array(PAGE);
      while (this.pages.length < p) this.pages.push(undefined);
      this.pages[p] = page;
    }
    const i = idx & (PAGE - 1);
    const old = page[i] as number;
    if (old === T_EMPTY) this.count++;
    else if (old === T_OBJ && idx >= this.dense.length) this.detail.delete(idx);
    let tag: number;
    if (v === null) tag = T_NONE;
    else if (v === true) tag = T_TRUE;
    else if (v === false) tag = T_FALSE;
    else if (this.retained < DETAIL_BUDGET) {
      this.retained += estimate(v);
      this.setDetail(idx, v);
      tag = T_OBJ;
    } else if (typeof v === 'string') {
      // Names used by globals are upgraded to exact entries when the global resolves (rememberName).
      const slot = idx & (RING - 1);
      this.ringIdx[slot] = idx;
      this.ringStr[slot] = v;
      tag = T_RSTR;
    } else if (typeof v !== 'object') {
      tag = T_KIND + 6;
    } else {
      switch (v.k) {
        case 'list':
          tag = T_KIND;
          break;
        case 'dict':
          tag = T_KIND + 1;
          break;
        case 'tuple':
          tag = T_KIND + 2;
          break;
        case 'set':
          tag = T_KIND + 3;
          break;
        case 'frozenset':
          tag = T_KIND + 4;
          break;
        case 'bytes':
          tag = T_KIND + 5;
          break;
        case 'strtrunc':
          tag = T_KIND + 7;
          break;
        case 'pid':
          tag = T_KIND + 9;
          break;
        case 'call':
          // numpy dtypes stay whole: joblib sizes the raw array data after a wrapper from them.
          if (typeof v.callee === 'object' && v.callee !== null && v.callee.k === 'global' && v.callee.name === 'dtype') {
            this.setDetail(idx, v);
            tag = T_OBJ;
          } else tag = this.calleeTag(v.callee);
          break;
        case 'global':
          this.setDetail(idx, v);
          tag = T_OBJ;
          break;
        default:
          tag = T_KIND + 8;
      }
    }
    page[i] = tag;
    return old === T_EMPTY ? 1 : 0;
  }

  private setDetail(idx: number, v: PyValue): void {
    const d = this.dense;
    if (idx < d.length) d[idx] = v;
    else if (idx === d.length) d.push(v);
    else this.detail.set(idx, v);
  }

  private calleeTag(callee: PyValue): number {
    let slot = this.calleeSlot.get(callee);
    if (slot === undefined) {
      if (this.callees.length >= MAX_CALLEES || typeof callee !== 'object' || callee === null || callee.k !== 'global') return T_KIND + 8;
      slot = this.callees.push(callee) - 1;
      this.calleeSlot.set(callee, slot);
    }
    return T_CALL + slot;
  }

  get(idx: number): PyValue | undefined {
    if (idx >= DENSE_LIMIT || idx < 0) return this.sparse.get(idx);
    const page = this.pages[idx >>> PAGE_BITS];
    if (page === undefined) return undefined;
    const tag = page[idx & (PAGE - 1)] as number;
    switch (tag) {
      case T_EMPTY:
        return undefined;
      case T_NONE:
        return null;
      case T_TRUE:
        return true;
      case T_FALSE:
        return false;
      case T_OBJ:
        return idx < this.dense.length ? this.dense[idx] : this.detail.get(idx);
      case T_RSTR: {
        const slot = idx & (RING - 1);
        return this.ringIdx[slot] === idx ? this.ringStr[slot] : OPAQUE_KINDS[7];
      }
      default:
        if (tag < T_CALL) return OPAQUE_KINDS[tag - T_KIND];
        return { k: 'opaque', what: 'an object built while loading (compacted memo entry)', callee: this.callees[tag - T_CALL] as PyValue };
    }
  }

  /** A name used by a global: keep it, and recent memo entries holding it, exact. */
  rememberName(s: string): void {
    if (this.knownNames.has(s) || this.knownNames.size > 200_000) return;
    this.knownNames.add(s);
    // Only the strings put just before the STACK_GLOBAL can match.
    for (let back = 0; back < 16; back++) {
      const idx = this.lastIdx - back;
      if (idx < 0) break;
      const slot = idx & (RING - 1);
      if (this.ringIdx[slot] === idx && this.ringStr[slot] === s) {
        const page = this.pages[idx >>> PAGE_BITS];
        if (page && page[idx & (PAGE - 1)] === T_RSTR) {
          page[idx & (PAGE - 1)] = T_OBJ;
          this.setDetail(idx, s);
        }
      }
    }
  }
}

/** Rough bytes a memo entry keeps alive. Mutable containers are counted full: they fill up after being memoized. */
function estimate(v: PyValue): number {
  if (typeof v === 'string') return 40 + v.length;
  if (typeof v !== 'object' || v === null) return 16;
  switch (v.k) {
    case 'tuple':
    case 'frozenset':
      return 80 + 64 * v.items.length;
    case 'list':
    case 'dict':
    case 'set':
      return 80 + 64 * 32;
    case 'bytes':
      return 96 + v.head.length + (v.data ? v.data.length : 0);
    default:
      return 96;
  }
}

// ---------------------------------------------------------------------------------------------
// Interpreter

/** Shortens an array; popping a few elements is cheaper than setting length. */
function truncate(a: PyValue[], len: number): void {
  if (a.length - len > 8) a.length = len;
  else while (a.length > len) a.pop();
}

function isStr(v: PyValue): v is string | PyStrTrunc {
  return typeof v === 'string' || (typeof v === 'object' && v !== null && v.k === 'strtrunc');
}

function isPlainContainer(v: PyValue, kind: ContainerKind): v is PyContainer {
  return typeof v === 'object' && v !== null && v.k === kind;
}

/**
 * Interprets the pickles of one byte stream. Construct it over a ByteReader, call run() once.
 * The reader is left just after the last interpreted pickle (or at the error).
 */
export class PickleMachine {
  private stack: PyValue[] = [];
  private marks: number[] = [];
  private fence = 0;
  private memo = new Memo();
  private proto = 0;
  private ops = 0;
  private pickles = 0;
  private pickleStart = 0;
  private pickleOps0 = 0;
  private frameEnd = -1;
  private readonly globals: GlobalTable;
  private readonly results: PyValue[] = [];
  private readonly itemCap: number;
  private nestedBudget = NESTED_BUDGET;
  // Pending work for the async driver.
  private need = 0;
  private needLines = 0;
  private skipBytes = 0;
  private skipWhy = '';
  private pendingAction: RawAction | null = null;
  private lineValue: ((head: string) => void) | null = null;
  private stopRequested = false;
  private maxFrameEnd = -1;

  private readonly onMemo: PickleVisitor['onMemo'];
  private readonly maxMemo: number;

  constructor(
    private readonly reader: ByteReader,
    private readonly visitor: PickleVisitor,
    private readonly opts: MachineOptions,
  ) {
    this.itemCap = opts.itemCap ?? 32;
    this.globals = new GlobalTable(opts.limits.maxGlobals);
    this.onMemo = visitor.onMemo?.bind(visitor);
    this.maxMemo = opts.limits.maxMemo;
  }

  private error(kind: PickleErrorInfo['kind'], message: string, offset: number): RunResult {
    return {
      pickles: this.pickles,
      ops: this.ops,
      end: offset,
      error: { kind, message, offset, pickle: this.pickles + (this.opts.pickleIndexBase ?? 0) },
      limit: null,
      results: this.results,
    };
  }

  private done(): RunResult {
    return { pickles: this.pickles, ops: this.ops, end: this.reader.offset, error: null, limit: null, results: this.results };
  }

  /** Interprets pickles until the stream ends, maxPickles is reached, an error or a limit. */
  async run(): Promise<RunResult> {
    const r = this.reader;
    const maxPickles = this.opts.maxPickles ?? Infinity;
    this.resetPickle();
    for (;;) {
      let st: number;
      try {
        st = this.step();
      } catch (e) {
        if (e instanceof Fail) return this.error(e.kind, e.message, r.offset);
        if (e instanceof LimitHit) {
          return { pickles: this.pickles, ops: this.ops, end: r.offset, error: null, limit: { what: e.what, limit: e.limit, offset: r.offset }, results: this.results };
        }
        throw e;
      }
      switch (st) {
        case ST_NEED: {
          const atOpcodeStart = this.need === 1 && this.needLines === 0;
          if (await r.fill(this.need, this.needLines)) break;
          const opsInPickle = this.ops - this.pickleOps0;
          if (r.available === 0 && atOpcodeStart && opsInPickle === 0 && this.pickles > 0) return this.frameCheck() ?? this.done();
          if (r.available === 0 && atOpcodeStart && opsInPickle === 0) return this.error('truncated', 'ran out of input: the stream is empty', r.offset);
          if (r.available === 0 && atOpcodeStart) return this.error('truncated', 'the pickle ends without a STOP opcode (truncated)', r.offset);
          return this.error('truncated', 'pickle data was truncated in the middle of an opcode', r.offset);
        }
        case ST_SKIP: {
          const want = this.skipBytes;
          const got = await r.skip(want);
          if (got < want) return this.error('truncated', `pickle data was truncated: ${this.skipWhy} needs ${want} more bytes, only ${got} remain`, r.offset);
          break;
        }
        case ST_SKIPLINE: {
          // A text argument longer than LINE_MAX: skip to its newline, keeping its first bytes.
          const head = latin1(r.buf, r.pos, Math.min(r.buf.length, r.pos + STR_HEAD));
          for (;;) {
            const nl = r.buf.indexOf(10, r.pos);
            if (nl >= 0) {
              r.pos = nl + 1;
              break;
            }
            r.pos = r.buf.length;
            if (!(await r.fill(1))) return this.error('truncated', 'pickle data was truncated inside a text argument', r.offset);
          }
          const cb = this.lineValue;
          this.lineValue = null;
          cb?.(head);
          break;
        }
        case ST_ACTION: {
          const a = this.pendingAction;
          this.pendingAction = null;
          if (!a) break;
          if (a.kind === 'skip') {
            if (a.padding) {
              const pad = await r.read(1);
              if (!pad) return this.error('truncated', `${a.why}: the padding byte is missing`, r.offset);
              const padLen = pad[0] as number;
              if ((await r.skip(padLen)) < padLen) return this.error('truncated', `${a.why}: the padding is truncated`, r.offset);
            }
            const got = await r.skip(a.bytes);
            if (got < a.bytes) return this.error('truncated', `${a.why}: needs ${a.bytes} bytes of array data, only ${got} remain`, r.offset);
          } else {
            const nested = new PickleMachine(r, this.visitor, {
              ...this.opts,
              maxPickles: 1,
              pickleIndexBase: (this.opts.pickleIndexBase ?? 0) + this.pickles + 1,
              limits: { ...this.opts.limits, maxOps: Math.max(0, this.opts.limits.maxOps - this.ops) },
            });
            const res = await nested.run();
            this.ops += res.ops;
            if (res.error || res.limit) return { ...res, pickles: this.pickles, results: this.results };
            if (res.pickles === 0) return this.error('truncated', `${a.why}: the nested pickle is missing`, r.offset);
          }
          break;
        }
        case ST_STOP: {
          if (this.pickles >= maxPickles || this.stopRequested) return this.done();
          if (await r.atEnd()) return this.frameCheck() ?? this.done();
          this.resetPickle();
          break;
        }
      }
    }
  }

  /** CPython reads a whole FRAME before running it: a frame longer than the stream is an error. */
  private frameCheck(): RunResult | null {
    const r = this.reader;
    if (r.eof && this.maxFrameEnd > r.base + r.buf.length) {
      return this.error('truncated', `a FRAME announces ${this.maxFrameEnd - (r.base + r.buf.length)} more bytes than the stream holds (CPython refuses the frame)`, r.base + r.buf.length);
    }
    return null;
  }

  private resetPickle(): void {
    this.stack.length = 0;
    this.marks.length = 0;
    this.fence = 0;
    this.memo.clear();
    this.proto = 0;
    this.pickleOps0 = this.ops;
    this.frameEnd = -1;
    this.pickleStart = this.reader.offset;
  }

  // --- stack helpers (CPython's Pdata with fence) ---

  private underflow(): Fail {
    return new Fail('stack', this.marks.length > 0 ? 'unexpected MARK found' : 'unpickling stack underflow');
  }

  private pop(): PyValue {
    const s = this.stack;
    if (s.length <= this.fence) throw this.underflow();
    return s.pop() as PyValue;
  }

  private push(v: PyValue): void {
    const s = this.stack;
    s.push(v);
    if (s.length > this.opts.limits.maxStack) throw new LimitHit('stack', this.opts.limits.maxStack);
  }

  private marker(): number {
    const m = this.marks;
    if (m.length < 1) throw new Fail('mark', 'could not find MARK');
    const mark = m.pop() as number;
    this.fence = m.length > 0 ? (m[m.length - 1] as number) : 0;
    return mark;
  }

  private popTuple(start: number): PyContainer {
    const s = this.stack;
    if (start < this.fence) throw this.underflow();
    const n = s.length - start;
    const cap = TUPLE_CAP;
    const items = n <= cap ? s.slice(start) : s.slice(start, start + cap);
    s.length = start;
    return { k: 'tuple', items, n };
  }

  private popItems(start: number, kind: ContainerKind): PyContainer {
    const s = this.stack;
    const n = s.length - start;
    const cap = this.itemCap;
    const items = n <= cap ? s.slice(start) : s.slice(start, start + cap);
    s.length = start;
    return { k: kind, items, n };
  }

  private addItems(target: PyContainer, start: number): void {
    const s = this.stack;
    const n = s.length - start;
    if (!target.opaque) {
      let room = this.itemCap - target.items.length;
      if (target.k === 'dict') room -= room % 2;
      if (target.items === NO_ITEMS) {
        if (room > 0) target.items = s.slice(start, start + Math.min(n, room));
      } else for (let i = 0; i < n && i < room; i++) target.items.push(s[start + i] as PyValue);
      target.n += target.k === 'dict' ? n / 2 : n;
    }
    truncate(s, start);
  }

  private doAppend(x: number, offset: number): void {
    const len = this.stack.length;
    if (x > len || x <= this.fence) throw this.underflow();
    if (len === x) return;
    const list = this.stack[x - 1] as PyValue;
    if (isPlainContainer(list, 'list')) this.addItems(list, x);
    else {
      this.visitor.onMethodCall?.(list, 'extend', offset);
      truncate(this.stack, x);
    }
  }

  private doSetItems(x: number, offset: number): void {
    const len = this.stack.length;
    if (x > len || x <= this.fence) throw this.underflow();
    if (len === x) return;
    if ((len - x) % 2 !== 0) throw new Fail('value', 'odd number of items for SETITEMS');
    const dict = this.stack[x - 1] as PyValue;
    if (isPlainContainer(dict, 'dict')) this.addItems(dict, x);
    else {
      this.visitor.onMethodCall?.(dict, '__setitem__', offset);
      truncate(this.stack, x);
    }
  }

  private resolveGlobal(rawModule: string, rawName: string, offset: number, via: GlobalVia): PyGlobal {
    const g = this.globals.resolve(rawModule, rawName, this.proto, offset, via);
    this.memo.rememberName(rawModule);
    this.memo.rememberName(rawName);
    this.visitor.onGlobal?.(g, offset, via);
    return g;
  }

  private call(op: CallOp, callee: PyValue, args: PyValue, kwargs: PyValue | undefined, offset: number): PyCall {
    // `state` is set up front so every call object has one shape (BUILD fills it in later).
    const c: PyCall = { k: 'call', op, callee, args, kwargs, offset, state: undefined };
    this.visitor.onCall?.(c);
    return c;
  }

  private memoPut(idx: number, offset: number): void {
    if (this.stack.length <= this.fence) throw this.underflow();
    const fresh = this.memo.put(idx, this.stack[this.stack.length - 1] as PyValue);
    if (fresh < 0 || (fresh > 0 && this.memo.count > this.maxMemo)) throw new LimitHit('memo', this.maxMemo);
    if (this.onMemo) this.onMemo('put', idx, offset);
  }

  private memoGet(idx: number, offset: number): void {
    const v = this.memo.get(idx);
    if (v === undefined) throw new Fail('memo', `Memo value not found at index ${idx}`);
    if (this.onMemo) this.onMemo('get', idx, offset);
    this.push(v);
  }

  private bytesValue(buf: Buffer, start: number, avail: number, len: number, bytearray: boolean): PyBytes {
    const headLen = Math.min(BYTES_HEAD, len, avail);
    const head = Buffer.from(buf.subarray(start, start + headLen));
    let data: Buffer | null = null;
    if (len <= avail && len <= NESTED_KEEP && len >= 2 && buf[start] === 0x80 && len <= this.nestedBudget) {
      data = Buffer.from(buf.subarray(start, start + len));
      this.nestedBudget -= len;
    }
    return { k: 'bytes', len, head, data, at: this.reader.base + start, bytearray };
  }

  private irregular(what: string, offset: number): void {
    this.visitor.onIrregular?.(what, offset);
  }

  /**
   * Interprets buffered opcodes until one needs more bytes (ST_NEED), a STOP (ST_STOP), or the
   * driver must skip or read raw bytes. Throws Fail / LimitHit. The hot cases work on locals and
   * allocate nothing but the value they push.
   */
  private step(): number {
    const r = this.reader;
    const buf = r.buf;
    const end = buf.length;
    const base = r.base;
    const stack = this.stack;
    const limits = this.opts.limits;
    const maxStack = limits.maxStack;
    const maxOps = limits.maxOps;
    let ops = this.ops;
    let pos = r.pos;
    try {
      for (;;) {
        if (pos >= end) {
          r.pos = pos;
          this.ops = ops;
          this.need = 1;
          this.needLines = 0;
          return ST_NEED;
        }
        const op = buf[pos] as number;
        if (++ops > maxOps) throw new LimitHit('ops', maxOps);
        switch (op) {
          // ---- the hot, allocation-free cases first ----
          case 0x4b: // K BININT1
            if (pos + 2 > end) throw new NeedMore(2);
            stack.push(buf[pos + 1] as number);
            pos += 2;
            break;
          case 0x4d: // M BININT2
            if (pos + 3 > end) throw new NeedMore(3);
            stack.push((buf[pos + 1] as number) | ((buf[pos + 2] as number) << 8));
            pos += 3;
            break;
          case 0x4a: // J BININT
            if (pos + 5 > end) throw new NeedMore(5);
            stack.push((buf[pos + 1] as number) | ((buf[pos + 2] as number) << 8) | ((buf[pos + 3] as number) << 16) | ((buf[pos + 4] as number) << 24));
            pos += 5;
            break;
          case 0x94: // MEMOIZE
            this.memoPut(this.memo.count, base + pos);
            pos += 1;
            continue;
          case 0x71: // q BINPUT
            if (pos + 2 > end) throw new NeedMore(2);
            this.memoPut(buf[pos + 1] as number, base + pos);
            pos += 2;
            continue;
          case 0x68: // h BINGET
            if (pos + 2 > end) throw new NeedMore(2);
            this.memoGet(buf[pos + 1] as number, base + pos);
            pos += 2;
            break;
          case 0x8c: {
            // SHORT_BINUNICODE: most strings of a pickle; short ASCII ones skip the C++ decoder
            if (pos + 2 > end) throw new NeedMore(2);
            const len = buf[pos + 1] as number;
            if (pos + 2 + len > end) throw new NeedMore(2 + len);
            const start = pos + 2;
            stack.push((len <= 16 ? shortAscii(buf, start, len) : null) ?? decodeUtf8(buf, start, start + len));
            pos = start + len;
            break;
          }
          case 0x4e: // N NONE
            stack.push(null);
            pos += 1;
            break;
          case 0x88: // NEWTRUE
            stack.push(true);
            pos += 1;
            break;
          case 0x89: // NEWFALSE
            stack.push(false);
            pos += 1;
            break;
          case 0x47: // G BINFLOAT (big-endian double)
            if (pos + 9 > end) throw new NeedMore(9);
            F64_BYTES[7] = buf[pos + 1] as number;
            F64_BYTES[6] = buf[pos + 2] as number;
            F64_BYTES[5] = buf[pos + 3] as number;
            F64_BYTES[4] = buf[pos + 4] as number;
            F64_BYTES[3] = buf[pos + 5] as number;
            F64_BYTES[2] = buf[pos + 6] as number;
            F64_BYTES[1] = buf[pos + 7] as number;
            F64_BYTES[0] = buf[pos + 8] as number;
            stack.push(F64[0] as number);
            pos += 9;
            break;
          case 0x85: {
            // TUPLE1
            if (stack.length < 1 || stack.length - 1 < this.fence) throw this.underflow();
            const a = stack.pop() as PyValue;
            stack.push({ k: 'tuple', items: [a], n: 1 });
            pos += 1;
            continue;
          }
          case 0x86: {
            // TUPLE2
            if (stack.length < 2 || stack.length - 2 < this.fence) throw this.underflow();
            const b = stack.pop() as PyValue;
            const a = stack.pop() as PyValue;
            stack.push({ k: 'tuple', items: [a, b], n: 2 });
            pos += 1;
            continue;
          }
          case 0x87: {
            // TUPLE3
            if (stack.length < 3 || stack.length - 3 < this.fence) throw this.underflow();
            const c = stack.pop() as PyValue;
            const b = stack.pop() as PyValue;
            const a = stack.pop() as PyValue;
            stack.push({ k: 'tuple', items: [a, b, c], n: 3 });
            pos += 1;
            continue;
          }
          case 0x28: // ( MARK
            this.marks.push(stack.length);
            this.fence = stack.length;
            if (this.marks.length > maxStack) throw new LimitHit('stack', maxStack);
            pos += 1;
            continue;
          case 0x65: // e APPENDS
            this.doAppend(this.marker(), base + pos);
            pos += 1;
            continue;
          case 0x75: // u SETITEMS
            this.doSetItems(this.marker(), base + pos);
            pos += 1;
            continue;
          case 0x61: // a APPEND
            if (stack.length - 1 <= this.fence) throw this.underflow();
            this.doAppend(stack.length - 1, base + pos);
            pos += 1;
            continue;
          case 0x73: // s SETITEM
            this.doSetItems(stack.length - 2, base + pos);
            pos += 1;
            continue;
          case 0x7d: // } EMPTY_DICT
            stack.push({ k: 'dict', items: NO_ITEMS, n: 0 });
            pos += 1;
            break;
          case 0x5d: // ] EMPTY_LIST
            stack.push({ k: 'list', items: NO_ITEMS, n: 0 });
            pos += 1;
            break;
          case 0x29: // ) EMPTY_TUPLE
            stack.push(EMPTY_TUPLE);
            pos += 1;
            break;
          case 0x8f: // EMPTY_SET
            stack.push({ k: 'set', items: NO_ITEMS, n: 0 });
            pos += 1;
            break;
          case 0x6a: // j LONG_BINGET
            if (pos + 5 > end) throw new NeedMore(5);
            this.memoGet(buf.readUInt32LE(pos + 1), base + pos);
            pos += 5;
            break;
          case 0x72: // r LONG_BINPUT
            if (pos + 5 > end) throw new NeedMore(5);
            this.memoPut(buf.readUInt32LE(pos + 1), base + pos);
            pos += 5;
            continue;
          case 0x95: {
            // FRAME: CPython only prefetches the frame; opcodes may cross its end.
            if (pos + 9 > end) throw new NeedMore(9);
            const big = buf.readBigUInt64LE(pos + 1);
            if (big > 0x7fffffffffffffffn) throw new Fail('value', "FRAME length exceeds system's maximum");
            const at = base + pos;
            if (this.frameEnd > at) this.irregular('FRAME inside another frame', at);
            this.frameEnd = at + 9 + Number(big);
            if (this.frameEnd > this.maxFrameEnd) this.maxFrameEnd = this.frameEnd;
            pos += 9;
            continue;
          }
          default:
            this.ops = ops;
            pos = this.slowOp(op, buf, pos, end, base);
            ops = this.ops;
            if (pos < 0) {
              // The op handed control to the driver (skip, raw action, STOP); it set r.pos.
              return -pos;
            }
            continue;
        }
        // Checked every 64 opcodes: the stack grows by at most one per opcode.
        if ((ops & 63) === 0 && stack.length > maxStack) throw new LimitHit('stack', maxStack);
      }
    } catch (e) {
      this.ops = ops;
      if (e instanceof NeedMore) {
        r.pos = pos;
        this.need = e.bytes;
        this.needLines = e.lines;
        this.ops--;
        return ST_NEED;
      }
      r.pos = pos;
      throw e;
    }
  }

  /**
   * The less frequent opcodes. Returns the new position, or minus a status (ST_*) when the driver
   * must act (then r.pos is set). Throws NeedMore / Fail / LimitHit with `pos` unchanged.
   */
  private slowOp(op: number, buf: Buffer, pos: number, end: number, base: number): number {
    const r = this.reader;
    const at = base + pos;
    switch (op) {
      case 0x8a: // LONG1
      case 0x8b: {
        // LONG4
        const hdr = op === 0x8a ? 2 : 5;
        if (pos + hdr > end) throw new NeedMore(hdr);
        const n = op === 0x8a ? (buf[pos + 1] as number) : buf.readInt32LE(pos + 1);
        if (n < 0) throw new Fail('value', 'LONG pickle has negative byte count');
        if (n > 4096) {
          this.push({ k: 'opaque', what: `an integer of ${n} bytes` });
          r.pos = pos + hdr;
          this.skipBytes = n;
          this.skipWhy = 'a LONG4 integer';
          return -ST_SKIP;
        }
        if (pos + hdr + n > end) throw new NeedMore(hdr + n);
        if (n > 64) {
          // No analysis needs the value of a 513-bit integer.
          this.push({ k: 'opaque', what: `an integer of ${n} bytes` });
          return pos + hdr + n;
        }
        let v = 0n;
        if (n > 0) {
          let hex = '';
          for (let i = n - 1; i >= 0; i--) hex += (buf[pos + hdr + i] as number).toString(16).padStart(2, '0');
          v = BigInt('0x' + hex);
          if (((buf[pos + hdr + n - 1] as number) & 0x80) !== 0) v -= 1n << BigInt(8 * n);
        }
        this.push(smallest(v));
        return pos + hdr + n;
      }
      // ---- text-line arguments ----
      case 0x49: // I INT
      case 0x4c: // L LONG
      case 0x46: // F FLOAT
      case 0x53: // S STRING
      case 0x56: // V UNICODE
      case 0x50: // P PERSID
      case 0x67: // g GET
      case 0x70: {
        // p PUT
        const nl = buf.indexOf(10, pos + 1);
        if (nl < 0 || nl >= end) {
          if (end - pos > LINE_MAX && (op === 0x53 || op === 0x56 || op === 0x4c || op === 0x49 || op === 0x46 || op === 0x50)) {
            // Too long to buffer: skip to the newline keeping a prefix.
            r.pos = pos + 1;
            this.lineValue = (head) => {
              if (op === 0x53 || op === 0x56) this.push({ k: 'strtrunc', len: -1, head });
              else if (op === 0x50) this.pid({ k: 'strtrunc', len: -1, head }, at);
              else this.push({ k: 'opaque', what: 'a very long number' });
            };
            return -ST_SKIPLINE;
          }
          if (end - pos > LINE_MAX) throw new Fail('value', 'a text argument is longer than 64 KiB');
          throw new NeedMore(1, 1);
        }
        this.textOp(op, buf, pos + 1, nl, at);
        return nl + 1;
      }
      case 0x63: // c GLOBAL
      case 0x69: {
        // i INST
        const { module: mod, name, next } = globalLines(op, buf, pos, end);
        if (op === 0x63) {
          this.push(this.resolveGlobal(mod, name, at, 'GLOBAL'));
        } else {
          const mark = this.marker();
          const cls = this.resolveGlobal(mod, name, at, 'INST');
          const args = this.popTuple(mark);
          this.push(this.call('INST', cls, args, undefined, at));
        }
        return next;
      }
      // ---- counted strings and bytes ----
      case 0x55: // U SHORT_BINSTRING
      case 0x54: // T BINSTRING
      case 0x58: // X BINUNICODE
      case 0x8d: // BINUNICODE8
      case 0x43: // C SHORT_BINBYTES
      case 0x42: // B BINBYTES
      case 0x8e: // BINBYTES8
      case 0x96: {
        // BYTEARRAY8
        const width = op === 0x55 || op === 0x43 ? 1 : op === 0x54 || op === 0x58 || op === 0x42 ? 4 : 8;
        if (pos + 1 + width > end) throw new NeedMore(1 + width);
        let len: number;
        if (width === 1) len = buf[pos + 1] as number;
        else if (width === 4) len = buf.readUInt32LE(pos + 1);
        else {
          const big = buf.readBigUInt64LE(pos + 1);
          if (big > 0x7fffffffffffffffn) throw new Fail('value', 'a BINBYTES8/BINUNICODE8/BYTEARRAY8 length exceeds the maximum size');
          len = Number(big);
        }
        const start = pos + 1 + width;
        const avail = end - start;
        const isText = op === 0x55 || op === 0x54 || op === 0x58 || op === 0x8d;
        const keepAll = isText ? len <= STR_KEEP : len <= NESTED_KEEP && (avail < 1 || buf[start] === 0x80);
        if (len <= avail) {
          if (isText) {
            if (len <= STR_KEEP) this.push(op === 0x55 || op === 0x54 ? latin1(buf, start, start + len) : decodeUtf8(buf, start, start + len));
            else this.push({ k: 'strtrunc', len, head: latin1(buf, start, start + STR_HEAD) });
          } else this.push(this.bytesValue(buf, start, avail, len, op === 0x96));
          return start + len;
        }
        if (keepAll && len <= NESTED_KEEP) throw new NeedMore(1 + width + len);
        const headWant = Math.min(len, isText ? STR_HEAD : BYTES_HEAD);
        if (avail < headWant) throw new NeedMore(1 + width + headWant);
        // Large: keep the length and a prefix, skip the rest.
        if (isText) this.push({ k: 'strtrunc', len, head: latin1(buf, start, start + Math.min(avail, STR_HEAD)) });
        else this.push(this.bytesValue(buf, start, avail, len, op === 0x96));
        r.pos = end;
        this.skipBytes = len - avail;
        this.skipWhy = 'a string or bytes argument';
        return -ST_SKIP;
      }
      // ---- containers ----
      case 0x74: // t TUPLE
        this.push(this.popTuple(this.marker()));
        return pos + 1;
      case 0x6c: // l LIST
        this.push(this.popItems(this.marker(), 'list'));
        return pos + 1;
      case 0x64: {
        // d DICT
        const mark = this.marker();
        if ((this.stack.length - mark) % 2 !== 0) throw new Fail('value', 'odd number of items for DICT');
        const d = this.popItems(mark, 'dict');
        d.n = d.n / 2;
        this.push(d);
        return pos + 1;
      }
      case 0x91: {
        // FROZENSET
        const t = this.popTuple(this.marker());
        this.push({ k: 'frozenset', items: t.items.slice(0, this.itemCap), n: t.n });
        return pos + 1;
      }
      case 0x90: {
        // ADDITEMS
        const mark = this.marker();
        const len = this.stack.length;
        if (mark > len || mark <= this.fence) throw this.underflow();
        if (len !== mark) {
          const set = this.stack[mark - 1] as PyValue;
          if (isPlainContainer(set, 'set')) this.addItems(set, mark);
          else {
            this.visitor.onMethodCall?.(set, 'add', at);
            this.stack.length = mark;
          }
        }
        return pos + 1;
      }
      // ---- stack ----
      case 0x30: {
        // 0 POP: pops a MARK when one sits on the top (CPython's split stacks)
        const len = this.stack.length;
        if (this.marks.length > 0 && this.marks[this.marks.length - 1] === len) {
          this.marks.pop();
          this.fence = this.marks.length > 0 ? (this.marks[this.marks.length - 1] as number) : 0;
        } else if (len <= this.fence) throw this.underflow();
        else this.stack.length = len - 1;
        return pos + 1;
      }
      case 0x31: // 1 POP_MARK
        this.stack.length = this.marker();
        return pos + 1;
      case 0x32: // 2 DUP
        if (this.stack.length <= this.fence) throw this.underflow();
        this.irregular('DUP (never written by the pickler)', at);
        this.push(this.stack[this.stack.length - 1] as PyValue);
        return pos + 1;
      // ---- imports and calls ----
      case 0x93: {
        // STACK_GLOBAL
        const name = this.pop();
        const mod = this.pop();
        if (!isStr(name) || !isStr(mod)) throw new Fail('value', 'STACK_GLOBAL requires str');
        if (typeof name !== 'string' || typeof mod !== 'string') {
          const g: PyGlobal = {
            k: 'global',
            module: typeof mod === 'string' ? mod : `${mod.head}…`,
            name: typeof name === 'string' ? name : `${name.head}…`,
            offset: at,
            via: 'STACK_GLOBAL',
            unresolved: true,
          };
          this.visitor.onGlobal?.(g, at, 'STACK_GLOBAL');
          this.push(g);
        } else this.push(this.resolveGlobal(mod, name, at, 'STACK_GLOBAL'));
        return pos + 1;
      }
      case 0x52: {
        // R REDUCE
        const args = this.pop();
        const callee = this.pop();
        this.push(this.call('REDUCE', callee, args, undefined, at));
        return pos + 1;
      }
      case 0x81: // NEWOBJ
      case 0x92: {
        // NEWOBJ_EX
        const kwargs = op === 0x92 ? this.pop() : undefined;
        const args = this.pop();
        const cls = this.pop();
        this.push(this.call(op === 0x92 ? 'NEWOBJ_EX' : 'NEWOBJ', cls, args, kwargs, at));
        return pos + 1;
      }
      case 0x6f: {
        // o OBJ
        const mark = this.marker();
        if (this.stack.length - mark < 1) throw this.underflow();
        const args = this.popTuple(mark + 1);
        const cls = this.pop();
        this.push(this.call('OBJ', cls, args, undefined, at));
        return pos + 1;
      }
      case 0x62: {
        // b BUILD
        if (this.stack.length - 2 < this.fence) throw this.underflow();
        const state = this.pop();
        const inst = this.stack[this.stack.length - 1] as PyValue;
        if (typeof inst === 'object' && inst !== null && inst.k === 'call' && inst.state === undefined) inst.state = state;
        const action = this.visitor.onBuild?.(inst, state, at);
        if (action) {
          r.pos = pos + 1;
          this.pendingAction = action;
          return -ST_ACTION;
        }
        return pos + 1;
      }
      case 0x51: // Q BINPERSID
        this.pid(this.pop(), at);
        return pos + 1;
      case 0x82: // EXT1
      case 0x83: // EXT2
      case 0x84: {
        // EXT4
        const width = op === 0x82 ? 1 : op === 0x83 ? 2 : 4;
        if (pos + 1 + width > end) throw new NeedMore(1 + width);
        const code = width === 1 ? (buf[pos + 1] as number) : width === 2 ? buf.readUInt16LE(pos + 1) : buf.readInt32LE(pos + 1);
        if (code <= 0) throw new Fail('value', 'EXT specifies code <= 0');
        this.visitor.onExtension?.(code, at);
        this.push({ k: 'opaque', what: `the global registered as extension code ${code}` });
        return pos + 1 + width;
      }
      // ---- protocol ----
      case 0x80: {
        // PROTO
        if (pos + 2 > end) throw new NeedMore(2);
        const v = buf[pos + 1] as number;
        if (v > HIGHEST_PROTOCOL) throw new Fail('protocol', `unsupported pickle protocol: ${v}`);
        if (this.ops - this.pickleOps0 !== 1) this.irregular('PROTO in the middle of a pickle', at);
        this.proto = v;
        return pos + 2;
      }
      case 0x97: // NEXT_BUFFER
        this.irregular('NEXT_BUFFER: the stream refers to out-of-band buffers (pickle.load without buffers= refuses it)', at);
        this.push({ k: 'opaque', what: 'an out-of-band buffer' });
        return pos + 1;
      case 0x98: {
        // READONLY_BUFFER
        if (this.stack.length <= this.fence) throw this.underflow();
        const top = this.stack[this.stack.length - 1] as PyValue;
        if (top === null || typeof top === 'boolean' || typeof top === 'number' || typeof top === 'bigint' || typeof top === 'string') {
          throw new Fail('value', 'READONLY_BUFFER on an object without the buffer protocol');
        }
        return pos + 1;
      }
      case 0x2e: {
        // . STOP
        const value = this.pop();
        if (this.stack.length > 0) this.irregular(`${this.stack.length} object(s) left on the stack at STOP`, at);
        if (this.marks.length > 0) this.irregular(`${this.marks.length} unclosed MARK(s) at STOP`, at);
        r.pos = pos + 1;
        this.pickles++;
        if (this.results.length < MAX_RESULTS) this.results.push(value);
        const more = this.visitor.onStop?.({ pickle: this.pickles - 1 + (this.opts.pickleIndexBase ?? 0), start: this.pickleStart, offset: at, value, proto: this.proto });
        if (more === false) this.stopRequested = true;
        return -ST_STOP;
      }
      default:
        throw invalidOpcode(op);
    }
  }

  private pid(pid: PyValue, at: number): void {
    // Later persistent ids fetch these strings ('storage', 'cpu'…) from the memo: keep them exact.
    if (typeof pid === 'object' && pid !== null && pid.k === 'tuple') for (const x of pid.items) if (typeof x === 'string' && x.length <= 64) this.memo.rememberName(x);
    const p: PyPid = { k: 'pid', pid, offset: at };
    this.visitor.onPersistentId?.(p);
    this.push(p);
  }

  /** Opcodes whose argument is one line of text (already complete in the buffer). */
  private textOp(op: number, buf: Buffer, start: number, nl: number, at: number): void {
    if (op === 0x50) {
      // PERSID: an ASCII string
      this.pid(ascii(buf, start, nl), at);
      return;
    }
    if (op === 0x67 || op === 0x70) {
      if (op === 0x70 && this.stack.length <= this.fence) throw this.underflow();
      const m = memoIndexArg(op, buf, start, nl);
      if (m.irregular) this.irregular(m.irregular, at);
      if (op === 0x70) this.memoPut(m.index, at);
      else this.memoGet(m.index, at);
      return;
    }
    const t = textValue(op, buf, start, nl);
    if (t.irregular) this.irregular(t.irregular, at);
    this.push(t.value);
  }
}
