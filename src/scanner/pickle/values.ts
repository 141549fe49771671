/**
 * What the pickle interpreter reports: symbolic values (what loading would produce, without
 * producing it), the events a visitor receives, and the result of a run.
 */

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
  /** Offset of the content's first byte in the stream (to read a large payload again from its source). */
  at: number;
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
  /**
   * For PickleValidator: true when calling `g`, and BUILD or item opcodes on what the call
   * returns, need no values to be analysed (onCall and onBuild would do nothing with them). The
   * validator then stays on its value-free path; otherwise it hands over to PickleMachine.
   */
  quiet?(g: PyGlobal): boolean;
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
