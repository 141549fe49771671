/**
 * The fast path of the pickle scan. PickleValidator checks a stream the way PickleMachine would
 * (same errors, limits, irregularities and pickle ends) without building values: its stack is a
 * byte per slot saying what the slot holds (data, a string, a global) and its memo two bits per
 * entry. That suffices for everything that cannot run code: data of any shape, and imports and
 * calls of globals the visitor calls quiet (`PickleVisitor.quiet`: a class outside the
 * allow-list whose instances are rebuilt with NEWOBJ + BUILD, say, is reported when imported and
 * nothing about its arguments changes the verdict).
 *
 * Strings are not decoded: a string slot (or memo entry) records where its bytes are in the
 * stream, and STACK_GLOBAL decodes its two operands from the reader's window, from a copy of the
 * last 64 KiB before it, or from the names earlier globals used (module names come back from the
 * memo). At the first opcode whose
 * analysis needs values (a call of a dangerous or unknown callable, a persistent id, an extension
 * code, BUILD on a global itself, a STACK_GLOBAL whose names are no longer at hand…) run()
 * returns 'active' and the caller starts again with PickleMachine, so findings are the same
 * either way.
 */
import type { ByteReader } from './byte-reader.js';
import {
  BYTES_HEAD,
  decodeUtf8,
  DENSE_LIMIT,
  Fail,
  GlobalTable,
  globalLines,
  HIGHEST_PROTOCOL,
  invalidOpcode,
  LimitHit,
  LINE_MAX,
  memoIndexArg,
  NeedMore,
  NESTED_KEEP,
  PAGE,
  PAGE_BITS,
  SPARSE_LIMIT,
  ST_ACTIVE,
  ST_NEED,
  ST_SKIP,
  ST_SKIPLINE,
  ST_STOP,
  STR_HEAD,
  STR_KEEP,
  textValue,
  validUtf8SurrogatePass,
  type MachineOptions,
} from './ops.js';
import type { GlobalVia, LimitInfo, PickleErrorInfo, PickleVisitor, PyGlobal, RunResult } from './values.js';

/** Outcome of PickleValidator.run: a full result, or 'active' when the stream needs the interpreter. */
export type ValidationResult = RunResult | 'active';

// What a stack slot holds. A string slot's ref is `stream offset * STR_SCALE + byte length`; a
// global slot's ref is its index in `globalList`.
const K_DATA = 0;
const K_STR = 1;
const K_GLOBAL = 2;
const STR_SCALE = 8192; // > STR_KEEP: positions up to 2^40 fit a double exactly
/** Stream bytes kept from before the reader's window. */
const TAIL = 64 * 1024;
/** Names of globals kept by stream offset. */
const MAX_PINNED = 10_000;
/** Slots kept for deep stacks: more are allocated when the stack gets this deep. */
const INITIAL_SLOTS = 1 << 16;

// What a memo entry holds, two bits per entry.
const M_EMPTY = 0;
const M_DATA = 1;
const M_STR = 2;
const M_GLOBAL = 3;
/** Recent memoized strings whose stream position is kept (older ones become plain data). */
const STR_RING = 4096;
/** Memoized globals kept per pickle before handing over to the interpreter. */
const MAX_MEMO_GLOBALS = 10_000;

/** Handing over to PickleMachine (not an error: the stream needs values). */
class Active extends Error {}
const ACTIVE = new Active('needs the interpreter');

