// A tiny llama-architecture GGUF with random weights: real llama.cpp inference in milliseconds,
// producing deterministic gibberish. Shapes and pitfalls follow the runner field notes
// (runner-and-hf-notes.md §1.2, in the shared docs rather than this repo).
import { encodeGguf, GgmlType, toF16Bits, type GgufTensor, type KvValue } from './gguf-writer.js';
import { createRng, type Rng } from './prng.js';

const EMBD = 64;
const LAYERS = 2;
const FFN = 128;
const HEADS = 4;
const KV_HEADS = 2;
const CONTEXT = 2048;

const CHATML_TEMPLATE =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** SentencePiece token types. */
const TokenType = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, BYTE: 6 } as const;

interface Vocabulary {
  tokens: string[];
  scores: number[];
  types: number[];
}

/**
 * V = 380: specials, 256 byte-fallback tokens (so any text round-trips), "▁", the printable
 * ASCII characters except space (SentencePiece writes space as "▁"), and "▁a".."▁z".
 */
function buildVocabulary(): Vocabulary {
  const tokens = ['<unk>', '<s>', '</s>'];
  const types: number[] = [TokenType.UNKNOWN, TokenType.CONTROL, TokenType.CONTROL];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(TokenType.BYTE);
  }
  const normal = ['▁'];
  for (let c = 0x21; c <= 0x7e; c++) normal.push(String.fromCharCode(c));
  for (let c = 0x61; c <= 0x7a; c++) normal.push(`▁${String.fromCharCode(c)}`);
  for (const t of normal) {
    tokens.push(t);
    types.push(TokenType.NORMAL);
  }
  // Descending scores: SentencePiece merges prefer higher scores, and only NORMAL tokens merge.
  const scores = tokens.map((_, i) => (types[i] === TokenType.NORMAL ? -i : 0));
  return { tokens, scores, types };
}

function randomWeights(rng: Rng, count: number, scale: number): Float32Array {
  return Float32Array.from({ length: count }, () => (rng.next() * 2 - 1) * scale);
}

function tensor(name: string, dims: number[], values: Float32Array, f16: boolean): GgufTensor {
  // 1-D norm weights stay F32 even in an F16 file: the CPU backend aborts on f32 * f16 binary ops.
  if (f16 && dims.length > 1) {
    const half = new Uint16Array(values.length);
    values.forEach((v, i) => (half[i] = toF16Bits(v)));
    return { name, dims, type: GgmlType.F16, data: new Uint8Array(half.buffer) };
  }
  return { name, dims, type: GgmlType.F32, data: new Uint8Array(values.buffer) };
}

function buildTensors(rng: Rng, vocab: Vocabulary, f16: boolean): GgufTensor[] {
  const vocabSize = vocab.tokens.length;
  const kvDim = (EMBD / HEADS) * KV_HEADS;
  const ones = (n: number): Float32Array => new Float32Array(n).fill(1);
  // Scale ~1/sqrt(fan-in) keeps activations bounded so logits are not flat or saturated.
  const matrix = (name: string, input: number, output: number): GgufTensor =>
    tensor(name, [input, output], randomWeights(rng, input * output, 1 / Math.sqrt(input)), f16);
  const out: GgufTensor[] = [matrix('token_embd.weight', EMBD, vocabSize)];
  for (let l = 0; l < LAYERS; l++) {
    const p = `blk.${l}.`;
    out.push(
      tensor(`${p}attn_norm.weight`, [EMBD], ones(EMBD), f16),
      matrix(`${p}attn_q.weight`, EMBD, EMBD),
      matrix(`${p}attn_k.weight`, EMBD, kvDim),
      matrix(`${p}attn_v.weight`, EMBD, kvDim),
      matrix(`${p}attn_output.weight`, EMBD, EMBD),
      tensor(`${p}ffn_norm.weight`, [EMBD], ones(EMBD), f16),
      matrix(`${p}ffn_gate.weight`, EMBD, FFN),
      matrix(`${p}ffn_up.weight`, EMBD, FFN),
      matrix(`${p}ffn_down.weight`, FFN, EMBD),
    );
  }
  // Zero output rows give byte and control tokens (EOS included) logit 0 while NORMAL tokens get
  // random ones, so greedy decoding emits printable ASCII and runs to maxTokens instead of
  // stopping early or emitting broken UTF-8.
  const output = randomWeights(rng, EMBD * vocabSize, 1 / Math.sqrt(EMBD));
  vocab.types.forEach((type, v) => {
    if (type !== TokenType.NORMAL) output.fill(0, v * EMBD, (v + 1) * EMBD);
  });
  out.push(tensor('output_norm.weight', [EMBD], ones(EMBD), f16), tensor('output.weight', [EMBD, vocabSize], output, f16));
  return out;
}

export interface TinyGgufOptions {
  seed?: number;
  /** F16 matrices (about half the size); norms stay F32. */
  f16?: boolean;
  name?: string;
}

/** Generates the model file; the same options give the same bytes. */
export function generateTinyGguf(opts: TinyGgufOptions = {}): Uint8Array {
  const { seed = 1, f16 = false, name = 'tiny-llama' } = opts;
  const vocab = buildVocabulary();
  const u32 = (value: number): KvValue => ({ type: 'u32', value });
  const kvs: Array<[string, KvValue]> = [
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['general.name', { type: 'string', value: name }],
    ['general.file_type', u32(f16 ? 1 : 0)],
    ['llama.vocab_size', u32(vocab.tokens.length)],
    ['llama.context_length', u32(CONTEXT)],
    ['llama.embedding_length', u32(EMBD)],
    ['llama.block_count', u32(LAYERS)],
    ['llama.feed_forward_length', u32(FFN)],
    ['llama.attention.head_count', u32(HEADS)],
    ['llama.attention.head_count_kv', u32(KV_HEADS)],
    ['llama.rope.dimension_count', u32(EMBD / HEADS)],
    ['llama.rope.freq_base', { type: 'f32', value: 10000 }],
    ['llama.attention.layer_norm_rms_epsilon', { type: 'f32', value: 1e-5 }],
    ['tokenizer.ggml.model', { type: 'string', value: 'llama' }],
    ['tokenizer.ggml.tokens', { type: 'strings', value: vocab.tokens }],
    ['tokenizer.ggml.scores', { type: 'f32s', value: vocab.scores }],
    ['tokenizer.ggml.token_type', { type: 'i32s', value: vocab.types }],
    ['tokenizer.ggml.unknown_token_id', u32(0)],
    ['tokenizer.ggml.bos_token_id', u32(1)],
    ['tokenizer.ggml.eos_token_id', u32(2)],
    ['tokenizer.ggml.add_bos_token', { type: 'bool', value: true }],
    ['tokenizer.ggml.add_eos_token', { type: 'bool', value: false }],
    ['tokenizer.chat_template', { type: 'string', value: CHATML_TEMPLATE }],
  ];
  return encodeGguf(kvs, buildTensors(createRng(seed), vocab, f16));
}
