/**
 * Identity through the API on PGlite: API tokens (shown once, scoped, last use, revocation,
 * expiry), local sign-in with the session cookie and CSRF, rate limiting and security headers.
 */
import type { FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app.js';
import type { Services } from '../src/api/services.js';
import { createLogger } from '../src/core/logger.js';
import { createTestServices } from './harness.js';
import { systemActor } from '../src/identity/index.js';

/** Who creates the test's users and memberships (not a signed-in user). */
const SETUP = systemActor('test-setup');

let app: FastifyInstance;
let services: Services;
let cleanup: () => Promise<void>;
let admin: string;
const PASSWORD = 'a long enough password';

beforeAll(async () => {
  const t = await createTestServices('pglite');
  services = t.services;
  cleanup = t.cleanup;
  admin = t.adminToken;
  await services.identity.createUser(SETUP, { username: 'carol', password: PASSWORD, name: 'Carol' });
  await services.identity.addMembership(SETUP, 'alpha', 'carol', 'contributor');
  app = await buildApp({ services, logger: createLogger('silent'), webDir: '/nonexistent' });
});
afterAll(async () => {
  await app?.close();
  await cleanup?.();
});

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

async function signIn(username = 'carol', password = PASSWORD) {
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password }, remoteAddress: `10.0.0.${Math.floor(Math.random() * 200) + 1}` });
  const cookie = res.cookies.find((c) => c.name === 'garden_session');
  return { res, cookie, csrf: res.statusCode === 200 ? res.json<{ csrfToken: string }>().csrfToken : '' };
}

