/**
 * From an identity provider's group names to Model Garden roles. Two rules, both configurable:
 * an explicit map (group → `admin`, `reviewer` or `team:<slug>:<role>`; default `garden-admins` →
 * admin, `garden-reviewers` → reviewer), and the pattern `<teamPrefix><slug>:<role>` (default
 * prefix `team:`, e.g. `team:vision:contributor`). Names match exactly (case-sensitive). The
 * highest role wins when several groups grant one; unknown groups are ignored.
 */
import { TEAM_ROLES, type PlatformRole, type TeamRole } from './actor.js';

export interface GroupRules {
  /** group name → role targets */
  roleMap: Readonly<Record<string, string | readonly string[]>>;
  /** Groups named `<prefix><slug>:<role>` grant that team role; '' turns the pattern off. */
  teamPrefix: string;
}

export interface GroupGrants {
  platformRole: PlatformRole;
  /** team slug → role, to become the user's `oidc` memberships */
  teams: Map<string, TeamRole>;
  /** The groups that granted something (for the audit trail). */
  matched: string[];
}

const TEAM_TARGET = /^([a-z0-9][a-z0-9-]{0,62}):([a-z_]+)$/;
const PLATFORM_RANK: Record<PlatformRole, number> = { none: 0, reviewer: 1, admin: 2 };
const TEAM_RANK: Record<TeamRole, number> = { viewer: 1, contributor: 2, team_lead: 3 };

const isTeamRole = (r: string): r is TeamRole => (TEAM_ROLES as readonly string[]).includes(r);

/** `<slug>:<role>` → [slug, role], or null when it is not a valid team and role. */
function teamTarget(rest: string): [string, TeamRole] | null {
  const m = TEAM_TARGET.exec(rest);
  const slug = m?.[1];
  const role = m?.[2];
  return slug && role && isTeamRole(role) ? [slug, role] : null;
}

/** What the groups grant under the rules. */
export function mapGroups(groups: readonly string[], rules: GroupRules): GroupGrants {
  const out: GroupGrants = { platformRole: 'none', teams: new Map(), matched: [] };
  const grant = (target: string): boolean => {
    if (target === 'admin' || target === 'reviewer') {
      if (PLATFORM_RANK[target] > PLATFORM_RANK[out.platformRole]) out.platformRole = target;
      return true;
    }
    const team = target.startsWith('team:') ? teamTarget(target.slice('team:'.length)) : null;
    if (!team) return false;
    const [slug, role] = team;
    const had = out.teams.get(slug);
    if (!had || TEAM_RANK[role] > TEAM_RANK[had]) out.teams.set(slug, role);
    return true;
  };
  for (const group of new Set(groups)) {
    const mapped = rules.roleMap[group];
    const targets = mapped === undefined ? [] : typeof mapped === 'string' ? [mapped] : [...mapped];
    if (rules.teamPrefix && group.startsWith(rules.teamPrefix)) targets.push(`team:${group.slice(rules.teamPrefix.length)}`);
    let used = false;
    for (const t of targets) used = grant(t) || used;
    if (used) out.matched.push(group);
  }
  return out;
}

/**
 * The group names in a claims object: `claim` is a claim name, or a dotted path into nested
 * objects (`realm_access.roles`). A single string counts as one group; anything else as none.
 */
export function groupsFrom(claims: Readonly<Record<string, unknown>>, claim: string): string[] | undefined {
  let value: unknown = claim in claims ? claims[claim] : undefined;
  if (value === undefined && claim.includes('.')) {
    value = claim.split('.').reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), claims);
  }
  if (value === undefined) return undefined;
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((g): g is string => typeof g === 'string') : [];
}
