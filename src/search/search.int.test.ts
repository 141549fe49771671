import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServices, dbKinds } from '../../test/harness.js';
import { makeEntry, smallCatalog } from '../../test/factories.js';
import type { Services } from '../api/services.js';
import { runImport } from '../catalog/index.js';
import { SearchQuery } from './params.js';
import { systemActor } from '../identity/index.js';

const SYS = systemActor('test');

describe.each(dbKinds())('search on %s', (kind) => {
  let services: Services;
  let cleanup: () => Promise<void>;
  const search = (q: Record<string, unknown>, facets = true) => services.search.search(SYS, SearchQuery.parse(q), { facets });
  const slugs = async (q: Record<string, unknown>) => (await search(q)).items.map((i) => i.slug);

  beforeAll(async () => {
    ({ services, cleanup } = await createTestServices(kind));
    const extra = Array.from({ length: 25 }, (_, i) =>
      makeEntry({
        slug: `filler-${String(i).padStart(2, '0')}`,
        name: `Filler ${i}`,
        maturity: i % 3 === 0 ? 'production' : 'experimental',
        ownerTeam: i % 2 ? 'team-odd' : 'team-even',
        languages: i % 4 === 0 ? ['en', 'de', 'fr'] : ['en'],
        updatedAt: `2026-0${(i % 9) + 1}-15`,
      }),
    );
    const r = await runImport(SYS, services.database.db, services.catalog, [...smallCatalog(), ...extra]);
    expect(r.failed).toBe(0);
  });
  afterAll(async () => cleanup?.());

  it('puts an exact slug match first', async () => {
    expect((await slugs({ q: 'contract-summarizer' }))[0]).toBe('contract-summarizer');
  });

  it('finds models despite a misspelling', async () => {
    const typo = await search({ q: 'sumarizer' });
    expect(typo.items.map((i) => i.slug)).toContain('contract-summarizer');
    expect(typo.query?.corrections).toEqual([{ from: 'sumarizer', to: expect.arrayContaining(['summarizer']) }]);
    expect(await slugs({ q: 'whispr callcenter' })).toContain('whisper-small-callcenter');
  });

  it('understands the vocabulary of the field', async () => {
    expect(await slugs({ q: 'ASR' })).toEqual(['whisper-small-callcenter']);
    expect(await slugs({ q: 'transcription of calls' })).toContain('whisper-small-callcenter');
    expect(await slugs({ q: 'NER' })).toContain('bert-ner-japanese');
    expect(await slugs({ q: 'condense contracts' })).toEqual(expect.arrayContaining(['contract-summarizer', 'contract-summarizer-int4']));
  });

  it('reads constraints from the text and treats them as hard filters', async () => {
    const r = await search({ q: 'summarize contracts on a 8GB GPU' });
    expect(r.query?.constraints.map((c) => c.id)).toEqual(['maxGpuMemoryGb:8']);
    expect(r.items.length).toBeGreaterThan(0);
    for (const i of r.items) expect(i.head?.minGpuMemoryGb).toBeLessThanOrEqual(8);

    const cpu = await search({ q: 'speech to text CPU only' });
    expect(cpu.items.map((i) => i.slug)).toEqual(['whisper-small-callcenter']);

    const ctx = await search({ q: 'summarize legal documents under 10,000 words' });
    expect(ctx.query?.constraints[0]).toMatchObject({ kind: 'minContextLength', value: 13300 });
    for (const i of ctx.items) expect(i.head?.contextLength).toBeGreaterThanOrEqual(13300);
    expect(ctx.items.map((i) => i.slug)).toContain('contract-summarizer');

    const ja = await search({ q: 'Japanese NER' });
    expect(ja.items.map((i) => i.slug)).toEqual(['bert-ner-japanese']);
  });

  it('lets the user drop a constraint read from the text', async () => {
    const strict = await search({ q: 'summarizer under 4 GB' });
    expect(strict.items).toEqual([]);
    expect(strict.message).toMatch(/No model matches/);
    const relaxed = await search({ q: 'summarizer under 4 GB', ignore: ['maxGpuMemoryGb:4'] });
    expect(relaxed.query?.constraints).toEqual([]);
    expect(relaxed.query?.ignored).toEqual([expect.objectContaining({ id: 'maxGpuMemoryGb:4', label: expect.stringContaining('4 GB') })]);
    expect(relaxed.items.map((i) => i.slug)).toContain('contract-summarizer');
  });

  it('returns nothing, with a helpful message, when nothing matches', async () => {
    const r = await search({ q: 'quantum banana teleporter' });
    expect(r.items).toEqual([]);
    expect(r.total).toBe(0);
    expect(r.message).toMatch(/No model matches “quantum banana teleporter”/);
  });

  it('never returns a result that violates a facet filter', async () => {
    const combos: Record<string, unknown>[] = [
      { maturity: ['production'] },
      { team: ['team-odd'], maturity: ['experimental'] },
      { language: ['de'] },
      { cpu: 'true', fitsInGb: '2' },
      { q: 'filler', maturity: ['production', 'validated'], team: ['team-even'] },
      { minContext: '32768' },
    ];
    for (const c of combos) {
      const r = await search({ ...c, limit: 100 });
      expect(r.items.length).toBeGreaterThan(0);
      for (const i of r.items) {
        if (c.maturity) expect(c.maturity).toContain(i.head?.maturity);
        if (c.team) expect(c.team).toContain(i.ownerTeam);
        if (c.language) expect(i.head?.languages).toContain('de');
        if (c.cpu) expect(i.head?.cpuInference).toBe(true);
        if (c.fitsInGb) expect(i.head?.minGpuMemoryGb).toBeLessThanOrEqual(2);
        if (c.minContext) expect(i.head?.contextLength).toBeGreaterThanOrEqual(32768);
      }
    }
  });

  it('counts each facet as if its own filter were off, and the counts add up', async () => {
    const all = await search({ limit: 1 });
    const prod = await search({ maturity: ['production'], limit: 1 });
    expect(prod.facets?.maturity).toEqual(all.facets?.maturity);
    const prodCount = all.facets?.maturity?.find((f) => f.value === 'production')?.count;
    expect(prod.total).toBe(prodCount);
    const teamSum = (prod.facets?.team ?? []).reduce((s, f) => s + f.count, 0);
    expect(teamSum).toBe(prod.total);
    const gpu8 = all.facets?.fitsInGb?.find((f) => f.value === '8')?.count;
    expect((await search({ fitsInGb: '8', limit: 1 })).total).toBe(gpu8);
  });

  it('pages with cursors in a stable order without gaps or repeats', async () => {
    for (const sort of ['name', 'updated', 'relevance'] as const) {
      const q = sort === 'relevance' ? { q: 'filler model' } : {};
      const full = await search({ ...q, sort, limit: 100 });
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await search({ ...q, sort, limit: 7, ...(cursor ? { cursor } : {}) }, false);
        seen.push(...page.items.map((i) => i.slug));
        expect(page.total).toBe(full.total);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(seen).toEqual(full.items.map((i) => i.slug));
    }
    const names = (await search({ sort: 'name', limit: 100 })).items.map((i) => i.name.toLowerCase());
    expect(names).toEqual([...names].sort());
  });

  it('rejects a cursor that is malformed or belongs to another query', async () => {
    await expect(search({ cursor: 'garbage' })).rejects.toMatchObject({ code: 'INVALID_CURSOR' });
    const page = await search({ sort: 'name', limit: 2 });
    await expect(search({ sort: 'updated', limit: 2, cursor: page.nextCursor })).rejects.toMatchObject({ code: 'INVALID_CURSOR' });
  });

  it('rejects a facet value the catalog has never had', async () => {
    await expect(search({ maturity: ['prod'] })).rejects.toMatchObject({ code: 'UNKNOWN_FACET', details: { facet: 'maturity' } });
    await expect(search({ team: ['legal-ml', 'no-such-team'] })).rejects.toMatchObject({
      code: 'UNKNOWN_FACET',
      details: { facet: 'team', unknown: ['no-such-team'] },
    });
    await expect(search({ task: ['summarisation'] })).rejects.toMatchObject({ code: 'UNKNOWN_FACET', details: { facet: 'task' } });
    // a known value that nothing matches together with other filters is fine: an empty page
    const r = await search({ team: ['speech-team'], language: ['ja'] });
    expect(r.total).toBe(0);
  });

  it('keeps deprecated models visible, below their replacements', async () => {
    await services.catalog.updateVersion(SYS, 'contract-summarizer-int4', '2.0.0', {
      lifecycle: 'deprecated',
      deprecation: { replacement: 'contract-summarizer@2.0.0' },
    });
    const r = await search({ q: 'contract summarizer' });
    const order = r.items.map((i) => i.slug);
    expect(order).toContain('contract-summarizer-int4');
    expect(order.indexOf('contract-summarizer')).toBeLessThan(order.indexOf('contract-summarizer-int4'));
    expect(r.items.find((i) => i.slug === 'contract-summarizer-int4')?.head?.lifecycle).toBe('deprecated');
  });
});

describe('forged cursors', () => {
  it('rejects a cursor with the right fingerprint but keys of the wrong shape', async () => {
    const { services, cleanup } = await createTestServices('pglite');
    try {
      const { encodeCursor, fingerprint } = await import('./cursor.js');
      const filters = { values: {}, fitsInGb: undefined, cpu: undefined, minContext: undefined };
      for (const [sort, k] of [
        ['name', ['a', 'NaN', 3]],
        ['updated', ['yesterday', 1, 3]],
        ['relevance', [-5, 3]],
      ] as const) {
        const q = sort === 'relevance' ? 'x' : '';
        const cursor = encodeCursor(fingerprint([q, [], filters, sort, 20]), { k: [...k] });
        await expect(
          services.search.search(SYS, SearchQuery.parse({ ...(q ? { q } : {}), sort, cursor }), { facets: false }),
        ).rejects.toMatchObject({ code: 'INVALID_CURSOR' });
      }
    } finally {
      await cleanup();
    }
  });
});
