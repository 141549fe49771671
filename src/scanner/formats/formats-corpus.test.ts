/**
 * The `formats/` part of the labelled corpus (scripts/scan-corpus/formats.py), checked against
 * these scanners directly: content detection (detect.ts) picks the scanner, and nested archive
 * members go through a local stand-in for the orchestrator's scanNested. Pickle-family members
 * get a stub finding (the pickle scanner is checked by its own tests); labels whose files are in
 * formats no scanner here handles (unknown bytes) are left to the end-to-end corpus test.
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import type { FormatScanner, ScanTarget } from '../context.js';
import { detectFormat, HEAD_BYTES } from '../detect.js';
import { DEFAULT_LIMITS, finding, verdictOf, type FileFormat, type Finding } from '../types.js';
import { scanArchive } from './archive.js';
import { scanGguf } from './gguf.js';
import { scanKeras } from './keras.js';
import { scanOnnx } from './onnx.js';
import { scanConfigJson, scanRepositoryFile } from './repository.js';
import { scanSafetensors } from './safetensors.js';
import { scanSavedModel, scanTflite } from './savedmodel.js';

/** The formats these scanners handle (what the lead registers in scanners.ts). */
const MINE: Partial<Record<FileFormat, FormatScanner>> = {
  safetensors: scanSafetensors,
  gguf: scanGguf,
  onnx: scanOnnx,
  keras: scanKeras,
  hdf5: scanKeras,
  savedmodel: scanSavedModel,
  tflite: scanTflite,
  zip: scanArchive,
  tar: scanArchive,
  gzip: scanArchive,
  json: scanConfigJson,
  python: scanRepositoryFile,
  shell: scanRepositoryFile,
  executable: scanRepositoryFile,
};
const PICKLE_FAMILY = new Set<FileFormat>(['pickle', 'pytorch-zip', 'pytorch-legacy', 'numpy-npy', 'numpy-npz', 'joblib']);

interface Label {
  path: string;
  verdict: 'block' | 'warn' | 'pass';
  codes: string[];
  technique: string;
  format?: string;
}

function generate(): { dir: string; labels: Label[] } | null {
  const python = ['/usr/bin/python3', '/usr/local/bin/python3'].find((p) => existsSync(p)) ?? 'python3';
  const dir = mkdtempSync(path.join(tmpdir(), 'garden-formats-corpus-'));
  try {
    execFileSync(python, [path.resolve('scripts/scan-corpus/generate.py'), dir], { stdio: 'pipe' });
  } catch (err) {
    console.log(`formats corpus skipped: python3 could not generate it (${(err as Error).message.split('\n')[0]})`);
    return null;
  }
  const labels = JSON.parse(readFileSync(path.join(dir, 'labels.json'), 'utf8')) as Label[];
  return { dir, labels: labels.filter((l) => l.path.startsWith('formats/')) };
}

async function headOf(abs: string, size: number): Promise<Buffer> {
  const fh = await open(abs, 'r');
  try {
    const buf = Buffer.alloc(Math.min(size, HEAD_BYTES));
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Detects and scans one file the way the orchestrator does; null when no scanner here handles it. */
async function scanFile(abs: string, display: string, root: string | null, depth: number): Promise<{ format: FileFormat; findings: Finding[] } | null> {
  const size = statSync(abs).size;
  const head = await headOf(abs, size);
  const format = await detectFormat(head, size, display, abs);
  if (format === 'text') return { format, findings: [] };
  if (PICKLE_FAMILY.has(format)) return { format, findings: [finding('PICKLE_STUB', 'critical', 'stands in for the pickle scanner', 0)] };
  const scanner = MINE[format];
  if (!scanner) return null;
  const target: ScanTarget = {
    path: display, abs, size, head, format, root, limits: DEFAULT_LIMITS, depth,
    scanNested: (name, content) => scanNested(name, content, root, depth + 1),
  };
  return { format, findings: await scanner(target) };
}

async function scanNested(name: string, content: Readable, root: string | null, depth: number): Promise<Finding[]> {
  if (depth > DEFAULT_LIMITS.maxArchiveDepth) {
    content.destroy();
    return [finding('SCAN_LIMIT', 'high', 'nested too deep', null, name)];
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'garden-formats-nested-'));
  try {
    const file = path.join(dir, 'member');
    try {
      await pipeline(content, createWriteStream(file));
    } catch (err) {
      return [finding('ARCHIVE_MEMBER_UNREADABLE', 'high', (err as Error).message, null, name)];
    }
    const r = await scanFile(file, name, root, depth);
    const found = r ? r.findings : [finding('UNKNOWN_FORMAT', 'high', 'unknown', 0)];
    return found.map((f) => ({ ...f, member: f.member ? `${name}/${f.member}` : name }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function filesUnder(p: string): string[] {
  if (!statSync(p).isDirectory()) return [p];
  return readdirSync(p, { withFileTypes: true }).flatMap((e) => filesUnder(path.join(p, e.name)));
}

const corpus = generate();

describe.runIf(corpus)('the formats corpus, scanned by the format scanners', () => {
  it('has benign and malicious samples', () => {
    expect(new Set(corpus!.labels.map((l) => l.verdict))).toEqual(new Set(['pass', 'warn', 'block']));
  });
  for (const label of corpus?.labels ?? []) {
    it(`${label.verdict.padEnd(5)} ${label.path}: ${label.technique}`, async () => {
      const abs = path.join(corpus!.dir, label.path);
      const isDir = statSync(abs).isDirectory();
      const results = await Promise.all(filesUnder(abs).map((f) => scanFile(f, isDir ? path.relative(abs, f) : path.basename(f), isDir ? abs : null, 0)));
      if (results.some((r) => r === null)) {
        console.log(`${label.path}: a format no scanner here handles; checked end to end only`);
        return;
      }
      const findings = results.flatMap((r) => r!.findings);
      const explain = JSON.stringify(findings.map((f) => `${f.severity} ${f.code}${f.member ? ` [${f.member}]` : ''}: ${f.message}`), null, 1);
      if (label.format && !isDir) expect(results[0]!.format).toBe(label.format);
      expect(verdictOf(findings), explain).toBe(label.verdict);
      for (const code of label.codes) expect(findings.map((f) => f.code), explain).toContain(code);
    });
  }
});
