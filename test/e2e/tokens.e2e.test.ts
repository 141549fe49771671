/**
 * End to end: the API tokens page (create a token, use it, revoke it) and the login page's message
 * for a failed single sign-on. The built web UI on the real app over PGlite, in headless Chromium.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, RESULTS_DIR, startE2eApp, type E2eApp } from './browser.js';
import { accountMenu, createAdmin, loginForm, signIn } from './sign-in.js';

const chromiumFound = chromiumAvailable();

describe.skipIf(!chromiumFound)('web UI end to end (API tokens and sign-in errors)', () => {
  let e2e: E2eApp;
  let page: Page;
  let base = '';

  beforeAll(async () => {
    e2e = await startE2eApp({ name: 'tokens', seed: (services) => createAdmin(services) });
    ({ page, base } = e2e);
    await signIn(page, `${base}/`);
  }, 120_000);

  afterAll(() => e2e?.close());

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
    const visitor = await e2e.newPage();
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
    expect(e2e.pageErrors).toEqual([]);
  });
});
