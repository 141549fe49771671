/**
 * The labelled scanner corpus end to end: scripts/scan-corpus/generate.py writes harmless samples
 * of every technique (never loaded), and `garden scan`'s engine must give each the labelled
 * verdict and report at least the labelled finding codes. Needs python3 (standard library only).
 */
import { execFileSync } from 'node:child_process';
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
