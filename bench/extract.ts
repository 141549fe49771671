/**
 * Model-card extraction from a sharded safetensors model without reading tensor data.
 *   npx tsx bench/extract.ts [--layers 32,80] [--runs 5]
 * Writes Llama-shaped Hugging Face folders (config.json, index, shards) whose shards are sparse
 * files of the real size (8B ≈ 16 GB and 70B ≈ 141 GB of BF16), then times extractFromFolder.
 */
import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { extractFromFolder } from '../src/registry/extract/extract.js';

const arg = (name: string, dflt: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1]! : dflt);
const layerCounts = arg('--layers', '32,80').split(',').map(Number);
const runs = Number(arg('--runs', '5'));

interface Shape {
  layers: number;
  hidden: number;
  intermediate: number;
  heads: number;
  kvHeads: number;
  vocab: number;
}
const shapes: Record<number, Shape> = {
  32: { layers: 32, hidden: 4096, intermediate: 14336, heads: 32, kvHeads: 8, vocab: 128256 },
  80: { layers: 80, hidden: 8192, intermediate: 28672, heads: 64, kvHeads: 8, vocab: 128256 },
};

function tensorsOf(s: Shape): [string, number[]][] {
  const kv = (s.hidden / s.heads) * s.kvHeads;
  const out: [string, number[]][] = [['model.embed_tokens.weight', [s.vocab, s.hidden]]];
  for (let l = 0; l < s.layers; l++) {
    const p = `model.layers.${l}`;
    out.push(
      [`${p}.self_attn.q_proj.weight`, [s.hidden, s.hidden]],
      [`${p}.self_attn.k_proj.weight`, [kv, s.hidden]],
      [`${p}.self_attn.v_proj.weight`, [kv, s.hidden]],
      [`${p}.self_attn.o_proj.weight`, [s.hidden, s.hidden]],
      [`${p}.mlp.gate_proj.weight`, [s.intermediate, s.hidden]],
      [`${p}.mlp.up_proj.weight`, [s.intermediate, s.hidden]],
      [`${p}.mlp.down_proj.weight`, [s.hidden, s.intermediate]],
      [`${p}.input_layernorm.weight`, [s.hidden]],
      [`${p}.post_attention_layernorm.weight`, [s.hidden]],
    );
  }
  out.push(['model.norm.weight', [s.hidden]], ['lm_head.weight', [s.vocab, s.hidden]]);
  return out;
}

/** Writes the folder; shards of about 5 GB, their data never written (sparse). */
function writeModel(dir: string, s: Shape): { bytes: number; shards: number; params: number } {
  writeFileSync(
    path.join(dir, 'config.json'),
    JSON.stringify({
      architectures: ['LlamaForCausalLM'],
      model_type: 'llama',
      hidden_size: s.hidden,
      intermediate_size: s.intermediate,
      num_hidden_layers: s.layers,
      num_attention_heads: s.heads,
      num_key_value_heads: s.kvHeads,
      vocab_size: s.vocab,
      max_position_embeddings: 131072,
      torch_dtype: 'bfloat16',
    }),
  );
  const all = tensorsOf(s);
  const groups: [string, number[]][][] = [[]];
  let inGroup = 0;
  for (const t of all) {
    const bytes = t[1].reduce((a, b) => a * b, 1) * 2;
    if (inGroup + bytes > 5e9 && groups.at(-1)!.length) {
      groups.push([]);
      inGroup = 0;
    }
    groups.at(-1)!.push(t);
    inGroup += bytes;
  }
  const weightMap: Record<string, string> = {};
  let total = 0;
  let params = 0;
  groups.forEach((g, i) => {
    const name = `model-${String(i + 1).padStart(5, '0')}-of-${String(groups.length).padStart(5, '0')}.safetensors`;
    const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
    let offset = 0;
    for (const [t, shape] of g) {
      const n = shape.reduce((a, b) => a * b, 1);
      header[t] = { dtype: 'BF16', shape, data_offsets: [offset, offset + n * 2] };
      offset += n * 2;
      params += n;
      weightMap[t] = name;
    }
    const json = Buffer.from(JSON.stringify(header));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.length));
    const fd = openSync(path.join(dir, name), 'w');
    writeSync(fd, Buffer.concat([len, json]));
    ftruncateSync(fd, 8 + json.length + offset);
    closeSync(fd);
    total += 8 + json.length + offset;
  });
  writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }));
  return { bytes: total, shards: groups.length, params };
}

console.log('| model | shards | apparent size | tensors | extraction median | min | max | parameters found |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const layers of layerCounts) {
  const s = shapes[layers];
  if (!s) throw new Error(`no shape for ${layers} layers (have ${Object.keys(shapes).join(', ')})`);
  const dir = mkdtempSync(path.join(tmpdir(), 'garden-bench-extract-'));
  mkdirSync(dir, { recursive: true });
  try {
    const m = writeModel(dir, s);
    const times: number[] = [];
    let found: number | undefined;
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      const x = await extractFromFolder(dir);
      times.push(performance.now() - t);
      found = x.fields.parameters ?? undefined;
      if (found !== m.params) throw new Error(`extraction found ${found} parameters, the files hold ${m.params}`);
    }
    times.sort((a, b) => a - b);
    console.log(
      `| Llama ${layers} layers | ${m.shards} | ${(m.bytes / 1e9).toFixed(1)} GB | ${tensorsOf(s).length} | ${times[Math.floor(times.length / 2)]!.toFixed(0)} ms | ${times[0]!.toFixed(0)} ms | ${times.at(-1)!.toFixed(0)} ms | ${found} |`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
