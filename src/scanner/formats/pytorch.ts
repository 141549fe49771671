/**
 * PyTorch checkpoints.
 *
 * Zip checkpoints (torch.save since 1.6): `<archive>/data.pkl` is the pickle torch.load runs; its
 * persistent ids name the tensor storages `<archive>/data/<key>`, raw bytes that are never read
 * here (their sizes come from the central directory and are checked against the pickle). Every
 * other member is sniffed by content: a pickle hidden anywhere (constants.pkl, an extensionless
 * protocol-0 member, an unreferenced `data/` entry) is scanned like data.pkl. TorchScript code
 * (`code/`) is reported for review.
 *
 * Legacy checkpoints (`_use_new_zipfile_serialization=False`): five pickles back to back (magic
 * number, protocol version, sys info, the object, the sorted storage keys) followed by each
 * storage as an int64 element count and its bytes. The pickles are scanned, then the storage
 * section is walked by the declared sizes, so bytes that belong to no storage are found.
 */
import type { Readable } from 'node:stream';
import { openZip, type ZipMember } from '../archive/zip.js';
import type { FormatScanner, ScanTarget } from '../context.js';
import type { PickleFamily } from '../pickle/globals.js';
import { analyzePickle, render, type PickleAnalysis, type StorageRef, type TorchBlobScanner } from '../pickle/analyze.js';
import { TORCH_STORAGE_ELEMENT_SIZE } from '../pickle/globals.js';
import { ByteReader, fileChunks, readableChunks } from '../pickle/byte-reader.js';
import type { PyValue } from '../pickle/values.js';
import { finding, type Finding, type ScanLimits } from '../types.js';
import { PickleMachine } from '../pickle/interpreter.js';
import { startsWithProto } from '../pickle/ops.js';

const MAGIC_NUMBER = 0x1950a86a20f9469cfc6cn;
const PROTOCOL_VERSION = 1001;
/** Storage keys read from a legacy checkpoint (real ones hold thousands at most). */
const MAX_LEGACY_STORAGES = 200_000;

// ---------------------------------------------------------------------------------------------
// Zip checkpoints

/** `<archive>/data/<key>`: a storage record. */
function storageKey(name: string): string | null {
  const m = /^([^/]+\/)?data\/([^/]+)$/.exec(name);
  return m ? (m[2] as string) : null;
}

function isMainPickle(name: string): boolean {
  return /^([^/]+\/)?data\.pkl$/.test(name);
}

interface MemberScan {
  analysis: PickleAnalysis | null;
  findings: Finding[];
}

async function scanMemberPickle(open: () => Promise<Readable>, m: ZipMember, limits: ScanLimits, mustBePickle: boolean, family: PickleFamily): Promise<MemberScan> {
  const stream = await open();
  const reader = new ByteReader(readableChunks(stream));
  try {
    const probe = (await reader.fill(2)) ? reader.buf.subarray(reader.pos, reader.pos + 2) : reader.buf.subarray(reader.pos);
    const sure = mustBePickle || startsWithProto(probe) || m.name.endsWith('.pkl');
    const a = await analyzePickle(reader, {
      family,
      limits,
      torchBlob: scanTorchBlob,
      member: m.name,
      multiplePickles: 'note',
      label: `the pickle in ${m.name}`,
    });
    // A member that fails at once and did nothing a pickle does is data, not a pickle.
    if (!sure && (a.run.error || a.run.pickles === 0) && !a.active) return { analysis: null, findings: [] };
    return { analysis: a, findings: a.findings };
  } finally {
    await reader.close();
    stream.destroy();
  }
}