export class PickleValidator {
  private depth = 0;
  private kinds = new Uint8Array(INITIAL_SLOTS);
  private refs = new Float64Array(INITIAL_SLOTS);
  private readonly tail = Buffer.alloc(TAIL);
  private tailBase = 0;
  private tailLen = 0;
  /** The names STACK_GLOBALs used, by stream offset (a module name returns from the memo). */
  private readonly pinned = new Map<number, string>();
  private readonly globalList: PyGlobal[] = [];
  private readonly globalIds = new Map<PyGlobal, number>();
  private marks: number[] = [];
  private fence = 0;
  private memoPages: (Uint8Array | undefined)[] = [];
  private memoSparse = new Map<number, number>();
  private memoCount = 0;
  private readonly ringIdx = new Float64Array(STR_RING).fill(-1);
  private readonly ringRef = new Float64Array(STR_RING);
  /** Memoized globals: memo index → index in globalList. */
  private readonly memoGlobals = new Map<number, number>();
  private lastGlobalIdx = -1;
  private lastGlobalId = -1;
  private readonly globals: GlobalTable;
  private proto = 0;
  private ops = 0;
  private pickleOps0 = 0;
  private pickles = 0;
  private pickleStart = 0;
  private frameEnd = -1;
  private maxFrameEnd = -1;
  private need = 0;
  private needLines = 0;
  private skipBytes = 0;
  private skipWhy = '';

  constructor(
    private readonly reader: ByteReader,
    private readonly visitor: PickleVisitor,
    private readonly opts: MachineOptions,
  ) {
    this.globals = new GlobalTable(opts.limits.maxGlobals);
  }

  private result(error: PickleErrorInfo | null, limit: LimitInfo | null, end: number): RunResult {
    return { pickles: this.pickles, ops: this.ops, end, error, limit, results: [] };
  }

  async run(): Promise<ValidationResult> {
    const r = this.reader;
    const maxPickles = this.opts.maxPickles ?? Infinity;
    const fail = (kind: PickleErrorInfo['kind'], message: string, offset: number): RunResult =>
      this.result({ kind, message, offset, pickle: this.pickles + (this.opts.pickleIndexBase ?? 0) }, null, offset);
    const frameCheck = (): RunResult | null =>
      r.eof && this.maxFrameEnd > r.base + r.buf.length
        ? fail('truncated', `a FRAME announces ${this.maxFrameEnd - (r.base + r.buf.length)} more bytes than the stream holds (CPython refuses the frame)`, r.base + r.buf.length)
        : null;
    this.reset();
    for (;;) {
      let st: number;
      try {
        st = this.step();
      } catch (e) {
        if (e instanceof Fail) return fail(e.kind, e.message, r.offset);
        if (e instanceof LimitHit) return this.result(null, { what: e.what, limit: e.limit, offset: r.offset }, r.offset);
        throw e;
      }
      if (st !== ST_ACTIVE && st !== ST_STOP) this.keepTail();
      switch (st) {
        case ST_NEED: {
          const atOpcodeStart = this.need === 1 && this.needLines === 0;
          if (await r.fill(this.need, this.needLines)) break;
          const opsInPickle = this.ops - this.pickleOps0;
          if (r.available === 0 && atOpcodeStart && opsInPickle === 0 && this.pickles > 0) return frameCheck() ?? this.result(null, null, r.offset);
          if (r.available === 0 && atOpcodeStart && opsInPickle === 0) return fail('truncated', 'ran out of input: the stream is empty', r.offset);
          if (r.available === 0 && atOpcodeStart) return fail('truncated', 'the pickle ends without a STOP opcode (truncated)', r.offset);
          return fail('truncated', 'pickle data was truncated in the middle of an opcode', r.offset);
        }
        case ST_SKIP: {
          const got = await r.skip(this.skipBytes);
          if (got < this.skipBytes) return fail('truncated', `pickle data was truncated: ${this.skipWhy} needs ${this.skipBytes} more bytes, only ${got} remain`, r.offset);
          break;
        }
        case ST_SKIPLINE: {
          for (;;) {
            const nl = r.buf.indexOf(10, r.pos);
            if (nl >= 0) {
              r.pos = nl + 1;
              break;
            }
            r.pos = r.buf.length;
            if (!(await r.fill(1))) return fail('truncated', 'pickle data was truncated inside a text argument', r.offset);
          }
          this.pushData();
          break;
        }
        case ST_ACTIVE:
          return 'active';
        case ST_STOP:
          if (this.pickles >= maxPickles) return this.result(null, null, r.offset);
          if (await r.atEnd()) return frameCheck() ?? this.result(null, null, r.offset);
          this.reset();
          break;
      }
    }
  }

