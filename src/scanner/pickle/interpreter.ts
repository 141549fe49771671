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
 * Also here: ByteReader (the chunk window both share, from which callers keep reading raw bytes
 * after a pickle), fileChunks / readableChunks (sources), and PickleValidator, a value-free pass
 * for data-only pickles that hands over to PickleMachine at the first import or call.
 */
import { open } from 'node:fs/promises';
import { mapPython2Name } from './globals.js';

// ---------------------------------------------------------------------------------------------
// Values

export type PyValue = null | boolean | number | bigint | string | PyObject;
export type PyObject = PyBytes | PyStrTrunc | PyContainer | PyGlobal | PyCall | PyPid | PyOpaque;

/** bytes / bytearray: length, a short prefix, and the whole content when small and pickle-like. */
export interface PyBytes {
  k: 'bytes';
  len: number;
  head: Buffer;
  /** The full content, kept only for small payloads that look like a nested pickle. */
  data: Buffer | null;
  bytearray: boolean;
}

/** A str too long to keep: its UTF-8 length and the first characters. */
export interface PyStrTrunc {
  k: 'strtrunc';
  /** Length in bytes (or characters for text-line opcodes); -1 when unknown. */
  len: number;
  head: string;
  /** A memo entry compacted to save memory: the exact string is gone. */
  dropped?: true;
}

export type ContainerKind = 'tuple' | 'list' | 'dict' | 'set' | 'frozenset';

/** A container; `items` keeps the first few elements (dict: key, value, key, value…), `n` counts all. */
export interface PyContainer {
  k: ContainerKind;
  items: PyValue[];
  n: number;
  /** A memo entry compacted to save memory: the kind is known, the content is not. */
  opaque?: true;
}

export type GlobalVia = 'GLOBAL' | 'STACK_GLOBAL' | 'INST' | 'EXT';

/** What find_class would return. One object per distinct (module, name) in a stream. */
export interface PyGlobal {
  k: 'global';
  /** As CPython imports it (after the Python 2 name mapping of protocols 0-2). */
  module: string;
  name: string;
  /** As written in the stream, when the mapping changed it. */
  rawModule?: string;
  rawName?: string;
  /** First place it was resolved. */
  offset: number;
  via: GlobalVia;
  /** Free for the visitor (the analyzer caches its classification here). */
  tag?: unknown;
  /** STACK_GLOBAL with a name the interpreter could not keep (too long, or compacted out of the memo). */
  unresolved?: true;
}

export type CallOp = 'REDUCE' | 'NEWOBJ' | 'NEWOBJ_EX' | 'OBJ' | 'INST';

/** The object a call would produce (REDUCE, NEWOBJ, NEWOBJ_EX, OBJ, INST). */
export interface PyCall {
  k: 'call';
  op: CallOp;
  callee: PyValue;
  args: PyValue;
  kwargs: PyValue | undefined;
  offset: number;
  /** The state given by BUILD, if any. */
  state?: PyValue;
}

/** What persistent_load would return for a persistent id. */
export interface PyPid {
  k: 'pid';
  pid: PyValue;
  offset: number;
}

/** Something the interpreter cannot describe (an unknown extension code, an out-of-band buffer…). */
export interface PyOpaque {
  k: 'opaque';
  what: string;
  /** For a compacted memo entry of a call result: what was called. */
  callee?: PyValue;
}

// ---------------------------------------------------------------------------------------------
// Events

export interface PickleErrorInfo {
  kind: 'truncated' | 'opcode' | 'stack' | 'mark' | 'memo' | 'value' | 'protocol';
  message: string;
  /** Absolute offset of the opcode that failed. */
  offset: number;
  /** Which pickle of the stream (0-based). */
  pickle: number;
}

export interface LimitInfo {
  what: 'ops' | 'stack' | 'memo' | 'globals';
  limit: number;
  offset: number;
}

export interface StopInfo {
  pickle: number;
  /** Offset of the first opcode and of the STOP opcode. */
  start: number;
  offset: number;
  value: PyValue;
  proto: number;
}

/** What the interpreter does next when a visitor asks for raw reads inside the stream. */
export type RawAction =
  | { kind: 'skip'; bytes: number; padding: boolean; why: string }
  | { kind: 'nested-pickle'; why: string };

export interface PickleVisitor {
  /** A global was resolved (GLOBAL, STACK_GLOBAL, INST, or EXT via the copyreg registry). */
  onGlobal?(g: PyGlobal, offset: number, via: GlobalVia): void;
  /** REDUCE, NEWOBJ, NEWOBJ_EX, OBJ or INST would call `c.callee`. */
  onCall?(c: PyCall): void;
  /** BUILD would call `target.__setstate__(state)` or update its attributes. */
  onBuild?(target: PyValue, state: PyValue, offset: number): RawAction | void;
  /** APPEND(S)/SETITEM(S)/ADDITEMS on something that is not a plain container: its method runs. */
  onMethodCall?(target: PyValue, method: 'append' | 'extend' | '__setitem__' | 'add', offset: number): void;
  onPersistentId?(p: PyPid): void;
  /** EXT1/EXT2/EXT4: a global from copyreg's extension registry (empty in a stock interpreter). */
  onExtension?(code: number, offset: number): void;
  onMemo?(op: 'put' | 'get', index: number, offset: number): void;
  /** A stream construct CPython accepts but the pickler never writes (and pickletools may reject). */
  onIrregular?(what: string, offset: number): void;
  /** End of one pickle. Return false to stop interpreting the stream after it. */
  onStop?(info: StopInfo): boolean | void;
}

