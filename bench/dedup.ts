/**
 * Deduplication: a second version that shares all but one file costs about what that one file costs.
 *   npm run build && npx tsx bench/dedup.ts [--shards 4] [--mb 512]
 * Version 1.0.0: a folder of config.json + N shards of M MB. Then one shard is rewritten in place
 * (a fine-tune touching one shard) and the folder is pushed as 1.1.0. Reference: a version holding
 * one new shard of the same size. All through garden push against a server child process on
 * loopback, with the CLI's digest cache (unchanged files are not hashed again).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTransfer } from '../src/cli/transfer.js';
import { createBenchModel, seconds, startBenchServer, writeRandomFile } from './lib/server.js';

const arg = (name: string, dflt: number) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : dflt);
const shards = arg('--shards', 4);
const mb = arg('--mb', 512);
const work = mkdtempSync(path.join(process.env.GARDEN_BENCH_DIR ?? tmpdir(), 'garden-dedup-'));
const shardName = (i: number) => `model-${String(i + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;

const model = path.join(work, 'model');
const other = path.join(work, 'reference');
mkdirSync(model);
mkdirSync(other);
writeFileSync(path.join(model, 'config.json'), JSON.stringify({ architectures: ['LlamaForCausalLM'] }));
for (let i = 0; i < shards; i++) writeRandomFile(path.join(model, shardName(i)), mb, i + 1);
writeRandomFile(path.join(other, shardName(0)), mb, 2000);

const server = await startBenchServer(path.join(work, 'data'));
try {
  await createBenchModel(server.url, 'dedup-bench');
  const t = createTransfer({ url: server.url, token: undefined, cacheDir: path.join(work, 'cache') });
  const quiet = () => undefined;
  const first = await seconds(() => t.push(model, 'dedup-bench', '1.0.0', quiet));
  writeRandomFile(path.join(model, shardName(shards - 1)), mb, 1000);
  let sent = 0;
  const second = await seconds(async () => {
    const r = await t.push(model, 'dedup-bench', '1.1.0', quiet);
    sent = r.totalBytes - r.deduplicatedBytes;
  });
  const reference = await seconds(() => t.push(other, 'dedup-bench', '9.0.0', quiet));
  const stats = (await (await fetch(`${server.url}/api/v1/registry/stats`)).json()) as { referencedBytes: number; savedBytes: number };

  console.log(`${shards} shards × ${mb} MB; one shard rewritten before 1.1.0\n`);
  console.log('| push | seconds |');
  console.log('| --- | --- |');
  console.log(`| 1.0.0: everything new (${(shards * mb) / 1024} GB) | ${first.toFixed(2)} |`);
  console.log(`| 1.1.0: all but one shard already stored (${sent / 1024 / 1024} MB sent) | ${second.toFixed(2)} |`);
  console.log(`| reference: a version of one new shard (${mb} MB) | ${reference.toFixed(2)} |`);
  console.log(
    `\n1.1.0 / reference: ${(second / reference).toFixed(2)} · 1.1.0 / 1.0.0: ${(second / first).toFixed(2)} · saved by dedup: ${(stats.savedBytes / 1024 / 1024).toFixed(0)} MB of ${(stats.referencedBytes / 1024 / 1024).toFixed(0)} MB referenced`,
  );
} finally {
  server.stop();
  rmSync(work, { recursive: true, force: true });
}
