/**
 * The labelled scanner corpus end to end: scripts/scan-corpus/generate.py writes harmless samples
 * of every technique (never loaded), and `garden scan`'s engine must give each the labelled
 * verdict and report at least the labelled finding codes. Needs python3 (standard library only).
 *
 * A second tier scans benign files written by the real libraries (scripts/scan-corpus/
 * generate_real.py: torch, numpy, joblib, scikit-learn, onnx, h5py, which Debian ships for
 * /usr/bin/python3): each must pass, or warn where the label says a person should look; a block
 * is a false positive and fails. Without those libraries the tier is skipped with a notice (under
 * CI=true it fails instead).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../src/core/paths.js';
import { createScanner } from '../src/scanner/scan.js';
import { missingService } from './services.js';

interface Label {
  path: string;
  verdict: 'block' | 'warn' | 'pass';
  codes: string[];
  technique: string;
  /** The format the file must be detected as (single files only). */
  format?: string;
}

function generate(): { dir: string; labels: Label[] } | null {
  const python = ['/usr/bin/python3', '/usr/local/bin/python3'].find((p) => existsSync(p)) ?? 'python3';
  const dir = mkdtempSync(path.join(tmpdir(), 'garden-scan-corpus-'));
  try {
    execFileSync(python, [path.join(ROOT, 'scripts/scan-corpus/generate.py'), dir], { stdio: 'pipe' });
  } catch (err) {
    missingService('scanner-corpus', `python3 could not generate the corpus: ${(err as Error).message.split('\n')[0]}`);
    return null;
  }
  return { dir, labels: JSON.parse(readFileSync(path.join(dir, 'labels.json'), 'utf8')) as Label[] };
}

const corpus = generate();

/** Exit status generate_real.py uses when a library is not installed. */
const MISSING_LIBRARY = 3;
const DEBIAN_PYTHON = '/usr/bin/python3';

function generateReal(): { dir: string; labels: Label[]; versions: Record<string, string> } | null {
  const tier = 'scanner-corpus-real-libraries';
  if (!existsSync(DEBIAN_PYTHON)) {
    missingService(tier, `${DEBIAN_PYTHON} is missing`);
    return null;
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'garden-scan-real-'));
  const run = spawnSync(DEBIAN_PYTHON, [path.join(ROOT, 'scripts/scan-corpus/generate_real.py'), dir], { encoding: 'utf8', timeout: 120_000 });
  if (run.status === MISSING_LIBRARY) {
    missingService(tier, `${run.stderr.trim()} (apt-get install python3-torch python3-numpy python3-joblib python3-sklearn python3-onnx python3-h5py)`);
    return null;
  }
  if (run.status !== 0) throw new Error(`generate_real.py failed (${run.status ?? run.signal}): ${run.stderr}`);
  const out = JSON.parse(readFileSync(path.join(dir, 'labels.json'), 'utf8')) as { versions: Record<string, string>; labels: Label[] };
  return { dir, ...out };
}

const real = generateReal();

describe.runIf(corpus)('the labelled scanner corpus', () => {
  const scanner = createScanner();
  it('has samples of every kind, benign and malicious', () => {
    const verdicts = new Set(corpus!.labels.map((l) => l.verdict));
    expect([...verdicts].sort()).toEqual(['block', 'pass', 'warn']);
    expect(corpus!.labels.length).toBeGreaterThan(40);
  });
  for (const label of corpus?.labels ?? []) {
    it(`${label.verdict.padEnd(5)} ${label.path}: ${label.technique}`, async () => {
      const report = await scanner.scanPath(path.join(corpus!.dir, label.path));
      const codes = report.files.flatMap((f) => f.findings.map((x) => x.code));
      const explain = JSON.stringify(report.files.map((f) => ({ path: f.path, format: f.format, findings: f.findings.map((x) => `${x.severity} ${x.code}: ${x.message}`) })), null, 1);
      expect(report.verdict, explain).toBe(label.verdict);
      if (label.format && report.files.length === 1) expect(report.files[0]!.format, explain).toBe(label.format);
      for (const code of label.codes) expect(codes, explain).toContain(code);
    });
  }
});

describe.runIf(real)('benign files written by the real libraries', () => {
  const scanner = createScanner();
  it('covers torch, numpy, joblib, scikit-learn, ONNX and HDF5, passing or asking for review only', () => {
    expect(Object.keys(real!.versions).sort()).toEqual(['h5py', 'joblib', 'numpy', 'onnx', 'sklearn', 'torch']);
    const families = new Set(real!.labels.map((l) => l.path.split('/')[1]));
    expect([...families].sort()).toEqual(['hdf5', 'joblib', 'numpy', 'onnx', 'sklearn', 'torch']);
    expect(real!.labels.every((l) => l.verdict === 'pass' || l.verdict === 'warn')).toBe(true);
  });
  for (const label of real?.labels ?? []) {
    it(`${label.verdict.padEnd(5)} ${label.path}: ${label.technique}`, async () => {
      const report = await scanner.scanPath(path.join(real!.dir, label.path));
      const codes = report.files.flatMap((f) => f.findings.map((x) => x.code));
      const explain = JSON.stringify(report.files.map((f) => ({ path: f.path, format: f.format, findings: f.findings.map((x) => `${x.severity} ${x.code}: ${x.message}`) })), null, 1);
      expect(report.verdict, `a benign file was blocked: ${explain}`).not.toBe('block');
      expect(report.verdict, explain).toBe(label.verdict);
      if (label.format && report.files.length === 1) expect(report.files[0]!.format, explain).toBe(label.format);
      for (const code of label.codes) expect(codes, explain).toContain(code);
    });
  }
});
