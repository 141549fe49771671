/**
 * Test-only helpers that write small but real model files (safetensors, GGUF, ONNX) and temp folders.
 * Used by the *.test.ts files next to it; nothing in the library imports this module.
 */
import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { ExtractError } from './errors.js';

/** A fresh temp folder and a function that removes it. */
export function tempDir(prefix = 'garden-extract-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const DTYPE_BYTES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I8: 1, U8: 1, F8_E4M3: 1, I32: 4, I64: 8 };

/** Builds a safetensors header buffer (8-byte length + JSON) and the data size it describes. */
export function safetensorsHeader(
  tensors: Record<string, { dtype: string; shape: number[] }>,
  metadata?: Record<string, string>,
): { header: Buffer; dataBytes: number } {
  const json: Record<string, unknown> = {};
  if (metadata) json.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const bytes = t.shape.reduce((a, b) => a * b, 1) * (DTYPE_BYTES[t.dtype] ?? 1);
    json[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const body = Buffer.from(JSON.stringify(json), 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(body.length));
  return { header: Buffer.concat([len, body]), dataBytes: offset };
}

/** Writes a safetensors file: header JSON followed by zeroed tensor data. */
export function writeSafetensors(
  file: string,
  tensors: Record<string, { dtype: string; shape: number[] }>,
  metadata?: Record<string, string>,
): void {
  const { header, dataBytes } = safetensorsHeader(tensors, metadata);
  writeFileSync(file, Buffer.concat([header, Buffer.alloc(dataBytes)]));
}

/** A GGUF metadata value for {@link writeGguf}. */
export type GgufKv =
  | { key: string; type: 'u32'; value: number }
  | { key: string; type: 'f32'; value: number }
  | { key: string; type: 'string'; value: string }
  | { key: string; type: 'string[]'; value: string[] }
  | { key: string; type: 'i32[]'; value: number[] };

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const u64 = (n: number | bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
};
const gstr = (s: string) => {
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([u64(b.length), b]);
};

/** Encodes a GGUF v3 file (header, KVs, tensor infos, zeroed 32-byte aligned data). */
export function ggufBuffer(
  kvs: GgufKv[],
  tensors: { name: string; dims: number[]; type: number; bytes: number }[],
  opts: { magic?: string; version?: number } = {},
): Buffer {
  const parts: Buffer[] = [Buffer.from(opts.magic ?? 'GGUF', 'latin1'), u32(opts.version ?? 3), u64(tensors.length), u64(kvs.length)];
  for (const kv of kvs) {
    parts.push(gstr(kv.key));
    switch (kv.type) {
      case 'u32': parts.push(u32(4), u32(kv.value)); break;
      case 'f32': { const b = Buffer.alloc(4); b.writeFloatLE(kv.value); parts.push(u32(6), b); break; }
      case 'string': parts.push(u32(8), gstr(kv.value)); break;
      case 'string[]': parts.push(u32(9), u32(8), u64(kv.value.length), ...kv.value.map(gstr)); break;
      case 'i32[]': parts.push(u32(9), u32(5), u64(kv.value.length), ...kv.value.map((v) => { const b = Buffer.alloc(4); b.writeInt32LE(v); return b; })); break;
    }
  }
  let offset = 0;
  for (const t of tensors) {
    parts.push(gstr(t.name), u32(t.dims.length), ...t.dims.map(u64), u32(t.type), u64(offset));
    offset += Math.ceil(t.bytes / 32) * 32;
  }
  const head = Buffer.concat(parts);
  const pad = (32 - (head.length % 32)) % 32;
  return Buffer.concat([head, Buffer.alloc(pad), Buffer.alloc(offset)]);
}

/** A tiny llama-architecture GGUF: 2 tensors (Q4_K 256×64 and F32 64), chat template, 1000 tokens. */
export function tinyLlamaGguf(): Buffer {
  const tokens = Array.from({ length: 1000 }, (_, i) => `tok${i}`);
  return ggufBuffer(
    [
      { key: 'general.architecture', type: 'string', value: 'llama' },
      { key: 'general.name', type: 'string', value: 'Tiny Llama' },
      { key: 'general.file_type', type: 'u32', value: 15 },
      { key: 'llama.context_length', type: 'u32', value: 4096 },
      { key: 'llama.embedding_length', type: 'u32', value: 64 },
      { key: 'llama.block_count', type: 'u32', value: 2 },
      { key: 'llama.attention.head_count', type: 'u32', value: 8 },
      { key: 'llama.attention.head_count_kv', type: 'u32', value: 2 },
      { key: 'llama.rope.freq_base', type: 'f32', value: 10000 },
      { key: 'tokenizer.ggml.tokens', type: 'string[]', value: tokens },
      { key: 'tokenizer.ggml.token_type', type: 'i32[]', value: tokens.map(() => 1) },
      { key: 'tokenizer.ggml.merges', type: 'string[]', value: ['a b', 'c d'] },
      { key: 'tokenizer.chat_template', type: 'string', value: '{% for m in messages %}{{ m.content }}{% endfor %}' },
    ],
    [
      { name: 'blk.0.attn_q.weight', dims: [256, 64], type: 12, bytes: (256 * 64 / 256) * 144 },
      { name: 'output_norm.weight', dims: [64], type: 0, bytes: 64 * 4 },
    ],
  );
}

/** A README in the shape the Hugging Face Hub produces. */
export const SAMPLE_README = `---
license: apache-2.0
language:
- en
- fr
tags: [legal, summarization]
datasets: [org/contracts]
base_model: meta-llama/Llama-3.1-8B
base_model_relation: finetune
pipeline_tag: text-generation
model-index:
- name: contract-summarizer
  results:
  - task: { type: automatic-speech-recognition }
    dataset: { name: LibriSpeech (clean), type: librispeech_asr }
    metrics:
    - { type: wer, value: 4.2, name: Test WER }
  - task: { type: question-answering }
    dataset: { name: SQuAD, type: squad }
    metrics:
    - { type: exact_match, value: 81.5 }
    - { type: answer_f1, value: "88.1" }
  - task: { type: text-generation }
    metrics:
    - { type: perplexity, value: 5.5 }
---
# Contract summarizer

Summarizes contracts.

## Uses

### Direct Use

Summaries of NDAs.

## Bias, Risks, and Limitations

Not legal advice.

\`\`\`text
# not a heading
\`\`\`

## Training Details

### Training Data

Public contracts.

### Training Procedure

LoRA.
`;

/** Protobuf bytes: Buffers and runs of zero bytes (numbers), so huge fields can be written sparse. */
export type Pieces = (Buffer | number)[];
const pieceLength = (p: Pieces) => p.reduce<number>((a, x) => a + (typeof x === 'number' ? x : x.length), 0);
function varint(n: number): Buffer {
  const out: number[] = [];
  let v = BigInt(n);
  do {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? b | 0x80 : b);
  } while (v > 0n);
  return Buffer.from(out);
}
/** A varint field. */
export const pbInt = (field: number, v: number): Pieces => [varint(field * 8), varint(v)];
/** A length-delimited field holding a string, bytes or a nested message. */
export function pbLd(field: number, payload: string | Pieces): Pieces {
  const p = typeof payload === 'string' ? [Buffer.from(payload, 'utf8')] : payload;
  return [varint(field * 8 + 2), varint(pieceLength(p)), ...p];
}

/** Writes pieces to a file; zero runs become holes (the file is sparse). */
export function writePieces(file: string, pieces: Pieces): void {
  const fd = openSync(file, 'w');
  let pos = 0;
  for (const p of pieces) {
    if (typeof p === 'number') pos += p;
    else pos += writeSync(fd, p, 0, p.length, pos);
  }
  ftruncateSync(fd, pos);
  closeSync(fd);
}

/** A small ONNX ModelProto: Gemm y = x·W + B with W (dims unpacked) and B (dims packed) initializers. */
export function tinyOnnx(rawDataBytes = 48): Pieces {
  const valueInfo = (field: number, name: string) => pbLd(field, pbLd(1, name));
  const graph: Pieces = [
    ...pbLd(1, [...pbLd(1, 'x'), ...pbLd(1, 'W'), ...pbLd(1, 'B'), ...pbLd(2, 'y'), ...pbLd(4, 'Gemm')]),
    ...pbLd(2, 'main'),
    ...pbLd(5, [...pbInt(1, 4), ...pbInt(1, 3), ...pbInt(2, 1), ...pbLd(8, 'W'), ...pbLd(9, [rawDataBytes])]),
    ...pbLd(5, [...pbLd(1, [varint(3)]), ...pbInt(2, 10), ...pbLd(8, 'B'), ...pbLd(9, [6])]),
    ...valueInfo(11, 'x'),
    ...valueInfo(11, 'W'),
    ...valueInfo(12, 'y'),
  ];
  return [
    ...pbInt(1, 8),
    ...pbLd(2, 'pytorch'),
    ...pbLd(3, '2.4.0'),
    ...pbLd(7, graph),
    ...pbLd(8, [...pbLd(1, ''), ...pbInt(2, 17)]),
    ...pbLd(8, [...pbLd(1, 'com.microsoft'), ...pbInt(2, 1)]),
    ...pbLd(14, [...pbLd(1, 'author'), ...pbLd(2, 'me')]),
  ];
}

/** The ExtractError code a failing read rejects with (fails the test when it resolves or throws something else). */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  const err: unknown = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(ExtractError);
  return (err as ExtractError).code;
}
