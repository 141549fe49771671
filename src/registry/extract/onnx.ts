/**
 * Minimal ONNX ModelProto reader: a protobuf wire-format walker over a FileHandle that keeps the
 * few fields the catalog needs (opsets, graph inputs/outputs, initializer shapes for a parameter
 * count) and seeks past everything else — tensor raw_data is never read.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { ExtractError, unreadable } from './errors.js';

const CHUNK = 64 * 1024;
const MAX_STRING_BYTES = 1_000_000;
/** Field numbers from onnx.proto. */
const MODEL = { irVersion: 1, producerName: 2, producerVersion: 3, graph: 7, opsetImport: 8, metadataProps: 14 };
const GRAPH = { node: 1, name: 2, initializer: 5, input: 11, output: 12 };
const TENSOR = { dims: 1, dataType: 2 };

/** TensorProto.DataType names by id. */
const DATA_TYPES: Record<number, string> = {
  1: 'FLOAT', 2: 'UINT8', 3: 'INT8', 4: 'UINT16', 5: 'INT16', 6: 'INT32', 7: 'INT64', 8: 'STRING', 9: 'BOOL',
  10: 'FLOAT16', 11: 'DOUBLE', 12: 'UINT32', 13: 'UINT64', 16: 'BFLOAT16', 17: 'FLOAT8E4M3FN', 18: 'FLOAT8E4M3FNUZ',
  19: 'FLOAT8E5M2', 20: 'FLOAT8E5M2FNUZ', 21: 'UINT4', 22: 'INT4', 23: 'FLOAT4E2M1',
};

/** What {@link readOnnxModel} returns. */
export interface OnnxSummary {
  irVersion: number | null;
  producerName: string | null;
  producerVersion: string | null;
  /** opset_import entries; the default domain is ''. */
  opsets: { domain: string; version: number }[];
  graphName: string | null;
  /** Graph inputs that are not initializers (older exporters list weights as inputs too). */
  inputs: string[];
  outputs: string[];
  nodeCount: number;
  initializerCount: number;
  /** Sum of the element counts of all initializers. */
  parameterCount: number;
  /** Parameters per TensorProto data type, e.g. `{ FLOAT: 1.2e8 }`. */
  dtypes: Record<string, number>;
  metadata: Record<string, string>;
}

/** Buffered protobuf reader with seek-based skipping. */
class Pb {
  pos = 0;
  private buf = Buffer.alloc(0);
  private bufStart = 0;

  constructor(private readonly fh: FileHandle, readonly size: number, private readonly file: string) {}

  fail(msg: string): never {
    throw new ExtractError('INVALID_FORMAT', `${msg} at offset ${this.pos}`, this.file);
  }

  private async bytes(n: number): Promise<Buffer> {
    if (this.pos + n > this.size) this.fail('field runs past the end of the file');
    let rel = this.pos - this.bufStart;
    if (rel < 0 || rel + n > this.buf.length) {
      const len = Math.max(n, Math.min(CHUNK, this.size - this.pos));
      const buf = Buffer.allocUnsafe(len);
      const { bytesRead } = await this.fh.read(buf, 0, len, this.pos);
      if (bytesRead < n) this.fail('file truncated');
      this.buf = buf.subarray(0, bytesRead);
      this.bufStart = this.pos;
      rel = 0;
    }
    this.pos += n;
    return this.buf.subarray(rel, rel + n);
  }

  async varint(): Promise<number> {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const b = (await this.bytes(1))[0] ?? 0;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return Number(BigInt.asIntN(64, result));
    }
    return this.fail('varint too long');
  }

  async tag(): Promise<{ field: number; wire: number }> {
    const t = await this.varint();
    if (t <= 0) this.fail('invalid field tag');
    return { field: Math.floor(t / 8), wire: t % 8 };
  }

  /** Length of a length-delimited field; returns the end offset. */
  async lengthEnd(end: number): Promise<number> {
    const len = await this.varint();
    if (len < 0 || this.pos + len > end) this.fail('length-delimited field runs past its message');
    return this.pos + len;
  }

  async string(end: number): Promise<string> {
    const stop = await this.lengthEnd(end);
    if (stop - this.pos > MAX_STRING_BYTES) throw new ExtractError('TOO_LARGE', 'string field larger than 1 MB', this.file);
    return (await this.bytes(stop - this.pos)).toString('utf8');
  }

  async skip(wire: number, end: number): Promise<void> {
    if (wire === 0) await this.varint();
    else if (wire === 1 || wire === 5) this.seek(this.pos + (wire === 1 ? 8 : 4), end);
    else if (wire === 2) this.seek(await this.lengthEnd(end), end);
    else this.fail(`unsupported wire type ${wire}`);
  }

  seek(to: number, end: number): void {
    if (to > end) this.fail('field runs past its message');
    this.pos = to;
  }
}

