/** Administration: users, teams and memberships, API tokens, and what anonymous callers may read. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { PLATFORM_ROLES, SCOPES, TEAM_ROLES } from '../../identity/index.js';

const Username = z.string().regex(/^[a-z0-9][a-z0-9._-]{1,63}$/);
const TeamSlug = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/);
const TokenView = z.object({
  id: z.string(),
  name: z.string(),
  username: z.string(),
  scopes: z.array(z.enum(SCOPES)),
  createdAt: z.string(),
  expiresAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});
const UserView = z.object({
  id: z.string(),
  username: z.string(),
  name: z.string(),
  email: z.string().nullable(),
  platformRole: z.enum(PLATFORM_ROLES),
  disabled: z.boolean(),
  lastLoginAt: z.string().nullable(),
  teams: z.array(z.object({ slug: z.string(), role: z.enum(TEAM_ROLES) })),
});

export const adminRoutes: FastifyPluginAsyncZod = async (app) => {
  const { identity } = app.services;

  app.get('/users', { schema: { tags: ['admin'], summary: 'Every user with their teams (admins)', response: { 200: z.object({ items: z.array(UserView) }) } } }, async (req) => ({
    items: (await identity.listUsers(req.actor)).map((u) => ({ ...u, lastLoginAt: u.lastLoginAt ? new Date(u.lastLoginAt).toISOString() : null })),
  }));

  app.post(
    '/users',
    {
      schema: {
        tags: ['admin'],
        summary: 'Create a user (admins); with a password for local sign-in',
        body: z
          .object({ username: Username, name: z.string().max(200).optional(), email: z.string().email().nullable().optional(), password: z.string().min(12).max(256).optional(), platformRole: z.enum(PLATFORM_ROLES).optional() })
          .strict(),
        response: { 201: z.object({ id: z.string(), username: z.string() }) },
      },
    },
    async (req, reply) => reply.code(201).send(await identity.createUser(req.actor, req.body)),
  );

  app.patch(
    '/users/:username',
    {
      schema: {
        tags: ['admin'],
        summary: 'Change a user (admins): role, name, e-mail, password, disabled',
        params: z.object({ username: Username }),
        body: z
          .object({ name: z.string().max(200).optional(), email: z.string().email().nullable().optional(), platformRole: z.enum(PLATFORM_ROLES).optional(), disabled: z.boolean().optional(), password: z.string().min(12).max(256).optional() })
          .strict(),
      },
    },
    async (req, reply) => {
      await identity.updateUser(req.actor, req.params.username, req.body);
      return reply.code(204).send();
    },
  );

  app.post(
    '/teams',
    { schema: { tags: ['admin'], summary: 'Create a team (admins)', body: z.object({ slug: TeamSlug, name: z.string().min(1).max(200) }).strict() } },
    async (req, reply) => {
      await identity.createTeam(req.actor, req.body.slug, req.body.name);
      return reply.code(201).send();
    },
  );

  app.put(
    '/teams/:team/members/:username',
    {
      schema: {
        tags: ['admin'],
        summary: "Set a user's role in a team (admins)",
        params: z.object({ team: TeamSlug, username: Username }),
        body: z.object({ role: z.enum(TEAM_ROLES) }).strict(),
      },
    },
    async (req, reply) => {
      await identity.addMembership(req.actor, req.params.team, req.params.username, req.body.role);
      return reply.code(204).send();
    },
  );

  app.delete(
    '/teams/:team/members/:username',
    { schema: { tags: ['admin'], summary: 'Remove a user from a team (admins)', params: z.object({ team: TeamSlug, username: Username }) } },
    async (req, reply) => {
      await identity.removeMembership(req.actor, req.params.team, req.params.username);
      return reply.code(204).send();
    },
  );

  app.get(
    '/tokens',
    {
      schema: {
        tags: ['tokens'],
        summary: "Your API tokens with their last use; admins: ?username= or ?all=true for others'",
        querystring: z.object({ username: Username.optional(), all: z.enum(['true', 'false']).optional() }).strict(),
        response: { 200: z.object({ items: z.array(TokenView) }) },
      },
    },
    async (req) => ({ items: await identity.listTokens(req.actor, { username: req.query.username, all: req.query.all === 'true' }) }),
  );

  app.post(
    '/tokens',
    {
      schema: {
        tags: ['tokens'],
        summary: 'Create an API token; the token is in this answer only',
        body: z
          .object({
            name: z.string().min(1).max(100),
            scopes: z.array(z.enum(SCOPES)).min(1),
            expiresInDays: z.number().int().min(1).max(366).default(90),
            username: Username.optional(),
          })
          .strict(),
        response: { 201: z.object({ token: z.string(), info: TokenView }) },
      },
    },
    async (req, reply) => {
      const { token, view } = await identity.createToken(req.actor, req.body);
      return reply.code(201).send({ token, info: view });
    },
  );

  app.delete('/tokens/:id', { schema: { tags: ['tokens'], summary: 'Revoke a token', params: z.object({ id: z.string().uuid() }) } }, async (req, reply) => {
    await identity.revokeToken(req.actor, req.params.id);
    return reply.code(204).send();
  });

  app.put(
    '/settings/public-catalog',
    { schema: { tags: ['admin'], summary: 'Let anonymous callers read published models (admins)', body: z.object({ public: z.boolean() }).strict() } },
    async (req, reply) => {
      await identity.setPublicCatalog(req.actor, req.body.public);
      return reply.code(204).send();
    },
  );
};
