/**
 * Scanner throughput and memory on the two shapes the issue names:
 *   npm run build && npx tsx bench/scan.ts [--checkpoint-mb 2048] [--pickle-mb 200] [--keep]
 * 1. A PyTorch-style zip checkpoint: a small archive/data.pkl (an OrderedDict of tensors rebuilt
 *    with torch._utils._rebuild_tensor_v2 over persistent storages, as torch.save writes it) and
 *    large stored tensor members. The scanner need not read the tensor payloads.
 * 2. A raw pickle of millions of small objects (dicts of ints, strings, floats and lists), written
 *    opcode by opcode the way CPython's protocol-4 pickler does (FRAME every 64 KiB, MEMOIZE after
 *    every string and container), so the memo holds millions of entries.
 * Each scan runs three times as `garden scan FILE --json` in its own process under GNU time (the
 * median time, the highest peak RSS). The reference is reading the same file once with dd (the
 * page cache is warm for both).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { ROOT } from '../src/core/paths.js';

const arg = (name: string, dflt: number) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : dflt);
const checkpointMb = arg('--checkpoint-mb', 2048);
const pickleMb = arg('--pickle-mb', 200);
const work = mkdtempSync(path.join(process.env.GARDEN_BENCH_DIR ?? tmpdir(), 'garden-scan-bench-'));

// ---- pickle building blocks (protocol 2/4 opcodes) ----
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const op = (s: string) => Buffer.from(s, 'latin1');
const binunicode = (s: string) => Buffer.concat([op('X'), u32(Buffer.byteLength(s)), Buffer.from(s)]);
const shortUnicode = (s: string) => Buffer.concat([Buffer.from([0x8c, Buffer.byteLength(s)]), Buffer.from(s)]);
const binint = (n: number) => Buffer.concat([op('J'), u32(n)]);
const global = (mod: string, name: string) => op(`c${mod}\n${name}\n`);

/** archive/data.pkl of a state dict: `tensors` float32 tensors of `numel` elements each. */
function stateDictPickle(tensors: number, numel: number): Buffer {
  const parts: Buffer[] = [Buffer.from([0x80, 0x02]), global('collections', 'OrderedDict'), op(')R('), Buffer.alloc(0)];
  for (let i = 0; i < tensors; i++) {
    parts.push(
      binunicode(`model.layers.${i}.weight`),
      global('torch._utils', '_rebuild_tensor_v2'),
      op('(('),
      binunicode('storage'),
      global('torch', 'FloatStorage'),
      binunicode(String(i)),
      binunicode('cpu'),
      binint(numel),
      op('tQ'), // TUPLE, BINPERSID
      op('K\x00'), // storage offset 0
      binint(numel),
      Buffer.from([0x85]), // TUPLE1: shape
      op('K\x01'),
      Buffer.from([0x85]), // stride
      Buffer.from([0x89]), // requires_grad False
      global('collections', 'OrderedDict'),
      op(')R'), // backward hooks
      op('tR'),
    );
  }
  parts.push(op('u.'));
  return Buffer.concat(parts);
}

/** Writes a stored (uncompressed) zip; members given as [name, size, fill(fd, size)]. */
function writeZip(file: string, members: [string, Buffer | { size: number; block: Buffer }][]): void {
  const fd = openSync(file, 'w');
  let offset = 0;
  const central: Buffer[] = [];
  const write = (b: Buffer) => {
    writeSync(fd, b);
    offset += b.length;
  };
  for (const [name, content] of members) {
    const nameBuf = Buffer.from(name);
    const size = Buffer.isBuffer(content) ? content.length : content.size;
    let crc = 0;
    if (Buffer.isBuffer(content)) crc = crc32(content);
    else for (let done = 0; done < size; done += content.block.length) crc = crc32(content.block.subarray(0, Math.min(content.block.length, size - done)), crc);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc >>> 0, 14);
    local.writeUInt32LE(size, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    const at = offset;
    write(Buffer.concat([local, nameBuf]));
    if (Buffer.isBuffer(content)) write(content);
    else for (let done = 0; done < size; done += content.block.length) write(content.block.subarray(0, Math.min(content.block.length, size - done)));
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(20, 4);
    cd.writeUInt16LE(20, 6);
    cd.writeUInt32LE(crc >>> 0, 16);
    cd.writeUInt32LE(size, 20);
    cd.writeUInt32LE(size, 24);
    cd.writeUInt16LE(nameBuf.length, 28);
    cd.writeUInt32LE(at, 42);
    central.push(Buffer.concat([cd, nameBuf]));
  }
  const cdStart = offset;
  const cdBuf = Buffer.concat(central);
  write(cdBuf);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(cdBuf.length, 12);
  end.writeUInt32LE(cdStart, 16);
  write(end);
  closeSync(fd);
}

function writeCheckpoint(file: string, mb: number): void {
  const tensors = 16;
  const bytesPer = Math.floor((mb * 1024 * 1024) / tensors / 4) * 4;
  const block = Buffer.alloc(8 * 1024 * 1024);
  for (let i = 0; i < block.length; i += 4) block.writeFloatLE(Math.sin(i), i);
  writeZip(file, [
    ['archive/data.pkl', stateDictPickle(tensors, bytesPer / 4)],
    ['archive/byteorder', Buffer.from('little')],
    ...Array.from({ length: tensors }, (_, i): [string, { size: number; block: Buffer }] => [`archive/data/${i}`, { size: bytesPer, block }]),
    ['archive/version', Buffer.from('3\n')],
  ]);
}

