import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createScanner } from './scan.js';

describe('scanning a model folder', () => {
  it('fails closed: unknown bytes and symlinks block, text passes, an executable bit needs a look', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'garden-scan-folder-'));
    mkdirSync(path.join(dir, 'docs'));
    writeFileSync(path.join(dir, 'README.md'), '# Model\n');
    writeFileSync(path.join(dir, 'docs', 'notes.txt'), 'plain notes');
    writeFileSync(path.join(dir, 'weights.bin'), Buffer.from([0x00, 0xff, 0xfe, 0x00, 0x13, 0x37, 0x00, 0x00, 0x99]));
    symlinkSync('/etc/passwd', path.join(dir, 'tokenizer.json'));
    writeFileSync(path.join(dir, 'LICENSE'), 'Apache-2.0');
    chmodSync(path.join(dir, 'LICENSE'), 0o755);
    const report = await createScanner().scanPath(dir);
    const byPath = Object.fromEntries(report.files.map((f) => [f.path, f]));
    expect(Object.keys(byPath).sort()).toEqual(['LICENSE', 'README.md', 'docs/notes.txt', 'tokenizer.json', 'weights.bin']);
    expect(byPath['README.md']).toMatchObject({ format: 'text', verdict: 'pass', findings: [] });
    expect(byPath['weights.bin']).toMatchObject({ format: 'unknown', verdict: 'block', findings: [expect.objectContaining({ code: 'UNKNOWN_FORMAT', severity: 'high' })] });
    expect(byPath['tokenizer.json']).toMatchObject({ verdict: 'block', findings: [expect.objectContaining({ code: 'SYMLINK' })] });
    expect(byPath.LICENSE).toMatchObject({ verdict: 'warn', findings: [expect.objectContaining({ code: 'EXECUTABLE_BIT' })] });
    expect(report.verdict).toBe('block');
  });

  it('scans a single file and passes plain text', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'garden-scan-file-'));
    writeFileSync(path.join(dir, 'card.md'), 'Intended use: summaries.');
    expect(await createScanner().scanPath(path.join(dir, 'card.md'))).toEqual({
      verdict: 'pass',
      files: [{ path: 'card.md', format: 'text', verdict: 'pass', findings: [] }],
    });
  });

  it('flags a file whose name promises another format than its content', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'garden-scan-named-'));
    writeFileSync(path.join(dir, 'model.safetensors'), '{"not": "weights"}');
    const [file] = (await createScanner().scanPath(dir)).files;
    expect(file).toMatchObject({ format: 'json', verdict: 'warn', findings: [expect.objectContaining({ code: 'EXTENSION_MISMATCH', severity: 'medium' })] });
  });
});
