import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../core/errors.js';

export const healthRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/healthz', { schema: { tags: ['system'], summary: 'Liveness', response: { 200: z.object({ status: z.literal('ok') }) } } }, async () => ({
    status: 'ok' as const,
  }));
  app.get(
    '/readyz',
    { schema: { tags: ['system'], summary: 'Readiness: the database answers', response: { 200: z.object({ status: z.literal('ready') }) } } },
    async () => {
      try {
        await app.services.database.ping();
      } catch (err) {
        throw new AppError('ADAPTER_UNAVAILABLE', 'database not reachable', undefined, { cause: err });
      }
      return { status: 'ready' as const };
    },
  );
};

export const statusRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/status',
    {
      schema: {
        tags: ['system'],
        summary: 'Product version, schema version and database kind',
        response: {
          200: z.object({ version: z.string(), schemaVersion: z.string(), database: z.enum(['pglite', 'postgres']), models: z.number() }),
        },
      },
    },
    async (req) => {
      const { database, version, search } = app.services;
      const counted = await search.search(req.actor, { limit: 1 }, { facets: false });
      return { version, schemaVersion: await database.schemaVersion(), database: database.kind, models: counted.total };
    },
  );
};
