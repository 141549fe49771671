/**
 * Catalog rules: models and their versions, immutability of approved versions, lineage.
 * Every write runs in one transaction; the caller never sees half a model.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../core/db/index.js';
import { AppError, notFound } from '../core/errors.js';
import { appendAudit } from '../audit/index.js';
import { requireAdmin, requireReader, requireReviewer, requireTeamRole, seesUnpublished, type Actor } from '../identity/index.js';
import {
  EDITABLE_TRANSITIONS,
  PUBLISHED_LIFECYCLES,
  IMMUTABLE_LIFECYCLES,
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
import { seesVersion, visibleSql } from './visibility.js';
import { compareVersions } from './semver.js';
import type { ModelDetailT, VersionViewT } from './views.js';

/** Fields that may still change on a frozen (approved, deprecated, retired) version. */
const LIFECYCLE_FIELDS = ['lifecycle', 'maturity', 'compliance', 'deprecation', 'updatedAt'] as const;

export type UpsertOutcome = 'created' | 'updated' | 'unchanged';

export interface CatalogDeps {
  db: Db;
  /** Whether an admin made the catalog readable without signing in. */
  publicCatalog?: () => Promise<boolean>;
}

/** Version fields only platform reviewers change (the governed lifecycle). */
const GOVERNED_FIELDS = ['lifecycle', 'maturity', 'compliance', 'deprecation'] as const;

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

/**
 * Refuses a base model that would make lineage circular: the model itself, or a model derived
 * from it through any chain (A based on B based on A). Runs in the writing transaction (see
 * repo.lineageCycle for why concurrent edits cannot slip past each other).
 */
async function assertNoLineageCycle(tx: repo.Q, slug: string, base: ModelFieldsT['baseModel']): Promise<void> {
  const baseSlug = base ? repo.parseBaseRef(base.ref).slug : null;
  if (!baseSlug) return;
  const cycle = await repo.lineageCycle(tx, slug, baseSlug);
  if (!cycle) return;
  const details = { reason: 'lineage_cycle', field: 'baseModel.ref', ref: base!.ref, cycle };
  if (baseSlug === slug) throw new AppError('INVALID_INPUT', `baseModel: ${slug} cannot be its own base model`, details);
  throw new AppError('INVALID_INPUT', `baseModel: ${base!.ref} derives from ${slug}, so it cannot also be its base (${cycle.join(' → ')})`, details);
}

