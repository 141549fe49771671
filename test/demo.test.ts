/**
 * The demo catalog a fresh install loads: every entry imports, and the runnable entries get real
 * generated model files and suites, so an evaluation endpoint and a suite run work out of the box.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app.js';
import type { Services } from '../src/api/services.js';
import { createLogger } from '../src/core/logger.js';
import { loadDemoCatalogOnce } from '../src/catalog/demo.js';
import { attachDemoModelFiles } from '../src/catalog/demo-files.js';
import { registerDemoSuites } from '../src/eval/demo-suites.js';
import { systemActor } from '../src/identity/index.js';
import { createTestServices } from './harness.js';

const SYS = systemActor('test');
let services: Services;
let dataDir: string;
let cleanup: () => Promise<void>;
let adminToken: string;

beforeAll(async () => {
  const t = await createTestServices('pglite', { jobs: { pollSeconds: 0.5, maintenanceSeconds: 5 } });
  ({ services, dataDir, cleanup, adminToken } = t);
});
afterAll(async () => cleanup?.());

describe('demo catalog', () => {
  it('imports every entry once, with runnable files and suites', async () => {
    const report = await loadDemoCatalogOnce(services.database.db, services.catalog);
    expect(report?.failed).toBe(0);
    expect(report?.created).toBeGreaterThan(60);
    expect(await loadDemoCatalogOnce(services.database.db, services.catalog)).toBeNull();
    expect(await attachDemoModelFiles(services.database.db, services.registry, dataDir)).toEqual(['support-ticket-router@1.0.0', 'tiny-llama-demo@0.1.0']);
    await registerDemoSuites(services, dataDir);
    const files = await services.registry.listFiles(SYS, 'support-ticket-router', '1.0.0');
    expect(files.map((f) => [f.path, f.format])).toEqual([['model.onnx', 'onnx']]);
    const suites = await services.suites.list(SYS);
    expect(suites.filter((s) => s.dataset).map((s) => [s.name, s.dataset?.items])).toEqual([
      ['support-routing', 120],
      ['tiny-generation', 10],
    ]);
  });

  it('the demo GGUF serves chat through an evaluation endpoint', async () => {
    const d = await services.deployments.create(SYS, { model: 'tiny-llama-demo@0.1.0', template: 'evaluation', team: 'platform-ml', useCase: 'evaluation', environment: 'evaluation', engine: 'local' }, { wait: true });
    expect(d.state).toBe('ready');
    const res = await fetch(`${d.endpointUrl}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${d.endpointKey}` }, body: JSON.stringify({ model: 'tiny-llama-demo', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 8, temperature: 0 }) });
    const body = (await res.json()) as { choices: { message: { content: string } }[] };
    expect(body.choices[0]?.message.content.length).toBeGreaterThan(0);
    // The playground's streamed chat through the API: pieces as server-sent events, then the timings.
    const app = await buildApp({ services, logger: createLogger('silent'), webDir: '/nonexistent' });
    const admin = (await services.identity.resolveToken(adminToken, 'test'))!;
    const token = (await services.identity.createToken(admin, { name: 'sse', scopes: ['read', 'deploy'], expiresInDays: 1 })).token;
    const sse = await app.inject({ method: 'POST', url: `/api/v1/deployments/${d.id}/chat/stream`, headers: { authorization: `Bearer ${token}` }, payload: { messages: [{ role: 'user', content: 'Hi' }], maxTokens: 8 } });
    expect(sse.headers['content-type']).toBe('text/event-stream');
    const events = sse.body.split('\n\n').filter(Boolean).map((e) => JSON.parse(e.replace(/^data: /, '')) as { delta?: string; done?: boolean; firstTokenMs?: number });
    expect(events.filter((e) => e.delta).map((e) => e.delta).join('')).toBe(body.choices[0]?.message.content);
    expect(events.at(-1)).toMatchObject({ done: true, firstTokenMs: expect.any(Number) });
    await app.close();
    await services.deployments.stop(SYS, d.id);
  });
});
