/**
 * Identity: users, team memberships, API tokens, browser sessions and local sign-in. Resolves
 * credentials to actors; every change is audited in the same transaction. Who may change what is
 * decided here too (admins manage users, teams and everyone's tokens; users manage their own).
 */
import { and, eq, isNull, sql } from 'drizzle-orm';
import { queryRows, type Db, type Tx } from '../core/db/index.js';
import { apiTokens, memberships, sessions, settings, teams, users } from '../core/db/schema.js';
import { AppError, notFound } from '../core/errors.js';
import { appendAudit } from '../audit/chain.js';
import { isAdmin, SCOPES, systemActor, type Actor, type PlatformRole, type Scope, type TeamRole, type UserActor } from './actor.js';
import { forbid, requireAdmin as requireAdminRole, requireScope, requireUser } from './policy.js';
import { hashPassword, newToken, parseToken, randomSecret, sameSecret, sha256, verifyPassword } from './secrets.js';

export interface IdentityDeps {
  db: Db;
  /** GARDEN_ADMIN_TOKEN: a fixed token acting as the bootstrap admin (automation). */
  adminToken?: string | undefined;
  sessionHours?: number;
  now?: () => Date;
}

export interface UserInput {
  username: string;
  password?: string | undefined;
  name?: string | undefined;
  email?: string | null | undefined;
  platformRole?: PlatformRole | undefined;
}

export interface MeView {
  user: { id: string; username: string; name: string; email: string | null; platformRole: PlatformRole };
  teams: { slug: string; name: string; role: TeamRole }[];
  csrfToken: string | null;
  via: 'session' | 'token';
}

export interface TokenView {
  id: string;
  name: string;
  username: string;
  scopes: Scope[];
  createdAt: string;
  expiresAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** The first admin as bootstrap() made it: the secrets to hand over once (null: none was made). */
export interface FirstAdmin {
  username: string;
  password: string | null;
  token: string | null;
}

/** A person an identity provider vouched for (OIDC), with what their groups grant here. */
export interface ExternalIdentity {
  /** Stable identity at the provider, `<issuer> <sub>` (users.oidc_key). */
  key: string;
  /** Wanted username (valid, at most 56 characters); a `-2`, `-3`… suffix is added when it is taken. */
  username: string;
  name: string;
  email: string | null;
  platformRole: PlatformRole;
  /** team slug → role: the user's memberships of source `oidc` after this sign-in. */
  teams: ReadonlyMap<string, TeamRole>;
  /** The provider's groups that granted something, for the audit trail. */
  groups: readonly string[];
}

const USERNAME = /^[a-z0-9][a-z0-9._-]{1,63}$/;
const BOOTSTRAP_ADMIN = 'admin';
/** A token's use is recorded (last use, and an audit event) at most this often. */
const USE_RECORD_MS = 5 * 60 * 1000;
const SYSTEM = systemActor('identity');

type UserRow = typeof users.$inferSelect;

export function createIdentityService(deps: IdentityDeps) {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());
  const sessionMs = (deps.sessionHours ?? 12) * 3600 * 1000;
  const adminTokenHash = deps.adminToken ? sha256(deps.adminToken) : null;

  async function teamRoles(q: Db | Tx, userId: string): Promise<Map<string, TeamRole>> {
    const rows = await q
      .select({ slug: teams.slug, role: memberships.role })
      .from(memberships)
      .innerJoin(teams, eq(teams.id, memberships.teamId))
      .where(eq(memberships.userId, userId));
    return new Map(rows.map((r) => [r.slug, r.role as TeamRole]));
  }

  async function actorFor(u: UserRow, scopes: Iterable<Scope>, via: UserActor['via'], tokenId?: string): Promise<UserActor> {
    return {
      kind: 'user',
      id: u.id,
      username: u.username,
      name: u.name || u.username,
      platformRole: u.platformRole as PlatformRole,
      teams: await teamRoles(db, u.id),
      scopes: new Set(scopes),
      via,
      ...(tokenId ? { tokenId } : {}),
    };
  }

  async function userByName(q: Db | Tx, username: string): Promise<UserRow | undefined> {
    const [u] = await q.select().from(users).where(eq(users.username, username));
    return u;
  }

