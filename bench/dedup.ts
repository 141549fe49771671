/**
 * Deduplication: a second version that shares all but one file costs about what that one file costs.
 *   npm run build && npx tsx bench/dedup.ts [--shards 4] [--mb 512]
 * Version 1.0.0: config.json + N shards of M MB. Version 1.1.0: the same folder with one shard
 * replaced. Reference: a version holding only the changed shard. All through garden push against a
 * server child process on loopback; client hashing is timed separately in the same run.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTransfer, sha256File } from '../src/cli/transfer.js';
import { createBenchModel, seconds, startBenchServer, writeRandomFile } from './lib/server.js';

const arg = (name: string, dflt: number) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : dflt);
const shards = arg('--shards', 4);
const mb = arg('--mb', 512);
const work = mkdtempSync(path.join(process.env.GARDEN_BENCH_DIR ?? tmpdir(), 'garden-dedup-'));
const shardName = (i: number) => `model-${String(i + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;

const v1 = path.join(work, 'v1');
const v2 = path.join(work, 'v2');
const only = path.join(work, 'only-changed');
for (const d of [v1, v2, only]) mkdirSync(d);
writeFileSync(path.join(v1, 'config.json'), JSON.stringify({ architectures: ['LlamaForCausalLM'] }));
for (let i = 0; i < shards; i++) writeRandomFile(path.join(v1, shardName(i)), mb, i + 1);
copyFileSync(path.join(v1, 'config.json'), path.join(v2, 'config.json'));
for (let i = 0; i < shards - 1; i++) copyFileSync(path.join(v1, shardName(i)), path.join(v2, shardName(i)));
writeRandomFile(path.join(v2, shardName(shards - 1)), mb, 1000);
copyFileSync(path.join(v2, shardName(shards - 1)), path.join(only, shardName(shards - 1)));

const server = await startBenchServer(path.join(work, 'data'));
try {
  await createBenchModel(server.url, 'dedup-bench');
  const t = createTransfer({ url: server.url, token: undefined });
  const quiet = () => undefined;
  const hashAll = async (dir: string, names: string[]) => {
    for (const n of names) await sha256File(path.join(dir, n));
  };
  const all = ['config.json', ...Array.from({ length: shards }, (_, i) => shardName(i))];

  const first = await seconds(() => t.push(v1, 'dedup-bench', '1.0.0', quiet));
  let sent2 = 0;
  const second = await seconds(async () => {
    const r = await t.push(v2, 'dedup-bench', '1.1.0', quiet);
    sent2 = r.totalBytes - r.deduplicatedBytes;
  });
  const reference = await seconds(() => t.push(only, 'dedup-bench', '9.0.0', quiet));
  const hash2 = await seconds(() => hashAll(v2, all));
  const hashRef = await seconds(() => hashAll(only, [shardName(shards - 1)]));
  const stats = (await (await fetch(`${server.url}/api/v1/registry/stats`)).json()) as { referencedBytes: number; storedBytes: number; savedBytes: number };

  const row = (what: string, s: number, h?: number) => `| ${what} | ${s.toFixed(2)} | ${h === undefined ? '' : (s - h).toFixed(2)} |`;
  console.log(`${shards} shards × ${mb} MB; one shard changed in 1.1.0\n`);
  console.log('| push | seconds | seconds without client hashing |');
  console.log('| --- | --- | --- |');
  console.log(row(`1.0.0: everything new (${(shards * mb) / 1024} GB)`, first));
  console.log(row(`1.1.0: all but one shard already stored (${sent2 / 1024 / 1024} MB sent)`, second, hash2));
  console.log(row(`reference: a version of only the changed shard (${mb} MB)`, reference, hashRef));
  console.log(`\nserver side of 1.1.0 / reference: ${((second - hash2) / (reference - hashRef)).toFixed(2)} · bytes sent for 1.1.0: ${sent2} · saved by dedup: ${(stats.savedBytes / 1024 / 1024).toFixed(0)} MB of ${(stats.referencedBytes / 1024 / 1024).toFixed(0)} MB referenced`);
} finally {
  server.stop();
  rmSync(work, { recursive: true, force: true });
}
