/**
 * ONNX validation: a strict protobuf wire-format walk over the ModelProto (tensor payloads are
 * skipped by length, never read) that finds what can reach outside the model at load time:
 * external-data `location`s (absolute, `..`, escaping the model folder directly or through a
 * symlink, missing, out of range) in every tensor of every graph, subgraph (If/Loop/Scan),
 * training graph and local function; and operators from custom domains, which need a native
 * plugin library to run. Malformed protobuf is a high finding: fail closed.
 *
 * Also exports the protobuf reader shared with the SavedModel scanner.
 */
import { open, realpath, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { ScanTarget } from '../context.js';
import { capFindings, finding, type Finding } from '../types.js';

const CHUNK = 64 * 1024;

export class ProtoError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/** A buffered protobuf reader over a file: sequential reads, seeks past skipped fields. */
export class ProtoReader {
  pos = 0;
  private buf = Buffer.alloc(0);
  private bufStart = 0;

  constructor(
    private readonly fh: FileHandle,
    readonly size: number,
    /** Largest string/bytes field read into memory. */
    readonly maxField: number,
  ) {}

  static async open(abs: string, maxField: number): Promise<{ r: ProtoReader; close: () => Promise<void> }> {
    const fh = await open(abs, 'r');
    const { size } = await fh.stat();
    return { r: new ProtoReader(fh, size, maxField), close: () => fh.close() };
  }

  fail(msg: string, at = this.pos): never {
    throw new ProtoError(msg, at);
  }

  private async fill(n: number): Promise<void> {
    if (this.pos + n > this.size) this.fail('a field runs past the end of the file');
    const len = Math.max(n, Math.min(CHUNK, this.size - this.pos));
    const buf = Buffer.allocUnsafe(len);
    const { bytesRead } = await this.fh.read(buf, 0, len, this.pos);
    if (bytesRead < n) this.fail('the file ended while reading a field');
    this.buf = buf.subarray(0, bytesRead);
    this.bufStart = this.pos;
  }

  async bytes(n: number): Promise<Buffer> {
    let rel = this.pos - this.bufStart;
    if (rel < 0 || rel + n > this.buf.length) {
      await this.fill(n);
      rel = 0;
    }
    this.pos += n;
    return this.buf.subarray(rel, rel + n);
  }

  /** A varint as a bigint (up to 64 bits; ten bytes at most). */
  async varint(): Promise<bigint> {
    const at = this.pos;
    let rel = this.pos - this.bufStart;
    if (rel < 0 || rel + 10 > this.buf.length) {
      if (this.pos >= this.size) this.fail('a varint runs past the end of the file');
      await this.fill(Math.min(10, this.size - this.pos));
      rel = 0;
    }
    let result = 0n;
    for (let i = 0; i < 10; i++) {
      const b = this.buf[rel + i];
      if (b === undefined) this.fail('a varint runs past the end of the file', at);
      result |= BigInt(b & 0x7f) << BigInt(7 * i);
      if ((b & 0x80) === 0) {
        this.pos += i + 1;
        return BigInt.asUintN(64, result);
      }
    }
    return this.fail('a varint is longer than ten bytes', at);
  }

  /** A varint that must be a safe non-negative integer (lengths, counts, enums). */
  async uint(): Promise<number> {
    const at = this.pos;
    const v = await this.varint();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail('a length or number is out of range', at);
    return Number(v);
  }

  async tag(): Promise<{ field: number; wire: number; at: number }> {
    const at = this.pos;
    const t = await this.uint();
    const field = Math.floor(t / 8);
    const wire = t % 8;
    if (field === 0) this.fail('field number 0 is invalid', at);
    if (wire === 3 || wire === 4 || wire > 5) this.fail(`wire type ${wire} is not valid here`, at);
    return { field, wire, at };
  }

  /** Reads a length prefix and returns the end offset of the field, which must lie within `end`. */
  async len(end: number): Promise<number> {
    const at = this.pos;
    const n = await this.uint();
    if (this.pos + n > end) this.fail('a length-delimited field runs past its enclosing message', at);
    return this.pos + n;
  }

  /** A length-delimited field as text (capped at maxField; longer → error). */
  async string(end: number): Promise<string> {
    const stop = await this.len(end);
    const n = stop - this.pos;
    if (n > this.maxField) this.fail(`a string field of ${n} bytes exceeds the scan limit of ${this.maxField} bytes`);
    return (await this.bytes(n)).toString('utf8');
  }

  async skip(wire: number, end: number): Promise<void> {
    if (wire === 0) await this.varint();
    else if (wire === 1 || wire === 5) this.seek(this.pos + (wire === 1 ? 8 : 4), end);
    else if (wire === 2) this.seek(await this.len(end), end);
    else this.fail(`wire type ${wire} cannot be skipped`);
  }

  seek(to: number, end: number): void {
    if (to > end) this.fail('a field runs past its enclosing message');
    this.pos = to;
  }

  /**
   * Walks the fields of a message ending at `end`. `fn` returns true when it consumed the field;
   * otherwise the field is skipped. The message must end exactly at `end`.
   */
  async each(end: number, fn: (field: number, wire: number) => Promise<boolean>): Promise<void> {
    while (this.pos < end) {
      const { field, wire } = await this.tag();
      if (!(await fn(field, wire))) await this.skip(wire, end);
    }
    if (this.pos !== end) this.fail('a message overruns its length');
  }

  /** Reads a length-delimited sub-message with `fn`. */
  async message(end: number, fn: (end: number) => Promise<void>): Promise<void> {
    const stop = await this.len(end);
    await fn(stop);
  }
}

// ---------------------------------------------------------------------------------------------

/** Domains whose operators ship with ONNX Runtime itself. */
const STANDARD_DOMAINS = new Set([
  '',
  'ai.onnx',
  'ai.onnx.ml',
  'ai.onnx.training',
  'ai.onnx.preview.training',
  'com.microsoft',
  'com.microsoft.nchwc',
  'com.microsoft.experimental',
  'com.ms.internal.nhwc',
]);
const MAX_GRAPH_DEPTH = 64;

interface ExternalRef {
  tensor: string;
  location: string | null;
  offset: string | null;
  length: string | null;
  external: boolean;
  at: number;
}

interface OnnxModel {
  irVersion: number | null;
  hasGraph: boolean;
  opsets: { domain: string; at: number }[];
  nodes: { domain: string; op: string; at: number }[];
  functions: Set<string>;
  refs: ExternalRef[];
}

const key = (domain: string, name: string) => `${domain}\u0000${name}`;

/** Parses the parts of an ONNX ModelProto the checks need. Throws ProtoError when malformed. */
export async function readOnnx(r: ProtoReader): Promise<OnnxModel> {
  const m: OnnxModel = { irVersion: null, hasGraph: false, opsets: [], nodes: [], functions: new Set(), refs: [] };

  const tensor = async (end: number) => {
    const ref: ExternalRef = { tensor: '', location: null, offset: null, length: null, external: false, at: r.pos };
    let hasEntries = false;
    await r.each(end, async (f, w) => {
      if (f === 8 && w === 2) ref.tensor = await r.string(end);
      else if (f === 14 && w === 0) ref.external = (await r.uint()) === 1;
      else if (f === 13 && w === 2) {
        hasEntries = true;
        let k = '';
        let v = '';
        await r.message(end, (e) =>
          r.each(e, async (g, gw) => {
            if (g === 1 && gw === 2) k = await r.string(e);
            else if (g === 2 && gw === 2) v = await r.string(e);
            else return false;
            return true;
          }),
        );
        if (k === 'location') ref.location = v;
        else if (k === 'offset') ref.offset = v;
        else if (k === 'length') ref.length = v;
      } else return false;
      return true;
    });
    if (ref.external || hasEntries) m.refs.push(ref);
  };
  const sparse = async (end: number) =>
    r.each(end, async (f, w) => {
      if ((f === 1 || f === 2) && w === 2) await r.message(end, tensor);
      else return false;
      return true;
    });
  const attribute = async (end: number, depth: number) =>
    r.each(end, async (f, w) => {
      if (w !== 2) return false;
      if (f === 5 || f === 10) await r.message(end, tensor);
      else if (f === 6 || f === 11) await r.message(end, (e) => graph(e, depth + 1));
      else if (f === 22 || f === 23) await r.message(end, sparse);
      else return false;
      return true;
    });
  const node = async (end: number, depth: number) => {
    const at = r.pos;
    let domain = '';
    let op = '';
    await r.each(end, async (f, w) => {
      if (f === 4 && w === 2) op = await r.string(end);
      else if (f === 7 && w === 2) domain = await r.string(end);
      else if (f === 5 && w === 2) await r.message(end, (e) => attribute(e, depth));
      else return false;
      return true;
    });
    m.nodes.push({ domain, op, at });
  };
  const graph = async (end: number, depth: number) => {
    if (depth > MAX_GRAPH_DEPTH) r.fail(`subgraphs nest deeper than ${MAX_GRAPH_DEPTH} levels`);
    await r.each(end, async (f, w) => {
      if (w !== 2) return false;
      if (f === 1) await r.message(end, (e) => node(e, depth));
      else if (f === 5) await r.message(end, tensor);
      else if (f === 15) await r.message(end, sparse);
      else return false;
      return true;
    });
  };
  const opset = async (end: number) => {
    const at = r.pos;
    let domain = '';
    await r.each(end, async (f, w) => (f === 1 && w === 2 ? ((domain = await r.string(end)), true) : false));
    m.opsets.push({ domain, at });
  };
  const fn = async (end: number) => {
    let name = '';
    let domain = '';
    await r.each(end, async (f, w) => {
      if (w !== 2) return false;
      if (f === 1) name = await r.string(end);
      else if (f === 10) domain = await r.string(end);
      else if (f === 7) await r.message(end, (e) => node(e, 1));
      else if (f === 9) await r.message(end, opset);
      else return false;
      return true;
    });
    m.functions.add(key(domain, name));
  };

  await r.each(r.size, async (f, w) => {
    if (f === 1 && w === 0) m.irVersion = await r.uint();
    else if (f === 7 && w === 2) {
      m.hasGraph = true;
      await r.message(r.size, (e) => graph(e, 0));
    } else if (f === 8 && w === 2) await r.message(r.size, opset);
    else if (f === 20 && w === 2) {
      // TrainingInfoProto: initialization (1) and algorithm (2) graphs.
      await r.message(r.size, (e) =>
        r.each(e, async (g, gw) => ((g === 1 || g === 2) && gw === 2 ? (await r.message(e, (ge) => graph(ge, 1)), true) : false)),
      );
    } else if (f === 25 && w === 2) await r.message(r.size, fn);
    else return false;
    return true;
  });
  return m;
}

const q = (s: string) => JSON.stringify(s.length > 200 ? `${s.slice(0, 200)}…` : s);

/** Why an external-data location is unsafe by its text alone, or null. */
function unsafeLocation(loc: string): string | null {
  if (loc.includes('\0')) return 'contains a NUL byte';
  if (loc.startsWith('/') || loc.startsWith('\\') || /^[A-Za-z]:/.test(loc) || loc.startsWith('~')) return 'is an absolute path';
  if (loc.split(/[\\/]/).includes('..')) return 'climbs out of the model folder with ..';
  if (/^[a-z][a-z0-9+.-]*:/i.test(loc)) return 'is a URL';
  return null;
}

const inside = (root: string, p: string) => {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
};

/** Checks one external-data file: resolution, existence, range. */
async function checkLocation(t: ScanTarget, loc: string, refs: ExternalRef[], out: Finding[]): Promise<string | null> {
  const first = refs[0]!;
  const names = `${refs.length} tensor${refs.length > 1 ? 's' : ''} (${refs.slice(0, 3).map((x) => q(x.tensor)).join(', ')}${refs.length > 3 ? ', …' : ''})`;
  const bad = unsafeLocation(loc);
  if (bad) {
    out.push(
      finding(
        'ONNX_EXTERNAL_DATA_PATH',
        'critical',
        `external data location ${q(loc)} used by ${names} ${bad}: loading the model reads that file from the host, so a model can pull in any file the loader can read`,
        first.at,
      ),
    );
    return null;
  }
  if (t.depth > 0) {
    out.push(finding('ONNX_EXTERNAL_DATA_UNVERIFIED', 'high', `external data location ${q(loc)} used by ${names} cannot be checked for a model inside an archive`, first.at));
    return null;
  }
  const base = path.dirname(t.abs);
  const root = t.root ?? base;
  const resolved = path.resolve(base, loc);
  if (!inside(root, resolved)) {
    out.push(finding('ONNX_EXTERNAL_DATA_PATH', 'critical', `external data location ${q(loc)} used by ${names} resolves outside the model folder`, first.at));
    return null;
  }
  let real: string;
  let size: number;
  try {
    real = await realpath(resolved);
    size = (await stat(real)).size;
  } catch {
    out.push(finding('ONNX_EXTERNAL_DATA_MISSING', 'high', `external data file ${q(loc)} used by ${names} does not exist: the model cannot load, and the file it would read was not checked`, first.at));
    return null;
  }
  if (!inside(await realpath(root), real)) {
    out.push(finding('ONNX_EXTERNAL_DATA_PATH', 'critical', `external data location ${q(loc)} used by ${names} leads through a symbolic link to ${q(real)}, outside the model folder`, first.at));
    return null;
  }
  for (const ref of refs) {
    const off = ref.offset === null ? 0n : /^\d+$/.test(ref.offset) ? BigInt(ref.offset) : null;
    const len = ref.length === null ? null : /^\d+$/.test(ref.length) ? BigInt(ref.length) : -1n;
    if (off === null || len === -1n) {
      out.push(finding('ONNX_EXTERNAL_DATA', 'high', `tensor ${q(ref.tensor)}: external data offset/length ${q(`${ref.offset}/${ref.length}`)} are not non-negative integers`, ref.at));
    } else if (off + (len ?? 0n) > BigInt(size)) {
      out.push(finding('ONNX_EXTERNAL_DATA_RANGE', 'high', `tensor ${q(ref.tensor)}: external data [${off}, ${off + (len ?? 0n)}) runs past the end of ${q(loc)} (${size} bytes)`, ref.at));
    }
  }
  return real;
}

/** Scans an ONNX model. Handles FileFormat 'onnx'. */
export async function scanOnnx(t: ScanTarget): Promise<Finding[]> {
  let model: OnnxModel;
  try {
    const { r, close } = await ProtoReader.open(t.abs, Math.min(t.limits.maxHeaderBytes, 16 * 1024 * 1024));
    try {
      model = await readOnnx(r);
    } finally {
      await close();
    }
  } catch (err) {
    if (err instanceof ProtoError) {
      return [finding('ONNX_PARSE', 'high', `the file is not a well-formed ONNX protobuf (${err.message} at offset ${err.offset}): it cannot be checked`, err.offset)];
    }
    return [finding('SCAN_ERROR', 'high', `the file could not be read: ${(err as Error).message}`, null)];
  }
  return capFindings(await checkModel(t, model));
}

async function checkModel(t: ScanTarget, m: OnnxModel): Promise<Finding[]> {
  const out: Finding[] = [];
  if (!m.hasGraph || m.irVersion === null) {
    return [finding('ONNX_PARSE', 'high', 'the protobuf has no ir_version or graph: it is not an ONNX model, so it cannot be checked', 0)];
  }

  // Custom operator domains (model-local functions are defined in the file itself: not custom).
  const localDomains = new Set([...m.functions].map((k) => k.split('\u0000')[0]!));
  const custom = new Map<string, { ops: Set<string>; at: number; count: number }>();
  for (const n of m.nodes) {
    if (STANDARD_DOMAINS.has(n.domain) || m.functions.has(key(n.domain, n.op))) continue;
    const c = custom.get(n.domain) ?? { ops: new Set(), at: n.at, count: 0 };
    c.ops.add(n.op);
    c.count++;
    custom.set(n.domain, c);
  }
  for (const [domain, c] of custom) {
    const ops = [...c.ops].slice(0, 8).map(q).join(', ');
    const python = [...c.ops].some((op) => /^Py(Op|Func)/i.test(op));
    out.push(
      finding(
        python ? 'ONNX_PYTHON_OP' : 'ONNX_CUSTOM_OP',
        python ? 'high' : 'medium',
        python
          ? `${c.count} nodes use Python operators (${ops}) from domain ${q(domain)}: running the model calls Python code registered by the host`
          : `${c.count} nodes use operators from the custom domain ${q(domain)} (${ops}): they run native code from a plugin library that must be installed separately; review where it comes from`,
        c.at,
      ),
    );
  }
  for (const o of m.opsets) {
    if (!STANDARD_DOMAINS.has(o.domain) && !custom.has(o.domain) && !localDomains.has(o.domain)) {
      out.push(finding('ONNX_CUSTOM_DOMAIN', 'info', `the model imports the custom operator domain ${q(o.domain)}, though no node uses it`, o.at));
    }
  }

  // External data, grouped by location (a large model has thousands of tensors in one file).
  const byLoc = new Map<string, ExternalRef[]>();
  for (const ref of m.refs) {
    if (ref.location === null || ref.location === '') {
      if (ref.external) out.push(finding('ONNX_EXTERNAL_DATA', 'high', `tensor ${q(ref.tensor)} says its data is external but names no location`, ref.at));
      continue;
    }
    const list = byLoc.get(ref.location);
    if (list) list.push(ref);
    else byLoc.set(ref.location, [ref]);
  }
  for (const [loc, refs] of byLoc) {
    const file = await checkLocation(t, loc, refs, out);
    if (file) t.claimData?.(file);
  }
  return out;
}
