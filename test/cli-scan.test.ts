/**
 * `garden scan` as a user runs it: a real process, its exit status (0 pass, 2 warn, 1 block or
 * failure) and the documented `--json` shape, which CI pipelines parse.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../src/core/paths.js';

const run = promisify(execFile);
let dir: string;

async function garden(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const r = await run(process.execPath, [path.join(ROOT, 'bin/garden.js'), ...args], {
      env: { ...process.env, GARDEN_CLI_FROM_SOURCE: '1' },
      timeout: 60_000,
    });
    return { ...r, code: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

/** A protocol-2 pickle that calls os.system('true') when loaded. */
const EVIL_PICKLE = Buffer.from('\x80\x02cos\nsystem\nX\x04\x00\x00\x00true\x85R.', 'latin1');
/** A protocol-2 pickle that imports a class no allow-list knows: a person must look. */
const ODD_PICKLE = Buffer.from('\x80\x02cmymodule\nMyThing\n)R.', 'latin1');

function safetensors(): Buffer {
  const header = Buffer.from(JSON.stringify({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([len, header, Buffer.alloc(8)]);
}

function folder(name: string, files: Record<string, Buffer>): string {
  const root = path.join(dir, name);
  for (const [rel, bytes] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), bytes);
  }
  return root;
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'garden-cli-scan-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('garden scan', () => {
  it('exits 0 for a clean folder and prints a passing summary', async () => {
    const root = folder('clean', { 'model.safetensors': safetensors(), 'config.json': Buffer.from('{"architectures":["BertModel"]}') });
    const r = await garden('scan', root);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/verdict: PASS · 2 files: 0 blocked, 0 to review, 2 passed/);
  });

  it('exits 2 when a person must look, naming the file and the finding', async () => {
    const root = folder('odd', { 'model.safetensors': safetensors(), 'extra.pkl': ODD_PICKLE });
    const r = await garden('scan', root);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/WARN\s+extra\.pkl\s+\(pickle\)/);
    expect(r.stdout).toMatch(/PICKLE_UNSAFE_GLOBAL.*mymodule\.MyThing/);
  });

  it('exits 1 when a file runs code on load, and --json gives the documented shape', async () => {
    const root = folder('evil', { 'model.safetensors': safetensors(), 'weights.pkl': EVIL_PICKLE });
    const r = await garden('scan', root, '--json');
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as {
      verdict: string;
      files: { path: string; format: string; verdict: string; findings: { code: string; severity: string; message: string; offset: number | null }[] }[];
    };
    expect(report.verdict).toBe('block');
    expect(report.files.map((f) => [f.path, f.verdict])).toEqual([
      ['model.safetensors', 'pass'],
      ['weights.pkl', 'block'],
    ]);
    const evil = report.files[1]!;
    expect(evil.format).toBe('pickle');
    expect(evil.findings.some((f) => f.severity === 'critical' || f.severity === 'high')).toBe(true);
    for (const f of evil.findings) {
      expect(Object.keys(f).sort()).toEqual(['code', 'message', 'offset', 'severity']);
      expect(f.message.length).toBeGreaterThan(0);
    }
  });

  it('scans a single file too', async () => {
    const root = folder('single', { 'weights.pkl': EVIL_PICKLE });
    const r = await garden('scan', path.join(root, 'weights.pkl'), '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ verdict: 'block', files: [{ path: 'weights.pkl', verdict: 'block' }] });
  });

  it('exits 1 with a one-line error, not a stack trace, for a path that does not exist', async () => {
    const r = await garden('scan', path.join(dir, 'no-such-folder'));
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`error: cannot read ${path.join(dir, 'no-such-folder')}: no such file or folder`);
    expect(r.stdout).toBe('');
  });
});
