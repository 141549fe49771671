/**
 * ONNX models through onnxruntime-node. Inputs and outputs come from the session's metadata; the
 * model counts as loaded only after one warm-up inference with dummy inputs, so the first real
 * request does not pay for lazy kernel set-up (and a model that cannot run fails the start).
 */
import ort from 'onnxruntime-node';
import type { Backend } from './backend.js';
import { canBatch, createBatcher } from './batcher.js';
import { HttpError } from './http-error.js';
import type { DecodedTensor, OipDatatype, OutputTensor, TensorMeta } from './tensors.js';

const ORT_TO_OIP: Record<string, OipDatatype> = {
  bool: 'BOOL', uint8: 'UINT8', uint16: 'UINT16', uint32: 'UINT32', uint64: 'UINT64',
  int8: 'INT8', int16: 'INT16', int32: 'INT32', int64: 'INT64',
  float16: 'FP16', float32: 'FP32', float64: 'FP64', string: 'BYTES',
};

function toMeta(list: readonly ort.InferenceSession.ValueMetadata[]): TensorMeta[] {
  const out: TensorMeta[] = [];
  for (const m of list) {
    // Non-tensor values (sequences, maps such as sklearn's ZipMap) have no OIP representation.
    if (!m.isTensor) continue;
    const datatype = ORT_TO_OIP[m.type];
    if (!datatype) continue;
    out.push({ name: m.name, datatype, shape: m.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1)) });
  }
  return out;
}

function toOrt(t: DecodedTensor): ort.Tensor {
  const d = t.data;
  switch (t.datatype) {
    case 'BYTES': return new ort.Tensor('string', d as string[], t.shape);
    case 'BOOL': return new ort.Tensor('bool', Uint8Array.from(d as boolean[], (b) => (b ? 1 : 0)), t.shape);
    case 'FP32': return new ort.Tensor('float32', Float32Array.from(d as number[]), t.shape);
    case 'FP64': return new ort.Tensor('float64', Float64Array.from(d as number[]), t.shape);
    case 'INT64': return new ort.Tensor('int64', BigInt64Array.from(d as number[], (n) => BigInt(n)), t.shape);
    case 'UINT64': return new ort.Tensor('uint64', BigUint64Array.from(d as number[], (n) => BigInt(n)), t.shape);
    case 'INT32': return new ort.Tensor('int32', Int32Array.from(d as number[]), t.shape);
    case 'UINT32': return new ort.Tensor('uint32', Uint32Array.from(d as number[]), t.shape);
    case 'INT16': return new ort.Tensor('int16', Int16Array.from(d as number[]), t.shape);
    case 'UINT16': return new ort.Tensor('uint16', Uint16Array.from(d as number[]), t.shape);
    case 'INT8': return new ort.Tensor('int8', Int8Array.from(d as number[]), t.shape);
    case 'UINT8': return new ort.Tensor('uint8', Uint8Array.from(d as number[]), t.shape);
    case 'FP16': throw new HttpError(400, `input ${t.name}: FP16 inputs are not supported by this runner`);
  }
}

function fromOrt(name: string, datatype: OipDatatype, v: ort.Tensor): OutputTensor {
  const raw = v.data as ArrayLike<unknown>;
  let data: unknown[];
  if (datatype === 'BOOL') data = Array.from(raw as Uint8Array, (b) => b !== 0);
  else if (datatype === 'INT64' || datatype === 'UINT64') data = Array.from(raw as BigInt64Array, (b) => Number(b));
  else data = Array.from(raw);
  return { name, datatype, shape: [...v.dims], data };
}

function dummyInput(m: TensorMeta): DecodedTensor {
  const shape = m.shape.map((d) => (d < 0 ? 1 : d));
  const n = shape.reduce((a, b) => a * b, 1);
  const fill = m.datatype === 'BYTES' ? 'warm up' : m.datatype === 'BOOL' ? false : 0;
  return { name: m.name, datatype: m.datatype, shape, data: new Array<unknown>(n).fill(fill) };
}

export async function loadOnnxBackend(modelPath: string, threads: number): Promise<Backend> {
  const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: threads, interOpNumThreads: 1 });
  const inputs = toMeta(session.inputMetadata);
  const outputs = toMeta(session.outputMetadata);
  const outTypes = new Map(outputs.map((o) => [o.name, o.datatype]));

  async function infer(decoded: DecodedTensor[], outputNames: string[] | undefined): Promise<OutputTensor[]> {
    const feeds: Record<string, ort.Tensor> = {};
    for (const t of decoded) feeds[t.name] = toOrt(t);
    const names = outputNames ?? outputs.map((o) => o.name);
    let result: ort.InferenceSession.ReturnType;
    try {
      result = await session.run(feeds, names);
    } catch (err) {
      // onnxruntime reports shape mismatches it only finds while running as generic errors:
      // these are the caller's fault when the declared shape was symbolic, but we cannot tell; 500.
      throw new HttpError(500, `inference failed: ${(err as Error).message}`);
    }
    return names.map((n) => fromOrt(n, outTypes.get(n) ?? 'FP32', result[n] as ort.Tensor));
  }

  await infer(inputs.map(dummyInput), undefined);
  const run = canBatch(inputs, outputs) ? createBatcher(infer) : infer;
  return {
    platform: 'onnxruntime',
    inputs,
    outputs,
    infer: (decoded, outputNames) => run(decoded, outputNames),
    close: () => session.release(),
  };
}
