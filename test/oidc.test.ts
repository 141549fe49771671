/**
 * Single sign-on end to end: a real OpenID provider (oidc-provider, on 127.0.0.1) and Model
 * Garden listening on 127.0.0.1, driven like a browser (fetch, manual redirects, a small cookie
 * jar that honours paths and expiry), through the provider's login and consent pages. Nothing is
 * mocked: PKCE, state, nonce, the ID token's signature (the provider's JWKS), userinfo and the
 * session cookie are all real.
 */
import { generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import { rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app.js';
import { createServices, type Services } from '../src/api/services.js';
import { loadConfig } from '../src/core/config.js';
import { createLogger } from '../src/core/logger.js';
import { mapGroups, systemActor } from '../src/identity/index.js';
import { safeReturnTo, usernameFrom } from '../src/identity/oidc.js';
import { createTestDatabase, tempDataDir } from './harness.js';

/** Who creates the test's users and memberships (not a signed-in user). */
const SETUP = systemActor('test-setup');

const CALLBACK = '/api/v1/auth/oidc/callback';

// ---- a browser: cookies by host and path, redirects followed by hand ----

interface StoredCookie {
  host: string;
  name: string;
  value: string;
  path: string;
  attrs: string;
}

class CookieJar {
  readonly cookies = new Map<string, StoredCookie>();

  store(url: URL, res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = url.pathname.slice(0, url.pathname.lastIndexOf('/')) || '/';
      let expired = false;
      for (const a of attrs) {
        const [k = '', v = ''] = a.split('=');
        if (k.toLowerCase() === 'path') path = v;
        if (k.toLowerCase() === 'max-age' && Number(v) <= 0) expired = true;
        if (k.toLowerCase() === 'expires' && Date.parse(v) <= Date.now()) expired = true;
      }
      const key = `${url.host} ${path} ${name}`;
      if (expired) this.cookies.delete(key);
      else this.cookies.set(key, { host: url.host, name, value, path, attrs: attrs.join('; ') });
    }
  }

  matching(url: URL): StoredCookie[] {
    const p = url.pathname;
    return [...this.cookies.values()].filter((c) => c.host === url.host && (p === c.path || (p.startsWith(c.path) && (c.path.endsWith('/') || p[c.path.length] === '/'))));
  }

  header(url: URL): string {
    return this.matching(url)
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  find(name: string): StoredCookie | undefined {
    return [...this.cookies.values()].find((c) => c.name === name);
  }
}

async function request(jar: CookieJar, url: URL, init: RequestInit = {}): Promise<Response> {
  const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie: jar.header(url) } });
  jar.store(url, res);
  return res;
}

/**
 * Follows the browser from `start` through redirects and the provider's pages (signing in as
 * `login`, consenting, or cancelling), until it would leave for a Model Garden page (returned,
 * not fetched) or reaches the callback when `stopAtCallback`.
 */
async function browse(jar: CookieJar, garden: string, start: string | URL, opts: { login?: string; cancel?: boolean; stopAtCallback?: boolean } = {}): Promise<URL> {
  let url = new URL(start, garden);
  let init: RequestInit | undefined;
  for (let hop = 0; hop < 25; hop++) {
    const own = url.origin === new URL(garden).origin;
    if (own && opts.stopAtCallback && url.pathname === CALLBACK) return url;
    if (own && !url.pathname.startsWith('/api/v1/auth/oidc/')) return url;
    const res = await request(jar, url, init);
    init = undefined;
    if (res.status >= 300 && res.status < 400) {
      url = new URL(res.headers.get('location') ?? '', url);
      continue;
    }
    const html = await res.text();
    if (res.status !== 200) throw new Error(`${res.status} at ${url.href}: ${html.slice(0, 300)}`);
    if (opts.cancel) {
      url = new URL(/href="([^"]*\/abort)"/.exec(html)?.[1] ?? '', url);
      continue;
    }
    const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1];
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    if (!prompt || !action) throw new Error(`no form at ${url.href}: ${html.slice(0, 300)}`);
    const fields: Record<string, string> = prompt === 'login' ? { prompt, login: opts.login ?? '', password: 'anything' } : { prompt };
    url = new URL(action, url);
    init = { method: 'POST', body: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
  }
  throw new Error(`too many hops, last at ${url.href}`);
}

