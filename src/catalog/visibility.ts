/**
 * Who sees what of the catalog: published versions (approved, deprecated, retired) for every
 * reader; drafts, submissions and rejected versions for the owner team, platform reviewers and
 * admins. One rule, used by the catalog, the registry, search and the workflow.
 */
import { sql, type SQL } from 'drizzle-orm';
import { isAdmin, isReviewer, seesUnpublished, type Actor } from '../identity/index.js';
import { PUBLISHED_LIFECYCLES, type Lifecycle } from './model.js';

export const isPublished = (lifecycle: string): boolean => PUBLISHED_LIFECYCLES.includes(lifecycle as Lifecycle);

/** Whether `a` may see a version in `lifecycle` of a model owned by `ownerTeam`. */
export function seesVersion(a: Actor, ownerTeam: string, lifecycle: string): boolean {
  return isPublished(lifecycle) || seesUnpublished(a, ownerTeam);
}

/** The same rule as SQL over a model's head version (aliases t, v as in SUMMARY_FROM). */
export function visibleSql(a: Actor): SQL {
  if (isAdmin(a) || isReviewer(a)) return sql`TRUE`;
  const published = sql`v.lifecycle IN (${sql.join(PUBLISHED_LIFECYCLES.map((l) => sql`${l}`), sql`, `)})`;
  if (a.kind !== 'user' || a.teams.size === 0) return published;
  return sql`(${published} OR t.slug IN (${sql.join([...a.teams.keys()].map((t) => sql`${t}`), sql`, `)}))`;
}
