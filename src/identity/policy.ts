/**
 * Authorization rules shared by the services. Services call these before they read or write;
 * routes never decide. A denial is AppError FORBIDDEN (or UNAUTHENTICATED for no credentials),
 * which the API audits and answers with 403 / 401.
 */
import { AppError } from '../core/errors.js';
import { hasTeamRole, isAdmin, isReviewer, type Actor, type Scope, type TeamRole, type UserActor } from './actor.js';

export const forbid = (message: string, details?: Record<string, unknown>) => new AppError('FORBIDDEN', message, details);

const ROLE_NAME: Record<TeamRole, string> = { viewer: 'a member', contributor: 'a contributor', team_lead: 'the team lead' };

/** A signed-in user (system actors are not users). */
export function requireUser(a: Actor): UserActor {
  if (a.kind === 'anonymous') throw new AppError('UNAUTHENTICATED', 'sign in or send an API token (Authorization: Bearer <token>)');
  if (a.kind === 'system') throw forbid('this needs a user');
  return a;
}

/** The credential must carry `scope` (tokens are scoped; sessions and the system have every scope). */
export function requireScope(a: Actor, scope: Scope): void {
  if (a.kind === 'anonymous') throw new AppError('UNAUTHENTICATED', 'sign in or send an API token (Authorization: Bearer <token>)');
  if (a.kind === 'user' && !a.scopes.has(scope)) throw forbid(`this token lacks the ${scope} scope`, { need: `scope ${scope}` });
}

/** Reading the catalog: any signed-in user with the read scope, or anyone when an admin made it public. */
export async function requireReader(a: Actor, publicCatalog: () => Promise<boolean>): Promise<void> {
  if (a.kind === 'anonymous' && (await publicCatalog())) return;
  requireScope(a, 'read');
}

/** Versions not yet approved are visible to their team, platform reviewers and admins only. */
export function seesUnpublished(a: Actor, ownerTeam: string): boolean {
  return isAdmin(a) || isReviewer(a) || hasTeamRole(a, ownerTeam, 'viewer');
}

/**
 * A change: the write scope, and read as well, because a change answers with what it changed (a
 * write-only token would otherwise change something and then be refused the answer).
 */
export function requireWriter(a: Actor): void {
  requireScope(a, 'read');
  requireScope(a, 'write');
}

/** At least `role` in `team` (admins may act for any team), with the read and write scopes. */
export function requireTeamRole(a: Actor, team: string, role: TeamRole, what: string): void {
  requireWriter(a);
  if (isAdmin(a) || hasTeamRole(a, team, role)) return;
  throw forbid(`only ${ROLE_NAME[role]} of team ${team} (or an admin) can ${what}`, { need: `${role} of ${team}` });
}

/** Platform reviewers (and admins), with the read and write scopes. */
export function requireReviewer(a: Actor, what: string): void {
  requireWriter(a);
  if (isReviewer(a) || a.kind === 'system') return;
  throw forbid(`only a platform reviewer can ${what}`, { need: 'reviewer' });
}

export function requireAdmin(a: Actor, what: string): void {
  requireScope(a, 'admin');
  if (isAdmin(a)) return;
  throw forbid(`only an admin can ${what}`, { need: 'admin' });
}
