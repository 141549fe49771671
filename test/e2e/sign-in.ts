/** Signing in as the end-to-end tests do: a user made through the identity service, then the login form. */
import type { Page } from 'playwright-core';
import type { Services } from '../../src/api/services.js';
import { systemActor, type PlatformRole } from '../../src/identity/index.js';

/** Who creates the test's users and memberships (not a signed-in user). */
const SETUP = systemActor('test-setup');

export interface Credentials {
  username: string;
  password: string;
  name: string;
}

/** The platform admin every e2e file browses as (sees drafts, may upload to any team's model). */
export const ADMIN: Credentials = { username: 'ada', password: 'correct horse battery staple', name: 'Ada Lovelace' };

/** A local user to sign in as. */
export async function createUser(services: Services, who: Credentials, platformRole: PlatformRole): Promise<void> {
  await services.identity.createUser(SETUP, { ...who, email: `${who.username}@example.test`, platformRole });
}

export function createAdmin(services: Services, who: Credentials = ADMIN): Promise<void> {
  return createUser(services, who, 'admin');
}

/** The login form's fields, as a user finds them. */
export const loginForm = (page: Page) => ({
  username: page.getByRole('textbox', { name: 'Username' }),
  password: page.getByLabel('Password', { exact: true }),
  submit: page.getByRole('button', { name: 'Sign in', exact: true }),
});

/** Fills the login form and presses "Sign in". */
export async function submitLogin(page: Page, username: string, password: string): Promise<void> {
  const form = loginForm(page);
  await form.username.fill(username);
  await form.password.fill(password);
  await form.submit.click();
}

/** The header's account menu button of the signed-in user. */
export const accountMenu = (page: Page, who: Credentials = ADMIN) => page.getByRole('button', { name: `Account menu: ${who.name}` });

/** Opens the app at `url` (the login page, signed out) and signs in through the form. */
export async function signIn(page: Page, url: string, who: Credentials = ADMIN): Promise<void> {
  await page.goto(url);
  await submitLogin(page, who.username, who.password);
  await accountMenu(page, who).waitFor();
}
