/**
 * Who sees what of the catalog: published versions (approved, deprecated, retired) for every
 * reader; drafts, submissions and rejected versions for the owner team, platform reviewers and
 * admins. One rule, used by the catalog, the registry, search and the workflow, and by everything
 * derived from model rows (spelling corrections, facet vocabularies and counts, lineage, version
 * counts): derived data is computed from the rows the caller may see, never from all of them.
 */
import { sql, type SQL } from 'drizzle-orm';
import { isAdmin, isReviewer, seesUnpublished, type Actor } from '../identity/index.js';
import { PUBLISHED_LIFECYCLES, type Lifecycle } from './model.js';

export const isPublished = (lifecycle: string): boolean => PUBLISHED_LIFECYCLES.includes(lifecycle as Lifecycle);

/** Whether `a` may see a version in `lifecycle` of a model owned by `ownerTeam`. */
export function seesVersion(a: Actor, ownerTeam: string, lifecycle: string): boolean {
  return isPublished(lifecycle) || seesUnpublished(a, ownerTeam);
}

/**
 * The same rule as SQL. `team` and `version` are table aliases of the owner team (teams) and of
 * the version judged (model_versions): a model's head version decides whether the model is seen.
 * Defaults: t and v, as in summaryFrom.
 */
export function visibleSql(a: Actor, alias: { team: string; version: string } = { team: 't', version: 'v' }): SQL {
  if (isAdmin(a) || isReviewer(a)) return sql`TRUE`;
  const v = sql.raw(`${alias.version}.lifecycle`);
  const published = sql`${v} IN (${sql.join(PUBLISHED_LIFECYCLES.map((l) => sql`${l}`), sql`, `)})`;
  if (a.kind !== 'user' || a.teams.size === 0) return published;
  const t = sql.raw(`${alias.team}.slug`);
  return sql`(${published} OR ${t} IN (${sql.join([...a.teams.keys()].map((s) => sql`${s}`), sql`, `)}))`;
}