  private reset(): void {
    this.depth = 0;
    this.marks.length = 0;
    this.fence = 0;
    this.memoPages = [];
    this.memoSparse.clear();
    this.memoCount = 0;
    this.memoGlobals.clear();
    this.lastGlobalIdx = -1;
    this.proto = 0;
    this.frameEnd = -1;
    this.pickleOps0 = this.ops;
    this.pickleStart = this.reader.offset;
  }

  private underflow(): Fail {
    return new Fail('stack', this.marks.length > 0 ? 'unexpected MARK found' : 'unpickling stack underflow');
  }

  private marker(): number {
    const m = this.marks;
    if (m.length < 1) throw new Fail('mark', 'could not find MARK');
    const mark = m.pop() as number;
    this.fence = m.length > 0 ? (m[m.length - 1] as number) : 0;
    return mark;
  }

  /** Doubles the slots: checked every 64 opcodes, when fewer than 256 are left (an opcode pushes at most one). */
  private grow(): void {
    const kinds = new Uint8Array(this.kinds.length * 2);
    kinds.set(this.kinds);
    const refs = new Float64Array(this.refs.length * 2);
    refs.set(this.refs);
    this.kinds = kinds;
    this.refs = refs;
  }

  private pushData(): void {
    this.kinds[this.depth++] = K_DATA;
  }

  private pushGlobal(id: number): void {
    this.refs[this.depth] = id;
    this.kinds[this.depth++] = K_GLOBAL;
  }

  private globalId(g: PyGlobal): number {
    let id = this.globalIds.get(g);
    if (id === undefined) {
      id = this.globalList.push(g) - 1;
      this.globalIds.set(g, id);
    }
    return id;
  }

  // --- memo: two bits per dense entry ---

  private memoKind(idx: number): number {
    if (idx < 0) return M_EMPTY;
    if (idx >= DENSE_LIMIT) return this.memoSparse.get(idx) ?? M_EMPTY;
    const page = this.memoPages[idx >>> (PAGE_BITS + 2)];
    return page === undefined ? M_EMPTY : ((page[(idx >>> 2) & (PAGE - 1)] as number) >>> ((idx & 3) * 2)) & 3;
  }

  private memoPut(idx: number): void {
    if (this.depth <= this.fence) throw this.underflow();
    const top = this.depth - 1;
    const kind = this.kinds[top] as number;
    const page = idx < DENSE_LIMIT ? this.memoPages[idx >>> (PAGE_BITS + 2)] : undefined;
    if (page === undefined || kind === K_GLOBAL) {
      this.memoPutSlow(idx, top, kind);
      return;
    }
    // The common case, kept small enough to inline: data or a string into an allocated page.
    const byte = (idx >>> 2) & (PAGE - 1);
    const shift = (idx & 3) << 1;
    const b = page[byte] as number;
    page[byte] = (b & ~(3 << shift)) | ((kind === K_STR ? M_STR : M_DATA) << shift);
    if (kind === K_STR) {
      const slot = idx & (STR_RING - 1);
      this.ringIdx[slot] = idx;
      this.ringRef[slot] = this.refs[top] as number;
    }
    if (((b >>> shift) & 3) === M_EMPTY && ++this.memoCount > this.opts.limits.maxMemo) throw new LimitHit('memo', this.opts.limits.maxMemo);
  }