export function createCatalogService(deps: CatalogDeps) {
  const { db } = deps;
  const publicCatalog = deps.publicCatalog ?? (async () => false);

  async function requireModel(q: repo.Q, slug: string) {
    const m = await repo.findModel(q, slug);
    if (!m) throw notFound(`model ${slug}`, { slug });
    return m;
  }

  /** Versions the actor may see: published ones, or all of them for the owner team and reviewers. */
  function visibleBundles(actor: Actor, ownerTeam: string, bundles: repo.VersionBundle[]): repo.VersionBundle[] {
    return bundles.filter((b) => seesVersion(actor, ownerTeam, b.row.lifecycle));
  }

  async function getModel(actor: Actor, slug: string): Promise<ModelDetailT> {
    await requireReader(actor, publicCatalog);
    const [summary] = await selectSummaries(db, actor, sql`m.slug = ${slug} AND ${visibleSql(actor)}`);
    if (!summary) throw notFound(`model ${slug}`, { slug });
    const model = await requireModel(db, slug);
    const [bundles, derived] = await Promise.all([repo.loadVersions(db, model.id), repo.derivedModels(db, slug, actor)]);
    return {
      ...summary,
      versions: visibleBundles(actor, model.ownerTeam, bundles).map((b) => toVersionView(slug, b)),
      lineage: { ancestors: await ancestors(actor, model), derived: derived.map((d) => ({ ...d, ownerTeam: d.owner_team, lifecycle: d.lifecycle as Lifecycle | null })) },
    };
  }

  /** The base chain upwards; a base `actor` may not see ends it, named only by the ref the model itself holds. */
  async function ancestors(actor: Actor, model: repo.ModelRow) {
    const chain: ModelDetailT['lineage']['ancestors'] = [];
    const seen = new Set([model.slug]);
    let ref = model.baseRef;
    let relation = model.baseRelation;
    while (ref && chain.length < 20) {
      const { slug } = repo.parseBaseRef(ref);
      const [found] = slug && !seen.has(slug) ? await repo.modelBySlugs(db, [slug], actor) : [];
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

  /** The model, for a writer: invisible models are NOT_FOUND; visible ones need `role` in the owner team (none: the caller checks). */
  async function modelForWrite(tx: repo.Q, actor: Actor, slug: string, what: string | null) {
    const m = await repo.findModel(tx, slug);
    if (!m || !(seesUnpublished(actor, m.ownerTeam) || (await repo.hasVersionIn(tx, m.id, PUBLISHED_LIFECYCLES)))) throw notFound(`model ${slug}`, { slug });
    if (what) requireTeamRole(actor, m.ownerTeam, 'contributor', what);
    return m;
  }

  async function createModel(actor: Actor, f: ModelFieldsT): Promise<ModelDetailT> {
    requireTeamRole(actor, f.ownerTeam, 'contributor', 'create its models');
    await mapUnique(`model ${f.slug}`, () =>
      db.transaction(async (tx) => {
        if (await repo.findModel(tx, f.slug)) throw new AppError('CONFLICT', `model ${f.slug} already exists`, { slug: f.slug });
        await assertNoLineageCycle(tx, f.slug, f.baseModel);
        const id = await repo.insertModel(tx, f, await repo.ensureTeam(tx, f.ownerTeam));
        await repo.refreshModel(tx, id);
        await appendAudit(tx, actor, { action: 'model.create', targetType: 'model', targetId: f.slug, modelSlug: f.slug, details: { ownerTeam: f.ownerTeam } });
      }),
    );
    return getModel(actor, f.slug);
  }

  async function updateModel(actor: Actor, slug: string, patch: ModelPatchT): Promise<ModelDetailT> {
    await db.transaction(async (tx) => {
      const m = await modelForWrite(tx, actor, slug, 'edit its models');
      const next = { ...modelRowToFields(m), ...stripUndefined(patch) };
      if (next.ownerTeam !== m.ownerTeam) requireTeamRole(actor, next.ownerTeam, 'contributor', 'receive models');
      if (patch.baseModel !== undefined) await assertNoLineageCycle(tx, slug, next.baseModel);
      await repo.updateModel(tx, m.id, next, await repo.ensureTeam(tx, next.ownerTeam));
      await repo.refreshModel(tx, m.id);
      await appendAudit(tx, actor, { action: 'model.update', targetType: 'model', targetId: slug, modelSlug: slug, details: { fields: Object.keys(stripUndefined(patch)) } });
    });
    return getModel(actor, slug);
  }

  async function listVersions(actor: Actor, slug: string): Promise<VersionViewT[]> {
    await requireReader(actor, publicCatalog);
    const m = await requireModel(db, slug);
    const visible = visibleBundles(actor, m.ownerTeam, await repo.loadVersions(db, m.id));
    if (!visible.length && !seesUnpublished(actor, m.ownerTeam)) throw notFound(`model ${slug}`, { slug });
    return visible.map((b) => toVersionView(slug, b));
  }

  async function getVersion(actor: Actor, slug: string, version: string): Promise<VersionViewT> {
    await requireReader(actor, publicCatalog);
    const m = await requireModel(db, slug);
    const [b] = visibleBundles(actor, m.ownerTeam, await repo.loadVersions(db, m.id, version));
    if (b) return toVersionView(slug, b);
    // A model the actor may not see at all is missing, in the same words as one that does not exist.
    if (!seesUnpublished(actor, m.ownerTeam) && !(await repo.hasVersionIn(db, m.id, PUBLISHED_LIFECYCLES))) throw notFound(`model ${slug}`, { slug });
    throw notFound(`version ${slug}@${version}`, { slug, version });
  }

  async function createVersion(actor: Actor, slug: string, f: VersionFieldsT): Promise<VersionViewT> {
    assertVersionRules(f);
    // A new version starts as a draft; only the governed workflow moves it on.
    if (f.lifecycle !== 'draft' && actor.kind !== 'system') {
      throw new AppError('LIFECYCLE_TRANSITION', `a new version starts as a draft, not ${f.lifecycle}: submit it for review`, { lifecycle: f.lifecycle });
    }
    await mapUnique(`version ${slug}@${f.version}`, () =>
      db.transaction(async (tx) => {
        const m = await modelForWrite(tx, actor, slug, 'add versions');
        if (await repo.findVersion(tx, m.id, f.version)) {
          throw new AppError('CONFLICT', `version ${slug}@${f.version} already exists`, { slug, version: f.version });
        }
        await repo.insertVersion(tx, m.id, f, reporterOf(actor));
        await repo.refreshModel(tx, m.id);
        await appendAudit(tx, actor, { action: 'version.create', targetType: 'version', targetId: `${slug}@${f.version}`, modelSlug: slug, details: { lifecycle: f.lifecycle } });
      }),
    );
    return getVersion(actor, slug, f.version);
  }

  async function updateVersion(actor: Actor, slug: string, version: string, patch: VersionPatchT): Promise<VersionViewT> {
    await db.transaction(async (tx) => {
      const m = await modelForWrite(tx, actor, slug, null);
      const [b] = visibleBundles(actor, m.ownerTeam, await repo.loadVersions(tx, m.id, version));
      if (!b) throw notFound(`version ${slug}@${version}`, { slug, version });
      const before = bundleToFields(b);
      const next = { ...before, ...stripUndefined(patch), version };
      if (patch.updatedAt === undefined) next.updatedAt = undefined;
      // Lifecycle fields are the platform reviewers'; the card and the rest are the owner team's.
      const governed = GOVERNED_FIELDS.filter((k) => canonical(before[k]) !== canonical(next[k]));
      const content = (Object.keys(next) as (keyof VersionFieldsT)[]).filter((k) => k !== 'updatedAt' && !(GOVERNED_FIELDS as readonly string[]).includes(k) && canonical(before[k]) !== canonical(next[k]));
      if (governed.length) requireReviewer(actor, `change ${governed.join(', ')}`);
      const move = [before.lifecycle, next.lifecycle] as const;
      if (move[0] !== move[1] && actor.kind !== 'system' && !EDITABLE_TRANSITIONS.some(([a, b]) => a === move[0] && b === move[1])) {
        throw new AppError('LIFECYCLE_TRANSITION', `${slug}@${version} cannot go from ${move[0]} to ${move[1]} by editing; submissions are decided through the review workflow (submit, sign-off, approve)`, { from: move[0], to: move[1] });
      }
      if (content.length || !governed.length) requireTeamRole(actor, m.ownerTeam, 'contributor', 'edit its versions');
      assertVersionRules(next);
      assertMutable(slug, before, next);
      await repo.replaceVersion(tx, b.row.id, next, reporterOf(actor));
      await repo.refreshModel(tx, m.id);
      const fields = Object.keys(stripUndefined(patch)).filter((k) => k !== 'updatedAt');
      await appendAudit(tx, actor, { action: governed.length ? 'version.lifecycle' : 'version.update', targetType: 'version', targetId: `${slug}@${version}`, modelSlug: slug, details: { fields, ...(governed.length ? { lifecycle: next.lifecycle, maturity: next.maturity } : {}) } });
    });
    return getVersion(actor, slug, version);
  }

  function assertMutable(slug: string, before: VersionFieldsT, next: VersionFieldsT) {
    if (!IMMUTABLE_LIFECYCLES.includes(before.lifecycle)) return;
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
  async function upsertEntry(actor: Actor, tx: repo.Q, entry: CatalogEntryT): Promise<UpsertOutcome> {
    requireAdmin(actor, 'import catalog entries');
    const { slug, name, ownerTeam, description, tasks, domains, tags, baseModel, ...versionFields } = entry;
    const modelFields: ModelFieldsT = { slug, name, ownerTeam, description, tasks, domains, tags, baseModel };
    assertVersionRules(versionFields);
    let m = await repo.findModel(tx, slug);
    let outcome: UpsertOutcome = 'unchanged';
    if (!m) {
      await assertNoLineageCycle(tx, slug, baseModel);
      await repo.insertModel(tx, modelFields, await repo.ensureTeam(tx, ownerTeam));
      m = await requireModel(tx, slug);
      outcome = 'created';
    } else {
      const newest = await repo.newestVersion(tx, m.id);
      const isNewest = !newest || compareVersions(versionFields.version, newest) >= 0;
      if (isNewest && canonical(modelRowToFields(m)) !== canonical(modelFields)) {
        await assertNoLineageCycle(tx, slug, baseModel);
        await repo.updateModel(tx, m.id, modelFields, await repo.ensureTeam(tx, ownerTeam));
        outcome = 'updated';
      }
    }
    const [existing] = await repo.loadVersions(tx, m.id, versionFields.version);
    if (!existing) {
      await repo.insertVersion(tx, m.id, versionFields, reporterOf(actor));
      outcome = 'created';
    } else {
      const before = bundleToFields(existing);
      const comparable = versionFields.updatedAt ? versionFields : { ...versionFields, updatedAt: before.updatedAt };
      if (canonical(before) !== canonical(comparable)) {
        assertMutable(slug, before, comparable);
        await repo.replaceVersion(tx, existing.row.id, comparable, reporterOf(actor));
        if (outcome === 'unchanged') outcome = 'updated';
      }
    }
    if (outcome !== 'unchanged') {
      await repo.refreshModel(tx, m.id);
      await appendAudit(tx, actor, { action: `import.${outcome}`, targetType: 'version', targetId: `${slug}@${versionFields.version}`, modelSlug: slug });
    }
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
    /** Throws unless the actor may edit the model's versions (contributor of its team, or admin). */
    assertEditable: async (actor: Actor, slug: string): Promise<void> => {
      await modelForWrite(db, actor, slug, 'edit its versions');
    },
    listTeams: async (actor: Actor) => {
      await requireReader(actor, publicCatalog);
      return repo.listTeams(db, actor);
    },
  };
}

/** Who typed the benchmark results a write carries (a user; null for the system and imports it runs). */
const reporterOf = (actor: Actor): string | null => (actor.kind === 'user' ? actor.id : null);

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export type CatalogService = ReturnType<typeof createCatalogService>;
