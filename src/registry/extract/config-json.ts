/**
 * Hugging Face `config.json` reader: the architecture and the shape numbers needed for the
 * hardware estimate, tolerating the different key names model families use (GPT-2's n_layer,
 * T5's d_model…) and multimodal configs that nest the language model under `text_config`.
 */
import { readFile, stat } from 'node:fs/promises';
import { ExtractError, unreadable } from './errors.js';

const MAX_CONFIG_BYTES = 10_000_000;

/** The fields of a config.json that the catalog and the hardware estimate use. */
export interface ConfigSummary {
  /** architectures[0], e.g. LlamaForCausalLM. */
  architecture: string | null;
  modelType: string | null;
  layers: number | null;
  hiddenSize: number | null;
  heads: number | null;
  /** num_key_value_heads, defaulting to the number of attention heads. */
  kvHeads: number | null;
  /** head_dim, defaulting to hiddenSize / heads. */
  headDim: number | null;
  vocabSize: number | null;
  contextLength: number | null;
  /** torch_dtype (or `dtype` in newer transformers), e.g. bfloat16. */
  torchDtype: string | null;
  /** True when the config has an auto_map: loading needs trust_remote_code. */
  requiresRemoteCode: boolean;
  /** quantization_config.quant_method and bits, when the checkpoint is pre-quantized. */
  quantization: { method: string | null; bits: number | null } | null;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const posInt = (v: unknown): number | null => (typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : null);

function pick(objs: Obj[], keys: string[]): number | null {
  for (const o of objs) {
    for (const k of keys) {
      const v = posInt(o[k]);
      if (v !== null) return v;
    }
  }
  return null;
}

/** Extracts a {@link ConfigSummary} from an already parsed config.json object. */
export function parseConfigJson(json: unknown): ConfigSummary {
  if (!isObj(json)) throw new ExtractError('INVALID_FORMAT', 'config.json is not a JSON object');
  // The language model's numbers: top level first, then text_config / llm_config for multimodal models.
  const scopes = [json, json.text_config, json.llm_config].filter(isObj);
  const layers = pick(scopes, ['num_hidden_layers', 'n_layer', 'num_layers', 'n_layers']);
  const hiddenSize = pick(scopes, ['hidden_size', 'n_embd', 'd_model']);
  const heads = pick(scopes, ['num_attention_heads', 'n_head', 'num_heads', 'n_heads']);
  const kvHeads = pick(scopes, ['num_key_value_heads', 'n_head_kv', 'num_kv_heads', 'multi_query_group_num']) ?? heads;
  const explicitHeadDim = pick(scopes, ['head_dim']);
  const headDim = explicitHeadDim ?? (hiddenSize && heads && hiddenSize % heads === 0 ? hiddenSize / heads : null);
  const archs = json.architectures;
  const dtype = json.torch_dtype ?? json.dtype;
  const q = json.quantization_config;
  return {
    architecture: Array.isArray(archs) && typeof archs[0] === 'string' ? archs[0] : null,
    modelType: typeof json.model_type === 'string' ? json.model_type : null,
    layers,
    hiddenSize,
    heads,
    kvHeads,
    headDim,
    vocabSize: pick(scopes, ['vocab_size', 'padded_vocab_size']),
    contextLength: pick(scopes, ['max_position_embeddings', 'n_positions', 'max_seq_len', 'seq_length', 'n_ctx', 'max_sequence_length']),
    torchDtype: typeof dtype === 'string' ? dtype : null,
    requiresRemoteCode: isObj(json.auto_map) || json.trust_remote_code === true,
    quantization: isObj(q)
      ? {
          method: typeof q.quant_method === 'string' ? q.quant_method : null,
          bits: posInt(q.bits) ?? (q.load_in_4bit === true ? 4 : q.load_in_8bit === true ? 8 : null),
        }
      : null,
  };
}

/** Reads and parses a config.json file (at most 10 MB). */
export async function readConfigJson(file: string): Promise<ConfigSummary> {
  let text: string;
  try {
    if ((await stat(file)).size > MAX_CONFIG_BYTES) throw new ExtractError('TOO_LARGE', 'config.json larger than 10 MB', file);
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw unreadable(file, err);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ExtractError('INVALID_FORMAT', 'not valid JSON', file);
  }
  try {
    return parseConfigJson(json);
  } catch (err) {
    if (err instanceof ExtractError) throw new ExtractError(err.code, err.message, file);
    throw err;
  }
}