  private memoPutSlow(idx: number, top: number, kind: number): void {
    const mk = kind === K_STR ? M_STR : kind === K_GLOBAL ? M_GLOBAL : M_DATA;
    let old: number;
    if (idx >= DENSE_LIMIT) {
      old = this.memoSparse.get(idx) ?? M_EMPTY;
      if (old === M_EMPTY && this.memoSparse.size >= SPARSE_LIMIT) throw new LimitHit('memo', this.opts.limits.maxMemo);
      this.memoSparse.set(idx, mk);
    } else {
      const p = idx >>> (PAGE_BITS + 2);
      let page = this.memoPages[p];
      if (page === undefined) {
        page = new Uint8Array(PAGE);
        while (this.memoPages.length < p) this.memoPages.push(undefined);
        this.memoPages[p] = page;
      }
      const byte = (idx >>> 2) & (PAGE - 1);
      const shift = (idx & 3) * 2;
      const b = page[byte] as number;
      old = (b >>> shift) & 3;
      page[byte] = (b & ~(3 << shift)) | (mk << shift);
    }
    if (mk === M_STR) {
      const slot = idx & (STR_RING - 1);
      this.ringIdx[slot] = idx;
      this.ringRef[slot] = this.refs[top] as number;
    } else if (mk === M_GLOBAL) {
      if (this.memoGlobals.size >= MAX_MEMO_GLOBALS && !this.memoGlobals.has(idx)) throw ACTIVE;
      this.memoGlobals.set(idx, this.refs[top] as number);
      if (idx === this.lastGlobalIdx) this.lastGlobalIdx = -1;
    }
    if (old === M_EMPTY && ++this.memoCount > this.opts.limits.maxMemo) throw new LimitHit('memo', this.opts.limits.maxMemo);
  }

  private memoGet(idx: number): void {
    const mk = this.memoKind(idx);
    if (mk === M_EMPTY) throw new Fail('memo', `Memo value not found at index ${idx}`);
    if (mk === M_GLOBAL) {
      // Usually the same class again and again (one BINGET per instance).
      if (idx !== this.lastGlobalIdx) {
        this.lastGlobalIdx = idx;
        this.lastGlobalId = this.memoGlobals.get(idx) as number;
      }
      this.pushGlobal(this.lastGlobalId);
      return;
    }
    const slot = idx & (STR_RING - 1);
    if (mk === M_STR && this.ringIdx[slot] === idx) {
      this.refs[this.depth] = this.ringRef[slot] as number;
      this.kinds[this.depth++] = K_STR;
      return;
    }
    // An older string: still a string to CPython, but only the interpreter could resolve it.
    this.pushData();
  }

  // --- imports and calls ---

  /** The string a K_STR slot holds, or null when it is no longer at hand. */
  private slotString(i: number): string | null {
    if (this.kinds[i] !== K_STR) return null;
    const ref = this.refs[i] as number;
    const len = ref % STR_SCALE;
    const at = (ref - len) / STR_SCALE;
    const r = this.reader;
    if (at >= r.base) return decodeUtf8(r.buf, at - r.base, at - r.base + len);
    if (at >= this.tailBase && at + len <= this.tailBase + this.tailLen) return decodeUtf8(this.tail, at - this.tailBase, at - this.tailBase + len);
    return this.pinned.get(at) ?? null;
  }

  /** Before the reader's window moves: keeps the last TAIL bytes of the stream seen so far. */
  private keepTail(): void {
    const r = this.reader;
    const buf = r.buf;
    const end = r.base + buf.length;
    const tailEnd = this.tailBase + this.tailLen;
    if (end <= tailEnd) return;
    if (r.base > tailEnd) this.tailLen = 0; // bytes were skipped: start over
    const from = Math.max(r.base, this.tailBase + this.tailLen);
    const add = end - from;
    if (add >= TAIL) {
      buf.copy(this.tail, 0, buf.length - TAIL, buf.length);
      this.tailLen = TAIL;
    } else {
      const keep = Math.min(this.tailLen, TAIL - add);
      if (keep < this.tailLen) this.tail.copyWithin(0, this.tailLen - keep, this.tailLen);
      buf.copy(this.tail, keep, from - r.base, buf.length);
      this.tailLen = keep + add;
    }
    this.tailBase = end - this.tailLen;
  }