/**
 * A protocol-4 pickle of a list of small records, framed and memoized like CPython's pickler:
 * plain dicts, or (`objects`) instances of a class `__main__.Record` built with NEWOBJ and BUILD,
 * as pickling a list of dataclass or plain-class objects writes them.
 */
function writeBigPickle(file: string, mb: number, objects = false): number {
  const fd = openSync(file, 'w');
  const target = mb * 1024 * 1024;
  let written = 0;
  let frame: Buffer[] = [];
  let frameLen = 0;
  const flush = () => {
    if (!frameLen) return;
    const head = Buffer.alloc(9);
    head[0] = 0x95;
    head.writeBigUInt64LE(BigInt(frameLen), 1);
    const body = Buffer.concat([head, ...frame]);
    writeSync(fd, body);
    written += body.length;
    frame = [];
    frameLen = 0;
  };
  const emit = (b: Buffer) => {
    frame.push(b);
    frameLen += b.length;
    if (frameLen >= 64 * 1024) flush();
  };
  const MEMOIZE = Buffer.from([0x94]);
  writeSync(fd, Buffer.from([0x80, 0x04]));
  written += 2;
  emit(Buffer.concat([op(']'), MEMOIZE, op('(')]));
  // The class is memoized once (index 3) and fetched with BINGET for every record.
  if (objects) emit(Buffer.concat([shortUnicode('__main__'), MEMOIZE, shortUnicode('Record'), MEMOIZE, Buffer.from([0x93]), MEMOIZE, op('0')]));
  let items = 0;
  while (written + frameLen < target) {
    const rec = Buffer.concat([
      objects ? Buffer.concat([op('h\x03'), op(')'), Buffer.from([0x81]), MEMOIZE]) : Buffer.alloc(0),
      op('}'), MEMOIZE, op('('),
      shortUnicode('id'), MEMOIZE, binint(items),
      shortUnicode('name'), MEMOIZE, shortUnicode(`item-${items}`), MEMOIZE,
      shortUnicode('score'), MEMOIZE, Buffer.concat([op('G'), Buffer.alloc(8, 0x3f)]),
      shortUnicode('tags'), MEMOIZE, op(']'), MEMOIZE, op('('), shortUnicode('a'), MEMOIZE, shortUnicode(`t${items % 97}`), MEMOIZE, op('e'),
      op('u'),
      objects ? op('b') : Buffer.alloc(0),
    ]);
    emit(rec);
    items++;
    if (items % 1000 === 0) emit(op('e('));
  }
  emit(op('e.'));
  flush();
  closeSync(fd);
  return items;
}

function timedOnce(file: string): { seconds: number; peakMb: number; verdict: string } {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', process.execPath, path.join(ROOT, 'bin/garden.js'), 'scan', file, '--json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const [secs, kb] = (r.stderr.trim().split('\n').pop() ?? '').split(' ');
  let verdict = '?';
  try {
    verdict = (JSON.parse(r.stdout) as { verdict: string }).verdict;
  } catch {
    verdict = `unreadable output (exit ${r.status}): ${r.stderr.slice(0, 300)}`;
  }
  return { seconds: Number(secs), peakMb: Number(kb) / 1024, verdict };
}

/** Three runs (this machine is noisy): the median time, and the highest peak RSS of the three. */
function timed(file: string): { seconds: number; peakMb: number; verdict: string; runs: number[] } {
  const runs = [timedOnce(file), timedOnce(file), timedOnce(file)];
  const sorted = runs.map((r) => r.seconds).sort((x, y) => x - y);
  return { seconds: sorted[1] as number, peakMb: Math.max(...runs.map((r) => r.peakMb)), verdict: (runs[0] as { verdict: string }).verdict, runs: sorted };
}

function ddSeconds(file: string): number {
  const t = performance.now();
  execFileSync('dd', [`if=${file}`, 'of=/dev/null', 'bs=16M'], { stdio: 'ignore' });
  return (performance.now() - t) / 1000;
}

try {
  const ckpt = path.join(work, 'checkpoint.pt');
  writeCheckpoint(ckpt, checkpointMb);
  const pkl = path.join(work, 'records.pkl');
  const items = writeBigPickle(pkl, pickleMb);
  const objs = path.join(work, 'objects.pkl');
  const objectItems = writeBigPickle(objs, pickleMb, true);
  const empty = timed(path.join(ROOT, 'README.md'));
  console.log('| file | size | dd read | scan, median (3 runs) | scan MB/s | verdict | peak RSS |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const [label, file] of [
    ['PyTorch zip checkpoint (16 tensors)', ckpt],
    [`raw pickle, ${items.toLocaleString('en')} dict records`, pkl],
    [`raw pickle, ${objectItems.toLocaleString('en')} class instances (NEWOBJ + BUILD)`, objs],
  ] as const) {
    const size = statSync(file).size;
    const dd = ddSeconds(file);
    const s = timed(file);
    const mb = size / 1024 / 1024;
    const rate = file === ckpt ? 'tensors not read' : (mb / Math.max(s.seconds - empty.seconds, 0.01)).toFixed(0);
    console.log(`| ${label} | ${mb.toFixed(0)} MB | ${dd.toFixed(2)} s (${(mb / dd).toFixed(0)} MB/s) | ${s.seconds.toFixed(2)} s (${s.runs.map((x) => x.toFixed(2)).join(' / ')}) | ${rate} | ${s.verdict} | ${s.peakMb.toFixed(0)} MB |`);
  }
  console.log(`\nprocess start-up (scan of README.md): ${empty.seconds.toFixed(2)} s, ${empty.peakMb.toFixed(0)} MB; MB/s subtracts it`);
} finally {
  if (process.argv.includes('--keep')) console.log(`files kept in ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
