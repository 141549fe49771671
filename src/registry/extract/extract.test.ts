import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExtractError } from './errors.js';
import { extractFromFile, extractFromFolder } from './extract.js';
import { SAMPLE_README, tempDir, tinyLlamaGguf, tinyOnnx, writePieces, writeSafetensors } from './test-fixtures.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

const LLAMA_CONFIG = {
  architectures: ['LlamaForCausalLM'], model_type: 'llama', num_hidden_layers: 2, hidden_size: 64,
  num_attention_heads: 8, num_key_value_heads: 2, vocab_size: 100, max_position_embeddings: 2048, torch_dtype: 'bfloat16',
};

describe('extractFromFolder', () => {
  it('pre-fills fields from a Hugging Face folder (config.json + sharded safetensors + README)', async () => {
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify(LLAMA_CONFIG));
    writeFileSync(path.join(dir, 'README.md'), SAMPLE_README);
    writeSafetensors(path.join(dir, 'model-00001-of-00002.safetensors'), { 'embed.weight': { dtype: 'BF16', shape: [100, 64] } });
    writeSafetensors(path.join(dir, 'model-00002-of-00002.safetensors'), { 'layers.0.weight': { dtype: 'BF16', shape: [64, 64] }, 'norm.weight': { dtype: 'F32', shape: [64] } });
    writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: {
      'embed.weight': 'model-00001-of-00002.safetensors',
      'layers.0.weight': 'model-00002-of-00002.safetensors',
      'norm.weight': 'model-00002-of-00002.safetensors',
    } }));
    mkdirSync(path.join(dir, '.git'));
    writeFileSync(path.join(dir, '.git', 'HEAD'), 'ref');

    const ex = await extractFromFolder(dir);
    expect(ex.details.layout).toBe('huggingface');
    expect(ex.details.files).not.toContain(path.join('.git', 'HEAD'));
    const params = 6400 + 4096 + 64;
    expect(ex.fields).toMatchObject({
      architecture: 'LlamaForCausalLM',
      parameters: params,
      contextLength: 2048,
      license: 'apache-2.0',
      languages: ['en', 'fr'],
      tasks: ['text-generation'],
      tags: ['legal', 'summarization'],
      baseModel: { ref: 'meta-llama/Llama-3.1-8B', relation: 'finetune' },
      compatibility: { formats: ['safetensors'], frameworks: ['transformers'], quantizations: ['bf16'] },
      card: { trainingData: 'Public contracts.', limitations: expect.stringContaining('Not legal advice.') },
    });
    expect(ex.fields.benchmarks).toHaveLength(4);
    const kv = 2 * 2 * 2 * 8 * 2048 * 2;
    expect(ex.details.hardware?.kvCacheBytes).toBe(kv);
    expect(ex.fields.hardware).toEqual({
      minGpuMemoryGb: { fp16: Math.ceil(((params * 2 + kv) * 1.1) / 1e8) / 10, int8: 0.1, int4: 0.1 },
      cpuInference: true,
      ramGb: 0.5,
    });
    expect(ex.notes).toEqual([]);
  });

  it('reads a folder holding one GGUF file, without following symlinks', async () => {
    writeFileSync(path.join(dir, 'tiny-Q4_K_M.gguf'), tinyLlamaGguf());
    const outside = tempDir();
    try {
      writeSafetensors(path.join(outside.dir, 'other.safetensors'), { x: { dtype: 'F32', shape: [10] } });
      symlinkSync(path.join(outside.dir, 'other.safetensors'), path.join(dir, 'linked.safetensors'));
      symlinkSync(outside.dir, path.join(dir, 'linked-dir'));
      const ex = await extractFromFolder(dir);
      expect(ex.details.files).toEqual(['tiny-Q4_K_M.gguf']);
      expect(ex.details.layout).toBe('gguf');
      expect(ex.fields).toMatchObject({
        architecture: 'llama',
        parameters: 16_448,
        contextLength: 4096,
        compatibility: { formats: ['gguf'], frameworks: ['llama.cpp'], quantizations: ['int4'] },
        hardware: { cpuInference: true },
      });
      expect(ex.details.gguf?.['tiny-Q4_K_M.gguf']?.fileType).toBe('MOSTLY_Q4_K_M');
    } finally {
      outside.cleanup();
    }
  });

  it('reads an ONNX-only folder (onnx/model.onnx)', async () => {
    mkdirSync(path.join(dir, 'onnx'));
    writePieces(path.join(dir, 'onnx', 'model.onnx'), tinyOnnx());
    const ex = await extractFromFolder(dir);
    expect(ex.details.layout).toBe('onnx');
    expect(ex.details.onnx?.file).toBe(path.join('onnx', 'model.onnx'));
    expect(ex.fields).toMatchObject({
      parameters: 15,
      compatibility: { formats: ['onnx'], frameworks: ['onnxruntime'], quantizations: ['fp32'] },
      hardware: { cpuInference: true, ramGb: 0.5 },
    });
    expect(ex.notes.join(' ')).toMatch(/KV cache not included/);
  });

  it('reports unreadable files as notes and keeps going', async () => {
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify(LLAMA_CONFIG));
    writeFileSync(path.join(dir, 'model.safetensors'), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0]));
    writeFileSync(path.join(dir, 'broken.gguf'), 'GGML nonsense');
    const ex = await extractFromFolder(dir);
    expect(ex.fields.architecture).toBe('LlamaForCausalLM');
    expect(ex.fields.parameters).toBeNull();
    expect(ex.notes).toEqual(expect.arrayContaining([
      expect.stringMatching(/^safetensors skipped: \[TOO_LARGE\]/),
      expect.stringMatching(/^broken\.gguf skipped: \[INVALID_FORMAT\]/),
      'parameter count unknown: no hardware estimate',
    ]));
  });

  it('rejects a path that is not a folder, and a missing one', async () => {
    writeFileSync(path.join(dir, 'file.txt'), 'x');
    await expect(extractFromFolder(path.join(dir, 'file.txt'))).rejects.toBeInstanceOf(ExtractError);
    await expect(extractFromFolder(path.join(dir, 'missing'))).rejects.toMatchObject({ code: 'UNREADABLE' });
  });
});

describe('extractFromFile', () => {
  it('extracts a single .gguf file with a hardware estimate', async () => {
    const file = path.join(dir, 'tiny.gguf');
    writeFileSync(file, tinyLlamaGguf());
    const ex = await extractFromFile(file);
    expect(ex.details.layout).toBe('gguf');
    expect(ex.fields.parameters).toBe(16_448);
    // KV: 2 × 2 layers × 2 kv heads × (64 / 8) head dim × 4096 ctx × 2 bytes
    expect(ex.details.hardware?.kvCacheBytes).toBe(2 * 2 * 2 * 8 * 4096 * 2);
    expect(ex.fields.hardware?.ramGb).toBe(0.5);
    await expect(extractFromFile(path.join(dir, 'model.bin'))).rejects.toMatchObject({ code: 'INVALID_FORMAT' });
  });
});