describe('API tokens', () => {
  it('are shown once, stored hashed, scoped, record their last use, and stop working when revoked', async () => {
    const { cookie, csrf } = await signIn();
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/tokens',
      payload: { name: 'ci', scopes: ['read'], expiresInDays: 7 },
      cookies: { garden_session: cookie!.value },
      headers: { 'x-csrf-token': csrf },
    });
    expect(created.statusCode).toBe(201);
    const { token, info } = created.json<{ token: string; info: { id: string; lastUsedAt: string | null; scopes: string[] } }>();
    expect(token).toMatch(/^mgt_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/);
    expect(info).toMatchObject({ scopes: ['read'], lastUsedAt: null });
    const rows = await services.database.db.execute(sql`SELECT secret_hash FROM api_tokens WHERE id = ${info.id}`);
    const stored = (rows as { rows: { secret_hash: string }[] }).rows[0]?.secret_hash ?? '';
    expect(stored).toMatch(/^[0-9a-f]{64}$/);
    expect(token).not.toContain(stored);

    expect((await app.inject({ url: '/api/v1/models', headers: bearer(token) })).statusCode).toBe(200);
    const write = await app.inject({ method: 'POST', url: '/api/v1/models', payload: { slug: 'x-1', name: 'X', ownerTeam: 'alpha' }, headers: bearer(token) });
    expect([write.statusCode, write.json<{ error: { code: string; message: string } }>().error]).toEqual([403, { code: 'FORBIDDEN', message: 'this token lacks the write scope', details: { need: 'scope write' } }]);

    const listed = (await app.inject({ url: '/api/v1/tokens', headers: bearer(token) })).json<{ items: { id: string; lastUsedAt: string | null; name: string }[] }>();
    const mine = listed.items.find((t) => t.id === info.id);
    expect(mine?.lastUsedAt).not.toBeNull();
    expect(JSON.stringify(listed)).not.toContain(token.slice(-43));

    const revoked = await app.inject({ method: 'DELETE', url: `/api/v1/tokens/${info.id}`, cookies: { garden_session: cookie!.value }, headers: { 'x-csrf-token': csrf } });
    expect(revoked.statusCode).toBe(204);
    const after = await app.inject({ url: '/api/v1/models', headers: bearer(token) });
    expect([after.statusCode, after.json<{ error: { code: string } }>().error.code]).toEqual([401, 'UNAUTHENTICATED']);
  });

  it('stop working when they expire, and a malformed or unknown token is 401, never anonymous', async () => {
    const actor = (await services.identity.resolveToken(admin, 'test'))!;
    const { token, view } = await services.identity.createToken(actor, { name: 'short', scopes: ['read'], expiresInDays: 1, username: 'carol' });
    expect((await app.inject({ url: '/api/v1/me', headers: bearer(token) })).json<{ user: { username: string } }>().user.username).toBe('carol');
    await services.database.db.execute(sql`UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = ${view.id}`);
    expect((await app.inject({ url: '/api/v1/me', headers: bearer(token) })).statusCode).toBe(401);
    for (const h of ['Bearer nonsense', 'Basic YWRtaW46YWRtaW4=', `Bearer ${token.slice(0, -1)}x`]) {
      expect((await app.inject({ url: '/api/v1/models', headers: { authorization: h }, remoteAddress: '10.9.9.9' })).statusCode).toBe(401);
    }
  });

  it('slows down guessing without locking out valid tokens: bad tokens from an address over its limit get 429, a valid one still gets in', async () => {
    let last = 0;
    for (let i = 0; i < 22; i++) last = (await app.inject({ url: '/api/v1/models', headers: bearer(`mgt_${'0'.repeat(32)}_${'a'.repeat(43)}`), remoteAddress: '10.1.2.3' })).statusCode;
    const other = await app.inject({ url: '/api/v1/models', headers: bearer(`mgt_${'1'.repeat(32)}_${'b'.repeat(43)}`), remoteAddress: '10.1.2.3' });
    expect([last, other.statusCode, other.headers['retry-after']]).toEqual([429, 429, '60']);
    // Behind one NAT: the valid token of a colleague at the same address is not refused.
    expect((await app.inject({ url: '/api/v1/models', headers: bearer(admin), remoteAddress: '10.1.2.3' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/api/v1/models', headers: bearer(admin), remoteAddress: '10.1.2.4' })).statusCode).toBe(200);
    // Another address's first bad token is still an ordinary 401.
    expect((await app.inject({ url: '/api/v1/models', headers: bearer(`mgt_${'2'.repeat(32)}_${'c'.repeat(43)}`), remoteAddress: '10.1.2.4' })).statusCode).toBe(401);
    // One bad token sent again and again (a client that kept a revoked token), from many addresses.
    const again: number[] = [];
    for (let i = 0; i < 11; i++) again.push((await app.inject({ url: '/api/v1/models', headers: bearer(`mgt_${'3'.repeat(32)}_${'d'.repeat(43)}`), remoteAddress: `10.3.${i}.1` })).statusCode);
    expect(again).toEqual([...Array(10).fill(401), 429]);
  });

  it('token management needs the scope of what it does: read to list, write to create or revoke, the admin scope and role for other users', async () => {
    const adminActor = (await services.identity.resolveToken(admin, 'test'))!;
    const mint = async (username: string, scopes: ('read' | 'write' | 'deploy' | 'admin')[]) =>
      services.identity.createToken(adminActor, { name: `${username}-${scopes.join('-')}`, scopes, expiresInDays: 1, username });
    const carolA = await mint('carol', ['read', 'write']);
    const carolB = await mint('carol', ['read', 'write']);
    const works = async (t: string) => (await app.inject({ url: '/api/v1/me', headers: bearer(t) })).statusCode === 200;
    const refusal = (r: { statusCode: number; json: <T>() => T }) => [r.statusCode, r.json<{ error: { code: string; details?: { need?: string } } }>().error.details?.need];

    // A read-only admin token: lists its own tokens, but neither lists nor revokes anyone else's.
    const adminRead = (await mint('admin', ['read'])).token;
    expect((await app.inject({ url: '/api/v1/tokens', headers: bearer(adminRead) })).statusCode).toBe(200);
    expect(refusal(await app.inject({ url: '/api/v1/tokens?all=true', headers: bearer(adminRead) }))).toEqual([403, 'scope admin']);
    expect(refusal(await app.inject({ url: '/api/v1/tokens?username=carol', headers: bearer(adminRead) }))).toEqual([403, 'scope admin']);
    expect(refusal(await app.inject({ method: 'DELETE', url: `/api/v1/tokens/${carolA.view.id}`, headers: bearer(adminRead) }))).toEqual([403, 'scope write']);
    // The admin role with write but without the admin scope: still not another user's token.
    const adminWrite = (await mint('admin', ['read', 'write', 'deploy'])).token;
    expect(refusal(await app.inject({ method: 'DELETE', url: `/api/v1/tokens/${carolA.view.id}`, headers: bearer(adminWrite) }))).toEqual([403, 'scope admin']);
    expect(refusal(await app.inject({ method: 'POST', url: '/api/v1/tokens', payload: { name: 'for-carol', scopes: ['read'], username: 'carol' }, headers: bearer(adminWrite) }))).toEqual([403, 'scope admin']);
    expect(refusal(await app.inject({ method: 'POST', url: '/api/v1/tokens', payload: { name: 'more', scopes: ['read', 'admin'] }, headers: bearer(adminWrite) }))).toEqual([403, 'scope admin']);
    expect(await works(carolA.token)).toBe(true);

    // A read-only token of carol: cannot revoke carol's other tokens, nor create any.
    const carolRead = (await mint('carol', ['read'])).token;
    expect(refusal(await app.inject({ method: 'DELETE', url: `/api/v1/tokens/${carolB.view.id}`, headers: bearer(carolRead) }))).toEqual([403, 'scope write']);
    expect(refusal(await app.inject({ method: 'POST', url: '/api/v1/tokens', payload: { name: 'x', scopes: ['read'] }, headers: bearer(carolRead) }))).toEqual([403, 'scope write']);
    expect(await works(carolB.token)).toBe(true);
    // A write-only token: cannot list, and cannot mint a token with the read scope it lacks.
    const carolWrite = (await mint('carol', ['write'])).token;
    expect(refusal(await app.inject({ url: '/api/v1/tokens', headers: bearer(carolWrite) }))).toEqual([403, 'scope read']);
    expect(refusal(await app.inject({ method: 'POST', url: '/api/v1/tokens', payload: { name: 'x', scopes: ['read'] }, headers: bearer(carolWrite) }))).toEqual([403, 'scope read']);
    // carol, not an admin, with every scope she has: another user's token is not found.
    const carolAll = (await mint('carol', ['read', 'write', 'deploy', 'admin'])).token;
    const adminOwn = await mint('admin', ['read']);
    expect((await app.inject({ method: 'DELETE', url: `/api/v1/tokens/${adminOwn.view.id}`, headers: bearer(carolAll) })).statusCode).toBe(404);
    expect((await app.inject({ url: '/api/v1/tokens?all=true', headers: bearer(carolAll) })).statusCode).toBe(403);

    // What each may do: carol's write token revokes her own; the full admin token anyone's.
    expect((await app.inject({ method: 'DELETE', url: `/api/v1/tokens/${carolB.view.id}`, headers: bearer(carolWrite) })).statusCode).toBe(204);
    expect((await app.inject({ method: 'DELETE', url: `/api/v1/tokens/${carolA.view.id}`, headers: bearer(admin) })).statusCode).toBe(204);
    expect([await works(carolA.token), await works(carolB.token)]).toEqual([false, false]);
  });

  it('administration of users, teams and memberships needs the admin scope as well as the admin role', async () => {
    const adminActor = (await services.identity.resolveToken(admin, 'test'))!;
    const noAdminScope = (await services.identity.createToken(adminActor, { name: 'no-admin', scopes: ['read', 'write', 'deploy'], expiresInDays: 1 })).token;
    for (const r of [
      { method: 'GET', url: '/api/v1/users' },
      { method: 'POST', url: '/api/v1/users', payload: { username: 'eve-x' } },
      { method: 'PATCH', url: '/api/v1/users/carol', payload: { platformRole: 'admin' } },
      { method: 'POST', url: '/api/v1/teams', payload: { slug: 'eve-team', name: 'Eve' } },
      { method: 'PUT', url: '/api/v1/teams/alpha/members/carol', payload: { role: 'team_lead' } },
      { method: 'DELETE', url: '/api/v1/teams/alpha/members/carol' },
      { method: 'PUT', url: '/api/v1/settings/public-catalog', payload: { public: true } },
    ] as const) {
      const res = await app.inject({ ...r, headers: bearer(noAdminScope) });
      expect([r.method, r.url, res.statusCode]).toEqual([r.method, r.url, 403]);
    }
  });
});

describe('sessions', () => {
  it('sign in sets an HttpOnly SameSite cookie; writes need the CSRF header; sign out ends the session', async () => {
    const wrong = await signIn('carol', 'not the password');
    expect([wrong.res.statusCode, wrong.res.json<{ error: { code: string; message: string } }>().error]).toEqual([401, { code: 'UNAUTHENTICATED', message: 'wrong username or password' }]);
    const { res, cookie, csrf } = await signIn();
    expect(res.statusCode).toBe(200);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    expect(res.json()).toMatchObject({ user: { username: 'carol', platformRole: 'none' }, teams: [{ slug: 'alpha', role: 'contributor' }], via: 'session' });
    const jar = { garden_session: cookie!.value };
    expect((await app.inject({ url: '/api/v1/me', cookies: jar })).json<{ csrfToken: string }>().csrfToken).toBe(csrf);
    const noCsrf = await app.inject({ method: 'POST', url: '/api/v1/models', payload: { slug: 'csrf-test', name: 'C', ownerTeam: 'alpha' }, cookies: jar });
    expect([noCsrf.statusCode, noCsrf.json<{ error: { code: string } }>().error.code]).toEqual([403, 'CSRF']);
    const badCsrf = await app.inject({ method: 'POST', url: '/api/v1/models', payload: { slug: 'csrf-test', name: 'C', ownerTeam: 'alpha' }, cookies: jar, headers: { 'x-csrf-token': 'forged' } });
    expect(badCsrf.statusCode).toBe(403);
    const ok = await app.inject({ method: 'POST', url: '/api/v1/models', payload: { slug: 'csrf-test', name: 'C', ownerTeam: 'alpha' }, cookies: jar, headers: { 'x-csrf-token': csrf } });
    expect(ok.statusCode).toBe(201);
    const out = await app.inject({ method: 'POST', url: '/api/v1/auth/logout', cookies: jar, headers: { 'x-csrf-token': csrf } });
    expect(out.statusCode).toBe(204);
    expect(out.cookies.find((c) => c.name === 'garden_session')?.value).toBe('');
    expect((await app.inject({ url: '/api/v1/me', cookies: jar })).statusCode).toBe(401);
    const events = (await app.inject({ url: '/api/v1/audit?actor=carol&limit=20', headers: bearer(admin) })).json<{ items: { action: string }[] }>();
    expect(events.items.map((e) => e.action)).toEqual(expect.arrayContaining(['auth.login', 'auth.logout', 'model.create', 'access.denied']));
  });

  it('rate-limits failed sign-ins per address, but a correct password still signs in from there', async () => {
    let status = 0;
    for (let i = 0; i < 21; i++) {
      status = (await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: `nobody-${i}`, password: `guess-${i}` }, remoteAddress: '10.7.7.7' })).statusCode;
    }
    expect(status).toBe(429);
    const again = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'carol', password: 'not the password' }, remoteAddress: '10.7.7.7' });
    expect([again.statusCode, again.headers['retry-after']]).toEqual([429, '60']);
    const right = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'carol', password: PASSWORD }, remoteAddress: '10.7.7.7' });
    expect(right.statusCode).toBe(200);
  });

  it('stops guessing the password of one account from many addresses, and leaves other accounts alone', async () => {
    await services.identity.createUser(SETUP, { username: 'dave', password: PASSWORD });
    await services.identity.createUser(SETUP, { username: 'erin', password: PASSWORD });
    const attempt = (username: string, password: string, i: number) =>
      app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password }, remoteAddress: `10.8.${i}.1` });
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await attempt('dave', `guess-${i}`, i)).statusCode);
    expect(statuses).toEqual(Array(10).fill(401));
    // Further guesses at dave are refused unchecked for a minute, so the right one is too: the
    // answer must not tell a guesser that the password was right.
    expect((await attempt('dave', 'guess-10', 10)).statusCode).toBe(429);
    expect((await attempt('dave', PASSWORD, 11)).statusCode).toBe(429);
    expect((await attempt('erin', PASSWORD, 12)).statusCode).toBe(200);
  });

  it('a disabled user is signed out everywhere and cannot sign in', async () => {
    const { cookie } = await signIn();
    const r = await app.inject({ method: 'PATCH', url: '/api/v1/users/carol', payload: { disabled: true }, headers: bearer(admin) });
    expect(r.statusCode).toBe(204);
    expect((await app.inject({ url: '/api/v1/me', cookies: { garden_session: cookie!.value } })).statusCode).toBe(401);
    expect((await signIn()).res.statusCode).toBe(401);
    await app.inject({ method: 'PATCH', url: '/api/v1/users/carol', payload: { disabled: false }, headers: bearer(admin) });
  });
});

