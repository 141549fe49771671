import { appendFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ScanTarget } from '../context.js';
import { DEFAULT_LIMITS, type Finding } from '../types.js';
import { kerasConfigFindings, scanKeras } from './keras.js';
import { buildZip as zip, tempDir } from './test-fixtures.js';


const dir = tempDir('garden-keras-');
let n = 0;
const nestedCalls: string[] = [];

async function drain(s: Readable): Promise<void> {
  for await (const _ of s) void _;
}

function target(abs: string, size: number, format: 'keras' | 'hdf5'): ScanTarget {
  return {
    path: path.basename(abs), abs, size, head: Buffer.alloc(0), format, root: null, limits: DEFAULT_LIMITS, depth: 0,
    scanNested: async (name, content) => {
      nestedCalls.push(name);
      try {
        await drain(content);
      } catch (err) {
        return [{ code: 'ARCHIVE_MEMBER_UNREADABLE', severity: 'high', message: (err as Error).message, offset: null, member: name }];
      }
      return [];
    },
  };
}

async function scanBytes(bytes: Buffer, format: 'keras' | 'hdf5'): Promise<Finding[]> {
  const abs = path.join(dir, `f${n++}.${format === 'keras' ? 'keras' : 'h5'}`);
  writeFileSync(abs, bytes);
  return scanKeras(target(abs, bytes.length, format));
}
const codes = (fs: Finding[]) => fs.map((f) => f.code);

const dense = { module: 'keras.layers', class_name: 'Dense', config: { name: 'dense', units: 2, activation: 'relu', kernel_initializer: { module: 'keras.initializers', class_name: 'GlorotUniform', config: {} } }, registered_name: null };
const model = (layers: unknown[]) => ({ module: 'keras', class_name: 'Sequential', config: { name: 'seq', layers }, registered_name: null });
const lambda3 = { module: 'keras.layers', class_name: 'Lambda', config: { name: 'lam', function: { class_name: '__lambda__', config: { code: '4wEAAAA=', defaults: null, closure: null } } } };

describe('Keras config walk', () => {
  it('passes built-in layers and safe function references', () => {
    const relu = { module: 'keras.activations', class_name: 'function', config: 'relu', registered_name: 'relu' };
    const src = { module: 'keras.src.losses.losses', class_name: 'function', config: 'mean_squared_error', registered_name: 'mean_squared_error' };
    expect(kerasConfigFindings(model([dense, { ...dense, config: { ...dense.config, activation: relu } }, src]), 'config.json')).toEqual([]);
  });

  it('finds Lambda layers once, however deeply nested (functional models in models)', () => {
    const inner = { module: 'keras.src.models.functional', class_name: 'Functional', config: { name: 'inner', layers: [dense, lambda3] } };
    const f = kerasConfigFindings(model([inner]), 'config.json');
    expect(f).toEqual([expect.objectContaining({ code: 'KERAS_LAMBDA', severity: 'critical' })]);
    expect(f[0]!.message).toContain('"lam"');
    const legacy = { class_name: 'Lambda', config: { name: 'l', function: ['4wEAAAA=', null, null], function_type: 'lambda' } };
    expect(kerasConfigFindings({ class_name: 'Model', config: { layers: [legacy] } }, 'model_config')[0]!.message).toContain('marshalled');
  });

  it('flags objects from modules outside Keras, dangerous functions and custom objects', () => {
    const os = { module: 'os', class_name: 'function', config: 'system', registered_name: 'system' };
    expect(kerasConfigFindings(model([os]), 'c')).toEqual([expect.objectContaining({ code: 'KERAS_UNSAFE_MODULE', severity: 'high' })]);
    const getFile = { module: 'keras.utils', class_name: 'function', config: 'get_file', registered_name: 'get_file' };
    expect(kerasConfigFindings(model([getFile]), 'c')).toEqual([expect.objectContaining({ code: 'KERAS_UNSAFE_FUNCTION', severity: 'high' })]);
    const unsafe = { module: 'keras.config', class_name: 'function', config: 'enable_unsafe_deserialization' };
    expect(codes(kerasConfigFindings(model([unsafe]), 'c'))).toEqual(['KERAS_UNSAFE_FUNCTION']);
    const custom = { module: 'my_pkg.layers', class_name: 'Fancy', config: {}, registered_name: 'my_pkg>Fancy' };
    expect(kerasConfigFindings(model([custom]), 'c')).toEqual([expect.objectContaining({ code: 'KERAS_CUSTOM_OBJECT', severity: 'medium' })]);
    const registered = { module: 'keras.layers', class_name: 'Fancy', registered_name: 'Custom>Fancy', config: {} };
    expect(codes(kerasConfigFindings(model([registered]), 'c'))).toEqual(['KERAS_CUSTOM_OBJECT']);
  });

  it('tells harmless TFOpLambda calls from file and Python access', () => {
    expect(kerasConfigFindings({ class_name: 'TFOpLambda', config: { name: 't', function: 'math.add' } }, 'c')).toEqual([expect.objectContaining({ severity: 'low' })]);
    expect(kerasConfigFindings({ class_name: 'TFOpLambda', config: { name: 't', function: 'io.write_file' } }, 'c')).toEqual([expect.objectContaining({ severity: 'high' })]);
    expect(kerasConfigFindings({ class_name: 'TFOpLambda', config: { name: 't', function: 'compat.v1.py_func' } }, 'c')[0]!.severity).toBe('high');
  });

  it('stops at absurd nesting', () => {
    let v: unknown = dense;
    for (let i = 0; i < 300; i++) v = { a: v };
    expect(codes(kerasConfigFindings(v, 'c'))).toEqual(['KERAS_PARSE']);
  });
});

