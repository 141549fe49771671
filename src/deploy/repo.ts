/**
 * Reading deployments: one joined query gives what a view and the visibility rule need (the
 * version, its owner team, the creator), so lists cost one round trip.
 */
import { desc, eq, type SQL } from 'drizzle-orm';
import type { Db } from '../core/db/index.js';
import { deployments, modelVersions, models, teams, users } from '../core/db/schema.js';
import { seesVersion } from '../catalog/index.js';
import { hasTeamRole, isAdmin, isReviewer, type Actor } from '../identity/index.js';
import type { EngineName } from './ports/engine.js';
import { StoredTemplateSettings } from './template-schema.js';
import { LIVE_STATES, type DeploymentViewT } from './views.js';

export type Row = typeof deployments.$inferSelect;

/** Rows with what a view and the visibility rule need: the version, its owner team, the creator. */
export async function loadJoined(db: Db, where: SQL | undefined, limit: number) {
  return db
    .select({ d: deployments, slug: models.slug, version: modelVersions.version, lifecycle: modelVersions.lifecycle, owner: teams.slug, creatorName: users.name, creatorUsername: users.username })
    .from(deployments)
    .innerJoin(modelVersions, eq(modelVersions.id, deployments.versionId))
    .innerJoin(models, eq(models.id, modelVersions.modelId))
    .innerJoin(teams, eq(teams.id, models.ownerTeamId))
    .leftJoin(users, eq(users.id, deployments.createdBy))
    .where(where)
    .orderBy(desc(deployments.createdAt))
    .limit(limit);
}
export type Joined = Awaited<ReturnType<typeof loadJoined>>[number];

/** Deployments are visible with their version, and to their own team. */
export const sees = (actor: Actor, j: Joined) => seesVersion(actor, j.owner, j.lifecycle) || hasTeamRole(actor, j.d.team, 'viewer');

export function toView(actor: Actor, j: Joined): DeploymentViewT {
  const r = j.d;
  return {
    id: r.id,
    name: r.name,
    model: { slug: j.slug, version: j.version },
    team: r.team,
    useCase: r.useCase,
    environment: r.environment as 'evaluation' | 'production',
    template: r.template,
    engine: r.engine as EngineName,
    settings: r.settings ? StoredTemplateSettings.parse(r.settings) : null,
    gpus: r.gpus,
    state: r.state as DeploymentViewT['state'],
    endpointUrl: r.endpointUrl,
    modelName: j.slug,
    endpointKey: mayUse(actor, r) ? ((r.handle as { apiKey?: string } | null)?.apiKey ?? null) : null,
    lastError: r.lastError,
    failureReason: r.failureReason,
    logTail: r.logTail,
    expiresAt: r.expiresAt?.toISOString() ?? null,
    createdBy: r.createdBy ? { id: r.createdBy, name: j.creatorName || (j.creatorUsername ?? '') } : null,
    createdAt: r.createdAt.toISOString(),
    readyAt: r.readyAt?.toISOString() ?? null,
    stoppedAt: r.stoppedAt?.toISOString() ?? null,
    canStop: (LIVE_STATES as readonly string[]).includes(r.state) && r.state !== 'stopping' && mayStop(actor, r),
  };
}

/** Who may send it requests: admins, reviewers and its team (any member). */
export function mayUse(actor: Actor, r: Row): boolean {
  return isAdmin(actor) || isReviewer(actor) || hasTeamRole(actor, r.team, 'viewer');
}

/**
 * Who may stop it: admins, and contributors of its team (as for starting it), with the deploy
 * scope. Having started it is not enough: someone who has since left the team or become a viewer
 * no longer controls the team's endpoints.
 */
export function mayStop(actor: Actor, r: Row): boolean {
  if (actor.kind === 'anonymous') return false;
  if (isAdmin(actor)) return true;
  if (actor.kind !== 'user' || !actor.scopes.has('deploy')) return false;
  return hasTeamRole(actor, r.team, 'contributor');
}