describe('anonymous callers and headers', () => {
  it('get nothing but health, the sign-in options, and what an admin made public', async () => {
    expect((await app.inject('/healthz')).statusCode).toBe(200);
    for (const url of ['/api/v1/models', '/api/v1/search?q=x', '/api/v1/status', '/api/v1/openapi.json', '/docs/', '/metrics', '/api/v1/audit']) {
      expect([url, (await app.inject(url)).statusCode]).toEqual([url, 401]);
    }
    expect((await app.inject({ method: 'PUT', url: '/api/v1/settings/public-catalog', payload: { public: true }, headers: bearer(admin) })).statusCode).toBe(204);
    await new Promise((r) => setTimeout(r, 5100)); // the setting is cached for 5 s
    expect((await app.inject('/api/v1/models')).statusCode).toBe(200);
    expect((await app.inject('/api/v1/audit')).statusCode).toBe(401);
    await app.inject({ method: 'PUT', url: '/api/v1/settings/public-catalog', payload: { public: false }, headers: bearer(admin) });
  }, 20_000);

  it('sets security headers', async () => {
    const r = await app.inject('/healthz');
    expect(r.headers).toMatchObject({ 'x-content-type-options': 'nosniff', 'x-frame-options': 'SAMEORIGIN', 'referrer-policy': 'no-referrer' });
    expect(String(r.headers['content-security-policy'])).toContain("frame-ancestors 'none'");
    expect(String(r.headers['content-security-policy'])).not.toContain('upgrade-insecure-requests');
  });
});