/** Calls `fn` for every field of the message spanning [r.pos, end); unhandled fields are skipped. */
async function eachField(r: Pb, end: number, fn: (field: number, wire: number) => Promise<boolean>): Promise<void> {
  while (r.pos < end) {
    const { field, wire } = await r.tag();
    if (!(await fn(field, wire))) await r.skip(wire, end);
  }
  if (r.pos !== end) r.fail('message overruns its length');
}

async function nameOf(r: Pb, end: number): Promise<string> {
  let name = '';
  await eachField(r, end, async (f, w) => (f === 1 && w === 2 ? ((name = await r.string(end)), true) : false));
  return name;
}

/**
 * Reads an ONNX model's structure without its tensor data.
 * @throws ExtractError UNREADABLE (I/O), INVALID_FORMAT (not a well-formed ModelProto).
 */
export async function readOnnxModel(file: string): Promise<OnnxSummary> {
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    throw unreadable(file, err);
  }
  const out: OnnxSummary = {
    irVersion: null, producerName: null, producerVersion: null, opsets: [], graphName: null, inputs: [], outputs: [],
    nodeCount: 0, initializerCount: 0, parameterCount: 0, dtypes: {}, metadata: {},
  };
  try {
    const r = new Pb(fh, (await fh.stat()).size, file);
    const initializers = new Set<string>();
    let sawGraph = false;
    await eachField(r, r.size, async (f, w) => {
      if (f === MODEL.irVersion && w === 0) out.irVersion = await r.varint();
      else if (f === MODEL.producerName && w === 2) out.producerName = await r.string(r.size);
      else if (f === MODEL.producerVersion && w === 2) out.producerVersion = await r.string(r.size);
      else if ((f === MODEL.opsetImport || f === MODEL.metadataProps) && w === 2) {
        const end = await r.lengthEnd(r.size);
        let key = '';
        let value = '';
        let version = 0;
        await eachField(r, end, async (g, gw) => {
          if (g === 1 && gw === 2) key = await r.string(end);
          else if (g === 2 && gw === 2) value = await r.string(end);
          else if (g === 2 && gw === 0) version = await r.varint();
          else return false;
          return true;
        });
        if (f === MODEL.opsetImport) out.opsets.push({ domain: key, version });
        else out.metadata[key] = value;
      } else if (f === MODEL.graph && w === 2) {
        sawGraph = true;
        const end = await r.lengthEnd(r.size);
        await eachField(r, end, async (g, gw) => {
          if (gw !== 2) return false;
          if (g === GRAPH.name) out.graphName = await r.string(end);
          else if (g === GRAPH.input) out.inputs.push(await nameOf(r, await r.lengthEnd(end)));
          else if (g === GRAPH.output) out.outputs.push(await nameOf(r, await r.lengthEnd(end)));
          else if (g === GRAPH.node) {
            out.nodeCount++;
            return false;
          } else if (g === GRAPH.initializer) {
            const tEnd = await r.lengthEnd(end);
            const dims: number[] = [];
            let dataType = 0;
            let name = '';
            await eachField(r, tEnd, async (t, tw) => {
              if (t === TENSOR.dims && tw === 0) dims.push(await r.varint());
              else if (t === TENSOR.dims && tw === 2) {
                const dEnd = await r.lengthEnd(tEnd);
                while (r.pos < dEnd) dims.push(await r.varint());
              } else if (t === TENSOR.dataType && tw === 0) dataType = await r.varint();
              else if (t === 8 && tw === 2) name = await r.string(tEnd);
              else return false;
              return true;
            });
            const n = dims.reduce((a, b) => a * b, 1);
            const type = DATA_TYPES[dataType] ?? `TYPE_${dataType}`;
            out.initializerCount++;
            out.parameterCount += n;
            out.dtypes[type] = (out.dtypes[type] ?? 0) + n;
            initializers.add(name);
          } else return false;
          return true;
        });
      } else return false;
      return true;
    });
    if (!sawGraph || out.irVersion === null) r.fail('no ir_version or graph: not an ONNX model');
    out.inputs = out.inputs.filter((n) => !initializers.has(n));
    return out;
  } catch (err) {
    throw unreadable(file, err);
  } finally {
    await fh.close();
  }
}
