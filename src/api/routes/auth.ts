/** Sign-in (local users; OIDC to come), sign-out and "who am I". */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../core/errors.js';
import { SESSION_COOKIE, setSessionCookie } from '../auth.js';

export const Me = z.object({
  user: z.object({ id: z.string(), username: z.string(), name: z.string(), email: z.string().nullable(), platformRole: z.enum(['none', 'reviewer', 'admin']) }),
  teams: z.array(z.object({ slug: z.string(), name: z.string(), role: z.enum(['viewer', 'contributor', 'team_lead']) })),
  csrfToken: z.string().nullable(),
  via: z.enum(['session', 'token']),
});

export const authRoutes: FastifyPluginAsyncZod = async (app) => {
  const { identity } = app.services;

  app.get(
    '/auth/config',
    {
      schema: {
        tags: ['auth'],
        summary: 'How to sign in here',
        response: { 200: z.object({ local: z.boolean(), oidc: z.object({ enabled: z.boolean(), label: z.string() }) }) },
      },
    },
    async () => ({ local: true, oidc: { enabled: false, label: '' } }),
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
      const key = `login:${req.ip}`;
      if (app.authFailures.blocked(key)) throw new AppError('RATE_LIMITED', 'too many failed sign-ins from this address; retry in a minute');
      try {
        const { secret, me, expiresAt } = await identity.login(req.body.username, req.body.password, { ip: req.ip });
        setSessionCookie(reply, secret, expiresAt);
        return me;
      } catch (err) {
        app.authFailures.fail(key);
        throw err;
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
