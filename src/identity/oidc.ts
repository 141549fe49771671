/**
 * Single sign-on with OpenID Connect (openid-client): the authorization code flow with PKCE
 * (S256), state and nonce, against any compliant provider. The ID token's issuer, audience, nonce
 * and signature (the provider's JWKS) are checked; claims missing from it (the groups claim, the
 * username) are read from the userinfo endpoint. The flow's secrets travel in a short-lived cookie
 * sealed with AES-256-GCM under a key kept in the database, so any replica can finish a sign-in
 * another one started. Failures are AppErrors whose details.signinError is a short, stable code.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import * as client from 'openid-client';
import { z } from 'zod';
import { appendAudit } from '../audit/index.js';
import type { OidcConfig } from '../core/config.js';
import type { Db } from '../core/db/index.js';
import { settings } from '../core/db/schema.js';
import { AppError, isAppError } from '../core/errors.js';
import { systemActor } from './actor.js';
import { groupsFrom, mapGroups } from './oidc-groups.js';
import { sameSecret } from './secrets.js';
import type { ExternalIdentity, IdentityService } from './service.js';

/** The cookie that carries a sign-in in progress, and the only path it is sent to. */
export const OIDC_COOKIE = 'garden_oidc';
export const OIDC_COOKIE_PATH = '/api/v1/auth/oidc';
export const OIDC_CALLBACK_PATH = '/api/v1/auth/oidc/callback';
/** How long a sign-in may take at the provider. */
export const OIDC_FLOW_SECONDS = 600;

/**
 * Why a sign-in failed, as the browser is told (`/?signin_error=<code>`): `state` (no, expired or
 * mismatched flow cookie: started elsewhere, took too long, or forged), `provider` (the provider
 * answered with an error, e.g. the user cancelled), `token` (code exchange, ID token or userinfo
 * validation failed), `disabled` (the account is disabled here), `unavailable` (the provider's
 * discovery document could not be read), `rate_limited` (too many failed sign-ins).
 */
export const SIGNIN_ERRORS = ['state', 'provider', 'token', 'disabled', 'unavailable', 'rate_limited'] as const;
export type SigninError = (typeof SIGNIN_ERRORS)[number];

export function signinErrorOf(err: unknown): SigninError | null {
  const code = isAppError(err) ? err.details?.signinError : undefined;
  return (SIGNIN_ERRORS as readonly unknown[]).includes(code) ? (code as SigninError) : null;
}

const fail = (code: SigninError, message: string, cause?: unknown) =>
  new AppError(code === 'unavailable' ? 'ADAPTER_UNAVAILABLE' : 'UNAUTHENTICATED', message, { signinError: code }, { cause });

/** Where to go after signing in: a path on this site ("/…", not "//…" nor "/\…"), else "/". */
export function safeReturnTo(v: unknown): string {
  if (typeof v !== 'string' || v.length > 2048 || !/^\/(?![/\\])/.test(v)) return '/';
  return [...v].some((c) => c === '\\' || c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f) ? '/' : v;
}

/** As src/identity/service.ts accepts; at most 56 characters leaves room for a `-2` suffix. */
const USERNAME = /^[a-z0-9][a-z0-9._-]{1,55}$/;

/** A username from preferred_username or the email's local part, made valid; else `user`. */
export function usernameFrom(claims: Readonly<Record<string, unknown>>): string {
  for (const raw of [claims.preferred_username, claims.email]) {
    if (typeof raw !== 'string') continue;
    const name = (raw.split('@')[0] ?? '')
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[^a-z0-9]+/, '')
      .slice(0, 56)
      .replace(/[-.]+$/, '');
    if (USERNAME.test(name)) return name;
  }
  return 'user';
}

const Flow = z.object({ state: z.string(), nonce: z.string(), verifier: z.string(), returnTo: z.string(), redirectUri: z.string(), expires: z.number() });
type Flow = z.infer<typeof Flow>;

