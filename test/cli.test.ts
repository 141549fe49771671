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

  it('explains an unreachable server', async () => {
    const r = await garden('models', 'list', '--url', 'http://127.0.0.1:9');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot reach Model Garden at http:\/\/127\.0\.0\.1:9/);
  });
});
