/**
 * End to end: an evaluation endpoint from the browser. A support team member starts one for an
 * approved text classifier (a real ONNX file run by the local runner in a child process), waits
 * for it to be ready, classifies a ticket in the playground, and stops it. The built web UI on the
 * real app over PGlite, in headless Chromium; screenshots land in test-results/ for a human look.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveVersion, runImport } from '../../src/catalog/index.js';
import { generateTextClassifier } from '../../src/demo-models/index.js';
import { systemActor } from '../../src/identity/index.js';
import { makeEntry } from '../factories.js';
import { chromiumAvailable, RESULTS_DIR, startE2eApp, type E2eApp } from './browser.js';
import { ADMIN, createAdmin, createUser, signIn, type Credentials } from './sign-in.js';

const SLUG = 'router';
const VERSION = '1.0.0';
const SEED = systemActor('test');
const MEMBER: Credentials = { username: 'val', password: 'correct horse battery staple', name: 'Val Contributor' };
const VIEWER: Credentials = { username: 'vic', password: 'correct horse battery staple', name: 'Vic Viewer' };

describe.skipIf(!chromiumAvailable())('web UI end to end (evaluation endpoint, playground, stop)', () => {
  let e2e: E2eApp;
  let page: Page;
  let base = '';
  const shot = (name: string) => page.screenshot({ path: path.join(RESULTS_DIR, `deploy-${name}.png`), animations: 'disabled', fullPage: true });
  const card = () => page.getByTestId('deployment-card').first();

  beforeAll(async () => {
    e2e = await startE2eApp({
      name: 'deploy',
      viewportHeight: 900,
      timeoutMs: 15_000,
      seed: async (services) => {
        await runImport(SEED, services.database.db, services.catalog, [
          makeEntry({ slug: SLUG, name: 'Support Ticket Router', ownerTeam: 'support', tasks: ['text-classification'], approvedUseCases: ['support ticket routing'] }),
        ]);
        const v = await resolveVersion(services.database.db, SLUG, VERSION);
        await services.registry.attachGeneratedFiles(SEED, v!.id, [{ path: 'model.onnx', bytes: Buffer.from(generateTextClassifier().onnx) }]);
        await createUser(services, MEMBER, 'none');
        // Starting endpoints spends the team's quota: contributors and up.
        await services.identity.addMembership(SEED, 'support', MEMBER.username, 'contributor');
        await createUser(services, VIEWER, 'none');
        await services.identity.addMembership(SEED, 'support', VIEWER.username, 'viewer');
        await createAdmin(services);
      },
    });
    ({ page, base } = e2e);
    await signIn(page, `${base}/models/${SLUG}`, MEMBER);
  }, 180_000);

  afterAll(() => e2e?.close());

  it('starts an evaluation endpoint, classifies a ticket in the playground, and stops it', async () => {
    await page.getByRole('tab', { name: 'Deploy & evaluate' }).click();
    await page.waitForURL((u) => u.searchParams.get('tab') === 'deploy');
    await page.getByText('No endpoints of this version yet.').waitFor();
    // Deployment as code: a ready-to-commit file for this version, with an approved use case.
    const yaml = await page.getByTestId('deployment-yaml').textContent();
    expect(yaml).toContain(`model: ${SLUG}@1.0.0`);
    expect(yaml).toContain('useCase: support ticket routing');

    await page.getByRole('button', { name: 'Start evaluation endpoint' }).click();
    const state = card().getByTestId('deployment-state');
    await state.waitFor();
    await shot('starting');
    // The local runner starts a real child process that loads the ONNX model.
    await expect.poll(() => state.getAttribute('data-state'), { timeout: 60_000, interval: 500 }).toMatch(/^(ready|failed)$/);
    if ((await state.getAttribute('data-state')) === 'failed') {
      await shot('failed');
      throw new Error(`the endpoint failed: ${await card().getByTestId('last-error').textContent()}`);
    }
    expect(await state.textContent()).toBe('ready');
    expect(await card().getByTestId('time-left').textContent()).toMatch(/\d+ (h|min).* left$/);
    expect(await card().getByTestId('endpoint-url').textContent()).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);
    await shot('ready');

    await card().getByRole('link', { name: 'Open playground' }).click();
    await page.waitForURL(/\/playground\/[0-9a-f-]{36}$/);
    await page.getByRole('heading', { level: 1, name: /router@1\.0\.0/ }).waitFor();
    await page.getByRole('textbox', { name: 'Inputs' }).fill('I was charged twice for my subscription');
    await page.getByRole('button', { name: 'Send' }).click();
    const results = page.getByTestId('results');
    await results.waitFor({ timeout: 30_000 });
    expect(await results.getByTestId('output').first().textContent()).toBe('billing');
    await shot('playground');

    // Raw OIP: the prefilled request is valid, and the endpoint's own error shows for a bad one.
    await page.getByText('Raw OIP', { exact: true }).click();
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByTestId('oip-response').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('oip-response').textContent()).toContain('billing');
    const body = page.getByRole('textbox', { name: 'Request body' });
    await body.fill(JSON.stringify({ inputs: [{ name: 'text', shape: [1], datatype: 'FP32', data: [1] }] }));
    await page.getByRole('button', { name: 'Send' }).click();
    const refused = page.getByRole('alert').filter({ hasText: 'The endpoint refused the request' });
    await refused.waitFor({ timeout: 30_000 });
    await shot('playground-oip-error');

    await page.goBack();
    await page.waitForURL((u) => u.searchParams.get('tab') === 'deploy');
    await card().getByRole('button', { name: /^Stop / }).click();
    const confirm = page.getByRole('dialog', { name: 'Stop endpoint?' });
    await confirm.getByRole('button', { name: 'Stop endpoint' }).click();
    await confirm.waitFor({ state: 'detached' });
    await expect.poll(() => card().getByTestId('deployment-state').getAttribute('data-state'), { timeout: 30_000 }).toBe('stopped');
    expect(await card().getByRole('button', { name: /^Stop / }).count()).toBe(0);
    await shot('stopped');
    expect(e2e.pageErrors).toEqual([]);
  }, 180_000);

  it('compares two ready endpoints side by side from the Endpoints page', async () => {
    await page.goto(`${base}/models/${SLUG}?tab=deploy`);
    const start = page.getByRole('button', { name: 'Start evaluation endpoint' });
    for (let i = 0; i < 2; i++) {
      await start.click();
      await expect.poll(() => page.getByTestId('deployment-card').count()).toBe(2 + i);
    }
    await expect.poll(() => page.locator('[data-testid="deployment-state"][data-state="ready"]').count(), { timeout: 60_000, interval: 500 }).toBe(2);

    await page.getByRole('link', { name: 'Endpoints' }).click();
    await page.waitForURL(`${base}/endpoints`);
    await page.getByRole('heading', { level: 1, name: 'Evaluation endpoints' }).waitFor();
    expect(await page.getByTestId('deployment-card').count()).toBe(2); // the stopped one is not live
    await shot('endpoints');

    await page.getByRole('link', { name: 'Compare ready endpoints' }).click();
    await page.waitForURL(/\/compare\?ids=[0-9a-f-]{36},[0-9a-f-]{36}$/);
    await page.getByRole('textbox', { name: 'Inputs' }).fill('I was charged twice for my subscription\nThe app crashes when I open settings');
    await page.getByRole('button', { name: 'Run' }).click();
    const table = page.getByTestId('compare-table');
    await table.waitFor({ timeout: 30_000 });
    expect(await table.locator('tbody tr').count()).toBe(2);
    expect(await table.locator('tbody tr').first().textContent()).toContain('billing');
    // The same model twice: the same outputs, nothing highlighted, a latency summary per column.
    expect(await page.getByTestId('compare-summary').textContent()).toBe('All endpoints gave the same outputs.');
    expect(await page.getByTestId('compare-column-summary').count()).toBe(2);
    expect(await page.getByTestId('compare-column-summary').first().textContent()).toMatch(/p50 [\d.]+ ms · p95 [\d.]+ ms/);
    await shot('compare');
    expect(e2e.pageErrors).toEqual([]);
  }, 180_000);

  it('tells a viewer that starting an endpoint needs the contributor role, instead of a button that fails', async () => {
    const viewer = await e2e.newPage();
    try {
      await signIn(viewer, `${base}/models/${SLUG}?tab=deploy`, VIEWER);
      await viewer.getByTestId('start-needs-contributor').waitFor();
      expect(await viewer.getByRole('button', { name: 'Start evaluation endpoint' }).isDisabled()).toBe(true);
    } finally {
      await viewer.close();
    }
  }, 60_000);

  it('shows the deployment templates and evaluation limits to an admin', async () => {
    const admin = await e2e.newPage();
    try {
      await signIn(admin, `${base}/admin`, ADMIN);
      await admin.getByRole('heading', { name: 'Deployment templates' }).waitFor();
      const row = admin.locator('tr[data-template="evaluation"]');
      await row.waitFor();
      await admin.getByRole('heading', { name: 'Evaluation limits' }).waitFor();
      expect(await admin.getByRole('textbox', { name: 'Lifetime (hours)' }).inputValue()).toBe('4');

      await row.getByRole('button', { name: 'Edit evaluation' }).click();
      const dialog = admin.getByRole('dialog', { name: 'Edit template “evaluation”' });
      const settings = dialog.getByRole('textbox', { name: 'Settings' });
      await settings.fill('{ not json');
      await dialog.getByText(/^Not valid JSON/).waitFor();
      expect(await dialog.getByRole('button', { name: 'Save template' }).isDisabled()).toBe(true);
      await admin.screenshot({ path: path.join(RESULTS_DIR, 'deploy-admin-template-edit.png'), animations: 'disabled' });
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'detached' });
      await admin.getByRole('heading', { name: 'Deployment templates' }).scrollIntoViewIfNeeded();
      await admin.screenshot({ path: path.join(RESULTS_DIR, 'deploy-admin.png'), animations: 'disabled' });

      // A team's own evaluation quota, set and then cleared (empty = the default) through the table.
      const quotas = admin.getByRole('table', { name: 'Team quotas' });
      const support = quotas.locator('tr[data-team="support"]');
      await expect.poll(() => support.getByTestId('quota-endpoints').textContent()).toBe('3 (default)');
      await support.getByRole('button', { name: 'Edit quota of support' }).click();
      const edit = admin.getByRole('dialog', { name: /^Quota of team/ });
      const endpoints = edit.getByRole('textbox', { name: 'Max evaluation endpoints' });
      expect(await endpoints.inputValue()).toBe(''); // no quota of its own: empty means the default
      await endpoints.fill('1');
      await edit.getByRole('button', { name: 'Save quota' }).click();
      await edit.waitFor({ state: 'detached' });
      await expect.poll(() => support.getByTestId('quota-endpoints').textContent()).toBe('1');
      expect(await support.getByTestId('quota-gpus').textContent()).toBe('4 (default)');
      await quotas.scrollIntoViewIfNeeded();
      await admin.screenshot({ path: path.join(RESULTS_DIR, 'admin-quotas.png'), animations: 'disabled' });
      await support.getByRole('button', { name: 'Edit quota of support' }).click();
      expect(await endpoints.inputValue()).toBe('1');
      await admin.screenshot({ path: path.join(RESULTS_DIR, 'admin-quotas-edit.png'), animations: 'disabled' });
      await endpoints.fill('');
      await edit.getByRole('button', { name: 'Save quota' }).click();
      await edit.waitFor({ state: 'detached' });
      await expect.poll(() => support.getByTestId('quota-endpoints').textContent()).toBe('3 (default)');
    } finally {
      await admin.close();
    }
    expect(e2e.pageErrors).toEqual([]);
  });
});