export interface OidcDeps {
  config: OidcConfig | undefined;
  db: Db;
  identity: Pick<IdentityService, 'loginExternal'>;
  now?: () => Date;
}

const FLOW_KEY = 'oidc_flow_key';
const SYSTEM = systemActor('oidc');
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

/** An error's message with its causes' (the client library nests the useful part) and any OAuth error code. */
function reasonOf(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 3; e = e.cause, depth++) parts.push(e.message);
  const oauthError = (err as { error?: unknown } | null)?.error;
  if (typeof oauthError === 'string') parts.push(oauthError);
  return [...new Set(parts)].join(': ');
}

/** Single sign-on, or null when no issuer and client id are configured. */
export function createOidcSignIn(deps: OidcDeps) {
  const { config, db } = deps;
  if (!config?.issuer || !config.clientId) return null;
  const { issuer, clientId, clientSecret } = config;
  const now = deps.now ?? (() => new Date());

  let discovered: Promise<client.Configuration> | null = null;
  /** The provider's metadata, read once (again after a failure). */
  async function provider(): Promise<client.Configuration> {
    discovered ??= client.discovery(new URL(issuer), clientId, clientSecret ? { client_secret: clientSecret } : undefined, clientSecret ? client.ClientSecretBasic(clientSecret) : client.None(), {
      // enableNonRepudiationChecks: the ID token's signature is verified with the provider's JWKS.
      // Plain-http issuers are allowed: on-premises test providers often have no TLS.
      execute: [client.enableNonRepudiationChecks, ...(new URL(issuer).protocol === 'http:' ? [client.allowInsecureRequests] : [])],
      timeout: 10,
    });
    try {
      return await discovered;
    } catch (err) {
      discovered = null;
      throw fail('unavailable', `the identity provider ${issuer} could not be reached: ${reasonOf(err)}`, err);
    }
  }

  let flowKey: Promise<Buffer> | null = null;
  /** The cookie sealing key: made once, kept in the settings table for every replica. */
  async function key(): Promise<Buffer> {
    flowKey ??= (async () => {
      await db.insert(settings).values({ key: FLOW_KEY, value: randomBytes(32).toString('base64url') }).onConflictDoNothing();
      const [row] = await db.select().from(settings).where(eq(settings.key, FLOW_KEY));
      if (!row) throw new Error('oidc flow key vanished');
      return Buffer.from(row.value, 'base64url');
    })().catch((err: unknown) => {
      flowKey = null;
      throw err;
    });
    return flowKey;
  }

  async function seal(flow: Flow): Promise<string> {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', await key(), iv).setAAD(Buffer.from(OIDC_COOKIE));
    const body = Buffer.concat([c.update(JSON.stringify(flow), 'utf8'), c.final(), c.getAuthTag()]);
    return `${iv.toString('base64url')}.${body.toString('base64url')}`;
  }

  /** The flow in a cookie, or null when it is missing, forged or expired. */
  async function open(cookie: string | undefined): Promise<Flow | null> {
    const [iv, body] = (cookie ?? '').split('.').map((p) => Buffer.from(p, 'base64url'));
    if (!iv || iv.length !== 12 || !body || body.length < 17) return null;
    try {
      const d = createDecipheriv('aes-256-gcm', await key(), iv).setAAD(Buffer.from(OIDC_COOKIE));
      d.setAuthTag(body.subarray(body.length - 16));
      const text = Buffer.concat([d.update(body.subarray(0, body.length - 16)), d.final()]).toString('utf8');
      const flow = Flow.safeParse(JSON.parse(text));
      return flow.success && flow.data.expires > now().getTime() ? flow.data : null;
    } catch {
      return null;
    }
  }

  /** The provider's authorization URL, and the sealed cookie that must come back to the callback. */
  async function start(req: { origin: string; returnTo?: string | undefined }): Promise<{ url: string; cookie: string }> {
    const conf = await provider();
    const flow: Flow = {
      state: client.randomState(),
      nonce: client.randomNonce(),
      verifier: client.randomPKCECodeVerifier(),
      returnTo: safeReturnTo(req.returnTo),
      redirectUri: config?.redirectUrl ?? `${req.origin}${OIDC_CALLBACK_PATH}`,
      expires: now().getTime() + OIDC_FLOW_SECONDS * 1000,
    };
    const url = client.buildAuthorizationUrl(conf, {
      redirect_uri: flow.redirectUri,
      scope: config?.scopes ?? 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(flow.verifier),
      code_challenge_method: 'S256',
      state: flow.state,
      nonce: flow.nonce,
    });
    return { url: url.href, cookie: await seal(flow) };
  }

  /** The validated claims of the callback: ID token first, the userinfo endpoint for what it lacks. */
  async function claimsOf(flow: Flow, query: URLSearchParams): Promise<Record<string, unknown>> {
    const conf = await provider();
    const current = new URL(flow.redirectUri);
    current.search = query.toString();
    try {
      const tokens = await client.authorizationCodeGrant(conf, current, { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce, idTokenExpected: true });
      const id = tokens.claims();
      if (!id) throw new Error('no ID token');
      const lacking = groupsFrom(id, config?.groupsClaim ?? 'groups') === undefined || !(str(id.preferred_username) || str(id.email));
      if (!lacking || !conf.serverMetadata().userinfo_endpoint) return { ...id };
      const info = await client.fetchUserInfo(conf, tokens.access_token, id.sub);
      return { ...info, ...id };
    } catch (err) {
      throw fail('token', `the identity provider's answer was not accepted: ${reasonOf(err)}`, err);
    }
  }

  async function auditFailure(code: SigninError, message: string, ip: string): Promise<void> {
    await db.transaction(async (tx) => {
      await appendAudit(tx, SYSTEM, { action: 'auth.login_failed', targetType: 'user', targetId: 'oidc', details: { method: 'oidc', reason: code, message, ip } });
    });
  }

  /**
   * Finishes a sign-in at the callback: checks the flow cookie and state, exchanges the code,
   * maps the groups and signs the user in. Failures are audited and carry a SigninError.
   */
  async function finish(req: { query: URLSearchParams; cookie: string | undefined; ip: string }): Promise<{ secret: string; expiresAt: Date; returnTo: string; username: string }> {
    try {
      const flow = await open(req.cookie);
      const state = req.query.get('state');
      if (!flow) throw fail('state', 'no sign-in in progress in this browser (or it took longer than 10 minutes)');
      if (!state || !sameSecret(state, flow.state)) throw fail('state', 'the state of the answer does not match the sign-in in progress');
      const error = req.query.get('error');
      if (error) throw fail('provider', `the identity provider answered ${error}${req.query.get('error_description') ? `: ${req.query.get('error_description')}` : ''}`);
      const claims = await claimsOf(flow, req.query);
      const grants = mapGroups(groupsFrom(claims, config?.groupsClaim ?? 'groups') ?? [], { roleMap: config?.roleMap ?? {}, teamPrefix: config?.teamPrefix ?? '' });
      const who: ExternalIdentity = {
        key: `${String(claims.iss)} ${String(claims.sub)}`,
        username: usernameFrom(claims),
        name: str(claims.name) ?? '',
        email: str(claims.email) ?? null,
        platformRole: grants.platformRole,
        teams: grants.teams,
        groups: grants.matched,
      };
      const session = await deps.identity.loginExternal(who, 'oidc', { ip: req.ip }).catch((err: unknown) => {
        throw isAppError(err) && err.details?.reason === 'disabled' ? fail('disabled', 'this account is disabled here', err) : err;
      });
      return { secret: session.secret, expiresAt: session.expiresAt, returnTo: safeReturnTo(flow.returnTo), username: session.me.user.username };
    } catch (err) {
      const code = signinErrorOf(err);
      if (code) await auditFailure(code, (err as Error).message, req.ip);
      throw err;
    }
  }

  return { label: config.label, localLogin: config.localLogin, start, finish };
}

export type OidcSignIn = NonNullable<ReturnType<typeof createOidcSignIn>>;
