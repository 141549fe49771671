/**
 * End to end: the review workflow in the browser. A contributor submits a complete draft from the
 * version's Review tab, the real scan job moves it to sign-off, the team lead finds it on the
 * Reviews page and signs off, a platform reviewer approves, and the history tells who did what.
 * The app serves the built web UI on a real port over PGlite with the job workers running;
 * headless Chromium drives it. Screenshots land in test-results/ for a human look.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelFields, VersionFields } from '../../src/catalog/index.js';
import { registerSuite } from '../../src/governance/index.js';
import { systemActor } from '../../src/identity/index.js';
import { chromiumAvailable, RESULTS_DIR, startE2eApp, type E2eApp } from './browser.js';
import { accountMenu, ADMIN, createAdmin, createUser, loginForm, signIn, type Credentials } from './sign-in.js';

const SLUG = 'contract-summarizer';
const VERSION = '1.0.0';
const TEAM = 'alpha';
const SEED = systemActor('e2e');
const PASSWORD = 'correct horse battery staple';
const SUBMITTER: Credentials = { username: 'sam', password: PASSWORD, name: 'Sam Submitter' };
const LEAD: Credentials = { username: 'lee', password: PASSWORD, name: 'Lee Lead' };
const REVIEWER: Credentials = { username: 'rita', password: PASSWORD, name: 'Rita Reviewer' };

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A valid safetensors file: 8-byte little-endian header length, JSON header, two F32 zeros. */
function safetensors(): Buffer {
  const header = Buffer.from(JSON.stringify({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }).padEnd(64, ' '));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([len, header, Buffer.alloc(8)]);
}

