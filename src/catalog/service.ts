/**
 * Catalog rules: models and their versions, immutability of approved versions, lineage.
 * Every write runs in one transaction; the caller never sees half a model.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../core/db/index.js';
import { AppError, notFound } from '../core/errors.js';
import {
  FROZEN_LIFECYCLES,
  type CatalogEntryT,
  type Lifecycle,
  type ModelFieldsT,
  type ModelPatchT,
  type VersionFieldsT,
  type VersionPatchT,
} from './model.js';
import { bundleToFields, canonical, modelRowToFields, toVersionView } from './mapping.js';
import * as repo from './repo.js';
import { selectSummaries } from './summary.js';
import { compareVersions } from './semver.js';
import type { ModelDetailT, VersionViewT } from './views.js';

/** Fields that may still change on a frozen (approved, deprecated, retired) version. */
const LIFECYCLE_FIELDS = ['lifecycle', 'maturity', 'compliance', 'deprecation', 'updatedAt'] as const;

export type UpsertOutcome = 'created' | 'updated' | 'unchanged';

export interface CatalogDeps {
  db: Db;
}

/** PostgreSQL unique violations become CONFLICT (two writers raced for the same slug or version). */
async function mapUnique<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const code = (err as { code?: string; cause?: { code?: string } }).code ?? (err as { cause?: { code?: string } }).cause?.code;
    if (code === '23505') throw new AppError('CONFLICT', `${what} already exists`, undefined, { cause: err });
    throw err;
  }
}

function frozenChanges(before: VersionFieldsT, after: VersionFieldsT): string[] {
  const keys = Object.keys(after) as (keyof VersionFieldsT)[];
  return keys.filter(
    (k) => !(LIFECYCLE_FIELDS as readonly string[]).includes(k) && canonical(before[k]) !== canonical(after[k]),
  );
}

function assertVersionRules(f: VersionFieldsT): void {
  const replacement = f.deprecation?.replacement;
  if (replacement && !/^[a-z0-9][a-z0-9._-]*(@[0-9A-Za-z.+-]+)?$/.test(replacement)) {
    throw new AppError('INVALID_INPUT', 'deprecation.replacement must be a catalog slug[@version]', { replacement });
  }
  if (f.deprecation && !['deprecated', 'retired'].includes(f.lifecycle)) {
    throw new AppError('LIFECYCLE_TRANSITION', `deprecation details need lifecycle deprecated or retired, not ${f.lifecycle}`);
  }
}

