/**
 * Turns what the pickle interpreter saw into findings a reviewer understands:
 *
 * - PICKLE_CODE_EXECUTION (critical): a code-execution gadget is imported or called, quoted with
 *   its arguments and offset ("calls os.system('id') at offset 812 (REDUCE): …").
 * - PICKLE_UNSAFE_GLOBAL (high/medium): a dangerous global (high), or one outside the family's
 *   allow-list (medium, review).
 * - PICKLE_DYNAMIC_CALL (high): a call of an object built at load time (a call result, a
 *   persistent object, an extension code), or BUILD/SETITEM on a class or module.
 * - PICKLE_UNRESOLVED_GLOBAL (high), PICKLE_UNKNOWN_EXTENSION (high), PICKLE_PERSISTENT_ID (medium),
 *   PICKLE_NONSTANDARD (medium), PICKLE_MULTIPLE_STREAMS (low), PICKLE_PARSE_ERROR (high),
 *   SCAN_LIMIT (high). A stream that cannot be parsed is never passed.
 */
import { finding, severityRank, type Finding, type ScanLimits, type Severity } from '../types.js';
import { APPLY_LIKE, classifyGlobal, isNumpyArrayWrapper, isTorchStorageName, type GlobalClass, type PickleFamily } from './globals.js';
import { ByteReader } from './byte-reader.js';
import { PickleMachine } from './interpreter.js';
import { machineLimits } from './ops.js';
import { PickleValidator } from './validator.js';
import type { PickleVisitor, PyCall, PyContainer, PyGlobal, PyPid, PyValue, RawAction, RunResult, StopInfo } from './values.js';

export interface PickleScanOptions {
  family: PickleFamily;
  limits: ScanLimits;
  /** Absolute offset of the stream's first byte in the file (or archive member). */
  baseOffset?: number;
  /** Archive member the stream comes from, copied into every finding. */
  member?: string;
  /** Interpret at most this many pickles (default: all that follow one another). */
  maxPickles?: number;
  /** Several pickles in a row: 'note' adds a low finding, 'silent' does not. */
  multiplePickles?: 'note' | 'silent';
  /** joblib: a NumpyArrayWrapper BUILD is followed by raw array bytes (or an object-array pickle). */
  joblibArrays?: boolean;
  /** Container elements kept per value (raise it to read long lists, e.g. legacy storage keys). */
  itemCap?: number;
  /** How to name the stream in messages ("the pickle", "the object-array payload"…). */
  label?: string;
  /** How deep inside pickles embedded in pickles this stream is (pickle.loads(b'…')). */
  nesting?: number;
  /**
   * Scans a legacy torch.save blob handed to torch.storage._load_from_bytes (how pickle.dumps
   * writes a tensor). Given by the format layer; without it such calls stay critical.
   */
  torchBlob?: TorchBlobScanner;
  /**
   * Reads `len` bytes of the stream again from offset `at`: how a blob too large to keep in memory
   * is scanned (given when the stream is a plain file).
   */
  reread?: (at: number, len: number) => AsyncIterable<unknown>;
}

/** Scans an embedded legacy torch.save blob (see PickleScanOptions.torchBlob): its bytes and length. */
export type TorchBlobScanner = (source: AsyncIterable<unknown> | Iterable<unknown>, size: number, opts: { limits: ScanLimits; nesting: number }) => Promise<Finding[]>;

/** Loaders whose bytes argument is itself a pickle: it is scanned too (the loader stays critical). */
const NESTED_LOADERS = new Set(['pickle.loads', '_pickle.loads', 'dill.loads', 'dill._dill.loads', 'cloudpickle.loads', 'joblib.externals.cloudpickle.loads']);
/** torch.load(io.BytesIO(b)) on a legacy checkpoint blob: scanned as one; passes when the blob is clean. */
const TORCH_BLOB_LOADER = 'torch.storage._load_from_bytes';
const MAX_NESTING = 2;
/** Tensors pickled with pickle.dumps followed per stream (each is a small legacy checkpoint). */
const MAX_TORCH_BLOBS = 4096;

/** A tensor storage a PyTorch checkpoint refers to through a persistent id. */
export interface StorageRef {
  key: string;
  /** Storage class name: FloatStorage, UntypedStorage… */
  type: string;
  location: string;
  numel: number;
  offset: number;
}

export interface PickleAnalysis {
  findings: Finding[];
  run: RunResult;
  storages: StorageRef[];
  /** Distinct globals, "module.name", in order of first appearance. */
  globals: string[];
  /** Anything worth a look happened (a global, a call or a persistent id). */
  active: boolean;
  /** joblib: raw array regions skipped after NumpyArrayWrapper BUILDs, and where the first began. */
  arrayWrappers: number;
  firstArrayOffset: number | null;
  /** The source failed while being read (damaged archive member, corrupt compressed data…). */
  sourceError: unknown;
  /** Which pass produced the analysis: the value-free validator, or the full interpreter. */
  pass: 'validator' | 'interpreter';
}

