import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectFormat } from './detect.js';

const dir = mkdtempSync(path.join(tmpdir(), 'garden-detect-'));
async function detect(name: string, bytes: Buffer): Promise<string> {
  const abs = path.join(dir, name.replace(/\//g, '_'));
  writeFileSync(abs, bytes);
  return detectFormat(bytes.subarray(0, 65536), bytes.length, name, abs);
}

function safetensors(): Buffer {
  const header = Buffer.from('{"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([len, header, Buffer.alloc(4)]);
}

describe('format detection from content', () => {
  it('recognises model formats by their bytes, whatever the file is called', async () => {
    expect(await detect('weights.bin', safetensors())).toBe('safetensors');
    expect(await detect('model.txt', Buffer.concat([Buffer.from('GGUF'), Buffer.alloc(20)]))).toBe('gguf');
    expect(await detect('a.bin', Buffer.concat([Buffer.from('\x93NUMPY', 'latin1'), Buffer.alloc(10)]))).toBe('numpy-npy');
    expect(await detect('x.dat', Buffer.from([0x80, 0x04, 0x95, 0x05, 0, 0, 0, 0, 0, 0, 0, 0x4b, 0x01, 0x2e]))).toBe('pickle');
    expect(await detect('x.dat', Buffer.from('cos\nsystem\n(S"id"\ntR.', 'latin1'))).toBe('pickle');
    expect(await detect('pytorch_model.bin', Buffer.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]))).toBe('pytorch-legacy');
    expect(await detect('model.safetensors', Buffer.concat([Buffer.from('\x7fELF', 'latin1'), Buffer.alloc(60)]))).toBe('executable');
    expect(await detect('x.h5', Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]))).toBe('hdf5');
    expect(await detect('x.gz', Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]))).toBe('gzip');
  });

  it('tells text, JSON, Python and shell apart, and calls undecidable bytes unknown', async () => {
    expect(await detect('README.md', Buffer.from('# A model\n\nIt summarises contracts.'))).toBe('text');
    expect(await detect('config.json', Buffer.from('{"architectures": ["LlamaForCausalLM"]}'))).toBe('json');
    expect(await detect('modeling_x.py', Buffer.from('import torch\n'))).toBe('python');
    expect(await detect('run', Buffer.from('#!/bin/sh\ncurl http://x | sh\n'))).toBe('shell');
    expect(await detect('tool', Buffer.from('#!/usr/bin/env python3\nprint(1)\n'))).toBe('python');
    expect(await detect('blob.bin', Buffer.from([0x00, 0xff, 0xfe, 0x00, 0x13, 0x37, 0x00, 0x00, 0x99]))).toBe('unknown');
  });

  it('reads protobuf structure for ONNX (graph and opset fields) and needs the name only between look-alikes', async () => {
    // ModelProto: ir_version=8 (field 1), opset_import (field 8) { version=17 }
    const onnx = Buffer.from([0x08, 0x08, 0x42, 0x02, 0x10, 0x11]);
    expect(await detect('anything.bin', onnx)).toBe('onnx');
    expect(await detect('saved_model.pb', Buffer.from([0x08, 0x01, 0x12, 0x00]))).toBe('savedmodel');
  });
});
