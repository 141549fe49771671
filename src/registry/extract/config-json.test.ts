import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfigJson, readConfigJson } from './config-json.js';
import { ExtractError } from './errors.js';
import { tempDir } from './test-fixtures.js';

describe('parseConfigJson', () => {
  it('reads a Llama-style config', () => {
    expect(parseConfigJson({
      architectures: ['LlamaForCausalLM'], model_type: 'llama', num_hidden_layers: 32, hidden_size: 4096,
      num_attention_heads: 32, num_key_value_heads: 8, vocab_size: 128256, max_position_embeddings: 131072, torch_dtype: 'bfloat16',
    })).toEqual({
      architecture: 'LlamaForCausalLM', modelType: 'llama', layers: 32, hiddenSize: 4096, heads: 32, kvHeads: 8, headDim: 128,
      vocabSize: 128256, contextLength: 131072, torchDtype: 'bfloat16', requiresRemoteCode: false, quantization: null,
    });
  });

  it('understands GPT-2 key names and defaults kv heads and head dim', () => {
    const c = parseConfigJson({ architectures: ['GPT2LMHeadModel'], n_layer: 12, n_embd: 768, n_head: 12, n_positions: 1024, vocab_size: 50257 });
    expect(c).toMatchObject({ layers: 12, hiddenSize: 768, heads: 12, kvHeads: 12, headDim: 64, contextLength: 1024, torchDtype: null });
  });

  it('prefers an explicit head_dim, reads text_config, auto_map and quantization_config', () => {
    const c = parseConfigJson({
      architectures: ['Gemma3ForConditionalGeneration'],
      auto_map: { AutoModel: 'modeling_x.X' },
      quantization_config: { quant_method: 'awq', bits: 4 },
      text_config: { num_hidden_layers: 34, hidden_size: 2560, num_attention_heads: 8, num_key_value_heads: 4, head_dim: 256, max_position_embeddings: 131072 },
    });
    expect(c).toMatchObject({ layers: 34, heads: 8, kvHeads: 4, headDim: 256, contextLength: 131072, requiresRemoteCode: true, quantization: { method: 'awq', bits: 4 } });
  });

  it('rejects non-JSON and non-object files', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = path.join(dir, 'config.json');
      writeFileSync(file, '{not json');
      await expect(readConfigJson(file)).rejects.toMatchObject({ code: 'INVALID_FORMAT' });
      writeFileSync(file, '[1,2]');
      await expect(readConfigJson(file)).rejects.toBeInstanceOf(ExtractError);
      await expect(readConfigJson(path.join(dir, 'nope.json'))).rejects.toMatchObject({ code: 'UNREADABLE' });
    } finally {
      cleanup();
    }
  });
});