  /** The actor of an API token, or null when the token is unknown, revoked, expired or its user disabled. */
  async function resolveToken(token: string, route: string): Promise<UserActor | null> {
    if (adminTokenHash && sameSecret(sha256(token), adminTokenHash)) {
      const admin = await userByName(db, BOOTSTRAP_ADMIN);
      return admin && !admin.disabled ? actorFor(admin, SCOPES, 'token', 'GARDEN_ADMIN_TOKEN') : null;
    }
    const parsed = parseToken(token);
    if (!parsed) return null;
    const [row] = await db.select({ t: apiTokens, u: users }).from(apiTokens).innerJoin(users, eq(users.id, apiTokens.userId)).where(eq(apiTokens.id, parsed.id));
    if (!row || !sameSecret(sha256(parsed.secret), row.t.secretHash)) return null;
    const at = now();
    if (row.t.revokedAt || row.t.expiresAt <= at || row.u.disabled) return null;
    const actor = await actorFor(row.u, row.t.scopes as Scope[], 'token', row.t.id);
    if (!row.t.lastUsedAt || at.getTime() - row.t.lastUsedAt.getTime() > USE_RECORD_MS) {
      await db.transaction(async (tx) => {
        await tx.update(apiTokens).set({ lastUsedAt: at }).where(eq(apiTokens.id, row.t.id));
        await appendAudit(tx, actor, { action: 'token.used', targetType: 'token', targetId: row.t.id, details: { name: row.t.name, route } });
      });
    }
    return actor;
  }

  /** The actor and CSRF token of a session cookie's value, or null. */
  async function resolveSession(secret: string): Promise<{ actor: UserActor; csrfToken: string } | null> {
    const [row] = await db.select({ s: sessions, u: users }).from(sessions).innerJoin(users, eq(users.id, sessions.userId)).where(eq(sessions.idHash, sha256(secret)));
    if (!row || row.s.expiresAt <= now() || row.u.disabled) return null;
    return { actor: await actorFor(row.u, SCOPES, 'session'), csrfToken: row.s.csrfToken };
  }

  /** Local sign-in. Returns the session secret for the cookie; failures are audited too. */
  async function login(username: string, password: string, meta: { ip: string }): Promise<{ secret: string; me: MeView; expiresAt: Date }> {
    const u = await userByName(db, username);
    const ok = await verifyPassword(password, u?.passwordHash ?? null);
    if (!u || !ok || u.disabled) {
      await appendAuditTx(SYSTEM, { action: 'auth.login_failed', targetType: 'user', targetId: username, details: { ip: meta.ip, reason: !u ? 'unknown user' : u.disabled ? 'disabled' : 'wrong password' } });
      throw new AppError('UNAUTHENTICATED', 'wrong username or password');
    }
    return startSession(u, 'local', meta);
  }

  async function startSession(u: UserRow, method: string, meta: { ip: string }) {
    const secret = randomSecret();
    const csrfToken = randomSecret(24);
    const expiresAt = new Date(now().getTime() + sessionMs);
    const actor = await actorFor(u, SCOPES, 'session');
    await db.transaction(async (tx) => {
      await tx.insert(sessions).values({ idHash: sha256(secret), userId: u.id, csrfToken, expiresAt });
      await tx.update(users).set({ lastLoginAt: now() }).where(eq(users.id, u.id));
      await tx.delete(sessions).where(sql`${sessions.expiresAt} < now()`);
      await appendAudit(tx, actor, { action: 'auth.login', targetType: 'user', targetId: u.username, details: { method, ip: meta.ip } });
    });
    return { secret, me: meOf(actor, csrfToken), expiresAt };
  }