async function scanZip(t: ScanTarget): Promise<Finding[]> {
  let zip;
  try {
    zip = await openZip(t.abs, t.limits);
  } catch (e) {
    return [finding('PYTORCH_INVALID', 'high', `not a readable PyTorch zip checkpoint: ${(e as Error).message}`, 0)];
  }
  const findings: Finding[] = [...zip.findings];
  try {
    const members = zip.members.filter((m) => !m.isDirectory);
    const storages = new Map<string, ZipMember>();
    const others: ZipMember[] = [];
    for (const m of members) {
      const key = storageKey(m.name);
      if (key !== null) storages.set(key, m);
      else others.push(m);
    }
    const main = others.find((m) => isMainPickle(m.name));
    // torch.jit.save writes code/ (TorchScript source); torch.jit.load (and torch.load, which hands
    // such archives to it) reads the pickles with TorchScript's own unpickler: `__torch__.*` are
    // classes compiled from that code, not Python imports. The code itself is for a reviewer.
    const torchscript = others.some((m) => /(^|\/)code\/.+\.py$/.test(m.name));
    const family: PickleFamily = torchscript ? 'torchscript' : 'pytorch';
    if (!main) findings.push(finding('PYTORCH_NO_DATA_PKL', 'high', 'the archive has no data.pkl: torch.load cannot load it, and what it holds is not a regular checkpoint', null));
    // data.pkl first: it says which data/ members are storages.
    const ordered = main ? [main, ...others.filter((m) => m !== main)] : others;
    const refs: StorageRef[] = [];
    for (const m of ordered) {
      if (m.isSymlink || m.encrypted) continue;
      if (/(^|\/)code\//.test(m.name) && m.name.endsWith('.py')) continue;
      const r = await scanMemberPickle(() => zip.open(m), m, t.limits, m === main, family);
      findings.push(...r.findings);
      if (r.analysis) refs.push(...r.analysis.storages);
    }
    if (torchscript) {
      const code = others.filter((m) => /(^|\/)code\/.+\.py$/.test(m.name)).map((m) => m.name);
      findings.push(
        finding(
          'PYTORCH_TORCHSCRIPT',
          'medium',
          `the archive is a TorchScript program (torch.jit.save): torch.jit.load, and torch.load which hands such archives to it, compiles and runs its code (${code.slice(0, 6).join(', ')}${code.length > 6 ? `, and ${code.length - 6} more` : ''}); a reviewer must read it, or load only the weights`,
          null,
        ),
      );
    }
    const referenced = new Set<string>();
    for (const s of refs) {
      referenced.add(s.key);
      const m = storages.get(s.key);
      if (!m) {
        findings.push(finding('PYTORCH_STORAGE_MISSING', 'high', `the pickle refers to storage ${JSON.stringify(s.key)} (offset ${s.offset}) but the archive has no data/${s.key}: torch.load fails`, s.offset, main?.name));
        continue;
      }
      const element = TORCH_STORAGE_ELEMENT_SIZE[s.type] ?? 1;
      const expected = s.numel * element;
      if (m.uncompressedSize < expected) {
        findings.push(finding('PYTORCH_STORAGE_SIZE', 'high', `storage ${m.name} has ${m.uncompressedSize} bytes but the pickle declares ${s.numel} × ${element} = ${expected}: torch.load fails`, m.offset, m.name));
      } else if (m.uncompressedSize > expected) {
        findings.push(finding('PYTORCH_STORAGE_SIZE', 'medium', `storage ${m.name} has ${m.uncompressedSize - expected} bytes more than the ${expected} the pickle declares; torch.load ignores them`, m.offset, m.name));
      }
    }
    // Storages nobody refers to are never loaded by torch.load; look whether one is a pickle.
    for (const [key, m] of storages) {
      if (referenced.has(key) || m.isSymlink || m.encrypted) continue;
      const r = await scanMemberPickle(() => zip.open(m), m, t.limits, false, family);
      findings.push(...r.findings);
    }
  } finally {
    zip.close();
  }
  return findings;
}

// ---------------------------------------------------------------------------------------------
// Legacy checkpoints

function sameBig(v: PyValue, n: bigint): boolean {
  return (typeof v === 'bigint' && v === n) || (typeof v === 'number' && BigInt(v) === n);
}

async function scanLegacy(t: ScanTarget): Promise<Finding[]> {
  const reader = new ByteReader(fileChunks(t.abs));
  try {
    return await scanLegacyStream(reader, t.size, t.limits, 0);
  } finally {
    await reader.close();
  }
}

/**
 * Scans a legacy torch.save blob embedded in a pickle: what torch.storage._load_from_bytes(b)
 * hands to torch.load (pickle.dumps of a tensor writes one per storage). Same checks as a file.
 */
export const scanTorchBlob: TorchBlobScanner = async (source, size, o) => {
  const reader = new ByteReader(source);
  try {
    return await scanLegacyStream(reader, size, o.limits, o.nesting);
  } finally {
    await reader.close();
  }
};

/** The five pickles and the storage section of a legacy checkpoint, from the reader's position. */
async function scanLegacyStream(reader: ByteReader, size: number, limits: ScanLimits, nesting: number): Promise<Finding[]> {
  const findings: Finding[] = [];
  const parts = ['magic number', 'protocol version', 'system info', 'checkpoint object', 'storage key list'] as const;
  const results: PickleAnalysis[] = [];
  for (const [i, part] of parts.entries()) {
    const a = await analyzePickle(reader, {
      family: 'pytorch',
      limits,
      nesting,
      torchBlob: scanTorchBlob,
      maxPickles: 1,
      label: `the ${part} pickle`,
      itemCap: i === 4 ? MAX_LEGACY_STORAGES : undefined,
    });
    findings.push(...a.findings);
    results.push(a);
    if (a.run.error || a.run.limit || a.run.pickles === 0) return findings;
    const value = a.run.results[0] ?? null;
    if (i === 0 && !sameBig(value, MAGIC_NUMBER)) {
      findings.push(finding('PYTORCH_STRUCTURE', 'high', 'the first pickle is not the PyTorch magic number: this is not a legacy checkpoint, and torch.load refuses it', 0));
      return findings;
    }
    if (i === 1 && !sameBig(value, BigInt(PROTOCOL_VERSION))) {
      findings.push(finding('PYTORCH_STRUCTURE', 'high', `the protocol version pickle is ${render(value)}, not ${PROTOCOL_VERSION}: torch.load refuses it`, a.run.end));
      return findings;
    }
  }
  const refs = results[3]?.storages ?? [];
  const byKey = new Map(refs.map((s) => [s.key, s]));
  const keysValue = results[4]?.run.results[0] ?? null;
  const keys = typeof keysValue === 'object' && keysValue !== null && keysValue.k === 'list' ? keysValue.items : null;
  if (keys && (keysValue as { n: number }).n > MAX_LEGACY_STORAGES) {
    findings.push(finding('SCAN_LIMIT', 'high', `the checkpoint lists ${(keysValue as { n: number }).n} storages, more than the ${MAX_LEGACY_STORAGES} the scanner follows`, results[4]?.run.end ?? null));
    return findings;
  }
  if (!keys || keys.length !== (keysValue as { n: number }).n || !keys.every((k) => typeof k === 'string')) {
    findings.push(finding('PYTORCH_STRUCTURE', 'high', 'the storage key pickle is not a list of strings: the storage data cannot be located', results[4]?.run.end ?? null));
    return findings;
  }
  // Each storage: int64 element count, then count × element size bytes, in key order.
  for (const key of keys) {
    if (typeof key !== 'string') break;
    const at = reader.offset;
    const ref = byKey.get(key);
    if (!ref) {
      findings.push(finding('PYTORCH_STRUCTURE', 'high', `storage key ${JSON.stringify(key)} is not used by the checkpoint object: torch.load fails`, at));
      return findings;
    }
    const sizeBytes = await reader.read(8);
    if (!sizeBytes) {
      findings.push(finding('PYTORCH_STRUCTURE', 'high', `the data of storage ${JSON.stringify(key)} is missing (file truncated at offset ${at})`, at));
      return findings;
    }
    const count = sizeBytes.readBigInt64LE(0);
    const element = TORCH_STORAGE_ELEMENT_SIZE[ref.type] ?? 1;
    if (count !== BigInt(ref.numel)) {
      findings.push(finding('PYTORCH_STRUCTURE', 'high', `storage ${JSON.stringify(key)} records ${count} elements at offset ${at} but the checkpoint declares ${ref.numel}: torch.load fails`, at));
      return findings;
    }
    const bytes = ref.numel * element;
    if ((await reader.skip(bytes)) < bytes) {
      findings.push(finding('PYTORCH_STRUCTURE', 'high', `the data of storage ${JSON.stringify(key)} is truncated (file ends before offset ${at + 8 + bytes})`, at));
      return findings;
    }
  }
  if (!(await reader.atEnd())) {
    const at = reader.offset;
    findings.push(
      finding('PYTORCH_TRAILING_DATA', 'high', `${size - at} bytes follow the last storage (from offset ${at}): torch.load never reads them, so anything can hide there`, at),
    );
  }
  return findings;
}

/**
 * Whether a pickle's first value is the legacy torch.save magic number, however it is encoded:
 * torch.load only compares the unpickled value, so detection must not depend on the exact bytes
 * torch writes (protocol 2 LONG1). `head` is the file's first bytes.
 */
export async function startsWithTorchMagic(head: Buffer): Promise<boolean> {
  const machine = new PickleMachine(new ByteReader([head]), {}, { limits: { maxOps: 64, maxStack: 16, maxMemo: 16, maxGlobals: 0 }, maxPickles: 1 });
  const run = await machine.run();
  return run.pickles === 1 && !run.error && sameBig(run.results[0] ?? null, MAGIC_NUMBER);
}

/** Scans a PyTorch zip checkpoint (format 'pytorch-zip'). */
export const scanPytorchZip: FormatScanner = scanZip;

/** Scans a legacy (non-zip) PyTorch checkpoint (format 'pytorch-legacy'). */
export const scanPytorchLegacy: FormatScanner = scanLegacy;

/** Either kind, chosen from the first bytes. */
export const scanPytorch: FormatScanner = async (t) => (t.head.subarray(0, 4).equals(Buffer.from('PK\x03\x04', 'latin1')) ? scanZip(t) : scanLegacy(t));
