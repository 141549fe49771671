/**
 * End to end: the built web UI served by the real app on a real port, over a PGlite catalog
 * imported from test/fixtures/small-catalog.yaml, driven by headless Chromium, signed in as an
 * admin through the login form. Every step asserts what a user sees. Screenshots land in
 * test-results/ for a human look.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseImportText, runImport, VersionFields } from '../../src/catalog/index.js';
import { ROOT } from '../../src/core/paths.js';
import { systemActor } from '../../src/identity/index.js';
import { chromiumAvailable, RESULTS_DIR, startE2eApp, type E2eApp } from './browser.js';
import { accountMenu, ADMIN, createAdmin, loginForm, signIn, submitLogin } from './sign-in.js';

const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'small-catalog.yaml');
const chromiumFound = chromiumAvailable();
/** Who loads the fixture catalog (not a user: nothing is signed in yet). */
const SEED = systemActor('e2e-seed');

describe.skipIf(!chromiumFound)('web UI end to end (catalog and model page)', () => {
  let e2e: E2eApp;
  let page: Page;
  let base = '';
  const dialogs: string[] = [];

  beforeAll(async () => {
    e2e = await startE2eApp({
      name: 'catalog',
      seed: async (services) => {
        const report = await runImport(SEED, services.database.db, services.catalog, parseImportText(readFileSync(FIXTURE, 'utf8')));
        expect(report.failed).toBe(0);
        // A draft version with one uploaded file, for the Files tab.
        await services.catalog.createVersion(SEED, 'bert-ner-japanese', VersionFields.parse({ version: '1.3.0' }));
        const config = Buffer.from('{"architectures":["BertForTokenClassification"]}');
        const digest = `sha256:${createHash('sha256').update(config).digest('hex')}`;
        const up = await services.registry.startUpload(SEED, 'bert-ner-japanese', '1.3.0', { path: 'config.json', digest, size: config.length });
        await services.registry.appendChunk(SEED, up.id, 0, Readable.from([config]));
        await services.registry.commitFiles(SEED, 'bert-ner-japanese', '1.3.0');
        await createAdmin(services);
        await services.identity.addMembership(SEED, 'legal-ml', ADMIN.username, 'team_lead');
      },
    });
    ({ page, base } = e2e);
    // A model card's <script>alert(1)</script> must never run: record any dialog it would open.
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await signIn(page, `${base}/`);
  }, 120_000);

  afterAll(() => e2e?.close());

  const searchBox = () => page.getByRole('textbox', { name: 'Search models' });
  const cardSlugs = () => page.locator('article[data-slug]').evaluateAll((els) => els.map((e) => e.getAttribute('data-slug')));
  const hrefPath = async (href: string | null) => new URL(href ?? '', base).pathname;

  async function search(text: string) {
    await searchBox().fill(text);
    await searchBox().press('Enter');
    await page.waitForURL((u) => u.searchParams.get('q') === text);
  }

  it('asks a signed-out visitor to sign in, refuses a wrong password, and signs out', async () => {
    // A page of its own (a fresh browser context): the main page's session is left alone.
    const visitor = await e2e.newPage();
    try {
      await visitor.goto(`${base}/`);
      const form = loginForm(visitor);
      await form.submit.waitFor();
      await visitor.getByText('Model Garden', { exact: true }).waitFor();
      expect(await visitor.getByTestId('result-count').count()).toBe(0);
      await visitor.screenshot({ path: path.join(RESULTS_DIR, 'e2e-login.png'), animations: 'disabled' });

      await submitLogin(visitor, ADMIN.username, 'not the password at all');
      const refusal = visitor.getByRole('alert').filter({ hasText: 'wrong username or password' });
      await refusal.waitFor();
      await expect.poll(() => form.submit.isEnabled()).toBe(true);
      // Transitions finished: the button's loader fades out after the answer.
      await visitor.screenshot({ path: path.join(RESULTS_DIR, 'e2e-login-refused.png'), animations: 'disabled' });

      await form.password.fill(ADMIN.password);
      await form.submit.click();
      await visitor.getByTestId('result-count').filter({ hasText: /\d+ models?/ }).waitFor();
      expect(await visitor.getByTestId('user-name').textContent()).toBe(ADMIN.name);

      await accountMenu(visitor).click();
      const summary = visitor.getByTestId('user-summary');
      await summary.waitFor();
      expect(await summary.getByTestId('platform-role').textContent()).toBe('Administrator');
      expect(await summary.locator('[data-team="legal-ml"]').textContent()).toContain('Team lead');
      await visitor.getByRole('menuitem', { name: 'Sign out' }).click();
      await form.submit.waitFor();
      expect(await form.username.inputValue()).toBe('');

      // The session is over on the server too: a reload still shows the login form.
      await visitor.reload();
      await form.submit.waitFor();
      expect(await visitor.getByTestId('result-count').count()).toBe(0);
    } finally {
      await visitor.close();
    }
  });

  it('searches the catalog and narrows the results with a facet', async () => {
    await page.goto(`${base}/`);
    await page.getByTestId('result-count').filter({ hasText: /\d+ models?/ }).waitFor();
    expect((await cardSlugs()).length).toBeGreaterThanOrEqual(5);

    await searchBox().fill('contract summarizer'); // debounced search, no Enter
    await page.waitForURL((u) => u.searchParams.get('q') === 'contract summarizer');
    await page.getByRole('article', { name: 'Contract Summarizer', exact: true }).waitFor();
    await expect.poll(cardSlugs).toEqual(expect.arrayContaining(['contract-summarizer', 'contract-summarizer-int4']));

    await page.getByRole('checkbox', { name: /^Maturity: Experimental/ }).click();
    await page.waitForURL((u) => u.searchParams.getAll('maturity').includes('experimental'));
    await expect.poll(cardSlugs).toEqual(['contract-summarizer-int4']);
    await expect.poll(() => page.locator('article[data-slug]').first().textContent()).toContain('Experimental');
    await page.getByRole('button', { name: 'Remove filter Maturity: Experimental' }).waitFor();

    await page.getByRole('complementary', { name: 'Filters' }).getByRole('button', { name: 'Clear all' }).click();
    await page.waitForURL((u) => !u.searchParams.has('maturity'));
    await expect.poll(cardSlugs).toEqual(expect.arrayContaining(['contract-summarizer', 'contract-summarizer-int4']));
    expect(await page.getByRole('checkbox', { name: /^Maturity: Experimental/ }).isChecked()).toBe(false);
  });

  it('shows the constraints understood from the query as removable chips', async () => {
    await search('japanese ner');
    const chip = page.locator('[data-constraint="language:ja"]');
    await chip.waitFor();
    expect(await chip.textContent()).toContain('language: Japanese');
    await page.getByRole('article', { name: 'BERT NER Japanese' }).waitFor();
    expect(await cardSlugs()).toContain('bert-ner-japanese');
    await page.screenshot({ path: path.join(RESULTS_DIR, 'e2e-catalog.png') });

    await page.getByRole('button', { name: 'Ignore “language: Japanese”' }).click();
    await page.waitForURL((u) => u.searchParams.getAll('ignore').includes('language:ja'));
    await chip.waitFor({ state: 'detached' });
    // The ignored constraint stays visible, struck through, and one click applies it again.
    const restore = page.locator('[data-ignored="language:ja"]');
    await restore.waitFor();
    expect(await restore.textContent()).toContain('language: Japanese');
    await restore.click();
    await chip.waitFor();
    expect(new URL(page.url()).searchParams.getAll('ignore')).toEqual([]);
    await page.getByRole('button', { name: 'Ignore “language: Japanese”' }).click();
    await chip.waitFor({ state: 'detached' });
    await page.goBack();
    await chip.waitFor();
    expect(await searchBox().inputValue()).toBe('japanese ner');
  });

  it('corrects a misspelled word and says so', async () => {
    await search('sumarizer');
    const note = page.getByTestId('corrections');
    await note.waitFor();
    expect(await note.textContent()).toMatch(/No model mentions “sumarizer”; showing results for .*summarizer/);
    expect(await cardSlugs()).toContain('contract-summarizer');
  });

  it('opens a model page with its lineage and the deprecation of an old version', async () => {
    await search('contract summarizer');
    await page.getByRole('link', { name: 'Contract Summarizer', exact: true }).click();
    await page.waitForURL(`${base}/models/contract-summarizer`);
    await page.getByRole('heading', { level: 1, name: 'Contract Summarizer' }).waitFor();
    expect(await page.getByTestId('deprecation-banner').count()).toBe(0); // head 2.0.0 is approved

    await page.getByRole('tab', { name: 'Lineage' }).click();
    const base1 = page.getByRole('link', { name: 'Llama 3.1 8B Instruct' });
    expect(await hrefPath(await base1.getAttribute('href'))).toBe('/models/llama-3.1-8b-instruct');
    const derived = page.getByRole('link', { name: 'Contract Summarizer (int4)' });
    expect(await hrefPath(await derived.getAttribute('href'))).toBe('/models/contract-summarizer-int4');
    expect(await page.getByText('meta-llama/Llama-3.1-8B-Instruct', { exact: true }).count()).toBe(1);

    await page.getByRole('tab', { name: /Versions/ }).click();
    await page.getByRole('button', { name: 'Show version 1.0.0' }).click();
    await page.waitForURL((u) => u.searchParams.get('version') === '1.0.0');
    const banner = page.getByTestId('deprecation-banner');
    await banner.waitFor();
    expect(await banner.textContent()).toContain('contract-summarizer@2.0.0');
    const replacement = banner.getByRole('link', { name: 'contract-summarizer@2.0.0' });
    expect(await replacement.getAttribute('href')).toBe('/models/contract-summarizer?version=2.0.0');
    await page.getByRole('tab', { name: 'Overview' }).click();
    await page.getByRole('heading', { name: 'Intended use' }).waitFor();
    await page.screenshot({ path: path.join(RESULTS_DIR, 'e2e-model.png'), fullPage: true });

    await page.getByRole('tab', { name: 'Lineage' }).click();
    await base1.click();
    await page.waitForURL((u) => u.pathname === '/models/llama-3.1-8b-instruct');
    await page.getByRole('heading', { level: 1, name: 'Llama 3.1 8B Instruct' }).waitFor();
  });

  it('renders the model card Markdown as elements and never runs its HTML', async () => {
    // Continues on the Llama page reached through the lineage link above.
    await page.waitForURL((u) => u.pathname === '/models/llama-3.1-8b-instruct');
    const card = page.getByTestId('model-card-markdown');
    await card.getByRole('heading', { level: 2, name: 'Overview' }).waitFor();
    expect(await card.locator('strong').first().textContent()).toBe('general');
    expect(await card.locator('script').count()).toBe(0);
    expect(await card.textContent()).not.toContain('alert(1)');
    const scriptsWithAlert = await page.locator('script').evaluateAll((els) => els.filter((s) => s.textContent?.includes('alert(1)')).length);
    expect(scriptsWithAlert).toBe(0);
    expect(dialogs).toEqual([]);
  });

  it('opens a shared link to a model page directly (slug with dots)', async () => {
    await page.goto(`${base}/models/llama-3.1-8b-instruct?tab=hardware`);
    await page.getByRole('heading', { level: 1, name: 'Llama 3.1 8B Instruct' }).waitFor();
    await page.getByRole('table', { name: 'Minimum GPU memory by quantization' }).waitFor();
  });

  it('lists a version’s files with a working download link', async () => {
    await page.goto(`${base}/models/bert-ner-japanese?version=1.3.0&tab=files`);
    const row = page.locator('[data-file="config.json"]');
    await row.waitFor();
    expect(await row.textContent()).toMatch(/config\.json.*config.*B/);
    await page.screenshot({ path: path.join(RESULTS_DIR, 'e2e-files.png') });
    const href = await row.getByRole('link', { name: 'config.json' }).getAttribute('href');
    const res = await page.request.get(`${base}${href}`);
    expect(await res.text()).toContain('BertForTokenClassification');
  });

  it('shows a friendly page for a model that does not exist', async () => {
    await page.goto(`${base}/models/no-such-model`);
    await page.getByText('Model not found').waitFor();
    await page.getByRole('link', { name: 'Back to the catalog' }).click();
    await page.waitForURL(`${base}/`);
    expect(e2e.pageErrors).toEqual([]);
  });
});
