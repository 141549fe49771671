/**
 * Scans a file or a model folder: walks it (every folder, `.git` included; symbolic links are reported, never followed), detects
 * each file's format from its content, runs that format's scanner, and turns findings into
 * verdicts. Fails closed: an unknown format, a parse failure, a scanner error or a resource limit
 * is a high finding, so the file is blocked.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, mkdtemp, open, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ScanTarget } from './context.js';
import { detectFormat, HEAD_BYTES } from './detect.js';
import { SCANNERS } from './scanners.js';
import { PATH_PROBLEM_TEXT, refusedName } from '../registry/file-paths.js';
import { DEFAULT_LIMITS, finding, overallVerdict, verdictOf, type FileFormat, type FileReport, type Finding, type ScanLimits, type ScanReport } from './types.js';

export interface ScanOptions {
  limits?: Partial<ScanLimits>;
  /** Files scanned at once in a folder. */
  concurrency?: number;
}

/** Formats that are data, not code, and need no scanner of their own. */
const INERT: ReadonlySet<FileFormat> = new Set(['text']);

async function readHead(abs: string, size: number): Promise<Buffer> {
  const fh = await open(abs, 'r');
  try {
    const buf = Buffer.alloc(Math.min(size, HEAD_BYTES));
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

interface Walked {
  rel: string;
  abs: string;
  size: number;
  mode: number;
  symlink: boolean;
}

async function walk(root: string): Promise<Walked[]> {
  const out: Walked[] = [];
  const visit = async (dir: string) => {
    for (const e of (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const abs = path.join(dir, e.name);
      const rel = path.relative(root, abs).split(path.sep).join('/');
      // Every folder, `.git` and `.cache` included: a scan reports every file it saw.
      if (e.isDirectory()) {
        await visit(abs);
        continue;
      }
      const st = await lstat(abs);
      out.push({ rel, abs, size: st.size, mode: st.mode, symlink: e.isSymbolicLink() });
    }
  };
  await visit(root);
  return out;
}

/** Formats a file extension promises; a file whose content is something else is worth a look. */
const BY_EXTENSION: Record<string, FileFormat[]> = {
  safetensors: ['safetensors'],
  gguf: ['gguf'],
  onnx: ['onnx'],
  npy: ['numpy-npy'],
  npz: ['numpy-npz', 'zip'],
  keras: ['keras'],
  h5: ['hdf5', 'keras'],
  hdf5: ['hdf5'],
  tflite: ['tflite'],
  json: ['json'],
  pt: ['pytorch-zip', 'pytorch-legacy', 'pickle'],
  pth: ['pytorch-zip', 'pytorch-legacy', 'pickle'],
  ckpt: ['pytorch-zip', 'pytorch-legacy', 'pickle', 'zip'],
  pkl: ['pickle', 'joblib', 'pytorch-legacy'],
  pickle: ['pickle', 'joblib'],
  joblib: ['joblib', 'pickle'],
  tar: ['tar'],
  gz: ['gzip', 'joblib'],
  tgz: ['gzip'],
  zip: ['zip', 'pytorch-zip', 'numpy-npz', 'keras'],
};

function extensionMismatch(name: string, format: FileFormat): string | null {
  const ext = /\.([A-Za-z0-9]+)$/.exec(name)?.[1]?.toLowerCase();
  const expected = ext ? BY_EXTENSION[ext] : undefined;
  if (!expected || expected.includes(format) || format === 'unknown') return null;
  return `named .${ext} but its content is ${format}: a tool that picks its loader by name and one that reads the bytes would disagree`;
}

export function createScanner(opts: ScanOptions = {}) {
  const limits: ScanLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const concurrency = opts.concurrency ?? 2;

  /** Scans one regular file; never throws for a problem in the file. */
  async function scanOne(abs: string, display: string, size: number, root: string | null, depth: number, mode = 0, claimed?: Set<string>): Promise<FileReport> {
    let format: FileFormat = 'unknown';
    const findings: Finding[] = [];
    try {
      const head = await readHead(abs, size);
      format = await detectFormat(head, size, display, abs);
      const target: ScanTarget = {
        path: display,
        abs,
        size,
        head,
        format,
        root,
        limits,
        depth,
        scanNested: (name, content) => scanNested(name, content, root, depth + 1),
        ...(claimed ? { claimData: (p: string) => claimed.add(path.resolve(p)) } : {}),
      };
      const scanner = SCANNERS[format];
      if (scanner) findings.push(...(await scanner(target)));
      else if (!INERT.has(format)) {
        findings.push(
          finding(
            'UNKNOWN_FORMAT',
            'high',
            format === 'unknown'
              ? 'the file is in no format the scanner knows (checked by content, not name): it cannot be shown to be safe'
              : `files in ${format} format are not scanned yet: they cannot be shown to be safe`,
            0,
          ),
        );
      }
      const named = extensionMismatch(display, format);
      if (named) findings.push(finding('EXTENSION_MISMATCH', 'medium', named, 0));
      if (depth === 0 && (mode & 0o111) !== 0 && !['shell', 'python', 'executable'].includes(format)) {
        findings.push(finding('EXECUTABLE_BIT', 'medium', 'the file is marked executable, which a model file never needs', null));
      }
    } catch (err) {
      findings.push(finding('SCAN_ERROR', 'high', `the file could not be scanned: ${(err as Error).message}`, null));
    }
    return { path: display, format, verdict: verdictOf(findings), findings };
  }

  /** Content found inside a file (an archive member): spooled to a temp file and scanned as one. */
  async function scanNested(name: string, content: Readable, root: string | null, depth: number): Promise<Finding[]> {
    if (depth > limits.maxArchiveDepth) {
      content.destroy();
      return [finding('SCAN_LIMIT', 'high', `archive nested deeper than ${limits.maxArchiveDepth} levels: ${name} was not scanned`, null, name)];
    }
    const dir = await mkdtemp(path.join(tmpdir(), 'garden-scan-'));
    const file = path.join(dir, randomUUID());
    try {
      let bytes = 0;
      const cap = new Transform({
        transform(chunk: Buffer, _e, done) {
          bytes += chunk.length;
          if (bytes > limits.maxArchiveBytes) done(new Error(`more than ${limits.maxArchiveBytes} bytes`));
          else done(null, chunk);
        },
      });
      try {
        await pipeline(content, cap, createWriteStream(file));
      } catch (err) {
        return [finding('ARCHIVE_MEMBER_UNREADABLE', 'high', `${name} could not be read out of its archive: ${(err as Error).message}`, null, name)];
      }
      const report = await scanOne(file, name, bytes, root, depth);
      return report.findings.map((f) => ({ ...f, member: f.member ? `${name}/${f.member}` : name }));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * Files another file of the folder claimed as its raw data (an ONNX model's external data:
   * ONNX Runtime reads them as numbers) are not "unknown", as long as nothing else was found in them.
   */
  function markClaimedData(entries: Walked[], files: FileReport[], claimed: ReadonlySet<string>): void {
    for (const [i, f] of files.entries()) {
      if (!claimed.has(entries[i]!.abs) || f.findings.some((x) => x.code !== 'UNKNOWN_FORMAT')) continue;
      files[i] = { path: f.path, format: 'onnx-data', verdict: 'pass', findings: [] };
    }
  }

  /**
   * A file the registry refuses by its path (version-control metadata, files git or direnv act
   * on) is scanned like any other and also blocked for its path: `.git/config` is text to the
   * scanner, but `git status` in the folder runs its core.fsmonitor.
   */
  function withRefusedPath(report: FileReport): FileReport {
    const reason = refusedName(report.path);
    if (!reason) return report;
    const findings = [...report.findings, finding(reason, 'high', `${PATH_PROBLEM_TEXT[reason]}; the registry refuses this path`, null)];
    return { ...report, verdict: verdictOf(findings), findings };
  }

  /** Scans a file or a folder. */
  async function scanPath(p: string): Promise<ScanReport> {
    const abs = path.resolve(p);
    const st = await lstat(abs);
    if (st.isFile()) {
      const report = await scanOne(abs, path.basename(abs), st.size, null, 0, st.mode);
      return { verdict: report.verdict, files: [report] };
    }
    if (!st.isDirectory()) throw new Error(`${p} is neither a file nor a folder`);
    const entries = await walk(abs);
    const files: FileReport[] = new Array<FileReport>(entries.length);
    const claimed = new Set<string>();
    let next = 0;
    const worker = async () => {
      while (next < entries.length) {
        const i = next++;
        const e = entries[i]!;
        if (e.symlink) {
          const fs = [finding('SYMLINK', 'high', 'a symbolic link inside a model folder can point at any file on the host that loads it', null)];
          files[i] = { path: e.rel, format: 'unknown', verdict: verdictOf(fs), findings: fs };
        } else if ((e.mode & 0o170000) !== 0o100000) {
          const fs = [finding('SPECIAL_FILE', 'high', 'a device, socket or pipe has no place in a model folder', null)];
          files[i] = { path: e.rel, format: 'unknown', verdict: verdictOf(fs), findings: fs };
        } else {
          files[i] = await scanOne(e.abs, e.rel, e.size, abs, 0, e.mode, claimed);
        }
        files[i] = withRefusedPath(files[i]);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
    markClaimedData(entries, files, claimed);
    return { verdict: overallVerdict(files), files };
  }

  return { scanPath, scanFile: scanOne };
}