  /**
   * Sign-in vouched for by an identity provider: finds the user by `key`, or creates one (never
   * by username: an existing local account is not taken over). Sets the platform role, replaces the
   * user's `oidc` memberships with `teams` (local memberships stay, and win for their team), and
   * starts a session like local sign-in; one transaction, audited as `auth.login`. A disabled user
   * is refused: UNAUTHENTICATED with details.reason `disabled`.
   */
  async function loginExternal(who: ExternalIdentity, method: string, meta: { ip: string }): Promise<{ secret: string; me: MeView; expiresAt: Date }> {
    const base = who.username.slice(0, 56);
    if (!USERNAME.test(base)) throw new AppError('INVALID_INPUT', 'username: 2-64 characters, lowercase letters, digits, ".", "_" or "-"', { username: who.username });
    const secret = randomSecret();
    const csrfToken = randomSecret(24);
    const at = now();
    const expiresAt = new Date(at.getTime() + sessionMs);
    const signIn = () => db.transaction(async (tx): Promise<UserActor | null> => {
      const [found] = await tx.select().from(users).where(eq(users.oidcKey, who.key));
      if (found?.disabled) return null;
      const profile = { ...(who.name ? { name: who.name } : {}), ...(who.email ? { email: who.email } : {}), platformRole: who.platformRole, lastLoginAt: at };
      let username = found?.username;
      for (let n = 1; !username; n++) {
        const candidate = n === 1 ? base : n <= 50 ? `${base}-${n}` : `${base}-${randomSecret(4).toLowerCase()}`;
        if (!(await userByName(tx, candidate))) username = candidate;
      }
      const [u] = found
        ? await tx.update(users).set(profile).where(eq(users.id, found.id)).returning()
        : await tx.insert(users).values({ username, oidcKey: who.key, ...profile }).returning();
      if (!u) throw new Error('user upsert returned nothing');
      if (!found) await appendAudit(tx, SYSTEM, { action: 'user.create', targetType: 'user', targetId: u.username, details: { platformRole: who.platformRole, method } });
      await tx.delete(memberships).where(and(eq(memberships.userId, u.id), eq(memberships.source, 'oidc')));
      const localKept: string[] = [];
      for (const [slug, role] of who.teams) {
        const teamId = await ensureTeam(tx, slug);
        const added = await tx.insert(memberships).values({ teamId, userId: u.id, role, source: 'oidc' }).onConflictDoNothing().returning({ teamId: memberships.teamId });
        if (!added.length) localKept.push(slug);
      }
      await tx.insert(sessions).values({ idHash: sha256(secret), userId: u.id, csrfToken, expiresAt });
      await tx.delete(sessions).where(sql`${sessions.expiresAt} < now()`);
      const a: UserActor = { kind: 'user', id: u.id, username: u.username, name: u.name || u.username, platformRole: who.platformRole, teams: await teamRoles(tx, u.id), scopes: new Set(SCOPES), via: 'session' };
      await appendAudit(tx, a, {
        action: 'auth.login',
        targetType: 'user',
        targetId: u.username,
        details: { method, ip: meta.ip, groups: [...who.groups], platformRole: who.platformRole, teams: Object.fromEntries(who.teams), ...(localKept.length ? { localKept } : {}) },
      });
      return a;
    });
    // Two first sign-ins of one person at the same moment: the loser's insert of the same
    // identity (or username) fails on the unique index; once more, it finds the user and updates.
    const actor = await signIn().catch((err: unknown) => {
      const code = (err as { code?: string; cause?: { code?: string } }).code ?? (err as { cause?: { code?: string } }).cause?.code;
      if (code === '23505') return signIn();
      throw err;
    });
    if (!actor) throw new AppError('UNAUTHENTICATED', 'this account is disabled', { reason: 'disabled' });
    return { secret, me: meOf(actor, csrfToken), expiresAt };
  }

  async function logout(secret: string): Promise<void> {
    const s = await resolveSession(secret);
    await db.transaction(async (tx) => {
      await tx.delete(sessions).where(eq(sessions.idHash, sha256(secret)));
      if (s) await appendAudit(tx, s.actor, { action: 'auth.logout', targetType: 'user', targetId: s.actor.username });
    });
  }

  async function appendAuditTx(actor: Actor, input: Parameters<typeof appendAudit>[2]) {
    await db.transaction(async (tx) => {
      await appendAudit(tx, actor, input);
    });
  }

  function meOf(actor: UserActor, csrfToken: string | null): MeView {
    return {
      user: { id: actor.id, username: actor.username, name: actor.name, email: null, platformRole: actor.platformRole },
      teams: [...actor.teams].map(([slug, role]) => ({ slug, name: slug, role })),
      csrfToken,
      via: actor.via,
    };
  }

  async function me(actor: Actor, csrfToken: string | null): Promise<MeView> {
    const a = requireUser(actor);
    const [u] = await db.select().from(users).where(eq(users.id, a.id));
    const rows = await queryRows<{ slug: string; name: string; role: TeamRole }>(
      db,
      sql`SELECT t.slug, t.name, m.role FROM memberships m JOIN teams t ON t.id = m.team_id WHERE m.user_id = ${a.id} ORDER BY t.slug`,
    );
    const view = meOf(a, csrfToken);
    return { ...view, user: { ...view.user, email: u?.email ?? null }, teams: rows };
  }