  private resolve(module: string, name: string, at: number, via: GlobalVia): PyGlobal {
    const g = this.globals.resolve(module, name, this.proto, at, via);
    this.visitor.onGlobal?.(g, at, via);
    return g;
  }

  /** The callee in slot i must be a quiet global; otherwise the interpreter takes over. */
  private quietCallee(i: number): void {
    if (this.kinds[i] !== K_GLOBAL) throw ACTIVE;
    if (!this.visitor.quiet?.(this.globalList[this.refs[i] as number] as PyGlobal)) throw ACTIVE;
  }

  /** APPEND(S), SETITEM(S), ADDITEMS on a global itself call its methods: the interpreter reports it. */
  private itemsTarget(i: number): void {
    if (i >= 0 && this.kinds[i] === K_GLOBAL) throw ACTIVE;
  }

  /** The less frequent opcodes that import or call. Returns the next position. */
  private activeOp(op: number, buf: Buffer, pos: number, end: number, at: number): number {
    switch (op) {
      case 0x63: {
        // GLOBAL
        const l = globalLines(op, buf, pos, end);
        this.pushGlobal(this.globalId(this.resolve(l.module, l.name, at, 'GLOBAL')));
        return l.next;
      }
      case 0x69: {
        // INST
        const l = globalLines(op, buf, pos, end);
        const mark = this.marker();
        const g = this.resolve(l.module, l.name, at, 'INST');
        if (!this.visitor.quiet?.(g)) throw ACTIVE;
        this.depth = mark;
        this.pushData();
        return l.next;
      }
      case 0x93: {
        // STACK_GLOBAL
        if (this.depth - 2 < this.fence) throw this.underflow();
        const name = this.slotString(this.depth - 1);
        const mod = this.slotString(this.depth - 2);
        if (name === null || mod === null) throw ACTIVE;
        if (this.pinned.size < MAX_PINNED) {
          this.pinned.set(Math.floor((this.refs[this.depth - 2] as number) / STR_SCALE), mod);
          this.pinned.set(Math.floor((this.refs[this.depth - 1] as number) / STR_SCALE), name);
        }
        this.depth -= 2;
        this.pushGlobal(this.globalId(this.resolve(mod, name, at, 'STACK_GLOBAL')));
        return pos + 1;
      }
      case 0x52: // REDUCE
      case 0x81: // NEWOBJ
      case 0x92: {
        // NEWOBJ_EX
        const n = op === 0x92 ? 3 : 2;
        if (this.depth - n < this.fence) throw this.underflow();
        this.quietCallee(this.depth - n);
        this.depth -= n;
        this.pushData();
        return pos + 1;
      }
      case 0x6f: {
        // OBJ
        const mark = this.marker();
        if (this.depth - mark < 1) throw this.underflow();
        this.quietCallee(mark);
        this.depth = mark;
        this.pushData();
        return pos + 1;
      }
      case 0x62: // BUILD
        if (this.depth - 2 < this.fence) throw this.underflow();
        if (this.kinds[this.depth - 2] === K_GLOBAL) throw ACTIVE;
        this.depth--;
        return pos + 1;
      default:
        throw ACTIVE;
    }
  }

