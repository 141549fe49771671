/**
 * End to end: uploading model files from the browser on a draft version's Files tab (hashing,
 * chunks, a failed chunk retried, cancel and resume, commit), reading the model card out of the
 * files and filling the draft's empty fields, then deduplication across versions. The real app
 * serves the built web UI on a real port over a PGlite catalog; headless Chromium drives it, signed
 * in as an admin through the login form. Screenshots land in test-results/ for a human look.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelFields, VersionFields } from '../../src/catalog/index.js';
import { systemActor } from '../../src/identity/index.js';
import { chromiumAvailable, RESULTS_DIR, startE2eApp, type E2eApp } from './browser.js';
import { createAdmin, signIn } from './sign-in.js';

const SLUG = 'tiny-llama';
const CHUNK = 8 * 1024 * 1024;
const chromiumFound = chromiumAvailable();
/** Who creates the model and its drafts (not a user: nothing is signed in yet). */
const SEED = systemActor('e2e-seed');

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A llama-style config.json: the architecture, shape and context length the card is read from. */
const CONFIG = Buffer.from(
  JSON.stringify({
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_size: 64,
    intermediate_size: 128,
    num_hidden_layers: 2,
    num_attention_heads: 8,
    num_key_value_heads: 2,
    max_position_embeddings: 4096,
    vocab_size: 100,
    torch_dtype: 'bfloat16',
  }),
);

/** A valid safetensors file: 8-byte little-endian header length, JSON header, 100×64 BF16 zeros. */
function safetensors(): Buffer {
  const header = Buffer.from('{"model.embed_tokens.weight":{"dtype":"BF16","shape":[100,64],"data_offsets":[0,12800]}}');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([len, header, Buffer.alloc(12800)]);
}