  // ---- administration ----

  /**
   * Administration here needs the admin role and scope, plus the scope of the access itself: read
   * to list, write to change (as for tokens: a read-only admin token changes nothing).
   */
  function requireAdmin(actor: Actor, what: string, access: 'read' | 'write' = 'write'): void {
    requireScope(actor, access);
    requireAdminRole(actor, what);
  }

  async function createUser(actor: Actor, input: UserInput): Promise<{ id: string; username: string }> {
    requireAdmin(actor, 'create users');
    if (!USERNAME.test(input.username)) throw new AppError('INVALID_INPUT', 'username: 2-64 characters, lowercase letters, digits, ".", "_" or "-"', { username: input.username });
    if (input.password !== undefined && input.password.length < 12) throw new AppError('INVALID_INPUT', 'password: at least 12 characters');
    const passwordHash = input.password !== undefined ? await hashPassword(input.password) : null;
    return db.transaction(async (tx) => {
      if (await userByName(tx, input.username)) throw new AppError('CONFLICT', `user ${input.username} already exists`, { username: input.username });
      const [row] = await tx
        .insert(users)
        .values({ username: input.username, name: input.name ?? '', email: input.email ?? null, platformRole: input.platformRole ?? 'none', passwordHash })
        .returning({ id: users.id, username: users.username });
      if (!row) throw new Error('user insert returned nothing');
      await appendAudit(tx, actor, { action: 'user.create', targetType: 'user', targetId: input.username, details: { platformRole: input.platformRole ?? 'none' } });
      return row;
    });
  }

  async function updateUser(actor: Actor, username: string, patch: { name?: string; email?: string | null; platformRole?: PlatformRole; disabled?: boolean; password?: string }) {
    requireAdmin(actor, 'change users');
    if (patch.password !== undefined && patch.password.length < 12) throw new AppError('INVALID_INPUT', 'password: at least 12 characters');
    const passwordHash = patch.password !== undefined ? await hashPassword(patch.password) : undefined;
    await db.transaction(async (tx) => {
      const u = await userByName(tx, username);
      if (!u) throw notFound(`user ${username}`, { username });
      const { password: _pw, ...shown } = patch;
      await tx
        .update(users)
        .set({ ...shown, ...(passwordHash ? { passwordHash } : {}) })
        .where(eq(users.id, u.id));
      if (patch.disabled) await tx.delete(sessions).where(eq(sessions.userId, u.id));
      await appendAudit(tx, actor, { action: 'user.update', targetType: 'user', targetId: username, details: { ...shown, ...(passwordHash ? { password: 'changed' } : {}) } });
    });
  }

  async function listUsers(actor: Actor) {
    requireAdmin(actor, 'list users', 'read');
    return queryRows<{ id: string; username: string; name: string; email: string | null; platformRole: PlatformRole; disabled: boolean; lastLoginAt: string | null; teams: { slug: string; role: TeamRole }[] }>(
      db,
      sql`SELECT u.id, u.username, u.name, u.email, u.platform_role AS "platformRole", u.disabled, u.last_login_at AS "lastLoginAt",
                 COALESCE((SELECT json_agg(json_build_object('slug', t.slug, 'role', m.role) ORDER BY t.slug)
                           FROM memberships m JOIN teams t ON t.id = m.team_id WHERE m.user_id = u.id), '[]'::json) AS teams
          FROM users u ORDER BY u.username`,
    );
  }

  async function ensureTeam(tx: Tx, slug: string, name?: string): Promise<number> {
    await tx.insert(teams).values({ slug, name: name ?? slug }).onConflictDoNothing();
    const [row] = await tx.select({ id: teams.id }).from(teams).where(eq(teams.slug, slug));
    if (!row) throw new Error(`team ${slug} vanished`);
    return row.id;
  }

