import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createScanner } from '../scanner/scan.js';
import { coverVersionFiles } from './scan-job.js';

const dir = mkdtempSync(path.join(tmpdir(), 'garden-scan-job-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const files = [
  { path: 'config.json', digest: 'sha256:aa' },
  { path: 'sub/notes.txt', digest: 'sha256:bb' },
];
for (const f of files) {
  mkdirSync(path.dirname(path.join(dir, f.path)), { recursive: true });
  writeFileSync(path.join(dir, f.path), f.path.endsWith('.json') ? '{"architectures":["BertModel"]}' : 'plain notes\n');
}

describe('the scan of a version', () => {
  it('passes when the scanner reported every file of the version, with each file’s digest', async () => {
    const report = coverVersionFiles(await createScanner().scanPath(dir), files);
    expect(report.verdict).toBe('pass');
    expect(report.files.map((f) => [f.path, f.digest, f.verdict])).toEqual([
      ['config.json', 'sha256:aa', 'pass'],
      ['sub/notes.txt', 'sha256:bb', 'pass'],
    ]);
  });

  it('blocks a file the scanner did not report, as the scanner once skipped .git/', async () => {
    const full = await createScanner().scanPath(dir);
    const skipping = { ...full, files: full.files.filter((f) => !f.path.startsWith('sub/')) };
    const report = coverVersionFiles(skipping, files);
    expect(report.verdict).toBe('block');
    expect(report.files.find((f) => f.path === 'sub/notes.txt')).toMatchObject({ verdict: 'block', digest: 'sha256:bb', findings: [{ code: 'NOT_SCANNED', severity: 'high' }] });
  });
});