// ---- the identity provider and Model Garden ----

interface Person {
  preferred_username?: string;
  email: string;
  name: string;
  groups: string[];
}

const people: Record<string, Person> = {
  alice: { preferred_username: 'alice', email: 'alice@example.test', name: 'Alice Liddell', groups: ['team:alpha:team_lead', 'garden-reviewers'] },
  bob: { email: 'Bob.Builder@example.test', name: 'Bob', groups: ['team:beta:contributor'] },
};

interface Setup {
  garden: string;
  issuer: string;
  services: Services;
  app: FastifyInstance;
  adminToken: string;
  /** Paths the provider was asked for, in order. */
  hits: string[];
  close(): Promise<void>;
}

function signingKey(): JsonWebKey & { kid: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig', alg: 'RS256' };
}

/**
 * A provider (one client) and a Model Garden using it. `conform`: the ID token carries only
 * sub and protocol claims (groups come from userinfo); `forgedJwks`: the provider publishes a
 * key other than the one it signs with.
 */
async function setup(opts: { publicClient?: boolean; conform: boolean; forgedJwks?: boolean; env?: Record<string, string> }): Promise<Setup> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = opts.publicClient ? 'garden-public' : 'garden';
  const secret = 'a-client-secret-of-some-length';

  const db = await createTestDatabase('pglite');
  const dataDir = tempDataDir();
  const adminToken = `test-admin-${'x'.repeat(32)}`;
  const config = loadConfig({
    GARDEN_OIDC_ISSUER: issuer,
    GARDEN_OIDC_CLIENT_ID: clientId,
    ...(opts.publicClient ? {} : { GARDEN_OIDC_CLIENT_SECRET: secret }),
    GARDEN_OIDC_LABEL: 'Example SSO',
    ...opts.env,
  });
  const services = await createServices(db.database, { dataDir, adminToken, oidc: config.auth.oidc });
  await services.identity.bootstrap();
  const app = await buildApp({ services, logger: createLogger('silent'), webDir: '/nonexistent' });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const garden = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

  const key = signingKey();
  const provider = new Provider(issuer, {
    clients: [
      opts.publicClient
        ? { client_id: clientId, token_endpoint_auth_method: 'none', redirect_uris: [`${garden}${CALLBACK}`] }
        : { client_id: clientId, client_secret: secret, token_endpoint_auth_method: 'client_secret_basic', redirect_uris: [`${garden}${CALLBACK}`] },
    ],
    pkce: { required: () => true, methods: ['S256'] },
    features: { devInteractions: { enabled: true } },
    claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email'], groups: ['groups'] },
    conformIdTokenClaims: opts.conform,
    cookies: { keys: ['provider-cookie-key'] },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
    jwks: { keys: [key] },
    findAccount: (_ctx, sub) => {
      const p = people[sub];
      return p ? { accountId: sub, claims: () => ({ sub, ...p }) } : undefined;
    },
  });
  const forged = { keys: [{ ...signingKey(), d: undefined, p: undefined, q: undefined, dp: undefined, dq: undefined, qi: undefined }] };
  const handle = provider.callback();
  const hits: string[] = [];
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    hits.push(path);
    if (opts.forgedJwks && path === '/jwks') {
      res.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(JSON.stringify(forged));
      return;
    }
    void handle(req, res);
  });
  return {
    garden,
    issuer,
    services,
    app,
    adminToken,
    hits,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await app.close();
      await db.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function me(s: Setup, jar: CookieJar) {
  const res = await request(jar, new URL('/api/v1/me', s.garden));
  return { status: res.status, body: (await res.json()) as { user: { username: string; name: string; email: string | null; platformRole: string }; teams: { slug: string; role: string }[] } };
}

async function audit(s: Setup, query: string) {
  const res = await fetch(new URL(`/api/v1/audit?${query}`, s.garden), { headers: { authorization: `Bearer ${s.adminToken}` } });
  return ((await res.json()) as { items: { actorName: string; action: string; targetId: string; details: Record<string, unknown> }[] }).items;
}

// ---- a confidential client; the groups come from userinfo ----

describe('single sign-on with a confidential client (groups from userinfo)', () => {
  let s: Setup;
  beforeAll(async () => {
    s = await setup({ conform: true });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('offers single sign-on next to the local form', async () => {
    const res = await fetch(new URL('/api/v1/auth/config', s.garden));
    expect(await res.json()).toEqual({ local: true, oidc: { enabled: true, label: 'Example SSO' } });
  });

  it('starts with PKCE S256, state and nonce, keeping them in a sealed, HttpOnly, SameSite=Lax cookie', async () => {
    const jar = new CookieJar();
    const res = await request(jar, new URL('/api/v1/auth/oidc/start?returnTo=/models', s.garden));
    expect(res.status).toBe(302);
    const to = new URL(res.headers.get('location') ?? '');
    expect(to.origin + to.pathname).toBe(`${s.issuer}/auth`);
    const q = Object.fromEntries(to.searchParams);
    expect(q).toMatchObject({ client_id: 'garden', response_type: 'code', code_challenge_method: 'S256', redirect_uri: `${s.garden}${CALLBACK}`, scope: 'openid profile email groups' });
    expect(q.code_challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.state?.length).toBeGreaterThan(20);
    expect(q.nonce?.length).toBeGreaterThan(20);
    const cookie = jar.find('garden_oidc');
    expect(cookie?.path).toBe('/api/v1/auth/oidc');
    expect(cookie?.attrs).toMatch(/HttpOnly/);
    expect(cookie?.attrs).toMatch(/SameSite=Lax/);
    expect(cookie?.attrs).toMatch(/Max-Age=600/);
    // sealed: neither the verifier, the state nor the return path is readable in it
    expect(cookie?.value).not.toContain(q.state);
    expect(Buffer.from(cookie?.value ?? '', 'base64url').toString('latin1')).not.toContain('/models');
  });

  it('signs alice in: user created, platform role and team roles from her groups, back to returnTo', async () => {
    const jar = new CookieJar();
    const landed = await browse(jar, s.garden, '/api/v1/auth/oidc/start?returnTo=%2Fmodels%2Falpha-pub%3Ftab%3Dfiles', { login: 'alice' });
    expect(landed.href).toBe(`${s.garden}/models/alpha-pub?tab=files`);
    expect(jar.find('garden_oidc')).toBeUndefined();
    expect(jar.find('garden_session')?.attrs).toMatch(/HttpOnly/);
    const { status, body } = await me(s, jar);
    expect(status).toBe(200);
    expect(body.user).toMatchObject({ username: 'alice', name: 'Alice Liddell', email: 'alice@example.test', platformRole: 'reviewer' });
    expect(body.teams).toEqual([{ slug: 'alpha', name: 'alpha', role: 'team_lead' }]);
    // the groups were not in the ID token: the userinfo endpoint was asked; the JWKS checked the signature
    expect(s.hits).toContain('/me');
    expect(s.hits).toContain('/jwks');
    const [login] = await audit(s, 'action=auth.login&actor=alice');
    expect(login).toMatchObject({ actorName: 'alice', action: 'auth.login', targetId: 'alice', details: { method: 'oidc', groups: ['team:alpha:team_lead', 'garden-reviewers'], platformRole: 'reviewer', teams: { alpha: 'team_lead' }, ip: '127.0.0.1' } });
    const [created] = await audit(s, 'action=user.create');
    expect(created).toMatchObject({ targetId: 'alice', details: { method: 'oidc', platformRole: 'reviewer' } });
  });

  it('a later sign-in follows changed groups: oidc memberships replaced, local ones kept, same user', async () => {
    await s.services.identity.addMembership(SETUP, 'gamma', 'alice', 'viewer'); // local
    await s.services.identity.addMembership(SETUP, 'delta', 'alice', 'contributor'); // local, and the IdP names delta too
    const before = people.alice!.groups;
    people.alice!.groups = ['team:beta:viewer', 'team:delta:viewer', 'garden-admins', 'some-unrelated-group', 'team:Bad Slug:viewer', 'team:epsilon:owner'];
    try {
      const jar = new CookieJar();
      const landed = await browse(jar, s.garden, '/api/v1/auth/oidc/start', { login: 'alice' });
      expect(landed.href).toBe(`${s.garden}/`);
      const { body } = await me(s, jar);
      expect(body.user).toMatchObject({ username: 'alice', platformRole: 'admin' });
      expect(body.teams.map((t) => [t.slug, t.role])).toEqual([
        ['beta', 'viewer'],
        ['delta', 'contributor'],
        ['gamma', 'viewer'],
      ]);
      const users = await s.services.identity.listUsers((await s.services.identity.resolveToken(s.adminToken, 'test'))!);
      expect(users.filter((u) => u.username.startsWith('alice'))).toHaveLength(1);
      const [login] = await audit(s, 'action=auth.login&actor=alice');
      expect(login?.details).toMatchObject({ method: 'oidc', groups: ['team:beta:viewer', 'team:delta:viewer', 'garden-admins'], localKept: ['delta'] });
    } finally {
      people.alice!.groups = before;
    }
  });

  it('signs in again without the provider asking (its session), and the same browser keeps working', async () => {
    const jar = new CookieJar();
    await browse(jar, s.garden, '/api/v1/auth/oidc/start', { login: 'alice' });
    const hitsBefore = s.hits.filter((h) => h.startsWith('/interaction')).length;
    const landed = await browse(jar, s.garden, '/api/v1/auth/oidc/start?returnTo=/tokens');
    expect(landed.pathname).toBe('/tokens');
    expect(s.hits.filter((h) => h.startsWith('/interaction')).length).toBe(hitsBefore);
    expect((await me(s, jar)).body.user.username).toBe('alice');
  });

  it('refuses a tampered state, and a replayed code', async () => {
    const jar = new CookieJar();
    const callback = await browse(jar, s.garden, '/api/v1/auth/oidc/start', { login: 'alice', stopAtCallback: true });
    const flow = jar.find('garden_oidc');
    expect(flow).toBeDefined();
    const tampered = new URL(callback);
    tampered.searchParams.set('state', `${callback.searchParams.get('state')}x`);
    const refused = await browse(jar, s.garden, tampered);
    expect(refused.href).toBe(`${s.garden}/?signin_error=state`);
    expect(jar.find('garden_session')).toBeUndefined();
    expect(jar.find('garden_oidc')).toBeUndefined(); // the flow is spent either way
    expect((await me(s, jar)).status).toBe(401);

    // The untampered answer with the flow cookie still works once; the same code twice does not.
    jar.cookies.set(`${new URL(s.garden).host} ${flow!.path} garden_oidc`, flow!);
    expect((await browse(jar, s.garden, callback)).href).toBe(`${s.garden}/`);
    jar.cookies.clear();
    jar.cookies.set(`${new URL(s.garden).host} ${flow!.path} garden_oidc`, flow!);
    expect((await browse(jar, s.garden, callback)).href).toBe(`${s.garden}/?signin_error=token`);
    // no flow cookie at all (another browser, or expired)
    expect((await browse(new CookieJar(), s.garden, callback)).href).toBe(`${s.garden}/?signin_error=state`);
    const failed = await audit(s, 'action=auth.login_failed');
    expect(failed.map((e) => e.details.reason)).toEqual(['state', 'token', 'state']);
    expect(failed[1]?.details.message).toMatch(/invalid_grant/);
    expect(failed[0]?.details).toMatchObject({ method: 'oidc', ip: '127.0.0.1' });
  });

  it('reports a cancelled sign-in at the provider as signin_error=provider', async () => {
    const jar = new CookieJar();
    const landed = await browse(jar, s.garden, '/api/v1/auth/oidc/start', { cancel: true });
    expect(landed.href).toBe(`${s.garden}/?signin_error=provider`);
    expect(jar.find('garden_session')).toBeUndefined();
  });

  it('keeps returnTo on this site', async () => {
    for (const evil of ['//evil.example/x', '/\\evil.example', 'https://evil.example/', 'javascript:alert(1)']) {
      const jar = new CookieJar();
      const landed = await browse(jar, s.garden, `/api/v1/auth/oidc/start?returnTo=${encodeURIComponent(evil)}`, { login: 'alice' });
      expect(landed.href).toBe(`${s.garden}/`);
    }
  });

  it('refuses a disabled user', async () => {
    const admin = (await s.services.identity.resolveToken(s.adminToken, 'test'))!;
    await s.services.identity.updateUser(admin, 'alice', { disabled: true });
    try {
      const jar = new CookieJar();
      const landed = await browse(jar, s.garden, '/api/v1/auth/oidc/start', { login: 'alice' });
      expect(landed.href).toBe(`${s.garden}/?signin_error=disabled`);
      expect(jar.find('garden_session')).toBeUndefined();
      const [failed] = await audit(s, 'action=auth.login_failed');
      expect(failed?.details).toMatchObject({ method: 'oidc', reason: 'disabled' });
    } finally {
      await s.services.identity.updateUser(admin, 'alice', { disabled: false });
    }
  });
});

// ---- a public client (PKCE only); the groups are in the ID token; local sign-in turned off ----

describe('single sign-on with a public client (groups in the ID token), local sign-in off', () => {
  let s: Setup;
  beforeAll(async () => {
    s = await setup({ publicClient: true, conform: false, env: { GARDEN_OIDC_LOCAL_LOGIN: 'false' } });
    await s.services.identity.createUser(SETUP, { username: 'bob.builder', password: 'a local password!' });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('offers only single sign-on, and refuses the local form', async () => {
    expect(await (await fetch(new URL('/api/v1/auth/config', s.garden))).json()).toEqual({ local: false, oidc: { enabled: true, label: 'Example SSO' } });
    const res = await fetch(new URL('/api/v1/auth/login', s.garden), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'bob.builder', password: 'a local password!' }) });
    expect(res.status).toBe(403);
  });

  it('signs bob in without userinfo; his username comes from his email and does not take over a local account', async () => {
    const jar = new CookieJar();
    const landed = await browse(jar, s.garden, '/api/v1/auth/oidc/start', { login: 'bob' });
    expect(landed.href).toBe(`${s.garden}/`);
    const { body } = await me(s, jar);
    expect(body.user).toMatchObject({ username: 'bob.builder-2', platformRole: 'none', email: 'Bob.Builder@example.test' });
    expect(body.teams).toEqual([{ slug: 'beta', name: 'beta', role: 'contributor' }]);
    expect(s.hits).not.toContain('/me');
    expect(s.hits).toContain('/jwks');
    expect(s.hits).toContain('/token');
  });
});

// ---- a provider whose published keys do not match its signatures ----

describe('single sign-on against a provider with a forged JWKS', () => {
  let s: Setup;
  beforeAll(async () => {
    s = await setup({ conform: false, forgedJwks: true });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('refuses the ID token (signature) and signs nobody in', async () => {
    const jar = new CookieJar();
    const landed = await browse(jar, s.garden, '/api/v1/auth/oidc/start', { login: 'alice' });
    expect(landed.href).toBe(`${s.garden}/?signin_error=token`);
    expect(jar.find('garden_session')).toBeUndefined();
    expect(s.hits).toContain('/jwks');
    expect(await s.services.identity.userByName('alice')).toBeUndefined();
    const [failed] = await audit(s, 'action=auth.login_failed');
    expect(failed?.details).toMatchObject({ method: 'oidc', reason: 'token', message: expect.stringMatching(/signature verification failed/) });
  });

  it('rate-limits failed callbacks like local sign-in', async () => {
    let last = '';
    for (let i = 0; i < 22; i++) last = (await browse(new CookieJar(), s.garden, `${CALLBACK}?code=x&state=y`)).href;
    expect(last).toBe(`${s.garden}/?signin_error=rate_limited`);
  });
});

describe('without single sign-on configured', () => {
  it('answers 404 at the start and the callback, and offers the local form only', async () => {
    const db = await createTestDatabase('pglite');
    const dataDir = tempDataDir();
    const services = await createServices(db.database, { dataDir });
    const app = await buildApp({ services, logger: createLogger('silent'), webDir: '/nonexistent' });
    try {
      expect((await app.inject('/api/v1/auth/config')).json()).toEqual({ local: true, oidc: { enabled: false, label: '' } });
      expect((await app.inject('/api/v1/auth/oidc/start')).statusCode).toBe(404);
      expect((await app.inject(`${CALLBACK}?code=x&state=y`)).statusCode).toBe(404);
    } finally {
      await app.close();
      await db.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('with an identity provider that does not answer', () => {
  it('sends the browser back with signin_error=unavailable', async () => {
    const db = await createTestDatabase('pglite');
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const issuer = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve)); // nothing listens there any more
    const oidc = loadConfig({ GARDEN_OIDC_ISSUER: issuer, GARDEN_OIDC_CLIENT_ID: 'garden' }).auth.oidc;
    const dataDir = tempDataDir();
    const services = await createServices(db.database, { dataDir, oidc });
    const app = await buildApp({ services, logger: createLogger('silent'), webDir: '/nonexistent' });
    try {
      const res = await app.inject('/api/v1/auth/oidc/start');
      expect(res.statusCode).toBe(302);
      expect(res.headers.location).toBe('/?signin_error=unavailable');
      expect(res.headers['set-cookie']).toBeUndefined();
    } finally {
      await app.close();
      await db.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('group mapping, usernames and return paths', () => {
  const rules = { roleMap: { 'garden-admins': 'admin', 'garden-reviewers': 'reviewer', 'CN=ML,OU=Groups': ['team:ml:contributor', 'reviewer'] }, teamPrefix: 'team:' };

  it('maps the default groups, the team pattern and explicit entries; the highest role wins', () => {
    const g = mapGroups(['team:alpha:viewer', 'team:alpha:team_lead', 'garden-reviewers', 'CN=ML,OU=Groups', 'team:x', 'other'], rules);
    expect(g.platformRole).toBe('reviewer');
    expect(Object.fromEntries(g.teams)).toEqual({ alpha: 'team_lead', ml: 'contributor' });
    expect(g.matched).toEqual(['team:alpha:viewer', 'team:alpha:team_lead', 'garden-reviewers', 'CN=ML,OU=Groups']);
    expect(mapGroups(['garden-reviewers', 'garden-admins'], rules).platformRole).toBe('admin');
    expect(mapGroups(['team:alpha:viewer'], { ...rules, teamPrefix: '' }).teams.size).toBe(0);
    expect(Object.fromEntries(mapGroups(['mg/alpha:contributor'], { roleMap: {}, teamPrefix: 'mg/' }).teams)).toEqual({ alpha: 'contributor' });
  });

  it('reads the role map from GARDEN_OIDC_ROLE_MAP and refuses unknown roles', () => {
    const env = { GARDEN_OIDC_ISSUER: 'https://idp.example', GARDEN_OIDC_CLIENT_ID: 'garden' };
    expect(loadConfig({ ...env, GARDEN_OIDC_ROLE_MAP: 'ops=admin, ml=team:ml:team_lead, ml=reviewer' }).auth.oidc?.roleMap).toEqual({ ops: ['admin'], ml: ['team:ml:team_lead', 'reviewer'] });
    expect(loadConfig({ ...env, GARDEN_OIDC_ROLE_MAP: '{"CN=ML,OU=Groups":"reviewer"}' }).auth.oidc?.roleMap).toEqual({ 'CN=ML,OU=Groups': 'reviewer' });
    expect(() => loadConfig({ ...env, GARDEN_OIDC_ROLE_MAP: 'ops=root' })).toThrow(/roleMap/);
    expect(() => loadConfig({ GARDEN_OIDC_ISSUER: 'https://idp.example' })).toThrow(/GARDEN_OIDC_CLIENT_ID/);
    expect(loadConfig({}).auth.oidc).toBeUndefined();
  });

  it('derives valid usernames', () => {
    expect(usernameFrom({ preferred_username: 'Zoë.Smith@corp.example' })).toBe('zoe.smith');
    expect(usernameFrom({ preferred_username: '_', email: 'j doe@x' })).toBe('j-doe');
    expect(usernameFrom({ sub: '1' })).toBe('user');
  });

  it('accepts only paths on this site as returnTo', () => {
    expect(safeReturnTo('/models/a?b=c#d')).toBe('/models/a?b=c#d');
    for (const bad of ['//evil', '/\\evil', 'http://evil', '', 'models', '/a\nb', undefined]) expect(safeReturnTo(bad)).toBe('/');
  });
});