describe('.keras archives', () => {
  const meta = JSON.stringify({ keras_version: '3.6.0' });
  const weights = Buffer.concat([Buffer.from('\x89HDF\r\n\x1a\n', 'latin1'), Buffer.alloc(64)]);

  it('passes a clean model and hands the weights to the nested scan', async () => {
    nestedCalls.length = 0;
    const f = await scanBytes(zip([{ name: 'metadata.json', data: meta }, { name: 'config.json', data: JSON.stringify(model([dense])) }, { name: 'model.weights.h5', data: weights }]), 'keras');
    expect(f).toEqual([]);
    expect(nestedCalls).toEqual(['model.weights.h5']);
  });

  it('reports Lambda layers against config.json', async () => {
    const f = await scanBytes(zip([{ name: 'config.json', data: JSON.stringify(model([lambda3])) }, { name: 'metadata.json', data: meta }]), 'keras');
    expect(f).toEqual([expect.objectContaining({ code: 'KERAS_LAMBDA', member: 'config.json' })]);
  });

  it('fails closed: no config, bad JSON, damaged members, not a zip', async () => {
    expect(codes(await scanBytes(zip([{ name: 'metadata.json', data: meta }]), 'keras'))).toEqual(['KERAS_PARSE']);
    expect(codes(await scanBytes(zip([{ name: 'config.json', data: '{"class_name": ' }]), 'keras'))).toEqual(['KERAS_PARSE']);
    expect(codes(await scanBytes(zip([{ name: 'config.json', data: JSON.stringify(model([dense])), corrupt: true }]), 'keras'))).toEqual(['ZIP_CRC']);
    const damagedWeights = await scanBytes(zip([{ name: 'config.json', data: JSON.stringify(model([dense])) }, { name: 'model.weights.h5', data: weights, corrupt: true }]), 'keras');
    expect(codes(damagedWeights)).toEqual(['ZIP_CRC']);
    expect(codes(await scanBytes(Buffer.from('PK\x03\x04 not really a zip'), 'keras'))).toEqual(['KERAS_PARSE']);
  });
});

describe('legacy HDF5', () => {
  const sig = Buffer.from('\x89HDF\r\n\x1a\n', 'latin1');
  const legacy = (layers: unknown[]) => JSON.stringify({ class_name: 'Sequential', config: { name: 's', layers } });

  it('finds the model_config JSON and walks it', async () => {
    const lam = { class_name: 'Lambda', config: { name: 'l', function: ['4wEAAAA=', null, null] } };
    const f = await scanBytes(Buffer.concat([sig, Buffer.alloc(100), Buffer.from('model_config\0'), Buffer.from(legacy([lam])), Buffer.alloc(50)]), 'hdf5');
    expect(f).toEqual([expect.objectContaining({ code: 'KERAS_LAMBDA', severity: 'critical', offset: 8 + 100 + 13 })]);
    const clean = await scanBytes(Buffer.concat([sig, Buffer.from('model_config\0'), Buffer.from(legacy([{ class_name: 'Dense', config: { units: 1 } }]))]), 'hdf5');
    expect(clean).toEqual([]);
  });

  it('notes weights-only files and fails closed on an unreadable model_config', async () => {
    expect(codes(await scanBytes(Buffer.concat([sig, Buffer.alloc(1000)]), 'hdf5'))).toEqual(['HDF5_NO_MODEL_CONFIG']);
    expect(codes(await scanBytes(Buffer.concat([sig, Buffer.from('model_config\0{"class_name": "Seq'), Buffer.alloc(10)]), 'hdf5'))).toEqual(['KERAS_PARSE']);
    // A Lambda marker is critical even when the JSON around it cannot be read.
    expect(codes(await scanBytes(Buffer.concat([sig, Buffer.from('model_config\0{"class_name": "Lambda", '), Buffer.alloc(10)]), 'hdf5'))).toContain('KERAS_LAMBDA');
  });

  it('searches the end of large files, where attributes added later land', async () => {
    const abs = path.join(dir, 'big.h5');
    writeFileSync(abs, sig);
    truncateSync(abs, 100 * 1024 * 1024);
    appendFileSync(abs, Buffer.concat([Buffer.from('model_config\0'), Buffer.from(legacy([{ class_name: 'Lambda', config: { name: 'x', function: ['AA==', null, null] } }]))]));
    const f = await scanKeras(target(abs, statSync(abs).size, 'hdf5'));
    expect(codes(f)).toEqual(['KERAS_LAMBDA']);
  });
});
