// A minimal protobuf writer and the few ONNX messages a generated model needs.
// Field numbers follow onnx/onnx.proto3; only the fields we emit are listed.

const utf8 = new TextEncoder();

/** Growable byte sink with the protobuf wire primitives. */
class Writer {
  private parts: Uint8Array[] = [];

  varint(value: number | bigint): void {
    // Negative int64 values take ten bytes in two's complement, per the protobuf spec.
    let v = BigInt.asUintN(64, BigInt(value));
    const out: number[] = [];
    while (v >= 0x80n) {
      out.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(Number(v));
    this.parts.push(Uint8Array.from(out));
  }

  tag(field: number, wireType: 0 | 2): void {
    this.varint((field << 3) | wireType);
  }

  bytes(field: number, data: Uint8Array): void {
    this.tag(field, 2);
    this.varint(data.length);
    this.parts.push(data);
  }

  finish(): Uint8Array {
    return Buffer.concat(this.parts);
  }
}

export type Msg = (w: Writer) => void;

function encode(msg: Msg): Uint8Array {
  const w = new Writer();
  msg(w);
  return w.finish();
}

const int = (field: number, v: number | bigint): Msg => (w) => { w.tag(field, 0); w.varint(v); };
const str = (field: number, v: string): Msg => (w) => w.bytes(field, utf8.encode(v));
const sub = (field: number, m: Msg): Msg => (w) => w.bytes(field, encode(m));
const all = (...ms: Msg[]): Msg => (w) => ms.forEach((m) => m(w));
const packedFloats = (field: number, vs: ArrayLike<number>): Msg => (w) => {
  const buf = Buffer.alloc(vs.length * 4);
  for (let i = 0; i < vs.length; i++) buf.writeFloatLE(vs[i] ?? 0, i * 4);
  w.bytes(field, buf);
};
const packedInts = (field: number, vs: readonly (number | bigint)[]): Msg => (w) => {
  const inner = new Writer();
  vs.forEach((v) => inner.varint(v));
  w.bytes(field, inner.finish());
};

/** TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, STRING: 8 } as const;

/** Float tensor initializer (TensorProto: dims=1, data_type=2, float_data=4, name=8). */
export function floatTensor(name: string, dims: number[], data: Float32Array): Msg {
  return all(packedInts(1, dims), int(2, DataType.FLOAT), packedFloats(4, data), str(8, name));
}

export type AttrValue =
  | { kind: 'int'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'ints'; value: readonly number[] }
  | { kind: 'strings'; value: readonly string[] };

/** AttributeProto: name=1, i=3, s=4, ints=8, strings=9, type=20 (AttributeType enum). */
function attribute(name: string, a: AttrValue): Msg {
  switch (a.kind) {
    case 'int':
      return all(str(1, name), int(3, a.value), int(20, 2));
    case 'string':
      return all(str(1, name), str(4, a.value), int(20, 3));
    case 'ints':
      return all(str(1, name), packedInts(8, a.value), int(20, 7));
    case 'strings':
      return all(str(1, name), ...a.value.map((s) => str(9, s)), int(20, 8));
  }
}

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  domain?: string;
  attrs?: Record<string, AttrValue>;
}

/** NodeProto: input=1, output=2, name=3, op_type=4, attribute=5, domain=7. */
function node(n: NodeSpec, index: number): Msg {
  return all(
    ...n.inputs.map((i) => str(1, i)),
    ...n.outputs.map((o) => str(2, o)),
    str(3, `${n.op}_${index}`),
    str(4, n.op),
    ...Object.entries(n.attrs ?? {}).map(([k, v]) => sub(5, attribute(k, v))),
    n.domain ? str(7, n.domain) : all(),
  );
}

/** A dimension is a fixed size or a symbolic name such as a dynamic batch "N". */
export type Dim = number | string;

/** ValueInfoProto{name=1, type=2} → TypeProto{tensor_type=1} → Tensor{elem_type=1, shape=2} → Shape{dim=1} → Dim{dim_value=1, dim_param=2}. */
function valueInfo(name: string, elemType: number, shape: Dim[]): Msg {
  const dims = shape.map((d) => sub(1, typeof d === 'number' ? int(1, d) : str(2, d)));
  return all(str(1, name), sub(2, sub(1, all(int(1, elemType), sub(2, all(...dims))))));
}

export interface IoSpec {
  name: string;
  elemType: number;
  shape: Dim[];
}

export interface ModelSpec {
  graphName: string;
  producer: string;
  /** Opset per domain; '' is the default ai.onnx domain. */
  opsets: Record<string, number>;
  nodes: NodeSpec[];
  initializers: Msg[];
  inputs: IoSpec[];
  outputs: IoSpec[];
  /** Free-form ModelProto.metadata_props, e.g. the label list. */
  metadata?: Record<string, string>;
}

/** IR version 8 pairs with ai.onnx opset 17 / ai.onnx.ml opset 3. */
const IR_VERSION = 8;

/**
 * Serializes a ModelProto: ir_version=1, producer_name=2, graph=7, opset_import=8, metadata_props=14.
 * GraphProto: node=1, name=2, initializer=5, input=11, output=12.
 */
export function encodeModel(spec: ModelSpec): Uint8Array {
  const graph = all(
    ...spec.nodes.map((n, i) => sub(1, node(n, i))),
    str(2, spec.graphName),
    ...spec.initializers.map((t) => sub(5, t)),
    ...spec.inputs.map((io) => sub(11, valueInfo(io.name, io.elemType, io.shape))),
    ...spec.outputs.map((io) => sub(12, valueInfo(io.name, io.elemType, io.shape))),
  );
  return encode(
    all(
      int(1, IR_VERSION),
      str(2, spec.producer),
      sub(7, graph),
      // OperatorSetIdProto: domain=1, version=2.
      ...Object.entries(spec.opsets).map(([domain, version]) => sub(8, all(str(1, domain), int(2, version)))),
      ...Object.entries(spec.metadata ?? {}).map(([k, v]) => sub(14, all(str(1, k), str(2, v)))),
    ),
  );
}