  private step(): number {
    const r = this.reader;
    const buf = r.buf;
    const end = buf.length;
    const base = r.base;
    const maxOps = this.opts.limits.maxOps;
    const maxStack = this.opts.limits.maxStack;
    let pos = r.pos;
    let ops = this.ops;
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
          case 0x4e: // N
          case 0x88: // NEWTRUE
          case 0x89: // NEWFALSE
          case 0x29: // EMPTY_TUPLE
          case 0x5d: // EMPTY_LIST
          case 0x7d: // EMPTY_DICT
          case 0x8f: // EMPTY_SET
            this.pushData();
            pos += 1;
            break;
          case 0x4b: // BININT1
          case 0x68: // BINGET
          case 0x71: {
            // BINPUT
            if (pos + 2 > end) throw new NeedMore(2);
            if (op === 0x4b) this.pushData();
            else if (op === 0x68) this.memoGet(buf[pos + 1] as number);
            else this.memoPut(buf[pos + 1] as number);
            pos += 2;
            break;
          }
          case 0x4d: // BININT2
            if (pos + 3 > end) throw new NeedMore(3);
            this.pushData();
            pos += 3;
            break;
          case 0x4a: // BININT
          case 0x6a: // LONG_BINGET
          case 0x72: {
            // LONG_BINPUT
            if (pos + 5 > end) throw new NeedMore(5);
            if (op === 0x4a) this.pushData();
            else if (op === 0x6a) this.memoGet(buf.readUInt32LE(pos + 1));
            else this.memoPut(buf.readUInt32LE(pos + 1));
            pos += 5;
            break;
          }
          case 0x47: // BINFLOAT
            if (pos + 9 > end) throw new NeedMore(9);
            this.pushData();
            pos += 9;
            break;
          case 0x94: // MEMOIZE
            this.memoPut(this.memoCount);
            pos += 1;
            break;
          case 0x8a: // LONG1
          case 0x8b: {
            // LONG4
            const hdr = op === 0x8a ? 2 : 5;
            if (pos + hdr > end) throw new NeedMore(hdr);
            const n = op === 0x8a ? (buf[pos + 1] as number) : buf.readInt32LE(pos + 1);
            if (n < 0) throw new Fail('value', 'LONG pickle has negative byte count');
            // Buffered exactly as PickleMachine does, so truncation reads the same.
            if (n > 4096) {
              this.pushData();
              r.pos = pos + hdr;
              this.skipBytes = n;
              this.skipWhy = 'a LONG4 integer';
              this.ops = ops;
              return ST_SKIP;
            }
            if (pos + hdr + n > end) throw new NeedMore(hdr + n);
            this.pushData();
            pos += hdr + n;
            break;
          }
          case 0x55: // SHORT_BINSTRING
          case 0x54: // BINSTRING
          case 0x8c: // SHORT_BINUNICODE
          case 0x58: // BINUNICODE
          case 0x8d: // BINUNICODE8
          case 0x43: // SHORT_BINBYTES
          case 0x42: // BINBYTES
          case 0x8e: // BINBYTES8
          case 0x96: {
            // BYTEARRAY8
            const width = op === 0x55 || op === 0x8c || op === 0x43 ? 1 : op === 0x54 || op === 0x58 || op === 0x42 ? 4 : 8;
            if (pos + 1 + width > end) throw new NeedMore(1 + width);
            let len: number;
            if (width === 1) len = buf[pos + 1] as number;
            else if (width === 4) len = buf.readUInt32LE(pos + 1);
            else {
              const big = buf.readBigUInt64LE(pos + 1);
              if (big > 0x7fffffffffffffffn) throw new Fail('value', 'a BINBYTES8/BINUNICODE8/BYTEARRAY8 length exceeds the maximum size');
              len = Number(big);
            }
            // Buffered exactly as PickleMachine does, so truncation reads the same.
            const start = pos + 1 + width;
            const avail = end - start;
            const isText = op === 0x55 || op === 0x54 || op === 0x8c || op === 0x58 || op === 0x8d;
            if (len <= avail) {
              if ((op === 0x8c || op === 0x58 || op === 0x8d) && len <= STR_KEEP) {
                let or = 0;
                for (let i = start; i < start + len; i++) or |= buf[i] as number;
                if (or > 0x7f && !validUtf8SurrogatePass(buf, start, start + len)) throw new Fail('value', "'utf-8' codec can't decode a string argument");
                // A str: where its bytes are (STACK_GLOBAL may name a module with it).
                this.refs[this.depth] = (base + start) * STR_SCALE + len;
                this.kinds[this.depth++] = K_STR;
              } else this.pushData();
              pos = start + len;
              break;
            }
            const keepAll = isText ? len <= STR_KEEP : len <= NESTED_KEEP && (avail < 1 || buf[start] === 0x80);
            if (keepAll && len <= NESTED_KEEP) throw new NeedMore(1 + width + len);
            const headWant = Math.min(len, isText ? STR_HEAD : BYTES_HEAD);
            if (avail < headWant) throw new NeedMore(1 + width + headWant);
            this.pushData();
            r.pos = end;
            this.skipBytes = len - avail;
            this.skipWhy = 'a string or bytes argument';
            this.ops = ops;
            return ST_SKIP;
          }
          case 0x49: // INT
          case 0x4c: // LONG
          case 0x46: // FLOAT
          case 0x53: // STRING
          case 0x56: // UNICODE
          case 0x67: // GET
          case 0x70: {
            // PUT
            const nl = buf.indexOf(10, pos + 1);
            if (nl < 0 || nl >= end) {
              if (end - pos > LINE_MAX && op !== 0x67 && op !== 0x70) {
                r.pos = pos + 1;
                this.ops = ops;
                return ST_SKIPLINE;
              }
              if (end - pos > LINE_MAX) throw new Fail('value', 'a text argument is longer than 64 KiB');
              throw new NeedMore(1, 1);
            }
            const at = base + pos;
            if (op === 0x67 || op === 0x70) {
              if (op === 0x70 && this.depth <= this.fence) throw this.underflow();
              const m = memoIndexArg(op, buf, pos + 1, nl);
              if (m.irregular) this.visitor.onIrregular?.(m.irregular, at);
              if (op === 0x70) this.memoPut(m.index);
              else this.memoGet(m.index);
            } else {
              const t = textValue(op, buf, pos + 1, nl);
              if (t.irregular) this.visitor.onIrregular?.(t.irregular, at);
              this.pushData();
            }
            pos = nl + 1;
            break;
          }
          case 0x85: // TUPLE1
          case 0x86: // TUPLE2
          case 0x87: {
            // TUPLE3
            const n = op - 0x84;
            if (this.depth < n || this.depth - n < this.fence) throw this.underflow();
            this.depth -= n;
            this.pushData();
            pos += 1;
            break;
          }
          case 0x74: // TUPLE
          case 0x6c: // LIST
          case 0x91: // FROZENSET
            this.depth = this.marker();
            this.pushData();
            pos += 1;
            break;
          case 0x64: {
            // DICT
            const mark = this.marker();
            if ((this.depth - mark) % 2 !== 0) throw new Fail('value', 'odd number of items for DICT');
            this.depth = mark;
            this.pushData();
            pos += 1;
            break;
          }
          case 0x61: // APPEND
            if (this.depth - 1 <= this.fence) throw this.underflow();
            this.itemsTarget(this.depth - 2);
            this.depth -= 1;
            pos += 1;
            break;
          case 0x65: // APPENDS
          case 0x90: {
            // ADDITEMS
            const mark = this.marker();
            if (mark > this.depth || mark <= this.fence) throw this.underflow();
            if (mark < this.depth) this.itemsTarget(mark - 1);
            this.depth = mark;
            pos += 1;
            break;
          }
          case 0x73: // SETITEM
          case 0x75: {
            // SETITEMS
            const x = op === 0x73 ? this.depth - 2 : this.marker();
            if (x > this.depth || x <= this.fence) throw this.underflow();
            if ((this.depth - x) % 2 !== 0) throw new Fail('value', 'odd number of items for SETITEMS');
            if (x < this.depth) this.itemsTarget(x - 1);
            this.depth = x;
            pos += 1;
            break;
          }
          case 0x28: // MARK
            this.marks.push(this.depth);
            this.fence = this.depth;
            if (this.marks.length > maxStack) throw new LimitHit('stack', maxStack);
            pos += 1;
            break;
          case 0x30: {
            // POP
            if (this.marks.length > 0 && this.marks[this.marks.length - 1] === this.depth) {
              this.marks.pop();
              this.fence = this.marks.length > 0 ? (this.marks[this.marks.length - 1] as number) : 0;
            } else if (this.depth <= this.fence) throw this.underflow();
            else this.depth--;
            pos += 1;
            break;
          }
          case 0x31: // POP_MARK
            this.depth = this.marker();
            pos += 1;
            break;
          case 0x32: {
            // DUP
            if (this.depth <= this.fence) throw this.underflow();
            this.visitor.onIrregular?.('DUP (never written by the pickler)', base + pos);
            const top = this.depth - 1;
            this.kinds[this.depth] = this.kinds[top] as number;
            this.refs[this.depth] = this.refs[top] as number;
            this.depth++;
            pos += 1;
            break;
          }
          case 0x80: {
            // PROTO
            if (pos + 2 > end) throw new NeedMore(2);
            const v = buf[pos + 1] as number;
            if (v > HIGHEST_PROTOCOL) throw new Fail('protocol', `unsupported pickle protocol: ${v}`);
            if (ops - this.pickleOps0 !== 1) this.visitor.onIrregular?.('PROTO in the middle of a pickle', base + pos);
            this.proto = v;
            pos += 2;
            break;
          }
          case 0x95: {
            // FRAME
            if (pos + 9 > end) throw new NeedMore(9);
            const big = buf.readBigUInt64LE(pos + 1);
            if (big > 0x7fffffffffffffffn) throw new Fail('value', "FRAME length exceeds system's maximum");
            const at = base + pos;
            if (this.frameEnd > at) this.visitor.onIrregular?.('FRAME inside another frame', at);
            this.frameEnd = at + 9 + Number(big);
            if (this.frameEnd > this.maxFrameEnd) this.maxFrameEnd = this.frameEnd;
            pos += 9;
            break;
          }
          case 0x2e: {
            // STOP
            const at = base + pos;
            if (this.depth <= this.fence) throw this.underflow();
            this.depth--;
            if (this.depth > 0) this.visitor.onIrregular?.(`${this.depth} object(s) left on the stack at STOP`, at);
            if (this.marks.length > 0) this.visitor.onIrregular?.(`${this.marks.length} unclosed MARK(s) at STOP`, at);
            r.pos = pos + 1;
            this.pickles++;
            this.visitor.onStop?.({ pickle: this.pickles - 1 + (this.opts.pickleIndexBase ?? 0), start: this.pickleStart, offset: at, value: null, proto: this.proto });
            this.ops = ops;
            return ST_STOP;
          }
          case 0x63: // GLOBAL
          case 0x69: // INST
          case 0x93: // STACK_GLOBAL
          case 0x52: // REDUCE
          case 0x81: // NEWOBJ
          case 0x92: // NEWOBJ_EX
          case 0x6f: // OBJ
          case 0x62: // BUILD
            pos = this.activeOp(op, buf, pos, end, base + pos);
            break;
          case 0x50: // PERSID
          case 0x51: // BINPERSID
          case 0x82: // EXT1
          case 0x83: // EXT2
          case 0x84: // EXT4
          case 0x97: // NEXT_BUFFER
          case 0x98: // READONLY_BUFFER
            // Persistent ids, extension codes and out-of-band buffers always need values.
            throw ACTIVE;
          default:
            throw invalidOpcode(op);
        }
        if ((ops & 63) === 0) {
          if (this.depth > maxStack) throw new LimitHit('stack', maxStack);
          if (this.depth + 256 > this.kinds.length) this.grow();
        }
      }
    } catch (e) {
      if (e instanceof NeedMore) {
        r.pos = pos;
        this.need = e.bytes;
        this.needLines = e.lines;
        this.ops = ops - 1;
        return ST_NEED;
      }
      r.pos = pos;
      this.ops = ops;
      if (e === ACTIVE) return ST_ACTIVE;
      throw e;
    }
  }
}
