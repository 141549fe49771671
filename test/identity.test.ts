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

  it('slows down guessing: after 20 bad tokens from one address, 429 with Retry-After', async () => {
    let last = 0;
    for (let i = 0; i < 22; i++) last = (await app.inject({ url: '/api/v1/models', headers: bearer(`mgt_${'0'.repeat(32)}_${'a'.repeat(43)}`), remoteAddress: '10.1.2.3' })).statusCode;
    const r = await app.inject({ url: '/api/v1/models', headers: bearer(admin), remoteAddress: '10.1.2.3' });
    expect([last, r.statusCode, r.headers['retry-after']]).toEqual([429, 429, '60']);
    expect((await app.inject({ url: '/api/v1/models', headers: bearer(admin), remoteAddress: '10.1.2.4' })).statusCode).toBe(200);
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

  it('rate-limits failed sign-ins per address', async () => {
    let status = 0;
    for (let i = 0; i < 21; i++) {
      status = (await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'carol', password: `guess-${i}` }, remoteAddress: '10.7.7.7' })).statusCode;
    }
    expect(status).toBe(429);
    const right = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'carol', password: PASSWORD }, remoteAddress: '10.7.7.7' });
    expect(right.statusCode).toBe(429);
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
