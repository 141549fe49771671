/** The job queue for admins: what is queued, running, failed (with its error) and retried. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

const STATES = ['created', 'retry', 'active', 'completed', 'cancelled', 'failed'] as const;
const Job = z.object({
  id: z.string(),
  name: z.string(),
  state: z.enum(STATES),
  data: z.unknown(),
  output: z.unknown(),
  retryCount: z.number(),
  retryLimit: z.number(),
  createdOn: z.string(),
  startedOn: z.string().nullable(),
  completedOn: z.string().nullable(),
  startAfter: z.string(),
});

export const jobRoutes: FastifyPluginAsyncZod = async (app) => {
  const { jobAdmin } = app.services;

  app.get(
    '/jobs',
    {
      schema: {
        tags: ['admin'],
        summary: 'Background jobs, newest first (admins)',
        querystring: z.object({ state: z.enum(STATES).optional(), name: z.string().max(100).optional(), limit: z.coerce.number().int().min(1).max(500).optional() }).strict(),
        response: { 200: z.object({ items: z.array(Job), queues: z.array(z.string()) }) },
      },
    },
    async (req) => jobAdmin.list(req.actor, req.query),
  );

  app.post(
    '/jobs/:name/:id/retry',
    { schema: { tags: ['admin'], summary: 'Run a failed job again (admins)', params: z.object({ name: z.string().max(100), id: z.string().uuid() }) } },
    async (req, reply) => {
      await jobAdmin.retry(req.actor, req.params.name, req.params.id);
      return reply.code(204).send();
    },
  );
};