export interface MachineLimits {
  maxOps: number;
  maxStack: number;
  maxMemo: number;
  /** Distinct globals kept per stream. */
  maxGlobals: number;
}

export interface RunResult {
  /** Pickles that reached STOP. */
  pickles: number;
  ops: number;
  /** Absolute offset where interpretation stopped (after the last STOP, or at the error). */
  end: number;
  error: PickleErrorInfo | null;
  limit: LimitInfo | null;
  /** Values returned by the first STOPs (for callers that read stacked pickles, e.g. legacy PyTorch). */
  results: PyValue[];
}

// ---------------------------------------------------------------------------------------------
// Byte source: a window over an async stream of chunks. Callers may keep reading raw bytes after
// a pickle (legacy PyTorch storages, joblib arrays) from the same reader.

const EMPTY = Buffer.alloc(0);

/**
 * Reads a file range as a stream of chunks from three reused buffers: no garbage per chunk, so
 * memory stays flat however large the file. A yielded chunk stays valid until two more have been
 * read (ByteReader copies what it keeps across chunks).
 */
export async function* fileChunks(path: string, start = 0, end = Infinity, chunkSize = 1 << 20): AsyncGenerator<Buffer> {
  const fh = await open(path, 'r');
  try {
    const pool = [Buffer.allocUnsafe(chunkSize), Buffer.allocUnsafe(chunkSize), Buffer.allocUnsafe(chunkSize)];
    let turn = 0;
    let pos = start;
    while (pos < end) {
      const b = pool[turn++ % pool.length] as Buffer;
      const { bytesRead } = await fh.read(b, 0, Math.min(chunkSize, end - pos), pos);
      if (bytesRead === 0) return;
      pos += bytesRead;
      yield b.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

export class ByteReader {
  buf: Buffer = EMPTY;
  pos = 0;
  /** Absolute offset of buf[0]. */
  base: number;
  eof = false;
  private readonly it: AsyncIterator<unknown>;
  /** The part of the last chunk not yet in `buf` (after a bridge, see fill). */
  private pending: Buffer | null = null;
  /**
   * The error the source failed with (a damaged zip member, corrupt compressed data…). The
   * reader then behaves as if the stream ended, so what was read so far is still analysed; the
   * caller reports this error too.
   */
  sourceError: unknown = null;

  /** `source`: a Readable, an async generator of chunks, or a plain array of Buffers. */
  constructor(source: AsyncIterable<unknown> | Iterable<unknown>, baseOffset = 0) {
    if (Symbol.asyncIterator in source) this.it = source[Symbol.asyncIterator]();
    else {
      const sync = source[Symbol.iterator]();
      this.it = { next: async () => sync.next(), return: async () => ({ done: true, value: undefined }) };
    }
    this.base = baseOffset;
  }

  /** Absolute offset of the next unread byte. */
  get offset(): number {
    return this.base + this.pos;
  }

  get available(): number {
    return this.buf.length - this.pos;
  }

  private async next(): Promise<Buffer | null> {
    if (this.pending) {
      const p = this.pending;
      this.pending = null;
      return p;
    }
    for (;;) {
      let r: IteratorResult<unknown>;
      try {
        r = await this.it.next();
      } catch (e) {
        this.sourceError = e;
        return null;
      }
      if (r.done) return null;
      const v = r.value;
      const chunk = Buffer.isBuffer(v) ? v : v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : typeof v === 'string' ? Buffer.from(v, 'latin1') : null;
      if (!chunk) throw new TypeError('ByteReader: the source yielded something that is not bytes');
      if (chunk.length > 0) return chunk;
    }
  }

  private newlines(lines: number): boolean {
    let from = this.pos;
    for (let i = 0; i < lines; i++) {
      const nl = this.buf.indexOf(10, from);
      if (nl < 0) return false;
      from = nl + 1;
    }
    return true;
  }

  /**
   * Ensures at least `min` unread bytes (and, with `lines`, that many newlines) are buffered;
   * false when the stream ends first. An opcode that straddles two chunks gets a small "bridge"
   * buffer holding just the bytes it needs, so the chunks themselves are never copied.
   */
  async fill(min: number, lines = 0): Promise<boolean> {
    for (;;) {
      const avail = this.buf.length - this.pos;
      if (avail >= min && (lines === 0 || this.newlines(lines))) return true;
      if (this.eof) return false;
      const chunk = await this.next();
      if (!chunk) {
        this.eof = true;
        return false;
      }
      if (avail === 0) {
        this.base += this.buf.length;
        this.buf = chunk;
        this.pos = 0;
        continue;
      }
      let take = Math.max(1, min - avail);
      if (lines > 0) {
        const nl = chunk.indexOf(10);
        take = Math.max(take, nl >= 0 ? nl + 1 : chunk.length);
      }
      if (take >= chunk.length) take = chunk.length;
      else this.pending = chunk.subarray(take);
      this.base += this.pos;
      this.buf = Buffer.concat([this.buf.subarray(this.pos), chunk.subarray(0, take)], avail + take);
      this.pos = 0;
    }
  }

  /** Skips `n` bytes without keeping them; returns how many were skipped (fewer at the end). */
  async skip(n: number): Promise<number> {
    let left = n;
    while (left > 0) {
      const avail = this.buf.length - this.pos;
      if (avail >= left) {
        this.pos += left;
        return n;
      }
      left -= avail;
      this.pos = this.buf.length;
      if (!(await this.fill(1))) return n - left;
    }
    return n;
  }

  /** Reads exactly `n` bytes (n small), or null at the end of the stream. */
  async read(n: number): Promise<Buffer | null> {
    if (!(await this.fill(n))) return null;
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** True when no byte is left. */
  async atEnd(): Promise<boolean> {
    return !(await this.fill(1));
  }

  /** Stops the underlying iterator (closes a file stream early). */
  async close(): Promise<void> {
    if (this.eof && this.sourceError === null) return;
    try {
      await this.it.return?.();
    } catch {
      // The source is being abandoned; its close error changes nothing.
    }
  }
}

/**
 * The chunks of a Readable, in order, and then its error if it fails. Unlike the Readable's own
 * async iterator, data emitted before an error (a zip member whose CRC check fails at the end) is
 * not dropped, so it is still analysed.
 */
export async function* readableChunks(s: NodeJS.ReadableStream & { destroy(): void }): AsyncGenerator<Buffer> {
  const queue: Buffer[] = [];
  let done = false;
  let error: unknown = null;
  let wake: (() => void) | null = null;
  const notify = (): void => {
    const w = wake;
    wake = null;
    w?.();
  };
  s.on('data', (c: Buffer) => {
    queue.push(c);
    if (queue.length > 8) s.pause();
    notify();
  });
  s.on('end', () => {
    done = true;
    notify();
  });
  s.on('close', () => {
    done = true;
    notify();
  });
  s.on('error', (e: unknown) => {
    error ??= e;
    done = true;
    notify();
  });
  try {
    for (;;) {
      const c = queue.shift();
      if (c) {
        if (queue.length < 2 && s.isPaused()) s.resume();
        yield c;
        continue;
      }
      if (done) {
        if (error !== null) throw error instanceof Error ? error : new Error(`stream failed: ${JSON.stringify(error)}`);
        return;
      }
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    s.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// Memo. The pickler memoizes nearly every container and string, so a 200 MB pickle of small
// objects can hold tens of millions of entries. Entries keep their full descriptor up to a
// memory budget; beyond it an entry is one byte in a paged array: its kind (a container, a
// number…), or "result of calling global #n", or a recent string (kept in a ring, keyed by
// index). Module and attribute names used by globals always stay exact, so STACK_GLOBAL built
// from memoized strings still resolves; a string compacted out of the memo cannot be resolved
// and is reported as such (fail closed).

const T_EMPTY = 0;
const T_NONE = 1;
const T_TRUE = 2;
const T_FALSE = 3;
const T_OBJ = 4; // value in the detail map
const T_RSTR = 5; // recent string: ring[idx % RING]
const T_KIND = 6; // 6..15: compacted, OPAQUE_KINDS[tag - T_KIND]
const T_CALL = 16; // 16..255: result of calling callees[tag - T_CALL]
const MAX_CALLEES = 256 - T_CALL;

const PAGE_BITS = 14;
const PAGE = 1 << PAGE_BITS;
const DENSE_LIMIT = 1 << 25;
const SPARSE_LIMIT = 100_000;
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

export interface MachineOptions {
  limits: MachineLimits;
  /** Stop after this many pickles (default: all the stream holds). */
  maxPickles?: number;
  /** Items kept per container (elements; dict keys and values count separately). */
  itemCap?: number;
  /** A pickle inside another stream (joblib object arrays): reported pickle indexes continue. */
  pickleIndexBase?: number;
}

/** Control-flow signal: the current opcode needs more bytes than are buffered. */
class NeedMore extends Error {
  constructor(
    readonly bytes: number,
    readonly lines = 0,
  ) {
    super('need more bytes');
  }
}

/** The stream is not a pickle CPython would load (CPython's error message). */
class Fail extends Error {
  constructor(
    readonly kind: PickleErrorInfo['kind'],
    message: string,
  ) {
    super(message);
  }
}

class LimitHit extends Error {
  constructor(
    readonly what: LimitInfo['what'],
    readonly limit: number,
  ) {
    super(`limit ${what}`);
  }
}

const ST_NEED = 1;
const ST_STOP = 2;
const ST_SKIP = 3;
const ST_SKIPLINE = 4;
const ST_ACTION = 5;
const ST_ACTIVE = 6;

const LINE_MAX = 64 * 1024;
const STR_KEEP = 4096;
const STR_HEAD = 256;
const BYTES_HEAD = 64;
const NESTED_KEEP = 1024 * 1024;
const NESTED_BUDGET = 8 * 1024 * 1024;
const HIGHEST_PROTOCOL = 5;
/** STOP values kept per stream (a stream of millions of tiny pickles must not grow memory). */
const MAX_RESULTS = 64;

// BINFLOAT decoding without a call (little-endian hosts: bytes reversed into the double).
const F64 = new Float64Array(1);
const F64_BYTES = new Uint8Array(F64.buffer);
if (new Uint8Array(new Float64Array([1]).buffer)[7] !== 0x3f) throw new Error('pickle interpreter: big-endian hosts are not supported');

/** A short ASCII string straight from the bytes (no C++ round trip); null when not ASCII. */
function shortAscii(b: Buffer, a: number, n: number): string | null {
  let or = 0;
  for (let i = 0; i < n; i++) or |= b[a + i] as number;
  if (or > 0x7f) return null;
  switch (n) {
    case 0:
      return '';
    case 1:
      return String.fromCharCode(b[a] as number);
    case 2:
      return String.fromCharCode(b[a] as number, b[a + 1] as number);
    case 3:
      return String.fromCharCode(b[a] as number, b[a + 1] as number, b[a + 2] as number);
    case 4:
      return String.fromCharCode(b[a] as number, b[a + 1] as number, b[a + 2] as number, b[a + 3] as number);
    case 5:
      return String.fromCharCode(b[a] as number, b[a + 1] as number, b[a + 2] as number, b[a + 3] as number, b[a + 4] as number);
    case 6:
      return String.fromCharCode(b[a] as number, b[a + 1] as number, b[a + 2] as number, b[a + 3] as number, b[a + 4] as number, b[a + 5] as number);
    case 7:
      return String.fromCharCode(b[a] as number, b[a + 1] as number, b[a + 2] as number, b[a + 3] as number, b[a + 4] as number, b[a + 5] as number, b[a + 6] as number);
    case 8:
      return String.fromCharCode(b[a] as number, b[a + 1] as number, b[a + 2] as number, b[a + 3] as number, b[a + 4] as number, b[a + 5] as number, b[a + 6] as number, b[a + 7] as number);
    case 9:
      return String.fromCharCode(b[a] as number, b[a + 1] as number, b[a + 2] as number, b[a + 3] as number, b[a + 4] as number, b[a + 5] as number, b[a + 6] as number, b[a + 7] as number, b[a + 8] as number);
    case 10:
      return String.fromCharCode(b[a] as number, b[a + 1] as number, b[a + 2] as number, b[a + 3] as number, b[a + 4] as number, b[a + 5] as number, b[a + 6] as number, b[a + 7] as number, b[a + 8] as number, b[a + 9] as number);
    case 11:
      return String.fromCharCode(b[a] as number, b[a + 1] as number, b[a + 2] as number, b[a + 3] as number, b[a + 4] as number, b[a + 5] as number, b[a + 6] as number, b[a + 7] as number, b[a + 8] as number, b[a + 9] as number, b[a + 10] as number);
    case 12:
      return String.fromCharCode(b[a] as number, b[a + 1] as number, b[a + 2] as number, b[a + 3] as number, b[a + 4] as number, b[a + 5] as number, b[a + 6] as number, b[a + 7] as number, b[a + 8] as number, b[a + 9] as number, b[a + 10] as number, b[a + 11] as number);
    default:
      return (shortAscii(b, a, 12) as string) + (shortAscii(b, a + 12, n - 12) as string);
  }
}

const TUPLE_CAP = 64;

const utf8Fatal = new TextDecoder('utf-8', { fatal: true });

// Buffer#latin1Slice / #utf8Slice skip toString's argument handling; they exist in every Node
// release but are not in the type definitions, hence the fallback.
interface SliceMethods {
  latin1Slice?(start: number, end: number): string;
  utf8Slice?(start: number, end: number): string;
}
const proto = Buffer.prototype as unknown as SliceMethods;
const latin1: (b: Buffer, start: number, end: number) => string =
  typeof proto.latin1Slice === 'function' ? (b, s, e) => (b as unknown as Required<SliceMethods>).latin1Slice(s, e) : (b, s, e) => b.toString('latin1', s, e);
const utf8: (b: Buffer, start: number, end: number) => string =
  typeof proto.utf8Slice === 'function' ? (b, s, e) => (b as unknown as Required<SliceMethods>).utf8Slice(s, e) : (b, s, e) => b.toString('utf8', s, e);

/** Validates UTF-8 the way CPython's "surrogatepass" decoder does (encoded surrogates allowed). */
function validUtf8SurrogatePass(b: Buffer, start: number, end: number): boolean {
  let i = start;
  while (i < end) {
    const c = b[i] as number;
    if (c < 0x80) {
      i++;
      continue;
    }
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c === 0xe0) {
      n = 2;
      lo = 0xa0;
    } else if (c >= 0xe1 && c <= 0xef) n = 2;
    else if (c === 0xf0) {
      n = 3;
      lo = 0x90;
    } else if (c >= 0xf1 && c <= 0xf3) n = 3;
    else if (c === 0xf4) {
      n = 3;
      hi = 0x8f;
    } else return false;
    if (i + n > end - 1) return false;
    const c1 = b[i + 1] as number;
    if (c1 < lo || c1 > hi) return false;
    for (let j = 2; j <= n; j++) {
      const cj = b[i + j] as number;
      if (cj < 0x80 || cj > 0xbf) return false;
    }
    i += n + 1;
  }
  return true;
}

/** CPython's PyLong_FromString(s, base): digits with optional sign, underscores between digits. */
function parsePyLong(text: string, base: 0 | 10): bigint | null {
  let s = text.trim();
  let neg = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    neg = s.startsWith('-');
    s = s.slice(1);
  }
  let radix = 10;
  if (base === 0) {
    const p = s.slice(0, 2).toLowerCase();
    if (p === '0x') radix = 16;
    else if (p === '0o') radix = 8;
    else if (p === '0b') radix = 2;
    if (radix !== 10) {
      s = s.slice(2);
      if (s.startsWith('_')) s = s.slice(1);
    } else if (/^0+[1-9]/.test(s.replace(/_/g, ''))) return null; // base 0: no leading zeros
  }
  if (s === '' || s.startsWith('_') || s.endsWith('_') || s.includes('__')) return null;
  const digits = s.replace(/_/g, '');
  // CPython (3.11+) refuses decimal strings longer than 4300 digits.
  if (radix === 10 && digits.length > 4300) throw new Fail('value', 'Exceeds the limit (4300 digits) for integer string conversion');
  if (digits.length > 20_000) throw new Fail('value', 'integer literal too long');
  const valid = radix === 16 ? /^[0-9a-fA-F]+$/ : radix === 8 ? /^[0-7]+$/ : radix === 2 ? /^[01]+$/ : /^[0-9]+$/;
  if (!valid.test(digits)) return null;
  const prefix = radix === 16 ? '0x' : radix === 8 ? '0o' : radix === 2 ? '0b' : '';
  const v = BigInt(prefix + digits);
  return neg ? -v : v;
}

/** C strtol(s, &end, 0) on a whole line: returns the value or null when it stops early or overflows. */
function parseCStrtol(text: string): bigint | null {
  if (text.length > 32) return null; // beyond a C long whatever the notation
  const m = /^[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (!m) return null;
  const body = m[2] as string;
  let v: bigint;
  if (/^0[xX]/.test(body)) v = BigInt(body);
  else if (body.startsWith('0')) v = body.length > 1 ? BigInt('0o' + body.slice(1)) : 0n;
  else v = BigInt(body);
  if (m[1] === '-') v = -v;
  if (v > 0x7fffffffffffffffn || v < -0x8000000000000000n) return null;
  return v;
}

function smallest(v: bigint): number | bigint {
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
}

/** Python's bytes escape decoding (PyBytes_DecodeEscape), to latin1 text. */
function decodeBytesEscape(s: string): string {
  if (!s.includes('\\')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c !== '\\' || i + 1 >= s.length) {
      out += c;
      continue;
    }
    const d = s[++i] as string;
    switch (d) {
      case '\n':
        break;
      case '\\':
      case "'":
      case '"':
        out += d;
        break;
      case 'a':
        out += '\x07';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'v':
        out += '\v';
        break;
      case 'x': {
        const hex = s.slice(i + 1, i + 3);
        if (/^[0-9a-fA-F]{2}$/.test(hex)) {
          out += String.fromCharCode(parseInt(hex, 16));
          i += 2;
        } else throw new Fail('value', 'invalid \\x escape in a STRING argument');
        break;
      }
      default:
        if (d >= '0' && d <= '7') {
          let oct = d;
          while (oct.length < 3 && i + 1 < s.length && (s[i + 1] as string) >= '0' && (s[i + 1] as string) <= '7') oct += s[++i] as string;
          out += String.fromCharCode(parseInt(oct, 8) & 0xff);
        } else out += '\\' + d;
    }
  }
  return out;
}

/** raw-unicode-escape decoding (UNICODE opcode): only \uXXXX and \UXXXXXXXX are escapes. */
function decodeRawUnicodeEscape(b: Buffer, start: number, end: number): string {
  const s = latin1(b, start, end);
  if (!s.includes('\\u') && !s.includes('\\U')) return s;
  return s.replace(/\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8})/g, (_m: string, g: string) => {
    const cp = parseInt(g.slice(1), 16);
    if (cp > 0x10ffff) throw new Fail('value', 'raw-unicode-escape: code point out of range');
    return String.fromCodePoint(cp);
  });
}

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
  private readonly globals = new Map<string, PyGlobal>();
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
    const { module, name } = mapPython2Name(rawModule, rawName, this.proto);
    const key = `${module}\n${name}`;
    let g = this.globals.get(key);
    if (!g) {
      if (this.globals.size >= this.opts.limits.maxGlobals) throw new LimitHit('globals', this.opts.limits.maxGlobals);
      g = { k: 'global', module, name, offset, via };
      if (module !== rawModule || name !== rawName) {
        g.rawModule = rawModule;
        g.rawName = rawName;
      }
      this.globals.set(key, g);
    }
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
    return { k: 'bytes', len, head, data, bytearray };
  }

  private decodeUtf8(buf: Buffer, start: number, end: number): string {
    const s = utf8(buf, start, end);
    if (s.includes('\ufffd')) {
      try {
        utf8Fatal.decode(buf.subarray(start, end));
      } catch {
        if (!validUtf8SurrogatePass(buf, start, end)) throw new Fail('value', "'utf-8' codec can't decode a string argument");
      }
    }
    return s;
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
            stack.push((len <= 16 ? shortAscii(buf, start, len) : null) ?? this.decodeUtf8(buf, start, start + len));
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
        const nl1 = buf.indexOf(10, pos + 1);
        const nl2 = nl1 >= 0 && nl1 < end ? buf.indexOf(10, nl1 + 1) : -1;
        if (nl1 < 0 || nl1 >= end || nl2 < 0 || nl2 >= end) {
          if (end - pos > 2 * LINE_MAX) throw new Fail('value', 'a module or class name is longer than 64 KiB');
          throw new NeedMore(1, 2);
        }
        if (nl1 - pos - 1 < 1 || nl2 - nl1 - 1 < 1) throw new Fail('truncated', 'pickle data was truncated (empty module or name line)');
        const mod = op === 0x63 ? this.decodeUtf8(buf, pos + 1, nl1) : this.ascii(buf, pos + 1, nl1);
        const name = op === 0x63 ? this.decodeUtf8(buf, nl1 + 1, nl2) : this.ascii(buf, nl1 + 1, nl2);
        if (op === 0x63) {
          this.push(this.resolveGlobal(mod, name, at, 'GLOBAL'));
        } else {
          const mark = this.marker();
          const cls = this.resolveGlobal(mod, name, at, 'INST');
          const args = this.popTuple(mark);
          this.push(this.call('INST', cls, args, undefined, at));
        }
        return nl2 + 1;
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
            if (len <= STR_KEEP) this.push(op === 0x55 || op === 0x54 ? latin1(buf, start, start + len) : this.decodeUtf8(buf, start, start + len));
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
      default: {
        const c = String.fromCharCode(op);
        const shown = op >= 0x20 && op <= 0x7e && c !== "'" && c !== '\\' ? `'${c}'` : `'\\x${op.toString(16).padStart(2, '0')}'`;
        throw new Fail('opcode', `invalid load key, ${shown}`);
      }
    }
  }

  private ascii(buf: Buffer, start: number, end: number): string {
    for (let i = start; i < end; i++) if ((buf[i] as number) > 0x7f) throw new Fail('value', "'ascii' codec can't decode a name");
    return latin1(buf, start, end);
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
      this.pid(this.ascii(buf, start, nl), at);
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

/**
 * The argument of INT, LONG, FLOAT, STRING or UNICODE (one line, without its newline), parsed the
 * way CPython parses it. Throws Fail where CPython raises.
 */
function textValue(op: number, buf: Buffer, start: number, nl: number): { value: PyValue; irregular: string | null } {
  switch (op) {
    case 0x49: {
      // INT: C strtol(base 0) first, then Python's int(s, 0); "00"/"01" are booleans
      const text = latin1(buf, start, nl);
      if (text.length === 0) throw new Fail('truncated', 'pickle data was truncated (empty INT line)');
      const note = `INT argument ${JSON.stringify(text.slice(0, 40))} is not in canonical form`;
      const c = parseCStrtol(text);
      if (c !== null) {
        const canonical = /^-?(0|[1-9][0-9]*)$/.test(text) || text === '00' || text === '01';
        return { value: text.length === 2 && (c === 0n || c === 1n) ? c === 1n : smallest(c), irregular: canonical ? null : note };
      }
      const v = parsePyLong(text, 0);
      if (v === null) throw new Fail('value', 'could not convert string to int');
      return { value: smallest(v), irregular: note };
    }
    case 0x4c: {
      // LONG: an optional trailing L
      let text = latin1(buf, start, nl);
      if (text.length === 0) throw new Fail('truncated', 'pickle data was truncated (empty LONG line)');
      if (text.endsWith('L')) text = text.slice(0, -1);
      const v = parsePyLong(text, 0);
      if (v === null) throw new Fail('value', 'invalid literal for int() in a LONG argument');
      return { value: smallest(v), irregular: /^-?(0|[1-9][0-9]*)$/.test(text) ? null : `LONG argument ${JSON.stringify(text.slice(0, 40))} is not in canonical form` };
    }
    case 0x46: {
      // FLOAT
      const text = latin1(buf, start, nl);
      if (text.length === 0) throw new Fail('truncated', 'pickle data was truncated (empty FLOAT line)');
      if (!/^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|inf(inity)?|nan)$/i.test(text)) throw new Fail('value', 'could not convert string to float');
      const lower = text.toLowerCase().replace(/^\+/, '');
      return { value: lower.includes('inf') ? (lower.startsWith('-') ? -Infinity : Infinity) : lower.includes('nan') ? NaN : Number(text), irregular: null };
    }
    case 0x53: {
      // STRING: quoted, Python bytes escapes, then decoded (latin1: lenient)
      const text = latin1(buf, start, nl);
      const q = text[0];
      if (text.length < 2 || text[text.length - 1] !== q || (q !== "'" && q !== '"')) throw new Fail('value', 'the STRING opcode argument must be quoted');
      const v = decodeBytesEscape(text.slice(1, -1));
      return { value: v.length <= STR_KEEP ? v : { k: 'strtrunc', len: v.length, head: v.slice(0, STR_HEAD) }, irregular: null };
    }
    default: {
      // UNICODE: raw-unicode-escape
      const v = decodeRawUnicodeEscape(buf, start, nl);
      return { value: v.length <= STR_KEEP ? v : { k: 'strtrunc', len: v.length, head: v.slice(0, STR_HEAD) }, irregular: null };
    }
  }
}

/** The memo index of GET / PUT (base 10, like CPython). Throws Fail where CPython raises. */
function memoIndexArg(op: number, buf: Buffer, start: number, nl: number): { index: number; irregular: string | null } {
  const text = latin1(buf, start, nl);
  if (text.length === 0) throw new Fail('truncated', 'pickle data was truncated (empty memo index)');
  const v = parsePyLong(text, 10);
  if (v === null) throw new Fail('value', `invalid literal for int() with base 10: ${JSON.stringify(text.slice(0, 40))}`);
  if (op === 0x70 && v < 0n) throw new Fail('value', 'negative PUT argument');
  if (v > 1n << 40n) throw new Fail('value', 'memo index too large (CPython runs out of memory resizing its memo)');
  return { index: Number(v), irregular: /^(0|[1-9][0-9]*)$/.test(text) ? null : `memo index ${JSON.stringify(text.slice(0, 40))} is not in canonical form` };
}

// ---------------------------------------------------------------------------------------------
// Fast validation of data-only pickles.

/** Opcodes that import, call, or reach outside the stream (persistent ids, extension codes, buffers). */
const ACTIVE_OPCODES = new Uint8Array(256);
for (const c of [0x63, 0x69, 0x93, 0x52, 0x81, 0x92, 0x6f, 0x62, 0x50, 0x51, 0x82, 0x83, 0x84, 0x97, 0x98]) ACTIVE_OPCODES[c] = 1;

/** Outcome of PickleValidator.run: a full result, or 'active' when an opcode needs the interpreter. */
export type ValidationResult = RunResult | 'active';

/**
 * Checks a pickle stream the way the interpreter would, without building any value, as long as
 * it holds only data: without GLOBAL, STACK_GLOBAL, INST, OBJ, REDUCE, NEWOBJ(_EX), BUILD,
 * persistent ids, extension codes or out-of-band buffers nothing in a pickle can run, so only its
 * structure matters (stack depth with CPython's MARK fence, memo indices, argument syntax). It
 * reports the same errors, limits, irregularities and pickle ends as PickleMachine. At the first
 * active opcode it stops and returns 'active': the caller restarts with the interpreter.
 */
export class PickleValidator {
  private depth = 0;
  private marks: number[] = [];
  private fence = 0;
  private memoPages: (Uint8Array | undefined)[] = [];
  private memoSparse = new Set<number>();
  private memoCount = 0;
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
  ) {}

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
          this.depth++;
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

  private memoHas(idx: number): boolean {
    if (idx < 0) return false;
    if (idx >= DENSE_LIMIT) return this.memoSparse.has(idx);
    const page = this.memoPages[idx >>> (PAGE_BITS + 3)];
    return page !== undefined && ((page[(idx >>> 3) & (PAGE - 1)] as number) & (1 << (idx & 7))) !== 0;
  }

  private memoPut(idx: number): void {
    if (this.depth <= this.fence) throw this.underflow();
    let fresh: boolean;
    if (idx >= DENSE_LIMIT) {
      fresh = !this.memoSparse.has(idx);
      if (fresh && this.memoSparse.size >= SPARSE_LIMIT) throw new LimitHit('memo', this.opts.limits.maxMemo);
      this.memoSparse.add(idx);
    } else {
      const p = idx >>> (PAGE_BITS + 3);
      let page = this.memoPages[p];
      if (page === undefined) {
        page = new Uint8Array(PAGE);
        while (this.memoPages.length < p) this.memoPages.push(undefined);
        this.memoPages[p] = page;
      }
      const byte = (idx >>> 3) & (PAGE - 1);
      const bit = 1 << (idx & 7);
      fresh = ((page[byte] as number) & bit) === 0;
      page[byte] = (page[byte] as number) | bit;
    }
    if (fresh && ++this.memoCount > this.opts.limits.maxMemo) throw new LimitHit('memo', this.opts.limits.maxMemo);
  }

  private memoGet(idx: number): void {
    if (!this.memoHas(idx)) throw new Fail('memo', `Memo value not found at index ${idx}`);
    this.depth++;
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
        if (ACTIVE_OPCODES[op] === 1) {
          r.pos = pos;
          this.ops = ops;
          return ST_ACTIVE;
        }
        if (++ops > maxOps) throw new LimitHit('ops', maxOps);
        this.ops = ops;
        switch (op) {
          case 0x4e: // N
          case 0x88: // NEWTRUE
          case 0x89: // NEWFALSE
          case 0x29: // EMPTY_TUPLE
          case 0x5d: // EMPTY_LIST
          case 0x7d: // EMPTY_DICT
          case 0x8f: // EMPTY_SET
            this.depth++;
            pos += 1;
            break;
          case 0x4b: // BININT1
          case 0x68: // BINGET
          case 0x71: {
            // BINPUT
            if (pos + 2 > end) throw new NeedMore(2);
            if (op === 0x4b) this.depth++;
            else if (op === 0x68) this.memoGet(buf[pos + 1] as number);
            else this.memoPut(buf[pos + 1] as number);
            pos += 2;
            break;
          }
          case 0x4d: // BININT2
            if (pos + 3 > end) throw new NeedMore(3);
            this.depth++;
            pos += 3;
            break;
          case 0x4a: // BININT
          case 0x6a: // LONG_BINGET
          case 0x72: {
            // LONG_BINPUT
            if (pos + 5 > end) throw new NeedMore(5);
            if (op === 0x4a) this.depth++;
            else if (op === 0x6a) this.memoGet(buf.readUInt32LE(pos + 1));
            else this.memoPut(buf.readUInt32LE(pos + 1));
            pos += 5;
            break;
          }
          case 0x47: // BINFLOAT
            if (pos + 9 > end) throw new NeedMore(9);
            this.depth++;
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
              this.depth++;
              r.pos = pos + hdr;
              this.skipBytes = n;
              this.skipWhy = 'a LONG4 integer';
              return ST_SKIP;
            }
            if (pos + hdr + n > end) throw new NeedMore(hdr + n);
            this.depth++;
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
              }
              this.depth++;
              pos = start + len;
              break;
            }
            const keepAll = isText ? len <= STR_KEEP : len <= NESTED_KEEP && (avail < 1 || buf[start] === 0x80);
            if (keepAll && len <= NESTED_KEEP) throw new NeedMore(1 + width + len);
            const headWant = Math.min(len, isText ? STR_HEAD : BYTES_HEAD);
            if (avail < headWant) throw new NeedMore(1 + width + headWant);
            this.depth++;
            r.pos = end;
            this.skipBytes = len - avail;
            this.skipWhy = 'a string or bytes argument';
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
              this.depth++;
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
            this.depth -= n - 1;
            pos += 1;
            break;
          }
          case 0x74: // TUPLE
          case 0x6c: // LIST
          case 0x91: // FROZENSET
            this.depth = this.marker() + 1;
            pos += 1;
            break;
          case 0x64: {
            // DICT
            const mark = this.marker();
            if ((this.depth - mark) % 2 !== 0) throw new Fail('value', 'odd number of items for DICT');
            this.depth = mark + 1;
            pos += 1;
            break;
          }
          case 0x61: // APPEND
            if (this.depth - 1 <= this.fence) throw this.underflow();
            this.depth -= 1;
            pos += 1;
            break;
          case 0x65: // APPENDS
          case 0x90: {
            // ADDITEMS
            const mark = this.marker();
            if (mark > this.depth || mark <= this.fence) throw this.underflow();
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
          case 0x32: // DUP
            if (this.depth <= this.fence) throw this.underflow();
            this.visitor.onIrregular?.('DUP (never written by the pickler)', base + pos);
            this.depth++;
            pos += 1;
            break;
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
            return ST_STOP;
          }
          default: {
            const c = String.fromCharCode(op);
            const shown = op >= 0x20 && op <= 0x7e && c !== "'" && c !== '\\' ? `'${c}'` : `'\\x${op.toString(16).padStart(2, '0')}'`;
            throw new Fail('opcode', `invalid load key, ${shown}`);
          }
        }
        if ((ops & 63) === 0 && this.depth > maxStack) throw new LimitHit('stack', maxStack);
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
      throw e;
    }
  }
}

/** Default machine limits derived from the scanner's ScanLimits. */
export function machineLimits(l: { maxPickleOps: number; maxPickleStack: number; maxPickleMemo: number }): MachineLimits {
  return { maxOps: l.maxPickleOps, maxStack: l.maxPickleStack, maxMemo: l.maxPickleMemo, maxGlobals: 100_000 };
}
