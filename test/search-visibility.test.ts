/**
 * What search and the catalog derive from model rows (spelling corrections, facet vocabularies
 * and counts, lineage names and links, version counts, team model counts, "not found" answers)
 * obeys the same visibility as the rows: another team's drafts leave no trace for outsiders,
 * while their own team sees everything. Real HTTP through app.inject on PGlite and PostgreSQL.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app.js';
import type { Services } from '../src/api/services.js';
import { runImport } from '../src/catalog/index.js';
import { createLogger } from '../src/core/logger.js';
import { systemActor } from '../src/identity/index.js';
import { makeEntry } from './factories.js';
import { createTestServices, dbKinds } from './harness.js';

const SYS = systemActor('test');

describe.each(dbKinds())('derived catalog data obeys visibility on %s', (kind) => {
  let app: FastifyInstance;
  let services: Services;
  let cleanup: () => Promise<void>;
  let adminToken = '';
  /** insider: a viewer of team alpha; outsider: a contributor of team beta. */
  const tokens = { insider: '', outsider: '', reviewer: '' };
  type Who = keyof typeof tokens;

  const get = async (who: Who, url: string) => {
    const res = await app.inject({ url: `/api/v1${url}`, headers: { authorization: `Bearer ${tokens[who]}` } });
    return { status: res.statusCode, body: res.json() };
  };

  beforeAll(async () => {
    const t = await createTestServices(kind);
    services = t.services;
    cleanup = t.cleanup;
    adminToken = t.adminToken;
    const common = { ownerTeam: 'alpha', tasks: ['text-classification'], domains: ['support'], tags: [] };
    const entries = [
      // A published model with a newer draft version.
      makeEntry({ ...common, slug: 'ticket-router', name: 'Ticket Router', description: 'Routes support tickets to queues.', version: '1.0.0' }),
      makeEntry({ ...common, slug: 'ticket-router', name: 'Ticket Router', description: 'Routes support tickets to queues.', version: '1.1.0', lifecycle: 'draft', maturity: 'experimental' }),
      // Alpha's draft: a word, a domain, a licence and a lineage link nobody else has.
      makeEntry({
        ...common,
        slug: 'alpha-secret',
        name: 'Alpha Secret',
        description: 'Finds zanzibarite deposits in tickett scans.',
        domains: ['geology'],
        license: 'alpha-internal-1.0',
        baseModel: { ref: 'ticket-router', relation: 'finetune' },
        version: '0.1.0',
        lifecycle: 'draft',
        maturity: 'experimental',
      }),
      // Beta's published model, fine-tuned from alpha's draft.
      makeEntry({ slug: 'beta-tuned', name: 'Beta Tuned', ownerTeam: 'beta', description: 'Sorts mail.', tasks: ['text-classification'], domains: ['mail'], tags: [], baseModel: { ref: 'alpha-secret', relation: 'finetune' } }),
    ];
    const report = await runImport(SYS, services.database.db, services.catalog, entries);
    expect(report.results.filter((r) => r.error)).toEqual([]);
    const { identity } = services;
    await identity.createUser(SYS, { username: 'insider' });
    await identity.addMembership(SYS, 'alpha', 'insider', 'viewer');
    await identity.createUser(SYS, { username: 'outsider' });
    await identity.addMembership(SYS, 'beta', 'outsider', 'contributor');
    await identity.createUser(SYS, { username: 'checker', platformRole: 'reviewer' });
    const admin = (await identity.resolveToken(t.adminToken, 'setup'))!;
    for (const [who, username] of [['insider', 'insider'], ['outsider', 'outsider'], ['reviewer', 'checker']] as const) {
      tokens[who] = (await identity.createToken(admin, { name: who, scopes: ['read'], expiresInDays: 1, username })).token;
    }
    app = await buildApp({ services, logger: createLogger('silent'), webDir: '/nonexistent' });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await cleanup?.();
  });

  it('does not offer a word found only in another team’s draft as a spelling correction', async () => {
    const outsider = await get('outsider', '/search?q=zanzibrite');
    expect(outsider.status).toBe(200);
    expect(outsider.body.query.corrections).toEqual([]);
    expect(outsider.body.items).toEqual([]);
    const insider = await get('insider', '/search?q=zanzibrite');
    expect(insider.body.query.corrections).toEqual([{ from: 'zanzibrite', to: ['zanzibarite'] }]);
    expect(insider.body.items.map((i: { slug: string }) => i.slug)).toEqual(['alpha-secret']);
  });

  it('treats a word found only in another team’s draft like a word found nowhere', async () => {
    // "tickett" is only in alpha's draft; "tickezt" is nowhere. Both are corrected to "ticket".
    const hidden = await get('outsider', '/search?q=tickett');
    const nowhere = await get('outsider', '/search?q=tickezt');
    expect(nowhere.body.query.corrections).toEqual([{ from: 'tickezt', to: expect.arrayContaining(['ticket']) }]);
    expect(hidden.body.query.corrections).toEqual([{ from: 'tickett', to: expect.arrayContaining(['ticket']) }]);
    expect(hidden.body.items.map((i: { slug: string }) => i.slug)).toEqual(['ticket-router']);
    const insider = await get('insider', '/search?q=tickett');
    expect(insider.body.query.corrections).toEqual([]);
    expect(insider.body.items.map((i: { slug: string }) => i.slug)).toEqual(['alpha-secret']);
  });

  it('rejects a facet value only a hidden draft has exactly like an unknown one', async () => {
    for (const [facet, hiddenValue] of [['domain', 'geology'], ['license', 'alpha-internal-1.0']] as const) {
      const hidden = await get('outsider', `/search?${facet}=${hiddenValue}`);
      const unknown = await get('outsider', `/search?${facet}=never-seen-value`);
      expect(hidden.status).toBe(400);
      expect(unknown.status).toBe(400);
      expect(hidden.body.error.code).toBe('UNKNOWN_FACET');
      expect(hidden.body.error.message.replace(hiddenValue, 'X')).toBe(unknown.body.error.message.replace('never-seen-value', 'X'));
      expect((await get('outsider', `/models?${facet}=${hiddenValue}`)).status).toBe(400);
      const insider = await get('insider', `/search?${facet}=${hiddenValue}`);
      expect(insider.status).toBe(200);
      expect(insider.body.items.map((i: { slug: string }) => i.slug)).toEqual(['alpha-secret']);
    }
  });

  it('counts only visible models in facet counts', async () => {
    const count = (body: { facets: Record<string, { value: string; count: number }[]> }, facet: string, value: string) =>
      body.facets[facet]?.find((f) => f.value === value)?.count ?? 0;
    const outsider = (await get('outsider', '/search?limit=1')).body;
    expect(outsider.total).toBe(2);
    expect(count(outsider, 'team', 'alpha')).toBe(1);
    expect(count(outsider, 'team', 'beta')).toBe(1);
    expect(count(outsider, 'task', 'text-classification')).toBe(2);
    expect(count(outsider, 'lifecycle', 'draft')).toBe(0);
    expect(count(outsider, 'domain', 'geology')).toBe(0);
    expect(count(outsider, 'license', 'alpha-internal-1.0')).toBe(0);
    const insider = (await get('insider', '/search?limit=1')).body;
    expect(insider.total).toBe(3);
    expect(count(insider, 'team', 'alpha')).toBe(2);
    expect(count(insider, 'task', 'text-classification')).toBe(3);
    expect(count(insider, 'domain', 'geology')).toBe(1);
    expect(count(insider, 'lifecycle', 'draft')).toBe(1);
  });

  it('does not name or link a hidden base model', async () => {
    const outsider = await get('outsider', '/models/beta-tuned');
    expect(outsider.status).toBe(200);
    // The ref is beta's own text; what the catalog knows about it (name, owner, state) is not shown.
    expect(outsider.body.baseModel).toEqual({ ref: 'alpha-secret', relation: 'finetune', model: null });
    expect(outsider.body.lineage.ancestors).toEqual([{ ref: 'alpha-secret', relation: 'finetune', slug: null, name: null, ownerTeam: null, lifecycle: null }]);
    const listed = (await get('outsider', '/search?q=beta-tuned')).body.items.find((i: { slug: string }) => i.slug === 'beta-tuned');
    expect(listed.baseModel.model).toBeNull();
    const insider = await get('insider', '/models/beta-tuned');
    expect(insider.body.baseModel.model).toEqual({ slug: 'alpha-secret', name: 'Alpha Secret', version: null });
    expect(insider.body.lineage.ancestors.map((a: { slug: string | null }) => a.slug)).toEqual(['alpha-secret', 'ticket-router']);
  });

  it('does not list hidden derived models, nor models reached only through them', async () => {
    const outsider = await get('outsider', '/models/ticket-router');
    expect(outsider.body.lineage.derived).toEqual([]);
    const insider = await get('insider', '/models/ticket-router');
    expect(insider.body.lineage.derived.map((d: { slug: string; via: string }) => [d.slug, d.via])).toEqual([
      ['alpha-secret', 'ticket-router'],
      ['beta-tuned', 'alpha-secret'],
    ]);
  });

  it('counts only visible versions in versionCount', async () => {
    const outsider = await get('outsider', '/models/ticket-router');
    expect(outsider.body.versions.map((v: { version: string }) => v.version)).toEqual(['1.0.0']);
    expect(outsider.body.versionCount).toBe(1);
    const listed = (await get('outsider', '/models?team=alpha')).body.items;
    expect(listed.map((i: { slug: string; versionCount: number }) => [i.slug, i.versionCount])).toEqual([['ticket-router', 1]]);
    const found = (await get('outsider', '/search?q=ticket%20router')).body.items[0];
    expect(found).toMatchObject({ slug: 'ticket-router', versionCount: 1 });
    expect((await get('insider', '/models/ticket-router')).body.versionCount).toBe(2);
    expect((await get('reviewer', '/models/ticket-router')).body.versionCount).toBe(2);
  });

  it('counts only visible models per team', async () => {
    const models = async (who: Who) =>
      Object.fromEntries((await get(who, '/teams')).body.items.map((t: { slug: string; models: number }) => [t.slug, t.models]));
    expect(await models('outsider')).toMatchObject({ alpha: 1, beta: 1 });
    expect(await models('insider')).toMatchObject({ alpha: 2, beta: 1 });
    expect(await models('reviewer')).toMatchObject({ alpha: 2, beta: 1 });
  });

  it('answers a hidden model’s URLs exactly like a missing model’s', async () => {
    for (const path of ['', '/versions', '/versions/0.1.0']) {
      const hidden = await get('outsider', `/models/alpha-secret${path}`);
      const missing = await get('outsider', `/models/no-such-model${path}`);
      expect(hidden.status).toBe(404);
      expect(missing.status).toBe(404);
      const scrub = (b: { error: unknown }, slug: string) => JSON.parse(JSON.stringify(b.error).replaceAll(slug, 'S')) as unknown;
      expect(scrub(hidden.body, 'alpha-secret')).toEqual(scrub(missing.body, 'no-such-model'));
    }
  });

  it('shows anonymous readers of a public catalog only what is published', async () => {
    const admin = (await services.identity.resolveToken(adminToken, 'setup'))!;
    await services.identity.setPublicCatalog(admin, true);
    try {
      const anon = async (url: string) => (await app.inject({ url: `/api/v1${url}` })).json();
      expect((await anon('/search?q=zanzibrite')).query.corrections).toEqual([]);
      expect((await anon('/search?domain=geology')).error.code).toBe('UNKNOWN_FACET');
      const model = await anon('/models/ticket-router');
      expect({ versionCount: model.versionCount, derived: model.lineage.derived }).toEqual({ versionCount: 1, derived: [] });
      expect((await anon('/models/beta-tuned')).baseModel.model).toBeNull();
    } finally {
      await services.identity.setPublicCatalog(admin, false);
    }
  });
});