describe.skipIf(!chromiumFound)('web UI end to end (uploading files into a draft)', () => {
  let e2e: E2eApp;
  let filesDir = '';
  let page: Page;
  let base = '';
  const files = {
    'config.json': CONFIG,
    'model.safetensors': safetensors(),
    // Three chunks (8 MB, 8 MB, the rest), so chunking, retry and resume all happen.
    'extra-weights.bin': randomBytes(20 * 1024 * 1024 + 123),
  };
  const filePath = (name: string) => path.join(filesDir, name);

  beforeAll(async () => {
    filesDir = mkdtempSync(path.join(tmpdir(), 'garden-upload-e2e-'));
    for (const [name, bytes] of Object.entries(files)) writeFileSync(filePath(name), bytes);
    // A backslash is a legal file name character on Linux, and a path the server refuses.
    writeFileSync(filePath('bad\\name.txt'), 'x');
    // A folder for "Choose folder": the same config.json plus a nested file.
    mkdirSync(path.join(filesDir, 'tiny-llama-folder', 'docs'), { recursive: true });
    writeFileSync(path.join(filesDir, 'tiny-llama-folder', 'config.json'), CONFIG);
    writeFileSync(path.join(filesDir, 'tiny-llama-folder', 'docs', 'usage.txt'), 'Load it with transformers.\n');

    e2e = await startE2eApp({
      name: 'upload',
      viewportHeight: 900,
      timeoutMs: 15_000,
      seed: async (services) => {
        await services.catalog.createModel(SEED, ModelFields.parse({ slug: SLUG, name: 'Tiny Llama', ownerTeam: 'ml-platform' }));
        await services.catalog.createVersion(SEED, SLUG, VersionFields.parse({ version: '0.1.0' }));
        await services.catalog.createVersion(SEED, SLUG, VersionFields.parse({ version: '0.2.0' }));
        await createAdmin(services);
      },
    });
    ({ page, base } = e2e);
    await signIn(page, `${base}/`);
  }, 120_000);

  afterAll(async () => {
    await e2e?.close();
    if (filesDir) rmSync(filesDir, { recursive: true, force: true });
  });

  const filesInput = () => page.getByTestId('upload-files-input');
  const fileStatus = (p: string) => page.locator(`[data-upload-file="${p}"]`);

  it('refuses bad and duplicate paths before sending anything', async () => {
    await page.goto(`${base}/models/${SLUG}?version=0.1.0&tab=files`);
    await page.getByRole('heading', { name: 'Upload files to version 0.1.0' }).waitFor();
    await page.getByText('No files yet').waitFor();

    await filesInput().setInputFiles([filePath('bad\\name.txt'), filePath('config.json')]);
    await filesInput().setInputFiles([filePath('config.json')]); // chosen a second time: appended
    const alert = page.getByRole('alert').filter({ hasText: 'These paths cannot be uploaded' });
    await alert.waitFor();
    expect(await alert.textContent()).toContain('backslashes are not allowed');
    expect(await alert.textContent()).toContain('chosen twice');
    expect(await page.getByRole('button', { name: 'Start upload' }).isDisabled()).toBe(true);
    await page.screenshot({ path: path.join(RESULTS_DIR, 'e2e-upload-chosen.png'), fullPage: true });
    await page.getByRole('button', { name: 'Clear' }).click();
    await alert.waitFor({ state: 'detached' });

    // Files dropped on the drop zone are listed the same way.
    const dataTransfer = await page.evaluateHandle(`(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['{}'], 'tokenizer.json', { type: 'application/json' }));
      return dt;
    })()`);
    await page.getByTestId('drop-zone').dispatchEvent('drop', { dataTransfer });
    await page.locator('[data-chosen="tokenizer.json"]').waitFor();
    await page.getByRole('button', { name: 'Remove tokenizer.json' }).click();
    await page.locator('[data-chosen="tokenizer.json"]').waitFor({ state: 'detached' });
  });

  it('hashes and sends the files in chunks, retries a failed chunk, stops and resumes, then commits', async () => {
    let failedOnce = false;
    let statusAsked = 0;
    let releaseHeld: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (releaseHeld = resolve));
    let holding = false;
    await page.route('**/api/v1/uploads/*', async (route: Route) => {
      const req = route.request();
      const offset = Number(req.headers()['upload-offset'] ?? -1);
      if (req.method() === 'GET') statusAsked++;
      if (req.method() === 'PATCH' && offset === CHUNK && !failedOnce) {
        // The second chunk fails once: the page asks where the upload stands and sends it again.
        failedOnce = true;
        await route.fulfill({ status: 503, contentType: 'application/json', body: '{"error":{"code":"UNAVAILABLE","message":"try again"},"requestId":"t"}' });
        return;
      }
      if (req.method() === 'PATCH' && offset === 2 * CHUNK && !holding) {
        // The third chunk hangs until the user cancels: the server keeps the first two.
        holding = true;
        await held;
        await route.abort().catch(() => undefined);
        return;
      }
      await route.continue();
    });

    await filesInput().setInputFiles(Object.keys(files).map(filePath));
    for (const name of Object.keys(files)) await page.locator(`[data-chosen="${name}"]`).waitFor();
    expect(await page.getByText('3 files, 21.0 MB').count()).toBe(1);
    await page.getByRole('button', { name: 'Start upload' }).click();

    await expect.poll(() => holding, { timeout: 15_000 }).toBe(true);
    await fileStatus('extra-weights.bin').getByText('sent 16.8 MB of 21.0 MB').waitFor();
    expect(await page.getByTestId('upload-phase').textContent()).toBe('Sending 3 files…');
    await page.screenshot({ path: path.join(RESULTS_DIR, 'e2e-upload-progress.png'), fullPage: true });
    expect(failedOnce).toBe(true);
    expect(statusAsked).toBeGreaterThanOrEqual(1);

    await page.getByRole('button', { name: 'Cancel' }).click();
    releaseHeld();
    await page.getByText('Upload stopped', { exact: true }).first().waitFor();
    await page.getByText(/The server keeps what it already received/).waitFor();
    expect(await fileStatus('extra-weights.bin').getAttribute('data-status')).toBe('stopped');
    await page.screenshot({ path: path.join(RESULTS_DIR, 'e2e-upload-stopped.png'), fullPage: true });
    await page.unroute('**/api/v1/uploads/*');

    await page.getByRole('button', { name: 'Resume' }).click();
    await page.getByText('Upload complete').waitFor();
    expect(await fileStatus('extra-weights.bin').textContent()).toContain('sent (resumed at 16.8 MB)');
    expect(await fileStatus('config.json').textContent()).toContain('sent earlier');

    // The table lists the committed files with the sizes and digests computed here.
    for (const [name, bytes] of Object.entries(files)) {
      const row = page.locator(`[data-file="${name}"]`);
      await row.waitFor();
      expect(await row.getAttribute('data-size')).toBe(String(bytes.length));
      expect(await row.getAttribute('data-digest')).toBe(sha256(bytes));
      expect(await row.textContent()).toContain(sha256(bytes).slice(7, 23));
    }
    expect(await page.locator('[data-file="extra-weights.bin"]').textContent()).toContain('21.0 MB');
    expect(await page.locator('[data-file="model.safetensors"]').textContent()).toContain('safetensors');
    // After a commit, what the files say is shown straight away.
    await page.getByRole('heading', { name: 'What the files say' }).waitFor();
    await page.getByTestId('extraction-facts').getByText('LlamaForCausalLM').waitFor();
  });

  it('reads the model card from the files and fills the empty fields', async () => {
    await page.reload();
    await page.getByRole('heading', { name: 'Upload files to version 0.1.0' }).waitFor();
    await page.getByRole('button', { name: 'Read model card from files' }).click();
    const facts = page.getByTestId('extraction-facts');
    await facts.getByText('LlamaForCausalLM').waitFor();
    const text = (await facts.textContent()) ?? '';
    expect(text).toContain('6.4 K'); // 100 × 64 parameters
    expect(text).toContain('4K tokens');
    expect(text).toContain('safetensors');
    expect(text).toContain('bf16');
    expect(text).toMatch(/fp16 \d+(\.\d+)? GB/);
    await page.screenshot({ path: path.join(RESULTS_DIR, 'e2e-upload-extraction.png'), fullPage: true });

    await page.getByRole('button', { name: 'Fill empty fields' }).click();
    const result = page.getByTestId('prefill-result');
    await result.waitFor();
    expect(await result.textContent()).toMatch(/Filled from the files: .*architecture.*parameter count/);

    await page.getByRole('tab', { name: 'Overview' }).click();
    const overview = page.getByRole('tabpanel', { name: 'Overview' });
    await overview.waitFor();
    const fact = (label: string) => overview.locator('dl > div').filter({ has: page.locator('dt', { hasText: label }) }).locator('dd');
    await expect.poll(() => fact('Architecture').textContent()).toBe('LlamaForCausalLM');
    expect(await fact('Parameters').textContent()).toBe('6.4K');
    expect(await fact('Context length').textContent()).toBe('4K tokens');

    // A second fill has nothing left to do.
    await page.getByRole('tab', { name: 'Files' }).click();
    await page.getByRole('button', { name: 'Read model card from files' }).click();
    await page.getByRole('button', { name: 'Fill empty fields' }).click();
    await page.getByTestId('prefill-result').getByText('Nothing to fill').waitFor();
  });

  it('does not send bytes the catalog already stores, and marks them shared', async () => {
    await page.goto(`${base}/models/${SLUG}?version=0.2.0&tab=files`);
    await page.getByRole('heading', { name: 'Upload files to version 0.2.0' }).waitFor();
    // "Choose folder" keeps paths inside the folder, without the folder's own name.
    await page.getByTestId('upload-folder-input').setInputFiles(path.join(filesDir, 'tiny-llama-folder'));
    await page.locator('[data-chosen="config.json"]').waitFor();
    await page.locator('[data-chosen="docs/usage.txt"]').waitFor();
    await page.getByRole('button', { name: 'Start upload' }).click();
    await page.getByText('Upload complete').waitFor();
    expect(await fileStatus('config.json').getAttribute('data-status')).toBe('stored');
    expect(await fileStatus('config.json').textContent()).toContain('already stored — not sent');
    expect(await page.getByRole('status').filter({ hasText: 'Upload complete' }).textContent()).toContain('1 already stored — not sent');

    const row = page.locator('[data-file="config.json"]');
    await row.getByTestId('shared-badge').waitFor();
    expect(await page.locator('[data-file="docs/usage.txt"]').getByTestId('shared-badge').count()).toBe(0);
    const savings = page.getByTestId('dedup-savings');
    await savings.waitFor();
    expect(await savings.textContent()).toBe(`${CONFIG.length} B saved by deduplication across the catalog`);
    await page.evaluate('window.scrollTo(0, 0)'); // a full-page shot of a scrolled page repeats the sticky header
    await page.screenshot({ path: path.join(RESULTS_DIR, 'e2e-upload-shared.png'), fullPage: true });
    await row.getByTestId('shared-badge').hover();
    await page.getByRole('tooltip').getByText('Stored once: another version has the same bytes').waitFor();

    // The first version's copy is marked shared too.
    await page.goto(`${base}/models/${SLUG}?version=0.1.0&tab=files`);
    await page.locator('[data-file="config.json"]').getByTestId('shared-badge').waitFor();
    expect(e2e.pageErrors).toEqual([]);
  });
});