describe.skipIf(!chromiumAvailable())('web UI end to end (submitting and reviewing a version)', () => {
  let e2e: E2eApp;
  let page: Page;
  let base = '';
  const reviewUrl = () => `${base}/models/${SLUG}?version=${VERSION}&tab=review`;
  const stageBadge = () => page.getByTestId('review-stage');

  async function signOut(who: Credentials) {
    await accountMenu(page, who).click();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await loginForm(page).submit.waitFor();
  }

  beforeAll(async () => {
    e2e = await startE2eApp({
      name: 'review',
      viewportHeight: 900,
      timeoutMs: 15_000,
      serviceOptions: { jobs: { pollSeconds: 0.5, maintenanceSeconds: 5 } },
      workers: true,
      seed: async (services) => {
        for (const [who, role] of [
          [SUBMITTER, 'contributor'],
          [LEAD, 'team_lead'],
        ] as const) {
          await createUser(services, who, 'none');
          await services.identity.addMembership(SEED, TEAM, who.username, role);
        }
        await createUser(services, REVIEWER, 'reviewer');
        await createAdmin(services);
        await registerSuite(services.database.db, SEED, { name: 'legal-qa', task: 'question-answering', metrics: ['accuracy'] });
        await services.catalog.createModel(SEED, ModelFields.parse({ slug: SLUG, name: 'Contract Summarizer', ownerTeam: TEAM, description: 'Summarizes contracts', tasks: ['summarization'] }));
        await services.catalog.createVersion(
          SEED,
          SLUG,
          VersionFields.parse({
            version: VERSION,
            card: { intendedUse: 'Summarize contracts for the legal team.', limitations: 'English only.', trainingData: 'Public court filings.' },
            approvedUseCases: ['contract summarization'],
            benchmarks: [{ suite: 'legal-qa', metric: 'accuracy', value: 0.81 }],
          }),
        );
        await services.catalog.createVersion(SEED, SLUG, VersionFields.parse({ version: '0.9.0' })); // an empty draft
        const body = safetensors();
        const upload = await services.registry.startUpload(SEED, SLUG, VERSION, { path: 'model.safetensors', digest: sha256(body), size: body.length });
        await services.registry.appendChunk(SEED, upload.id, 0, Readable.from([body]));
        await services.registry.commitFiles(SEED, SLUG, VERSION);
      },
    });
    ({ page, base } = e2e);
  }, 180_000);

  afterAll(() => e2e?.close());

  it('the platform reviewer accepts the team’s typed benchmark on the Benchmarks tab', async () => {
    // A typed number counts for the submission once a reviewer accepts it (a suite run would be measured).
    await signIn(page, `${base}/models/${SLUG}?version=${VERSION}&tab=benchmarks`, REVIEWER);
    const row = page.getByRole('table', { name: 'Benchmark results' }).getByRole('row').filter({ hasText: 'legal-qa' });
    expect(await row.getByTestId('benchmark-accepted').count()).toBe(0);
    await row.getByTestId('benchmark-accept').click();
    await row.getByTestId('benchmark-accepted').waitFor();
    expect(await row.getByTestId('benchmark-accept').count()).toBe(0);
    await signOut(REVIEWER);
  }, 60_000);

  it('the contributor is told what an incomplete draft lacks', async () => {
    await signIn(page, `${base}/models/${SLUG}?version=0.9.0&tab=review`, SUBMITTER);
    await page.getByRole('button', { name: 'Submit for review' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'This draft is not ready yet' });
    await alert.getByRole('listitem').filter({ hasText: 'card.intendedUse' }).waitFor();
    expect(await alert.getByRole('listitem').count()).toBe(6);
    await page.screenshot({ path: path.join(RESULTS_DIR, 'e2e-review-incomplete.png'), fullPage: true });
  }, 60_000);

  it('the contributor submits the draft and the scan moves it to sign-off', async () => {
    await page.goto(reviewUrl());
    await page.getByRole('heading', { name: 'Submit for review' }).waitFor();
    await page.getByRole('checkbox', { name: /Evaluation only/ }).check();
    await page.getByRole('button', { name: 'Submit for review' }).click();
    await stageBadge().waitFor();
    // The panel polls while the scan job runs.
    await expect.poll(async () => stageBadge().textContent(), { timeout: 30_000, interval: 500 }).toBe('Awaiting sign-off');
    await page.locator('[data-scan-file="model.safetensors"]').getByText('pass').waitFor();
    expect(await page.getByRole('button', { name: 'Sign off', exact: true }).count()).toBe(0); // not by the submitter
    await page.screenshot({ path: path.join(RESULTS_DIR, 'e2e-review-submitted.png'), fullPage: true });
    await signOut(SUBMITTER);
  }, 60_000);

  it('the team lead finds it on the Reviews page and signs off', async () => {
    await signIn(page, `${base}/reviews`, LEAD);
    const waiting = page.getByRole('table', { name: 'Waiting for you' });
    await waiting.getByRole('link', { name: `${SLUG} ${VERSION}` }).waitFor();
    await expect.poll(async () => waiting.getByText('Awaiting sign-off').count()).toBe(1);
    await page.screenshot({ path: path.join(RESULTS_DIR, 'e2e-reviews-page.png'), fullPage: true });
    await waiting.getByRole('link', { name: `${SLUG} ${VERSION}` }).click();
    await page.getByRole('button', { name: 'Sign off', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('textbox', { name: /Comment/ }).fill('Checked the card and the benchmark.');
    await dialog.getByRole('button', { name: 'Sign off', exact: true }).click();
    await expect.poll(async () => stageBadge().textContent()).toBe('Awaiting approval');
    await signOut(LEAD);
  }, 60_000);

  it('the reviewer approves, and the history lists every step', async () => {
    await signIn(page, reviewUrl(), REVIEWER);
    await page.getByRole('button', { name: 'Approve', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Approve', exact: true }).click();
    await expect.poll(async () => stageBadge().textContent()).toBe('Approved');
    const history = page.getByTestId('review-history');
    for (const step of ['Submitted for review', 'Signed off', 'Approved']) await history.getByText(step, { exact: true }).waitFor();
    await history.getByText('“Checked the card and the benchmark.”').waitFor();
    // Who did each step (the audit log names users by username).
    const text = (await history.textContent()) ?? '';
    for (const who of [SUBMITTER, LEAD, REVIEWER]) expect(text).toContain(who.username);
    await page.screenshot({ path: path.join(RESULTS_DIR, 'e2e-review-approved.png'), fullPage: true });
    // The typed benchmark stays visible, marked as the team's, with the reviewer who accepted it.
    await page.goto(`${base}/models/${SLUG}?version=${VERSION}&tab=benchmarks`);
    const row = page.getByRole('table', { name: 'Benchmark results' }).locator('tbody tr').filter({ hasText: 'legal-qa' });
    await row.waitFor();
    expect(await row.getByTestId('benchmark-source').textContent()).toBe('reported by the team');
    expect(await row.getByTestId('benchmark-accepted').textContent()).toContain(`accepted by ${REVIEWER.username}`);
    await page.screenshot({ path: path.join(RESULTS_DIR, 'e2e-review-benchmarks.png'), fullPage: true });
    await page.goto(reviewUrl());
    expect(e2e.pageErrors).toEqual([]);
  }, 60_000);

  it('the reviewer reads and verifies the audit log on the Admin page', async () => {
    await page.getByRole('link', { name: 'Admin' }).click();
    const table = page.getByRole('table', { name: 'Audit events' });
    await table.getByText('Approved', { exact: true }).waitFor();
    await page.getByRole('textbox', { name: 'Action' }).fill('submission.sign_off');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(async () => table.getByRole('row').count()).toBe(2); // the header and the sign-off
    await page.getByRole('button', { name: 'Verify chain' }).click();
    await page.getByText('The chain is intact').waitFor();
    expect(await page.getByRole('link', { name: 'Export JSON lines' }).getAttribute('href')).toBe('/api/v1/audit/export?action=submission.sign_off');
    expect(await page.getByRole('heading', { name: 'Background jobs' }).count()).toBe(0); // admins only
    await page.screenshot({ path: path.join(RESULTS_DIR, 'e2e-admin-audit.png'), fullPage: true });
    await signOut(REVIEWER);
  }, 60_000);

  it('an admin sees the scan job among the background jobs', async () => {
    await signIn(page, `${base}/admin`, ADMIN);
    const jobs = page.getByRole('table', { name: 'Background jobs' });
    await jobs.getByText('scan-version').first().waitFor();
    await page.getByRole('combobox', { name: 'State' }).click();
    await page.getByRole('option', { name: 'completed' }).click();
    await jobs.getByText('completed').first().waitFor();
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: path.join(RESULTS_DIR, 'e2e-admin-jobs.png'), fullPage: true });
    expect(e2e.pageErrors).toEqual([]);
  }, 60_000);
});
