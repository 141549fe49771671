/** The garden CLI as a user runs it: a real process talking HTTP to a running server. */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { buildApp } from '../src/api/app.js';
import { createLogger } from '../src/core/logger.js';
import { ROOT } from '../src/core/paths.js';
import { makeEntry, smallCatalog } from './factories.js';
import { createTestServices } from './harness.js';

const run = promisify(execFile);
let app: FastifyInstance;
let url: string;
let cleanup: () => Promise<void>;
let dir: string;
let dataDir: string;
let token: string;
const authFetch = (u: string, init: RequestInit = {}) => fetch(u, { ...init, headers: { ...((init.headers) ?? {}), authorization: `Bearer ${token}` } });

async function garden(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const r = await run(process.execPath, [path.join(ROOT, 'bin/garden.js'), ...args], {
      env: { ...process.env, GARDEN_URL: url, GARDEN_TOKEN: token, GARDEN_CLI_FROM_SOURCE: '1', GARDEN_CACHE_DIR: path.join(dir, 'cli-cache') },
      timeout: 60_000,
    });
    return { ...r, code: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

beforeAll(async () => {
  const t = await createTestServices('pglite');
  cleanup = t.cleanup;
  dataDir = t.dataDir;
  token = t.adminToken;
  app = await buildApp({ services: t.services, logger: createLogger('silent'), webDir: '/nonexistent' });
  url = (await app.listen({ port: 0, host: '127.0.0.1' })).replace('0.0.0.0', '127.0.0.1');
  dir = (await import('node:fs')).mkdtempSync(path.join((await import('node:os')).tmpdir(), 'garden-cli-'));
});
afterAll(async () => {
  await app?.close();
  await cleanup?.();
});

describe('garden CLI', () => {
  it('imports a YAML file, reports failures per entry and exits 1 when any failed', async () => {
    const file = path.join(dir, 'catalog.yaml');
    writeFileSync(file, stringify([...smallCatalog(), makeEntry({ slug: 'Broken Slug' })]));
    const r = await garden('import', file);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/7 entries: 6 created, 0 updated, 0 unchanged, 1 failed/);
    expect(r.stdout).toMatch(/#6 Broken Slug@1\.0\.0: INVALID_INPUT/);
    const again = await garden('import', file, '--json');
    expect(JSON.parse(again.stdout)).toMatchObject({ created: 0, unchanged: 6, failed: 1 });
  });

  it('lists models as a table and as JSON, with facet filters', async () => {
    const table = await garden('models', 'list', '--team', 'legal-ml');
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^SLUG\s+VERSION\s+TASKS/);
    expect(table.stdout).toContain('contract-summarizer');
    expect(table.stdout).not.toContain('whisper-small-callcenter');
    const json = JSON.parse((await garden('models', 'list', '--cpu', '--json')).stdout);
    expect(json.items.map((m: { slug: string }) => m.slug).sort()).toEqual(['bert-ner-japanese', 'contract-summarizer-int4', 'whisper-small-callcenter']);
  });

  it('shows one model with hardware, lineage and versions', async () => {
    const r = await garden('models', 'show', 'contract-summarizer-int4');
    expect(r.stdout).toContain('Contract Summarizer (int4)');
    expect(r.stdout).toMatch(/int4\s+5\.6 GB/);
    expect(r.stdout).toContain('Based on: contract-summarizer (quantized) ← llama-3.1-8b-instruct (finetune)');
    const missing = await garden('models', 'show', 'no-such-model');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/NOT_FOUND/);
  });

  it('searches by describing the job and says what it understood', async () => {
    const r = await garden('search', 'japanese', 'ner');
    expect(r.stdout).toMatch(/Understood: language: Japanese/);
    expect(r.stdout).toContain('bert-ner-japanese');
    const none = await garden('search', 'quantum banana teleporter', '--json');
    expect(JSON.parse(none.stdout)).toMatchObject({ total: 0, items: [], message: expect.stringMatching(/No model matches/) });
  });

  it('pushes a model folder, skips bytes the server already has, and pulls it back verified', async () => {
    const { mkdirSync, readFileSync, writeFileSync: write } = await import('node:fs');
    const src = path.join(dir, 'model');
    mkdirSync(path.join(src, 'onnx'), { recursive: true });
    write(path.join(src, 'config.json'), '{"architectures":["BertForTokenClassification"]}');
    write(path.join(src, 'onnx', 'model.onnx'), Buffer.alloc(300_000, 7));
    const pushed = await garden('push', src, '--model', 'bert-ner-japanese', '--version', '1.3.0', '--json');
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(JSON.parse(pushed.stdout).files.map((f: { path: string }) => f.path)).toEqual(['config.json', 'onnx/model.onnx']);
    expect(JSON.parse(pushed.stdout).prefilled).toContain('architecture');
    const draft = (await (await authFetch(`${url}/api/v1/models/bert-ner-japanese/versions/1.3.0`)).json()) as { architecture: string; lifecycle: string };
    expect(draft).toMatchObject({ architecture: 'BertForTokenClassification', lifecycle: 'draft' });
    const inspected = await garden('inspect', src, '--json');
    expect(JSON.parse(inspected.stdout).fields.architecture).toBe('BertForTokenClassification');
    const again = await garden('push', src, '--model', 'bert-ner-japanese', '--version', '1.4.0');
    expect(again.stdout).toMatch(/300\d{3} bytes were already stored/);
    const out = path.join(dir, 'pulled');
    const pulled = await garden('pull', 'bert-ner-japanese@1.3.0', out);
    expect(pulled.stdout).toMatch(/2 files verified/);
    expect(readFileSync(path.join(out, 'onnx', 'model.onnx')).equals(Buffer.alloc(300_000, 7))).toBe(true);
    const missing = await garden('push', path.join(dir, 'nope'), '--model', 'bert-ner-japanese', '--version', '1.5.0');
    expect(missing.code).toBe(1);
    // a folder without weights is refused before anything is sent or created
    const docs = path.join(dir, 'docs-only');
    mkdirSync(docs);
    write(path.join(docs, 'README.md'), '# notes');
    const notModel = await garden('push', docs, '--model', 'bert-ner-japanese', '--version', '1.6.0');
    expect(notModel.code).toBe(1);
    expect(notModel.stderr).toMatch(/INVALID_INPUT.*not a model/);
    expect((await authFetch(`${url}/api/v1/models/bert-ner-japanese/versions/1.6.0`)).status).toBe(404);
  });

  it('pulls into a folder named relative to where the command runs', async () => {
    const { readFileSync } = await import('node:fs');
    const relative = await garden('pull', 'bert-ner-japanese@1.3.0', path.relative(process.cwd(), path.join(dir, 'pulled-relative')));
    expect(relative.code, relative.stderr).toBe(0);
    expect(readFileSync(path.join(dir, 'pulled-relative', 'config.json'), 'utf8')).toContain('BertForTokenClassification');
  });

  it('resumes a push whose process was killed midway, sending only the bytes that had not arrived', async () => {
    const { mkdirSync, readdirSync, statSync, readFileSync } = await import('node:fs');
    const { spawn } = await import('node:child_process');
    const src = path.join(dir, 'killed');
    mkdirSync(src);
    const weights = (await import('node:crypto')).randomBytes(96 * 1024 * 1024);
    writeFileSync(path.join(src, 'model.safetensors'), weights);
    const created = await authFetch(`${url}/api/v1/models`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ slug: 'killed-push', name: 'Killed push', ownerTeam: 'ml' }),
    });
    expect(created.status).toBe(201);
    const args = [path.join(ROOT, 'bin/garden.js'), 'push', src, '--model', 'killed-push', '--version', '1.0.0', '--chunk-mb', '1', '--json'];
    const env = { ...process.env, GARDEN_URL: url, GARDEN_TOKEN: token, GARDEN_CLI_FROM_SOURCE: '1', GARDEN_CACHE_DIR: path.join(dir, 'cli-cache') };
    const child = spawn(process.execPath, args, { env, stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Kill -9 once a fifth of the file has been staged on the server (and long before the end).
    const staged = () => readdirSync(path.join(dataDir, 'uploads')).reduce((n, f) => n + statSync(path.join(dataDir, 'uploads', f)).size, 0);
    const deadline = Date.now() + 30_000;
    while (staged() < weights.length / 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGKILL');
    expect(await exited).toBeNull();
    const before = staged();
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(weights.length);
    // Nothing of the half-pushed version is visible.
    const files = (await (await authFetch(`${url}/api/v1/models/killed-push/versions/1.0.0/files`)).json()) as { items: unknown[] };
    expect(files.items).toEqual([]);

    const again = await garden('push', src, '--model', 'killed-push', '--version', '1.0.0', '--json');
    expect(again.code, again.stderr).toBe(0);
    const r = JSON.parse(again.stdout) as { resumedBytes: number; files: { path: string; size: number }[] };
    expect(r.resumedBytes).toBeGreaterThanOrEqual(before - 1024 * 1024); // at most the chunk in flight is lost
    expect(r.files).toEqual([expect.objectContaining({ path: 'model.safetensors', size: weights.length })]);
    const out = path.join(dir, 'killed-pulled');
    expect((await garden('pull', 'killed-push@1.0.0', out)).code).toBe(0);
    expect(readFileSync(path.join(out, 'model.safetensors')).equals(weights)).toBe(true);
  });

  it('pushes a folder without its .git and the files git acts on, and says what it skipped', async () => {
    const { mkdirSync, writeFileSync: write } = await import('node:fs');
    const src = path.join(dir, 'cloned');
    mkdirSync(path.join(src, '.git', 'hooks'), { recursive: true });
    write(path.join(src, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    write(path.join(src, '.git', 'config'), '[core]\n\tfsmonitor = "touch /tmp/pwned"\n');
    write(path.join(src, '.git', 'hooks', 'post-checkout'), '#!/bin/sh\ntouch /tmp/pwned\n');
    write(path.join(src, '.gitattributes'), '*.onnx filter=lfs diff=lfs merge=lfs -text\n');
    write(path.join(src, 'model.onnx'), Buffer.alloc(1000, 3));
    const pushed = await garden('push', src, '--model', 'bert-ner-japanese', '--version', '2.0.0', '--json');
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(pushed.stderr).toMatch(/skipped \.git\/: .*VCS_METADATA/);
    expect(pushed.stderr).toMatch(/skipped \.gitattributes: .*TOOL_TRUSTED/);
    const r = JSON.parse(pushed.stdout) as { files: { path: string }[]; skipped: { path: string; reason: string }[] };
    expect(r.files.map((f) => f.path)).toEqual(['model.onnx']);
    expect(r.skipped).toEqual([
      { path: '.git/', reason: 'VCS_METADATA' },
      { path: '.gitattributes', reason: 'TOOL_TRUSTED' },
    ]);
  });

  it('refuses to pull a file list naming .git/config, even from a server that lists it, writing nothing', async () => {
    const { createServer } = await import('node:http');
    const { existsSync } = await import('node:fs');
    const { createHash } = await import('node:crypto');
    const files: Record<string, Buffer> = { 'model.onnx': Buffer.alloc(100, 1), '.git/config': Buffer.from('[core]\n\tfsmonitor = "touch /tmp/pwned"\n') };
    const items = Object.entries(files).map(([p, b]) => ({ path: p, size: b.length, digest: `sha256:${createHash('sha256').update(b).digest('hex')}` }));
    const prefix = '/api/v1/models/evil/versions/1.0.0/files';
    const lying = createServer((req, res) => {
      const u = decodeURIComponent(req.url ?? '');
      if (u === prefix) return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ items }));
      const body = files[u.slice(prefix.length + 1)];
      if (body) return res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":"NOT_FOUND","message":"no"}}');
    });
    await new Promise<void>((resolve) => lying.listen(0, '127.0.0.1', resolve));
    try {
      const out = path.join(dir, 'lied-to');
      const r = await garden('pull', 'evil@1.0.0', out, '--url', `http://127.0.0.1:${(lying.address() as { port: number }).port}`);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/\.git\/config.*VCS_METADATA/);
      expect(existsSync(path.join(out, '.git'))).toBe(false);
      expect(existsSync(path.join(out, 'model.onnx'))).toBe(false);
    } finally {
      lying.close();
    }
  });

  it('scans every folder of a model, .git included, and blocks what is in it', async () => {
    const { mkdirSync, writeFileSync: write } = await import('node:fs');
    const src = path.join(dir, 'scan-git');
    mkdirSync(path.join(src, '.git'), { recursive: true });
    write(path.join(src, 'config.json'), '{"architectures":["BertModel"]}');
    // protocol 0 pickle: os.system('id')
    write(path.join(src, '.git', 'evil.pkl'), "cos\nsystem\n(S'id'\ntR.");
    const r = await garden('scan', src, '--json');
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { verdict: string; files: { path: string; verdict: string; findings: { code: string }[] }[] };
    expect(report.files.map((f) => f.path).sort()).toEqual(['.git/evil.pkl', 'config.json']);
    const evil = report.files.find((f) => f.path === '.git/evil.pkl');
    expect(evil?.verdict).toBe('block');
    expect(evil?.findings.map((f) => f.code)).toContain('VCS_METADATA');
    expect(evil?.findings.length).toBeGreaterThan(1); // the pickle's own finding too

    const hook = path.join(dir, 'scan-hook');
    mkdirSync(path.join(hook, '.git'), { recursive: true });
    write(path.join(hook, 'config.json'), '{"architectures":["BertModel"]}');
    write(path.join(hook, '.git', 'config'), '[core]\n\tfsmonitor = "touch /tmp/pwned"\n');
    const blocked = await garden('scan', hook);
    expect(blocked.code).toBe(1);
    expect(blocked.stdout).toMatch(/BLOCK\s+\.git\/config[\s\S]*VCS_METADATA/);
  });

  it('explains an unreachable server', async () => {
    const r = await garden('models', 'list', '--url', 'http://127.0.0.1:9');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot reach Model Garden at http:\/\/127\.0\.0\.1:9/);
  });
});