export function createCatalogService(deps: CatalogDeps) {
  const { db } = deps;

  async function requireModel(q: repo.Q, slug: string) {
    const m = await repo.findModel(q, slug);
    if (!m) throw notFound(`model ${slug}`, { slug });
    return m;
  }

  async function getModel(slug: string): Promise<ModelDetailT> {
    const [summary] = await selectSummaries(db, sql`m.slug = ${slug}`);
    if (!summary) throw notFound(`model ${slug}`, { slug });
    const model = await requireModel(db, slug);
    const [bundles, derived] = await Promise.all([repo.loadVersions(db, model.id), repo.derivedModels(db, slug)]);
    return {
      ...summary,
      versions: bundles.map((b) => toVersionView(slug, b)),
      lineage: { ancestors: await ancestors(model), derived: derived.map((d) => ({ ...d, ownerTeam: d.owner_team, lifecycle: d.lifecycle as Lifecycle | null })) },
    };
  }

  async function ancestors(model: repo.ModelRow) {
    const chain: ModelDetailT['lineage']['ancestors'] = [];
    const seen = new Set([model.slug]);
    let ref = model.baseRef;
    let relation = model.baseRelation;
    while (ref && chain.length < 20) {
      const { slug } = repo.parseBaseRef(ref);
      const [found] = slug && !seen.has(slug) ? await repo.modelBySlugs(db, [slug]) : [];
      chain.push({
        ref,
        relation,
        slug: found?.slug ?? null,
        name: found?.name ?? null,
        ownerTeam: found?.ownerTeam ?? null,
        lifecycle: (found?.lifecycle as Lifecycle | null | undefined) ?? null,
      });
      if (!found) break;
      seen.add(found.slug);
      ref = found.baseRef;
      relation = found.baseRelation;
    }
    return chain;
  }

  async function createModel(f: ModelFieldsT): Promise<ModelDetailT> {
    await mapUnique(`model ${f.slug}`, () =>
      db.transaction(async (tx) => {
        if (await repo.findModel(tx, f.slug)) throw new AppError('CONFLICT', `model ${f.slug} already exists`, { slug: f.slug });
        const id = await repo.insertModel(tx, f, await repo.ensureTeam(tx, f.ownerTeam));
        await repo.refreshModel(tx, id);
      }),
    );
    return getModel(f.slug);
  }

  async function updateModel(slug: string, patch: ModelPatchT): Promise<ModelDetailT> {
    await db.transaction(async (tx) => {
      const m = await requireModel(tx, slug);
      const next = { ...modelRowToFields(m), ...stripUndefined(patch) };
      await repo.updateModel(tx, m.id, next, await repo.ensureTeam(tx, next.ownerTeam));
      await repo.refreshModel(tx, m.id);
    });
    return getModel(slug);
  }

  async function listVersions(slug: string): Promise<VersionViewT[]> {
    const m = await requireModel(db, slug);
    return (await repo.loadVersions(db, m.id)).map((b) => toVersionView(slug, b));
  }

  async function getVersion(slug: string, version: string): Promise<VersionViewT> {
    const m = await requireModel(db, slug);
    const [b] = await repo.loadVersions(db, m.id, version);
    if (!b) throw notFound(`version ${slug}@${version}`, { slug, version });
    return toVersionView(slug, b);
  }

  async function createVersion(slug: string, f: VersionFieldsT): Promise<VersionViewT> {
    assertVersionRules(f);
    await mapUnique(`version ${slug}@${f.version}`, () =>
      db.transaction(async (tx) => {
        const m = await requireModel(tx, slug);
        if (await repo.findVersion(tx, m.id, f.version)) {
          throw new AppError('CONFLICT', `version ${slug}@${f.version} already exists`, { slug, version: f.version });
        }
        await repo.insertVersion(tx, m.id, f);
        await repo.refreshModel(tx, m.id);
      }),
    );
    return getVersion(slug, f.version);
  }

  async function updateVersion(slug: string, version: string, patch: VersionPatchT): Promise<VersionViewT> {
    await db.transaction(async (tx) => {
      const m = await requireModel(tx, slug);
      const [b] = await repo.loadVersions(tx, m.id, version);
      if (!b) throw notFound(`version ${slug}@${version}`, { slug, version });
      const before = bundleToFields(b);
      const next = { ...before, ...stripUndefined(patch), version };
      if (patch.updatedAt === undefined) next.updatedAt = undefined;
      assertVersionRules(next);
      assertMutable(slug, before, next);
      await repo.replaceVersion(tx, b.row.id, next);
      await repo.refreshModel(tx, m.id);
    });
    return getVersion(slug, version);
  }

  function assertMutable(slug: string, before: VersionFieldsT, next: VersionFieldsT) {
    if (!FROZEN_LIFECYCLES.includes(before.lifecycle)) return;
    const changed = frozenChanges(before, next);
    if (changed.length) {
      throw new AppError(
        'CONFLICT',
        `${slug}@${before.version} is ${before.lifecycle} and immutable; publish a new version to change ${changed.join(', ')}`,
        { slug, version: before.version, fields: changed },
      );
    }
  }

  /**
   * Creates or updates one model version from an import entry, idempotently: the same entry twice
   * changes nothing. Model-level fields follow the newest version, so importing an old version does
   * not roll back the model's description. Runs inside the caller's transaction.
   */
  async function upsertEntry(tx: repo.Q, entry: CatalogEntryT): Promise<UpsertOutcome> {
    const { slug, name, ownerTeam, description, tasks, domains, tags, baseModel, ...versionFields } = entry;
    const modelFields: ModelFieldsT = { slug, name, ownerTeam, description, tasks, domains, tags, baseModel };
    assertVersionRules(versionFields);
    let m = await repo.findModel(tx, slug);
    let outcome: UpsertOutcome = 'unchanged';
    if (!m) {
      await repo.insertModel(tx, modelFields, await repo.ensureTeam(tx, ownerTeam));
      m = await requireModel(tx, slug);
      outcome = 'created';
    } else {
      const newest = await repo.newestVersion(tx, m.id);
      const isNewest = !newest || compareVersions(versionFields.version, newest) >= 0;
      if (isNewest && canonical(modelRowToFields(m)) !== canonical(modelFields)) {
        await repo.updateModel(tx, m.id, modelFields, await repo.ensureTeam(tx, ownerTeam));
        outcome = 'updated';
      }
    }
    const [existing] = await repo.loadVersions(tx, m.id, versionFields.version);
    if (!existing) {
      await repo.insertVersion(tx, m.id, versionFields);
      outcome = 'created';
    } else {
      const before = bundleToFields(existing);
      const comparable = versionFields.updatedAt ? versionFields : { ...versionFields, updatedAt: before.updatedAt };
      if (canonical(before) !== canonical(comparable)) {
        assertMutable(slug, before, comparable);
        await repo.replaceVersion(tx, existing.row.id, comparable);
        if (outcome === 'unchanged') outcome = 'updated';
      }
    }
    if (outcome !== 'unchanged') await repo.refreshModel(tx, m.id);
    return outcome;
  }


  return {
    getModel,
    createModel,
    updateModel,
    listVersions,
    getVersion,
    createVersion,
    updateVersion,
    upsertEntry,
    listTeams: () => repo.listTeams(db),
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export type CatalogService = ReturnType<typeof createCatalogService>;
