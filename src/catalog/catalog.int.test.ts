import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbKinds, createTestServices } from '../../test/harness.js';
import { makeEntry, smallCatalog } from '../../test/factories.js';
import type { Services } from '../api/services.js';
import { ModelFields, VersionFields, runImport } from './index.js';
import { systemActor } from '../identity/index.js';

const SYS = systemActor('test');

describe.each(dbKinds())('catalog on %s', (kind) => {
  let services: Services;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ services, cleanup } = await createTestServices(kind));
    const report = await runImport(SYS, services.database.db, services.catalog, smallCatalog());
    expect(report.failed).toBe(0);
  });
  afterAll(async () => cleanup?.());

  it('imports idempotently: a second import of the same entries changes nothing', async () => {
    const before = await services.catalog.getModel(SYS, 'contract-summarizer');
    const again = await runImport(SYS, services.database.db, services.catalog, smallCatalog());
    expect(again).toMatchObject({ created: 0, updated: 0, failed: 0, unchanged: 6 });
    const after = await services.catalog.getModel(SYS, 'contract-summarizer');
    expect(after).toEqual(before);
  });

  it('keeps valid entries and reports each invalid one with a code', async () => {
    const entries = [
      makeEntry({ slug: 'ok-one' }),
      makeEntry({ slug: 'Bad Slug!' }),
      makeEntry({ slug: 'ok-two', version: 'one' }),
      makeEntry({ slug: 'ok-three', colour: 'red' }),
      makeEntry({ slug: 'ok-four' }),
      makeEntry({ slug: 'ok-four' }),
    ];
    const r = await runImport(SYS, services.database.db, services.catalog, entries);
    expect(r).toMatchObject({ created: 2, failed: 4 });
    expect(r.results.map((x) => x.outcome)).toEqual(['created', 'failed', 'failed', 'failed', 'created', 'failed']);
    expect(r.results[1]?.error?.code).toBe('INVALID_INPUT');
    expect(r.results[1]?.error?.message).toMatch(/slug/);
    expect(r.results[3]?.error?.message).toMatch(/colour/);
    expect(r.results[5]?.error?.code).toBe('CONFLICT');
    await expect(services.catalog.getModel(SYS, 'ok-two')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('shows the newest approved version as head and keeps deprecated versions listed', async () => {
    const m = await services.catalog.getModel(SYS, 'contract-summarizer');
    expect(m.head?.version).toBe('2.0.0');
    expect(m.versions.map((v) => [v.version, v.lifecycle])).toEqual([
      ['2.0.0', 'approved'],
      ['1.0.0', 'deprecated'],
    ]);
    expect(m.versions[1]?.deprecation).toEqual({
      replacement: 'contract-summarizer@2.0.0',
      deadline: '2027-01-31',
      reason: 'Replaced by the 2.x line.',
    });
  });

  it('resolves lineage up to external ids and down through every derived model', async () => {
    const base = await services.catalog.getModel(SYS, 'llama-3.1-8b-instruct');
    expect(base.lineage.ancestors).toEqual([
      { ref: 'meta-llama/Llama-3.1-8B-Instruct', relation: 'finetune', slug: null, name: null, ownerTeam: null, lifecycle: null },
    ]);
    expect(base.lineage.derived.map((d) => [d.slug, d.relation, d.depth, d.via])).toEqual([
      ['contract-summarizer', 'finetune', 1, 'llama-3.1-8b-instruct'],
      ['contract-summarizer-int4', 'quantized', 2, 'contract-summarizer'],
    ]);
    const leaf = await services.catalog.getModel(SYS, 'contract-summarizer-int4');
    expect(leaf.lineage.ancestors.map((a) => a.slug ?? a.ref)).toEqual([
      'contract-summarizer',
      'llama-3.1-8b-instruct',
      'meta-llama/Llama-3.1-8B-Instruct',
    ]);
    expect(leaf.lineage.ancestors[0]).toMatchObject({ ownerTeam: 'legal-ml', lifecycle: 'approved' });
    expect(leaf.baseModel?.model).toEqual({ slug: 'contract-summarizer', name: 'Contract Summarizer', version: '2.0.0' });
  });

  it('refuses to change the content of an approved version but lets it be deprecated', async () => {
    await expect(
      services.catalog.updateVersion(SYS, 'bert-ner-japanese', '1.2.0', { contextLength: 1024 }),
    ).rejects.toMatchObject({ code: 'CONFLICT', details: { fields: ['contextLength'] } });
    const v = await services.catalog.updateVersion(SYS, 'bert-ner-japanese', '1.2.0', {
      lifecycle: 'deprecated',
      deprecation: { replacement: 'bert-ner-japanese@2.0.0', deadline: '2027-03-01', reason: 'new tokenizer' },
    });
    expect(v.lifecycle).toBe('deprecated');
    expect(v.contextLength).toBe(512);
    const m = await services.catalog.getModel(SYS, 'bert-ner-japanese');
    expect(m.head?.lifecycle).toBe('deprecated');
  });

  it('lets a draft version be edited and rejects a duplicate version', async () => {
    await services.catalog.createModel(SYS, ModelFields.parse({ slug: 'drafty', name: 'Drafty', ownerTeam: 'test-team' }));
    const created = await services.catalog.createVersion(SYS, 'drafty', VersionFields.parse({ version: '0.1.0' }));
    expect(created.lifecycle).toBe('draft');
    const edited = await services.catalog.updateVersion(SYS, 'drafty', '0.1.0', { contextLength: 4096 });
    expect(edited.contextLength).toBe(4096);
    await expect(services.catalog.createVersion(SYS, 'drafty', VersionFields.parse({ version: '0.1.0' }))).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    await expect(
      services.catalog.createModel(SYS, ModelFields.parse({ slug: 'drafty', name: 'Again', ownerTeam: 'test-team' })),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('rolls back a failed write completely', async () => {
    const before = await services.catalog.getModel(SYS, 'whisper-small-callcenter');
    await expect(
      services.catalog.updateVersion(SYS, 'whisper-small-callcenter', '0.3.0', { lifecycle: 'approved', deprecation: { reason: 'x' } }),
    ).rejects.toMatchObject({ code: 'LIFECYCLE_TRANSITION' });
    expect(await services.catalog.getModel(SYS, 'whisper-small-callcenter')).toEqual(before);
  });
});