  async function createTeam(actor: Actor, slug: string, name: string): Promise<void> {
    requireAdmin(actor, 'create teams');
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(slug)) throw new AppError('INVALID_INPUT', 'team slug: lowercase letters, digits and "-"', { slug });
    await db.transaction(async (tx) => {
      const [exists] = await tx.select({ id: teams.id }).from(teams).where(eq(teams.slug, slug));
      if (exists) throw new AppError('CONFLICT', `team ${slug} already exists`, { slug });
      await ensureTeam(tx, slug, name);
      await appendAudit(tx, actor, { action: 'team.create', targetType: 'team', targetId: slug, details: { name } });
    });
  }

  async function addMembership(actor: Actor, teamSlug: string, username: string, role: TeamRole): Promise<void> {
    requireAdmin(actor, 'change team memberships');
    await db.transaction(async (tx) => {
      const u = await userByName(tx, username);
      if (!u) throw notFound(`user ${username}`, { username });
      const teamId = await ensureTeam(tx, teamSlug);
      await tx
        .insert(memberships)
        .values({ teamId, userId: u.id, role })
        .onConflictDoUpdate({ target: [memberships.teamId, memberships.userId], set: { role, source: 'local' } });
      await appendAudit(tx, actor, { action: 'team.member_set', targetType: 'team', targetId: teamSlug, details: { username, role } });
    });
  }

  async function removeMembership(actor: Actor, teamSlug: string, username: string): Promise<void> {
    requireAdmin(actor, 'change team memberships');
    await db.transaction(async (tx) => {
      const u = await userByName(tx, username);
      const [t] = await tx.select({ id: teams.id }).from(teams).where(eq(teams.slug, teamSlug));
      if (!u || !t) throw notFound(`membership of ${username} in ${teamSlug}`);
      await tx.delete(memberships).where(and(eq(memberships.teamId, t.id), eq(memberships.userId, u.id)));
      await appendAudit(tx, actor, { action: 'team.member_remove', targetType: 'team', targetId: teamSlug, details: { username } });
    });
  }

  // ---- tokens ----

  /**
   * Creates a token for the actor (or, with the admin role and scope, for `username`). A token
   * never mints one with a scope it lacks itself. The token is in the answer only.
   */
  async function createToken(actor: Actor, input: { name: string; scopes: Scope[]; expiresInDays: number; username?: string | undefined }) {
    const a = requireUser(actor);
    requireScope(actor, 'write');
    const beyond = input.scopes.filter((s) => !a.scopes.has(s));
    if (beyond.length) throw forbid(`a token can only create tokens within its own scopes (not ${beyond.join(', ')})`, { need: `scope ${beyond.join(', ')}` });
    const forName = input.username ?? a.username;
    if (forName !== a.username) requireAdmin(actor, "create another user's tokens");
    if (input.scopes.includes('admin')) requireAdmin(actor, 'create a token with the admin scope');
    if (input.expiresInDays < 1 || input.expiresInDays > 366) throw new AppError('INVALID_INPUT', 'expiresInDays: 1 to 366');
    return db.transaction(async (tx) => {
      const u = await userByName(tx, forName);
      if (!u) throw notFound(`user ${forName}`, { username: forName });
      const [row] = await tx
        .insert(apiTokens)
        .values({ userId: u.id, name: input.name, secretHash: 'pending', scopes: [...new Set(input.scopes)], expiresAt: new Date(now().getTime() + input.expiresInDays * 86400_000) })
        .returning();
      if (!row) throw new Error('token insert returned nothing');
      const { token, secretHash } = newToken(row.id);
      await tx.update(apiTokens).set({ secretHash }).where(eq(apiTokens.id, row.id));
      await appendAudit(tx, actor, { action: 'token.create', targetType: 'token', targetId: row.id, details: { name: input.name, username: forName, scopes: row.scopes, expiresAt: row.expiresAt.toISOString() } });
      return { token, view: tokenView(row, forName) };
    });
  }

  function tokenView(t: typeof apiTokens.$inferSelect, username: string): TokenView {
    return {
      id: t.id,
      name: t.name,
      username,
      scopes: t.scopes as Scope[],
      createdAt: t.createdAt.toISOString(),
      expiresAt: t.expiresAt.toISOString(),
      lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
      revokedAt: t.revokedAt?.toISOString() ?? null,
    };
  }

  /** The actor's tokens (read scope); with the admin role and scope, anyone's (`username`) or all (`all`). */
  async function listTokens(actor: Actor, opts: { username?: string | undefined; all?: boolean | undefined } = {}): Promise<TokenView[]> {
    const a = requireUser(actor);
    requireScope(actor, 'read');
    if (opts.all || (opts.username && opts.username !== a.username)) requireAdmin(actor, "list other users' tokens", 'read');
    const who = opts.all ? undefined : (opts.username ?? a.username);
    const rows = await db
      .select({ t: apiTokens, username: users.username })
      .from(apiTokens)
      .innerJoin(users, eq(users.id, apiTokens.userId))
      .where(who ? eq(users.username, who) : undefined)
      .orderBy(apiTokens.createdAt);
    return rows.map((r) => tokenView(r.t, r.username));
  }

  /** Revokes one of the actor's tokens (write scope); another user's needs the admin role and scope. */
  async function revokeToken(actor: Actor, id: string): Promise<void> {
    const a = requireUser(actor);
    requireScope(actor, 'write');
    await db.transaction(async (tx) => {
      const [row] = await tx.select().from(apiTokens).where(eq(apiTokens.id, id));
      // Someone else's token is "not found" unless the actor is an admin: ids are not confirmed.
      if (!row || (row.userId !== a.id && !isAdmin(actor))) throw notFound(`token ${id}`, { id });
      if (row.userId !== a.id) requireAdmin(actor, "revoke other users' tokens");
      await tx.update(apiTokens).set({ revokedAt: now() }).where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt)));
      await appendAudit(tx, actor, { action: 'token.revoke', targetType: 'token', targetId: id, details: { name: row.name } });
    });
  }

  /**
   * First start: creates the `admin` user. With GARDEN_ADMIN_TOKEN set that token acts as it and
   * nothing else is made (no password: `garden user set-password admin` sets one later);
   * otherwise it gets a random password and a bootstrap token (30 days), returned once for the
   * caller to hand over. Later starts return null.
   */
  async function bootstrap(): Promise<FirstAdmin | null> {
    const [any] = await db.select({ id: users.id }).from(users).limit(1);
    if (any) return null;
    if (adminTokenHash) {
      await createUser(SYSTEM, { username: BOOTSTRAP_ADMIN, name: 'Administrator', platformRole: 'admin' });
      return { username: BOOTSTRAP_ADMIN, password: null, token: null };
    }
    const password = randomSecret(12);
    await createUser(SYSTEM, { username: BOOTSTRAP_ADMIN, name: 'Administrator', password, platformRole: 'admin' });
    const admin = await userByName(db, BOOTSTRAP_ADMIN);
    if (!admin) throw new Error('bootstrap admin vanished');
    const { token } = await createToken(await actorFor(admin, SCOPES, 'session'), { name: 'bootstrap', scopes: [...SCOPES], expiresInDays: 30 });
    return { username: BOOTSTRAP_ADMIN, password, token };
  }

  // ---- what anonymous callers may read ----

  const PUBLIC_KEY = 'public_catalog';
  let publicCache: { value: boolean; at: number } | null = null;

  /** Whether an admin made the catalog (published versions) readable without signing in. Cached 5 s. */
  async function publicCatalog(): Promise<boolean> {
    if (publicCache && Date.now() - publicCache.at < 5000) return publicCache.value;
    const [row] = await db.select().from(settings).where(eq(settings.key, PUBLIC_KEY));
    publicCache = { value: row?.value === 'true', at: Date.now() };
    return publicCache.value;
  }

  async function setPublicCatalog(actor: Actor, value: boolean): Promise<void> {
    requireAdmin(actor, 'make the catalog public');
    await db.transaction(async (tx) => {
      await tx
        .insert(settings)
        .values({ key: PUBLIC_KEY, value: String(value) })
        .onConflictDoUpdate({ target: settings.key, set: { value: String(value), updatedAt: new Date() } });
      await appendAudit(tx, actor, { action: 'settings.public_catalog', targetType: 'settings', targetId: PUBLIC_KEY, details: { value } });
    });
    publicCache = null;
  }

  return {
    publicCatalog,
    setPublicCatalog,
    resolveToken,
    resolveSession,
    login,
    startSession,
    loginExternal,
    logout,
    me,
    createUser,
    updateUser,
    listUsers,
    createTeam,
    addMembership,
    removeMembership,
    createToken,
    listTokens,
    revokeToken,
    bootstrap,
    userByName: (username: string) => userByName(db, username),
  };
}

export type IdentityService = ReturnType<typeof createIdentityService>;
