/**
 * End to end: the API tokens page (create a token, use it, revoke it) and the login page's message
 * for a failed single sign-on. The built web UI on the real app over PGlite, in headless Chromium.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { createServices } from '../../src/api/services.js';
import { createLogger } from '../../src/core/logger.js';
import { ROOT } from '../../src/core/paths.js';
import { createTestDatabase, tempDataDir, type TestDb } from '../harness.js';
import { chromiumAvailable, ensureWebBuilt, launchChromium, RESULTS_DIR } from './browser.js';
import { accountMenu, createAdmin, loginForm, signIn } from './sign-in.js';

const WEB_DIST = path.join(ROOT, 'dist', 'web-e2e-tokens');
const chromiumFound = chromiumAvailable();

describe.skipIf(!chromiumFound)('web UI end to end (API tokens and sign-in errors)', () => {
  let testDb: TestDb;
  let app: FastifyInstance;
  let browser: Browser;
  let page: Page;
  let base = '';
  const pageErrors: string[] = [];

  beforeAll(async () => {
    ensureWebBuilt(WEB_DIST);
    mkdirSync(RESULTS_DIR, { recursive: true });
    testDb = await createTestDatabase('pglite');
    const services = await createServices(testDb.database, { dataDir: tempDataDir() });
    await createAdmin(services);
    app = await buildApp({ services, logger: createLogger('silent'), webDir: WEB_DIST });
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    base = address.replace('0.0.0.0', '127.0.0.1');
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await signIn(page, `${base}/`);
  }, 120_000);

  afterAll(async () => {
    await page?.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await app?.close().catch(() => undefined);
    await testDb?.cleanup().catch(() => undefined);
  });

  const me = (token: string) => fetch(`${base}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });

  it('creates a read token, shows it once, and revokes it', async () => {
    await accountMenu(page).click();
    await page.getByRole('menuitem', { name: 'API tokens' }).click();
    await page.waitForURL(`${base}/tokens`);
    await page.getByRole('heading', { level: 1, name: 'API tokens' }).waitFor();
    await page.getByText('You have no API tokens yet.').waitFor();

    await page.getByRole('button', { name: 'Create token' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create token' });
    await dialog.waitFor();
    // An admin may give a token the admin scope; read is ticked to begin with.
    expect(await dialog.getByRole('checkbox', { name: /^admin/ }).count()).toBe(1);
    expect(await dialog.getByRole('checkbox', { name: /^read/ }).isChecked()).toBe(true);
    expect(await dialog.getByRole('textbox', { name: /Expires in/ }).inputValue()).toBe('90');
    await dialog.getByRole('textbox', { name: /^Name/ }).fill('ci read');
    await page.screenshot({ path: path.join(RESULTS_DIR, 'e2e-tokens-form.png'), animations: 'disabled' });
    await dialog.getByRole('button', { name: 'Create token' }).click();

    const shown = page.getByRole('dialog', { name: 'Token created' });
    await shown.waitFor();
    const token = await shown.getByTestId('new-token').inputValue();
    expect(token.length).toBeGreaterThan(20);
    expect(await shown.getByTestId('token-once-warning').textContent()).toContain('only time the token is shown');
    expect(await shown.getByTestId('token-example').textContent()).toBe(`export GARDEN_TOKEN=${token}`);
    const row = page.locator('tr[data-token="ci read"]');
    await row.waitFor();
    await page.screenshot({ path: path.join(RESULTS_DIR, 'e2e-tokens-created.png'), animations: 'disabled' });

    const ok = await me(token);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { user: { username: string } }).user.username).toBe('ada');

    await shown.getByRole('button', { name: 'Done' }).click();
    await shown.waitFor({ state: 'detached' });
    expect(await row.getAttribute('data-state')).toBe('active');
    expect(await row.textContent()).toContain('read');
    await page.screenshot({ path: path.join(RESULTS_DIR, 'e2e-tokens.png'), animations: 'disabled' });

    await row.getByRole('button', { name: 'Revoke ci read' }).click();
    const confirm = page.getByRole('dialog', { name: 'Revoke token?' });
    await confirm.getByRole('button', { name: 'Revoke token' }).click();
    await confirm.waitFor({ state: 'detached' });
    await expect.poll(() => row.getAttribute('data-state')).toBe('revoked');
    expect(await row.getByRole('button', { name: 'Revoke ci read' }).count()).toBe(0);
    expect((await me(token)).status).toBe(401);
  });

  it('explains a failed single sign-on on the login page and drops the parameter', async () => {
    const visitor = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    visitor.setDefaultTimeout(10_000);
    visitor.on('pageerror', (e) => pageErrors.push(e.message));
    try {
      await visitor.goto(`${base}/?signin_error=disabled`);
      await loginForm(visitor).submit.waitFor();
      const alert = visitor.getByTestId('signin-error');
      await alert.waitFor();
      expect(await alert.textContent()).toContain('Your account is disabled; ask your platform team.');
      await visitor.waitForURL((u) => !u.searchParams.has('signin_error'));
      await visitor.screenshot({ path: path.join(RESULTS_DIR, 'e2e-signin-error.png'), animations: 'disabled' });
    } finally {
      await visitor.close();
    }
    expect(pageErrors).toEqual([]);
  });
});
