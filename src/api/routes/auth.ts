/**
 * Sign-in (local users, and single sign-on through OpenID Connect), sign-out and "who am I".
 * The OIDC start and callback are browser navigations: failures redirect to
 * `/?signin_error=<code>` (codes in src/identity/oidc.ts) instead of answering JSON.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError, notFound } from '../../core/errors.js';
import { OIDC_COOKIE, OIDC_COOKIE_PATH, OIDC_FLOW_SECONDS, signinErrorOf, type SigninError } from '../../identity/index.js';
import { cookieOptions, SESSION_COOKIE, setSessionCookie } from '../auth.js';

export const Me = z.object({
  user: z.object({ id: z.string(), username: z.string(), name: z.string(), email: z.string().nullable(), platformRole: z.enum(['none', 'reviewer', 'admin']) }),
  teams: z.array(z.object({ slug: z.string(), name: z.string(), role: z.enum(['viewer', 'contributor', 'team_lead']) })),
  csrfToken: z.string().nullable(),
  via: z.enum(['session', 'token']),
});

export const authRoutes: FastifyPluginAsyncZod = async (app) => {
  const { identity, oidc } = app.services;
  const localLogin = oidc?.localLogin ?? true;
  const signinError = (code: SigninError) => `/?signin_error=${code}`;

  app.get(
    '/auth/config',
    {
      schema: {
        tags: ['auth'],
        summary: 'How to sign in here',
        response: { 200: z.object({ local: z.boolean(), oidc: z.object({ enabled: z.boolean(), label: z.string() }) }) },
      },
    },
    async () => ({ local: localLogin, oidc: { enabled: oidc !== null, label: oidc?.label ?? '' } }),
  );

  app.post(
    '/auth/login',
    {
      schema: {
        tags: ['auth'],
        summary: 'Sign in with a local username and password; sets the session cookie',
        body: z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) }).strict(),
        response: { 200: Me },
      },
    },
    async (req, reply) => {
      if (!localLogin) throw new AppError('FORBIDDEN', `local sign-in is turned off here; sign in with ${oidc?.label ?? 'single sign-on'}`);
      const { address, credential } = app.authFailures;
      const account = `user:${req.body.username.toLowerCase()}`;
      // Too many failures on this username (from anywhere): no password is checked for a minute.
      // This caps guessing one account; it says nothing about whether the account exists.
      if (credential.over(account)) throw new AppError('RATE_LIMITED', 'too many failed sign-ins to this account; retry in a minute');
      try {
        // A correct password signs in whatever failed from this address before.
        const { secret, me, expiresAt } = await identity.login(req.body.username, req.body.password, { ip: req.ip });
        setSessionCookie(reply, secret, expiresAt);
        return me;
      } catch (err) {
        if (!(err instanceof AppError) || err.code !== 'UNAUTHENTICATED') throw err;
        const limited = address.over(req.ip);
        address.fail(req.ip);
        credential.fail(account);
        if (limited) throw new AppError('RATE_LIMITED', 'too many failed sign-ins from this address; retry in a minute');
        throw err;
      }
    },
  );

  app.get(
    '/auth/oidc/start',
    {
      schema: {
        tags: ['auth'],
        summary: 'Single sign-on: redirects to the identity provider (authorization code flow, PKCE S256, state, nonce)',
        querystring: z.object({ returnTo: z.string().max(2048).optional() }),
      },
    },
    async (req, reply) => {
      if (!oidc) throw notFound('single sign-on (not configured on this server)');
      try {
        const { url, cookie } = await oidc.start({ origin: `${req.protocol}://${req.host}`, returnTo: req.query.returnTo });
        void reply.setCookie(OIDC_COOKIE, cookie, { ...cookieOptions(), path: OIDC_COOKIE_PATH, maxAge: OIDC_FLOW_SECONDS });
        return reply.redirect(url);
      } catch (err) {
        const code = signinErrorOf(err);
        if (!code) throw err;
        req.log.warn({ signinError: code, err: (err as Error).message }, 'oidc sign-in could not start');
        return reply.redirect(signinError(code));
      }
    },
  );

  app.get(
    '/auth/oidc/callback',
    { schema: { tags: ['auth'], summary: "Single sign-on: the identity provider's answer; sets the session cookie and redirects to returnTo" } },
    async (req, reply) => {
      if (!oidc) throw notFound('single sign-on (not configured on this server)');
      void reply.clearCookie(OIDC_COOKIE, { path: OIDC_COOKIE_PATH });
      const { address } = app.authFailures;
      try {
        // Checked first, as everywhere: a good answer from the provider signs in whatever failed here before.
        const query = new URL(req.url, 'http://callback').searchParams;
        const done = await oidc.finish({ query, cookie: req.cookies[OIDC_COOKIE], ip: req.ip });
        setSessionCookie(reply, done.secret, done.expiresAt);
        req.log.info({ username: done.username }, 'oidc sign-in');
        return reply.redirect(done.returnTo);
      } catch (err) {
        const code = signinErrorOf(err);
        if (!code) throw err;
        const limited = address.over(req.ip);
        address.fail(req.ip);
        if (limited) return reply.redirect(signinError('rate_limited'));
        req.log.info({ signinError: code, err: (err as Error).message }, 'oidc sign-in refused');
        return reply.redirect(signinError(code));
      }
    },
  );

  app.post('/auth/logout', { schema: { tags: ['auth'], summary: 'Sign out (ends the session)' } }, async (req, reply) => {
    if (req.sessionSecret) await identity.logout(req.sessionSecret);
    void reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.code(204).send();
  });

  app.get('/me', { schema: { tags: ['auth'], summary: 'The signed-in user, their teams, and the CSRF token of the session', response: { 200: Me } } }, async (req) =>
    identity.me(req.actor, req.csrfToken),
  );
};
