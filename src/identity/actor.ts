/**
 * Who is asking: every service call names its actor, and the services decide (policy.ts).
 * A user actor carries its global role, its team roles and the scopes of the credential used.
 */
export const PLATFORM_ROLES = ['none', 'reviewer', 'admin'] as const;
export type PlatformRole = (typeof PLATFORM_ROLES)[number];
export const TEAM_ROLES = ['viewer', 'contributor', 'team_lead'] as const;
export type TeamRole = (typeof TEAM_ROLES)[number];
export const SCOPES = ['read', 'write', 'deploy', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export interface UserActor {
  kind: 'user';
  id: string;
  username: string;
  name: string;
  platformRole: PlatformRole;
  /** team slug → role */
  teams: ReadonlyMap<string, TeamRole>;
  /** What the credential allows (a browser session has every scope; a token has its own). */
  scopes: ReadonlySet<Scope>;
  via: 'token' | 'session';
  tokenId?: string;
}

export interface AnonymousActor {
  kind: 'anonymous';
}

/** The server itself: demo loading, background jobs. Never a request's actor. */
export interface SystemActor {
  kind: 'system';
  name: string;
}

export type Actor = UserActor | AnonymousActor | SystemActor;

export const ANONYMOUS: AnonymousActor = Object.freeze({ kind: 'anonymous' });
export const systemActor = (name: string): SystemActor => Object.freeze({ kind: 'system', name });

/** Name and id as the audit trail records them. */
export function actorRef(a: Actor): { id: string | null; name: string } {
  if (a.kind === 'user') return { id: a.id, name: a.username };
  if (a.kind === 'system') return { id: null, name: `system:${a.name}` };
  return { id: null, name: 'anonymous' };
}

const RANK: Record<TeamRole, number> = { viewer: 1, contributor: 2, team_lead: 3 };

/** Whether the actor holds at least `role` in `team`. */
export function hasTeamRole(a: Actor, team: string, role: TeamRole): boolean {
  if (a.kind !== 'user') return false;
  const r = a.teams.get(team);
  return r !== undefined && RANK[r] >= RANK[role];
}

export const isAdmin = (a: Actor): boolean => a.kind === 'system' || (a.kind === 'user' && a.platformRole === 'admin');
export const isReviewer = (a: Actor): boolean => a.kind === 'user' && (a.platformRole === 'reviewer' || a.platformRole === 'admin');