const MAX_FINDINGS = 200;
/** Dangerous calls remembered per stream (each is one finding, so the rest are only counted). */
const MAX_REPORTS = 1000;
/** Distinct tensor storages remembered per checkpoint. */
const MAX_STORAGES = 1_000_000;
const RENDER_MAX = 240;

// ---------------------------------------------------------------------------------------------
// Rendering values the way Python would print them (bounded).

function pyStr(s: string, max = 80): string {
  const cut = s.length > max ? s.slice(0, max) : s;
  let out = "'";
  for (const ch of cut) {
    const c = ch.codePointAt(0) as number;
    if (ch === "'" || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + (s.length > max ? "…'" : "'");
}

function pyBytes(b: Buffer, total: number): string {
  let out = "b'";
  for (const c of b.subarray(0, 48)) {
    if (c === 0x27 || c === 0x5c) out += '\\' + String.fromCharCode(c);
    else if (c >= 0x20 && c < 0x7f) out += String.fromCharCode(c);
    else out += '\\x' + c.toString(16).padStart(2, '0');
  }
  return out + (total > Math.min(b.length, 48) ? `…' (${total} bytes)` : "'");
}

export function render(v: PyValue, depth = 0): string {
  if (v === null) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : String(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'string') return pyStr(v);
  if (depth > 4) return '…';
  switch (v.k) {
    case 'bytes':
      return (v.bytearray ? 'bytearray(' : '') + pyBytes(v.head, v.len) + (v.bytearray ? ')' : '');
    case 'strtrunc':
      return v.dropped ? '<str>' : `${pyStr(v.head, 60).slice(0, -1)}…' (${v.len >= 0 ? `${v.len} bytes` : 'long'})`;
    case 'global':
      return `${v.module}.${v.name}`;
    case 'pid':
      return `persistent_load(${render(v.pid, depth + 1)})`;
    case 'opaque':
      return v.callee !== undefined ? `${render(v.callee, depth + 1)}(…)` : `<${v.what}>`;
    case 'call': {
      const callee = render(v.callee, depth + 1);
      const args = isContainer(v.args, 'tuple') ? renderItems(v.args, depth + 1) : `*${render(v.args, depth + 1)}`;
      const kw = v.kwargs !== undefined ? `, **${render(v.kwargs, depth + 1)}` : '';
      return clip(`${callee}(${args}${kw})`);
    }
    case 'tuple':
      return v.opaque ? '(…)' : v.n === 1 && v.items.length === 1 ? `(${render(v.items[0] as PyValue, depth + 1)},)` : `(${renderItems(v, depth + 1)})`;
    case 'list':
      return v.opaque ? '[…]' : `[${renderItems(v, depth + 1)}]`;
    case 'set':
      return v.opaque ? '{…}' : v.n === 0 ? 'set()' : `{${renderItems(v, depth + 1)}}`;
    case 'frozenset':
      return v.opaque ? 'frozenset(…)' : `frozenset({${renderItems(v, depth + 1)}})`;
    case 'dict': {
      if (v.opaque) return '{…}';
      const parts: string[] = [];
      for (let i = 0; i + 1 < v.items.length && parts.length < 6; i += 2) parts.push(`${render(v.items[i] as PyValue, depth + 1)}: ${render(v.items[i + 1] as PyValue, depth + 1)}`);
      return clip(`{${parts.join(', ')}${v.n > parts.length ? ', …' : ''}}`);
    }
  }
}

function renderItems(c: PyContainer, depth: number): string {
  if (c.opaque) return '…';
  const shown = c.items.slice(0, 6).map((x) => render(x, depth));
  return clip(shown.join(', ') + (c.n > shown.length ? ', …' : ''));
}

function clip(s: string): string {
  return s.length > RENDER_MAX ? s.slice(0, RENDER_MAX - 1) + '…' : s;
}

function isContainer(v: PyValue | undefined, kind: PyContainer['k']): v is PyContainer {
  return typeof v === 'object' && v !== null && v.k === kind;
}

function isGlobal(v: PyValue | undefined): v is PyGlobal {
  return typeof v === 'object' && v !== null && v.k === 'global';
}

function isCall(v: PyValue | undefined): v is PyCall {
  return typeof v === 'object' && v !== null && v.k === 'call';
}

/**
 * The full content of a bytes value when the interpreter kept it: a bytes literal, or the
 * `_codecs.encode(str, 'latin1')` protocols 0–2 write for bytes (strings are kept up to STR_KEEP).
 */
function keptBytes(v: PyValue | undefined): Buffer | null {
  if (typeof v === 'object' && v !== null && v.k === 'bytes') return v.data;
  if (!isCall(v) || !isGlobal(v.callee) || v.callee.module !== '_codecs' || v.callee.name !== 'encode' || !isContainer(v.args, 'tuple') || v.args.n !== 2) return null;
  const [text, encoding] = v.args.items;
  return typeof text === 'string' && (encoding === 'latin1' || encoding === 'latin-1') && [...text].every((ch) => ch.charCodeAt(0) < 256) ? Buffer.from(text, 'latin1') : null;
}

function describe(v: PyValue): string {
  if (v === null) return 'None';
  if (typeof v !== 'object') return typeof v === 'string' ? 'a str' : typeof v === 'boolean' ? 'a bool' : 'a number';
  switch (v.k) {
    case 'strtrunc':
      return 'a str';
    case 'bytes':
      return v.bytearray ? 'a bytearray' : 'bytes';
    case 'pid':
      return 'an object returned by persistent_load';
    case 'opaque':
      return v.what;
    case 'global':
      return `${v.module}.${v.name}`;
    case 'call':
      return 'an object built while loading';
    default:
      return `a ${v.k}`;
  }
}

// ---------------------------------------------------------------------------------------------
// numpy dtypes (joblib arrays and .npy headers share this)

/** Bytes per element of a numpy type string ('<f8', 'U10', '|b1', 'O'…), or null when unknown. */
export function numpyItemSize(typestr: string): { itemsize: number; object: boolean } | null {
  const m = /^[<>|=]?([?bBhHiIlLqQefdgFDGSUVOMmaciuf])(\d*)(\[[A-Za-z0-9]+\])?$/.exec(typestr);
  if (!m) {
    const named: Record<string, number> = { bool: 1, int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, int64: 8, uint64: 8, float16: 2, float32: 4, float64: 8, complex64: 8, complex128: 16 };
    if (typestr === 'object') return { itemsize: 8, object: true };
    const n = named[typestr];
    return n === undefined ? null : { itemsize: n, object: false };
  }
  const kind = m[1] as string;
  const n = m[2] ? Number(m[2]) : NaN;
  const fixed: Record<string, number> = { '?': 1, b: 1, B: 1, h: 2, H: 2, i: 4, I: 4, l: 8, L: 8, q: 8, Q: 8, e: 2, f: 4, d: 8, g: 16, F: 8, D: 16, G: 32 };
  if (kind === 'O') return { itemsize: 8, object: true };
  if (kind === 'M' || kind === 'm') return { itemsize: Number.isNaN(n) ? 8 : n, object: false };
  if (kind === 'U') return Number.isNaN(n) ? null : { itemsize: 4 * n, object: false };
  if (kind === 'S' || kind === 'V' || kind === 'a' || kind === 'c') return Number.isNaN(n) ? (kind === 'c' ? { itemsize: 1, object: false } : null) : { itemsize: n, object: false };
  if (kind === 'i' || kind === 'u' || kind === 'f' || kind === 'b') return Number.isNaN(n) ? null : { itemsize: n, object: false };
  const f = fixed[kind];
  return f === undefined ? null : { itemsize: Number.isNaN(n) ? f : n, object: false };
}

/** itemsize / object-ness of a pickled numpy.dtype(...) call (with its BUILD state). */
function pickledDtype(v: PyValue): { itemsize: number; object: boolean } | null {
  if (!isCall(v) || !isGlobal(v.callee) || v.callee.name !== 'dtype' || !v.callee.module.startsWith('numpy')) return null;
  const typestr = isContainer(v.args, 'tuple') ? v.args.items[0] : undefined;
  if (typeof typestr !== 'string') return null;
  const base = numpyItemSize(typestr);
  const state = isContainer(v.state, 'tuple') ? v.state : null;
  const elsize = state?.items[5];
  const flags = state?.items[7];
  const object = (base?.object ?? false) || (typeof flags === 'number' && (flags & 1) === 1);
  const itemsize = typeof elsize === 'number' && elsize > 0 ? elsize : base?.itemsize;
  return itemsize === undefined ? null : { itemsize, object };
}

function dictGet(d: PyValue | undefined, key: string): PyValue | undefined {
  if (!isContainer(d, 'dict')) return undefined;
  for (let i = 0; i + 1 < d.items.length; i += 2) if (d.items[i] === key) return d.items[i + 1];
  return undefined;
}

// ---------------------------------------------------------------------------------------------

interface GlobalState {
  cls: GlobalClass;
  called: boolean;
  full: string;
  /** Precomputed for the hot path of onCall. */
  apply: { arg: number; how: string } | undefined;
  loader: boolean;
  torchBlob: boolean;
  getattr: boolean;
}

interface Report {
  severity: Severity;
  code: string;
  call: PyCall;
  why: string;
  via?: string;
  subsumed: boolean;
}

const ENUM_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const CLASS_NAME = /^_?[A-Z][A-Za-z0-9_]*$/;

class Analyzer implements PickleVisitor {
  readonly findings: Finding[] = [];
  readonly storages: StorageRef[] = [];
  readonly globals: string[] = [];
  active = false;
  private readonly reports = new Map<PyCall, Report>();
  private readonly imported: PyGlobal[] = [];
  private irregular: { what: string; offset: number }[] = [];
  private irregularCount = 0;
  private pids = 0;
  private firstPid = -1;
  private badPids: string[] = [];
  private omitted = 0;
  /** The first two pickle ends, and the last. */
  stops: StopInfo[] = [];
  lastStop: StopInfo | null = null;
  private reportsOmitted = 0;
  private readonly storageKeys = new Set<string>();
  wrappers = 0;
  firstWrapper: number | null = null;
  /** Payloads handed to pickle.loads and friends, scanned after the stream. */
  readonly nested: { data: Buffer | { at: number; len: number }; call: PyCall; loader: string; torch: boolean }[] = [];

  constructor(
    private readonly opts: PickleScanOptions,
    private readonly label: string,
  ) {}

  add(code: string, severity: Severity, message: string, offset: number | null): void {
    if (this.findings.length >= MAX_FINDINGS) {
      this.omitted++;
      return;
    }
    this.findings.push(finding(code, severity, message, offset, this.opts.member));
  }

  private state(g: PyGlobal): GlobalState {
    let st = g.tag as GlobalState | undefined;
    if (!st) {
      const full = `${g.module}.${g.name}`;
      st = { cls: classifyGlobal(g.module, g.name, this.opts.family), called: false, full, apply: APPLY_LIKE[full], loader: NESTED_LOADERS.has(full), torchBlob: full === TORCH_BLOB_LOADER, getattr: full === 'builtins.getattr' };
      g.tag = st;
    }
    return st;
  }

  onGlobal(g: PyGlobal, offset: number, via: string): void {
    this.active = true;
    if (g.unresolved) {
      this.add('PICKLE_UNRESOLVED_GLOBAL', 'high', `imports ${g.module}.${g.name} at offset ${offset} (${via}) from a name the scanner could not keep in full: what it loads cannot be checked`, offset);
      return;
    }
    const first = g.tag === undefined;
    const st = this.state(g);
    if (!first) return;
    this.globals.push(st.full);
    const renamed = g.rawModule !== undefined ? ` (written as ${g.rawModule}.${g.rawName}, which Python 3 maps to it)` : '';
    if (st.cls.risk === 'medium') {
      this.add('PICKLE_UNSAFE_GLOBAL', 'medium', `imports ${st.full}${renamed} at offset ${offset} (${via}): ${st.cls.reason}; loading the file imports its module and can run its code, so review it`, offset);
    } else if (st.cls.risk === 'critical' || st.cls.risk === 'high') {
      this.imported.push(g);
    }
  }

  private report(severity: Severity, code: string, call: PyCall, why: string, via?: string): void {
    // A reported call used inside another reported call is shown as part of the outer one.
    const inner = [call.callee, ...(isContainer(call.args, 'tuple') ? call.args.items : [])];
    for (const x of inner) {
      if (isCall(x)) {
        const r = this.reports.get(x);
        if (r) {
          r.subsumed = true;
          if (severityRank(r.severity) > severityRank(severity)) {
            severity = r.severity;
            code = r.code;
            why = r.why;
          }
        }
      }
    }
    const prev = this.reports.get(call);
    if (!prev && this.reports.size >= MAX_REPORTS) {
      this.reportsOmitted++;
      return;
    }
    if (!prev || severityRank(severity) > severityRank(prev.severity)) this.reports.set(call, { severity, code, call, why, via, subsumed: prev?.subsumed ?? false });
  }

  /** Calls of g (and BUILD on the result) need no values: onCall and onBuild would do nothing with them. */
  quiet(g: PyGlobal): boolean {
    if (g.unresolved) return false;
    const st = this.state(g);
    const risk = st.cls.risk;
    return risk !== 'critical' && risk !== 'high' && !st.apply && !st.loader && !st.torchBlob && !st.getattr && !(this.opts.joblibArrays && isNumpyArrayWrapper(g.module, g.name));
  }

  /** The global a callee stands for: itself, or a legacy PyTorch ('module', cls, …) persistent id. */
  private calleeGlobal(v: PyValue): PyGlobal | null {
    if (isGlobal(v)) return v;
    if (typeof v === 'object' && v !== null && v.k === 'pid' && isContainer(v.pid, 'tuple') && v.pid.items[0] === 'module' && isGlobal(v.pid.items[1])) return v.pid.items[1];
    return null;
  }

  onCall(c: PyCall): void {
    this.active = true;
    const g = this.calleeGlobal(c.callee);
    if (g) {
      if (g.unresolved) {
        this.report('high', 'PICKLE_UNRESOLVED_GLOBAL', c, 'the callee name could not be resolved');
        return;
      }
      const st = this.state(g);
      const risk = st.cls.risk;
      if (st.getattr && this.enumGetattr(c, st)) return;
      if (st.torchBlob && this.torchBlobCall(c, st)) return;
      if (risk === 'critical' || risk === 'high') {
        st.called = true;
        this.report(risk, risk === 'critical' ? 'PICKLE_CODE_EXECUTION' : 'PICKLE_UNSAFE_GLOBAL', c, st.cls.reason);
      }
      if (st.apply) this.applyLike(c, st.full, st.apply.arg, st.apply.how);
      if (st.loader && isContainer(c.args, 'tuple')) {
        const payload = c.args.items[0];
        if (typeof payload === 'object' && payload !== null && payload.k === 'bytes' && payload.data && this.nested.length < 16) this.nested.push({ data: payload.data, call: c, loader: st.full, torch: false });
      }
      return;
    }
    const callee = c.callee;
    if (isCall(callee)) {
      const rst = this.chainRoot(callee);
      if (rst?.cls.risk === 'critical') this.report('critical', 'PICKLE_CODE_EXECUTION', c, `a call chain built from ${rst.full}: ${rst.cls.reason}`);
      else this.report('high', 'PICKLE_DYNAMIC_CALL', c, 'calls an object returned by another call made while loading (a call chain)');
      return;
    }
    this.report('high', 'PICKLE_DYNAMIC_CALL', c, `calls ${describe(callee)}, which the scanner cannot identify as a known callable`);
  }

  /**
   * The global at the root of a call chain (`f(…)(…)`, followed through 16 calls at most), marked
   * as called: the chain is reported in its place. Null when the root is not a resolved global.
   */
  private chainRoot(v: PyValue): GlobalState | null {
    let root = v;
    for (let i = 0; i < 16 && isCall(root); i++) root = root.callee;
    const g = this.calleeGlobal(root);
    if (!g || g.unresolved) return null;
    const st = this.state(g);
    st.called = true;
    return st;
  }

  /**
   * torch.storage._load_from_bytes(b'…'): pickle.dumps of a tensor. The blob is a legacy torch.save
   * file and is scanned as one after the stream (its findings are the call's verdict), when the
   * format layer can and the blob was kept in full. True when handled (nothing to report now).
   */
  private torchBlobCall(c: PyCall, st: GlobalState): boolean {
    if (!this.opts.torchBlob || !isContainer(c.args, 'tuple') || c.args.n !== 1 || this.nested.length >= MAX_TORCH_BLOBS) return false;
    const payload = c.args.items[0];
    const kept = keptBytes(payload);
    const data = kept ?? (this.opts.reread && typeof payload === 'object' && payload !== null && payload.k === 'bytes' ? { at: payload.at, len: payload.len } : null);
    if (!data) return false;
    st.called = true;
    this.nested.push({ data, call: c, loader: st.full, torch: true });
    return true;
  }

  /** getattr(SomeClass, 'MEMBER') restores enum members: review, not block. Anything else stays critical. */
  private enumGetattr(c: PyCall, st: GlobalState): boolean {
    if (!isContainer(c.args, 'tuple') || c.args.n !== 2) return false;
    const [target, name] = c.args.items;
    if (!isGlobal(target) || target.unresolved || typeof name !== 'string') return false;
    const tst = this.state(target);
    const leaf = target.name.split('.').pop() ?? '';
    if (tst.cls.risk === 'critical' || tst.cls.risk === 'high' || !CLASS_NAME.test(leaf) || !ENUM_NAME.test(name)) return false;
    if (classifyGlobal(target.module, `${target.name}.${name}`, this.opts.family).risk === 'critical') return false;
    st.called = true;
    this.add('PICKLE_UNSAFE_GLOBAL', 'medium', `calls ${render(c)} at offset ${c.offset}: reads attribute ${name} of class ${tst.full} (how enum members are pickled); review the class`, c.offset);
    return true;
  }

  /** A callable that calls one of its arguments: the argument decides how dangerous the call is. */
  private applyLike(c: PyCall, fn: string, argIndex: number, how: string): void {
    if (!isContainer(c.args, 'tuple')) return;
    const arg = c.args.items[argIndex];
    if (arg === undefined) return;
    const g = this.calleeGlobal(arg);
    if (g) {
      if (g.unresolved) return;
      const st = this.state(g);
      if (st.cls.risk === 'critical' || st.cls.risk === 'high') {
        st.called = true;
        this.report(st.cls.risk, st.cls.risk === 'critical' ? 'PICKLE_CODE_EXECUTION' : 'PICKLE_UNSAFE_GLOBAL', c, `${fn} ${how}, and ${st.cls.reason}`);
      }
      return;
    }
    if (isCall(arg) || (typeof arg === 'object' && arg !== null && (arg.k === 'pid' || arg.k === 'opaque'))) {
      const rst = this.chainRoot(arg);
      if (rst?.cls.risk === 'critical') this.report('critical', 'PICKLE_CODE_EXECUTION', c, `${fn} ${how}, an object built from ${rst.full}: ${rst.cls.reason}`);
      else this.report('high', 'PICKLE_DYNAMIC_CALL', c, `${fn} ${how}, ${describe(arg)}`);
    }
  }

  onBuild(target: PyValue, state: PyValue, offset: number): RawAction | void {
    const g = this.calleeGlobal(target);
    if (g) {
      const st = g.unresolved ? null : this.state(g);
      this.add('PICKLE_DYNAMIC_CALL', 'high', `BUILD at offset ${offset} sets the state of ${st ? st.full : 'a global'} itself (a class, function or module), not of an instance: it overwrites attributes other code relies on`, offset);
      return;
    }
    if (this.opts.joblibArrays && isCall(target) && isGlobal(target.callee) && isNumpyArrayWrapper(target.callee.module, target.callee.name)) {
      this.wrappers++;
      this.firstWrapper ??= offset;
      return this.arrayAction(state, offset);
    }
  }

  private arrayAction(state: PyValue, offset: number): RawAction | void {
    const shape = dictGet(state, 'shape');
    const dtype = pickledDtype(dictGet(state, 'dtype') ?? null);
    const align = dictGet(state, 'numpy_array_alignment_bytes');
    if (dtype?.object) return { kind: 'nested-pickle', why: 'the object array after a NumpyArrayWrapper' };
    let count = 1;
    let ok = isContainer(shape, 'tuple') && shape.items.length === shape.n;
    if (ok && isContainer(shape, 'tuple')) {
      for (const d of shape.items) {
        if (typeof d !== 'number' || d < 0 || !Number.isInteger(d)) ok = false;
        else count *= d;
      }
    }
    if (!ok || !dtype || !Number.isSafeInteger(count * dtype.itemsize)) {
      this.add('PICKLE_PARSE_ERROR', 'high', `a joblib NumpyArrayWrapper at offset ${offset} has a shape or dtype the scanner cannot size, so the array bytes after it cannot be skipped safely`, offset);
      return;
    }
    return { kind: 'skip', bytes: count * dtype.itemsize, padding: typeof align === 'number', why: 'the array data after a NumpyArrayWrapper' };
  }

  onMethodCall(target: PyValue, method: string, offset: number): void {
    const g = this.calleeGlobal(target);
    if (g) {
      const st = g.unresolved ? null : this.state(g);
      this.add('PICKLE_DYNAMIC_CALL', 'high', `at offset ${offset} the pickle calls ${method} on ${st ? st.full : 'a global'} itself (a class, function or module): it modifies shared state`, offset);
    }
  }

  onPersistentId(p: PyPid): void {
    this.active = true;
    this.pids++;
    if (this.firstPid < 0) this.firstPid = p.offset;
    if (this.opts.family === 'pytorch' || this.opts.family === 'torchscript') {
      const s = this.torchStorage(p);
      if (s) {
        if (s !== 'module' && !this.storageKeys.has(s.key) && this.storageKeys.size < MAX_STORAGES) {
          this.storageKeys.add(s.key);
          this.storages.push(s);
        }
        return;
      }
    }
    if (this.badPids.length < 3) this.badPids.push(`${render(p.pid)} at offset ${p.offset}`);
  }

  private torchStorage(p: PyPid): StorageRef | 'module' | null {
    const t = p.pid;
    if (!isContainer(t, 'tuple')) return null;
    const [kind, type, key, location, numel, view] = t.items;
    if (kind === 'module' && t.n === 4 && isGlobal(type)) return 'module';
    if (kind !== 'storage' || (t.n !== 5 && t.n !== 6)) return null;
    if (!isGlobal(type) || !isTorchStorageName(type.name)) return null;
    if (typeof key !== 'string' || typeof location !== 'string' || typeof numel !== 'number' || numel < 0) return null;
    if (t.n === 6 && view !== null && !(isContainer(view, 'tuple') && view.n === 3 && typeof view.items[0] === 'string')) return null;
    return { key, type: type.name, location, numel, offset: p.offset };
  }

  onExtension(code: number, offset: number): void {
    this.active = true;
    this.add(
      'PICKLE_UNKNOWN_EXTENSION',
      'high',
      `EXT opcode at offset ${offset} loads the global registered as extension code ${code} with copyreg.add_extension; a stock Python has no such registration, and a process that has one would load whatever it maps to, unchecked`,
      offset,
    );
  }

  onIrregular(what: string, offset: number): void {
    this.irregularCount++;
    if (this.irregular.length < 5) this.irregular.push({ what, offset });
  }

  onStop(info: StopInfo): void {
    if (this.stops.length < 2) this.stops.push(info);
    this.lastStop = info;
  }

  finish(run: RunResult): void {
    const label = this.label;
    for (const r of this.reports.values()) {
      if (r.subsumed) continue;
      const c = r.call;
      const verb = c.op === 'NEWOBJ' || c.op === 'NEWOBJ_EX' ? 'creates' : 'calls';
      this.add(r.code, r.severity, `${verb} ${render(c)} at offset ${c.offset} (${c.op}): ${r.why}`, c.offset);
    }
    for (const g of this.imported) {
      const st = g.tag as GlobalState;
      if (st.called) continue;
      const critical = st.cls.risk === 'critical';
      this.add(
        critical ? 'PICKLE_CODE_EXECUTION' : 'PICKLE_UNSAFE_GLOBAL',
        critical ? 'critical' : 'high',
        `imports ${st.full} at offset ${g.offset} (${g.via}): ${st.cls.reason}; even without a direct call, the pickle can hand it to code that calls it`,
        g.offset,
      );
    }
    if (this.badPids.length > 0) {
      const why =
        this.opts.family === 'pytorch' || this.opts.family === 'torchscript'
          ? 'not the (storage type, key, location, size) form torch.save writes'
          : 'plain pickle.load refuses persistent ids; the loader’s persistent_load decides what they become';
      this.add('PICKLE_PERSISTENT_ID', 'medium', `${label} uses ${this.pids} persistent id(s), e.g. ${this.badPids.join('; ')}: ${why}`, this.firstPid);
    }
    if (this.irregularCount > 0) {
      const list = this.irregular.map((i) => `${i.what} (offset ${i.offset})`).join('; ');
      const first = this.irregular[0]?.offset ?? null;
      this.add('PICKLE_NONSTANDARD', 'medium', `${label} uses constructs Python's pickler never writes (CPython still loads them): ${list}${this.irregularCount > 5 ? `; ${this.irregularCount - 5} more` : ''}`, first);
    }
    if (run.pickles > 1 && this.opts.multiplePickles === 'note') {
      this.add('PICKLE_MULTIPLE_STREAMS', 'low', `${label} holds ${run.pickles} pickles one after another; pickle.load reads only the first, all were analysed`, this.stops[1]?.start ?? null);
    }
    if (run.error) {
      const e = run.error;
      const lastStop = this.lastStop;
      const trailing = lastStop && e.pickle > lastStop.pickle && run.end >= lastStop.offset + 1;
      const msg = trailing
        ? `after the pickle that ends at offset ${lastStop.offset}, the bytes from offset ${lastStop.offset + 1} are not a valid pickle (${e.message} at offset ${e.offset}); data hidden after a pickle is not loaded by pickle.load but can be by other code`
        : `${label} cannot be parsed: ${e.message} at offset ${e.offset}`;
      this.add('PICKLE_PARSE_ERROR', 'high', msg, e.offset);
    }
    if (run.limit) {
      const l = run.limit;
      const what = { ops: 'opcodes', stack: 'stack entries', memo: 'memo entries', globals: 'distinct globals' }[l.what];
      this.add('SCAN_LIMIT', 'high', `${label} needs more than ${l.limit} ${what} (limit reached at offset ${l.offset}); the rest was not analysed`, l.offset);
    }
    if (this.reportsOmitted > 0) this.omitted += this.reportsOmitted;
    if (this.omitted > 0) this.findings.push(finding('PICKLE_FINDINGS_OMITTED', 'info', `${this.omitted} more findings in ${label} were not listed`, null, this.opts.member));
    this.findings.sort((a, b) => (a.offset ?? -1) - (b.offset ?? -1));
  }
}

/** The message of a thrown value. */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : typeof e === 'string' ? e : JSON.stringify(e);
}

/**
 * Interprets the pickles at the reader's position and analyses them. The reader is left after the
 * last pickle interpreted (callers may keep reading raw data from it).
 */
export async function analyzePickle(reader: ByteReader, opts: PickleScanOptions): Promise<PickleAnalysis> {
  const analyzer = new Analyzer(opts, opts.label ?? 'the pickle');
  const machine = new PickleMachine(reader, analyzer, {
    limits: machineLimits(opts.limits),
    maxPickles: opts.maxPickles,
    itemCap: opts.itemCap,
  });
  const run = await machine.run();
  return conclude(analyzer, run, reader, opts, 'interpreter');
}

/** A source that can be read again from its start (a file, an archive member). */
export type Reopen = () => AsyncIterable<unknown> | Iterable<unknown> | Promise<AsyncIterable<unknown> | Iterable<unknown>>;

/**
 * Analyses a whole stream that can be read twice. A first, value-free pass (PickleValidator)
 * handles data and the imports and calls whose analysis needs no values (several times faster);
 * at the first opcode whose analysis does, the stream is read again from its start with the full
 * interpreter. Findings are the same either way.
 */
export async function analyzePickleSource(open: Reopen, opts: PickleScanOptions): Promise<PickleAnalysis> {
  const fast = new ByteReader(await open(), opts.baseOffset ?? 0);
  try {
    const analyzer = new Analyzer(opts, opts.label ?? 'the pickle');
    const validator = new PickleValidator(fast, analyzer, { limits: machineLimits(opts.limits), maxPickles: opts.maxPickles });
    const res = await validator.run();
    if (res !== 'active') return await conclude(analyzer, res, fast, opts, 'validator');
  } finally {
    await fast.close();
  }
  const reader = new ByteReader(await open(), opts.baseOffset ?? 0);
  try {
    return await analyzePickle(reader, opts);
  } finally {
    await reader.close();
  }
}

async function conclude(analyzer: Analyzer, run: RunResult, reader: ByteReader, opts: PickleScanOptions, pass: PickleAnalysis['pass']): Promise<PickleAnalysis> {
  analyzer.finish(run);
  const nesting = opts.nesting ?? 0;
  for (const n of analyzer.nested) {
    const at = n.call.offset;
    if (n.torch) {
      const d = n.data;
      const source = Buffer.isBuffer(d) ? { chunks: [d], size: d.length } : opts.reread ? { chunks: opts.reread(d.at, d.len), size: d.len } : null;
      const inner = nesting < MAX_NESTING && opts.torchBlob && source ? await opts.torchBlob(source.chunks, source.size, { limits: opts.limits, nesting: nesting + 1 }) : null;
      if (inner === null) {
        analyzer.add('PICKLE_CODE_EXECUTION', 'critical', `calls ${n.loader} at offset ${at}: it runs torch.load on an embedded checkpoint nested too deep to scan`, at);
        continue;
      }
      for (const f of inner) {
        if (f.severity === 'info' || f.severity === 'low') continue;
        analyzer.findings.push({ ...f, offset: at, member: opts.member, message: `inside the torch.save blob given to ${n.loader} at offset ${at} (torch.load runs it; its offset ${f.offset ?? '?'}): ${f.message}` });
      }
      continue;
    }
    if (nesting >= MAX_NESTING || !Buffer.isBuffer(n.data)) continue;
    const inner = await analyzePickle(new ByteReader([n.data]), { ...opts, reread: undefined, nesting: nesting + 1, baseOffset: 0, maxPickles: 1, multiplePickles: 'silent', label: 'the embedded pickle' });
    for (const f of inner.findings) {
      if (f.severity === 'info' || f.severity === 'low') continue;
      analyzer.findings.push({ ...f, offset: at, message: `inside the pickle given to ${n.loader} at offset ${at} (its offset ${f.offset ?? '?'}): ${f.message}` });
    }
  }
  if (reader.sourceError !== null) {
    const e = reader.sourceError;
    analyzer.add('PICKLE_READ_ERROR', 'high', `reading ${opts.label ?? 'the pickle'} failed at offset ${reader.offset}: ${errorText(e)}`, reader.offset);
  }
  return {
    findings: analyzer.findings,
    run,
    storages: analyzer.storages,
    globals: analyzer.globals,
    active: analyzer.active,
    arrayWrappers: analyzer.wrappers,
    firstArrayOffset: analyzer.firstWrapper,
    sourceError: reader.sourceError,
    pass,
  };
}

/**
 * Scans a pickle byte stream (every pickle in it, one after another) and returns findings:
 * critical for code-execution gadgets, high for parse failures, limits and dangerous constructs,
 * medium for globals outside the family allow-list. Nothing for allowed globals.
 */
export async function scanPickleStream(source: AsyncIterable<unknown> | Iterable<unknown> | Reopen, opts: PickleScanOptions): Promise<Finding[]> {
  const o: PickleScanOptions = { multiplePickles: 'note', ...opts };
  // A function can be called twice: the fast data-only pass first (see analyzePickleSource).
  if (typeof source === 'function') return (await analyzePickleSource(source, o)).findings;
  const reader = new ByteReader(source, opts.baseOffset ?? 0);
  try {
    return (await analyzePickle(reader, o)).findings;
  } finally {
    await reader.close();
  }
}

