/**
 * End to end: evaluation suites and the streamed chat from the browser. A contributor of the owner
 * team runs a registered suite on a real ONNX text classifier (the run starts its own endpoint,
 * the job workers run it), reads the results and samples, and finds them on the Benchmarks tab;
 * then chats with a tiny GGUF model in the playground, the answer streamed as server-sent events.
 * Screenshots land in test-results/evaluate-*.png for a human look.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveVersion, runImport } from '../../src/catalog/index.js';
import { classifierEvalJsonl, generateTextClassifier, generateTinyGguf } from '../../src/demo-models/index.js';
import { systemActor } from '../../src/identity/index.js';
import { makeEntry } from '../factories.js';
import { chromiumAvailable, RESULTS_DIR, startE2eApp, type E2eApp } from './browser.js';
import { createAdmin, createUser, signIn, type Credentials } from './sign-in.js';

const SLUG = 'router';
const CHAT_SLUG = 'tiny-chat';
const VERSION = '1.0.0';
const SEED = systemActor('test');
const OUTSIDER: Credentials = { username: 'otto', password: 'correct horse battery staple', name: 'Otto Outsider' };
const CONTRIBUTOR: Credentials = { username: 'cora', password: 'correct horse battery staple', name: 'Cora Contributor' };

describe.skipIf(!chromiumAvailable())('web UI end to end (evaluation suites, streamed chat)', () => {
  let e2e: E2eApp;
  let page: Page;
  let base = '';
  const shot = (name: string) => page.screenshot({ path: path.join(RESULTS_DIR, `evaluate-${name}.png`), animations: 'disabled', fullPage: true });

  beforeAll(async () => {
    e2e = await startE2eApp({
      name: 'evaluate',
      viewportHeight: 900,
      timeoutMs: 15_000,
      workers: true,
      serviceOptions: { jobs: { pollSeconds: 0.5, maintenanceSeconds: 5 } },
      seed: async (services) => {
        await runImport(SEED, services.database.db, services.catalog, [
          makeEntry({ slug: SLUG, name: 'Support Ticket Router', ownerTeam: 'support', tasks: ['text-classification'], approvedUseCases: ['support ticket routing'] }),
          makeEntry({ slug: CHAT_SLUG, name: 'Tiny Chat', ownerTeam: 'support', tasks: ['text-generation'], parameters: 1_000_000, approvedUseCases: ['drafting replies'] }),
        ]);
        const classifier = generateTextClassifier();
        const router = await resolveVersion(services.database.db, SLUG, VERSION);
        await services.registry.attachGeneratedFiles(SEED, router!.id, [{ path: 'model.onnx', bytes: Buffer.from(classifier.onnx) }]);
        const chat = await resolveVersion(services.database.db, CHAT_SLUG, VERSION);
        await services.registry.attachGeneratedFiles(SEED, chat!.id, [{ path: 'model.gguf', bytes: Buffer.from(generateTinyGguf()) }]);
        await services.suites.register(SEED, {
          name: 'routing',
          task: 'text-classification',
          metrics: ['accuracy', 'latency_p95'],
          dataset: { name: 'tickets.jsonl', text: classifierEvalJsonl(classifier.evalSet) },
        });
        await createUser(services, CONTRIBUTOR, 'none');
        await services.identity.addMembership(SEED, 'support', CONTRIBUTOR.username, 'contributor');
        await createUser(services, OUTSIDER, 'none');
        await createAdmin(services);
      },
    });
    ({ page, base } = e2e);
    await signIn(page, `${base}/models/${SLUG}?tab=deploy`, CONTRIBUTOR);
  }, 180_000);

  afterAll(() => e2e?.close());

  it('runs a suite on the version, shows results and samples, and lists them as benchmarks', async () => {
    const card = page.getByTestId('evaluation-suites');
    await card.getByRole('heading', { name: 'Evaluation suites' }).waitFor();
    await card.getByText('No runs of this version yet.').waitFor();
    // The classifier's own suite is chosen already: the only runnable one, for its task.
    expect(await card.getByLabel('Suite', { exact: true }).first().inputValue()).toMatch(/^routing — text-classification, \d+ items$/);
    await card.getByRole('button', { name: 'Run suite' }).click();
    const run = card.getByTestId('evaluation-run').first();
    const state = run.getByTestId('run-state');
    await state.waitFor();
    await shot('queued');
    await expect.poll(() => state.getAttribute('data-state'), { timeout: 60_000, interval: 500 }).toMatch(/^(succeeded|failed)$/);
    if ((await state.getAttribute('data-state')) === 'failed') {
      await shot('failed');
      throw new Error(`the run failed: ${await run.getByTestId('run-error').textContent()}`);
    }
    const accuracy = run.locator('tr[data-metric="accuracy"]').getByTestId('metric-value');
    expect(Number(await accuracy.textContent())).toBeGreaterThanOrEqual(0.85);
    expect(await run.locator('tr[data-metric="latency_p95"]').getByTestId('metric-value').textContent()).toMatch(/^[\d.,]+ ms$/);
    expect(await run.locator('tr[data-metric="accuracy"]').textContent()).toContain('higher is better');
    expect(await run.getByTestId('run-when').textContent()).toMatch(/started .* · finished /);

    await run.getByRole('button', { name: /^Samples \(\d+\)$/ }).click();
    const samples = run.getByTestId('samples');
    await samples.waitFor();
    expect(await samples.locator('tbody tr').count()).toBeGreaterThan(0);
    expect(await samples.locator('tbody tr[data-correct="true"]').count()).toBeGreaterThan(0);
    await shot('results');

    // The run's results are the version's benchmarks now.
    await page.getByRole('tab', { name: /^Benchmarks/ }).click();
    const table = page.getByRole('table', { name: 'Benchmark results' });
    await table.waitFor();
    const row = table.locator('tbody tr').filter({ hasText: 'routing' }).filter({ hasText: 'accuracy' });
    await row.waitFor();
    expect(await row.getByTestId('benchmark-source').textContent()).toBe('measured by Garden');
    await shot('benchmarks');
    expect(e2e.pageErrors).toEqual([]);
  }, 120_000);

  it('shows the server’s refusal to someone outside the owner team', async () => {
    const other = await e2e.newPage();
    try {
      await signIn(other, `${base}/models/${SLUG}?tab=deploy`, OUTSIDER);
      const card = other.getByTestId('evaluation-suites');
      await card.getByRole('button', { name: 'Run suite' }).click();
      const refused = card.getByRole('alert').filter({ hasText: 'The suite could not be run' });
      await refused.waitFor();
      expect(await refused.textContent()).toContain('FORBIDDEN');
      await other.screenshot({ path: path.join(RESULTS_DIR, 'evaluate-forbidden.png'), animations: 'disabled' });
    } finally {
      await other.close();
    }
    expect(e2e.pageErrors).toEqual([]);
  });

  it('streams a chat answer from a GGUF model in the playground', async () => {
    await page.goto(`${base}/models/${CHAT_SLUG}?tab=deploy`);
    await page.getByRole('button', { name: 'Start evaluation endpoint' }).click();
    const deployment = page.getByTestId('deployment-card').first();
    const state = deployment.getByTestId('deployment-state');
    await expect.poll(() => state.getAttribute('data-state'), { timeout: 60_000, interval: 500 }).toMatch(/^(ready|failed)$/);
    if ((await state.getAttribute('data-state')) === 'failed') {
      await shot('chat-endpoint-failed');
      throw new Error(`the endpoint failed: ${await deployment.getByTestId('last-error').textContent()}`);
    }
    await deployment.getByRole('link', { name: 'Open playground' }).click();
    await page.waitForURL(/\/playground\/[0-9a-f-]{36}$/);
    await page.getByText('Chat', { exact: true }).click();
    expect(await page.getByRole('switch', { name: 'Stream' }).isChecked()).toBe(true);
    await page.getByRole('textbox', { name: 'User message' }).fill('Hi');
    await page.getByRole('button', { name: 'Send' }).click();
    const timing = page.getByTestId('chat-timing');
    await timing.waitFor({ timeout: 30_000 });
    expect(await timing.textContent()).toMatch(/^Total [\d.,]+ ms · time to first token [\d.,]+ ms · \d+ chunks?$/);
    expect((await page.getByTestId('chat-output').textContent())?.trim().length).toBeGreaterThan(0);
    expect(await page.getByTestId('chat-user').textContent()).toContain('Hi');
    await shot('chat');

    // The answer is part of the conversation; the next message goes in one call, streaming off.
    await page.getByRole('switch', { name: 'Stream' }).click({ force: true });
    expect(await page.getByRole('switch', { name: 'Stream' }).isChecked()).toBe(false);
    await page.getByRole('textbox', { name: 'Your next message' }).fill('And then?');
    await page.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => page.getByTestId('chat-timing').count(), { timeout: 30_000 }).toBe(2);
    expect(await page.getByTestId('chat-assistant').count()).toBe(2);
    expect(await page.getByTestId('chat-timing').last().textContent()).toMatch(/^Total [\d.,]+ ms$/);
    expect(await page.getByTestId('chat-user').count()).toBe(2);
    await shot('chat-conversation');
    // A new conversation starts empty.
    await page.getByRole('button', { name: 'New conversation' }).click();
    expect(await page.getByTestId('conversation').count()).toBe(0);

    // Stop mid-stream: a long answer (about 2 s at this model's pace) cut short keeps what arrived.
    await page.getByRole('switch', { name: 'Stream' }).click({ force: true });
    expect(await page.getByRole('switch', { name: 'Stream' }).isChecked()).toBe(true);
    await page.getByRole('textbox', { name: 'Max tokens' }).fill('2048');
    await page.getByRole('textbox', { name: 'User message' }).fill('Tell me a long story');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByText('answering…', { exact: true }).waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Stop answer', exact: true }).click();
    const stopped = page.getByTestId('chat-timing');
    await stopped.waitFor();
    expect(await stopped.textContent()).toMatch(/^Stopped after [\d.,]+ (ms|s)$/);
    expect(await page.getByTestId('chat-assistant').count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Stop answer', exact: true }).count()).toBe(0);
    await shot('chat-stopped');
    // Send works again, and the endpoint answers the next message.
    const send = page.getByRole('button', { name: 'Send' });
    await page.getByRole('textbox', { name: 'Your next message' }).fill('Shorter, please');
    await page.getByRole('textbox', { name: 'Max tokens' }).fill('8');
    expect(await send.isEnabled()).toBe(true);
    await send.click();
    await expect.poll(() => page.getByTestId('chat-timing').count(), { timeout: 30_000 }).toBe(2);
    expect(await page.getByTestId('chat-timing').last().textContent()).toMatch(/^Total /);
    expect(e2e.pageErrors).toEqual([]);
  }, 120_000);
});
