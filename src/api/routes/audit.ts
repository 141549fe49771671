/** The audit trail: query, JSON-lines export, chain verification. */
import { Readable } from 'node:stream';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

const Filter = z
  .object({
    model: z.string().max(200).optional(),
    actor: z.string().max(200).optional(),
    action: z.string().max(100).optional(),
    from: z.string().datetime({ offset: true }).optional(),
    to: z.string().datetime({ offset: true }).optional(),
  })
  .strict();

const Event = z.object({
  seq: z.number(),
  at: z.string(),
  actorId: z.string().nullable(),
  actorName: z.string(),
  action: z.string(),
  targetType: z.string(),
  targetId: z.string(),
  modelSlug: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  prevHash: z.string(),
  hash: z.string(),
});

export const auditRoutes: FastifyPluginAsyncZod = async (app) => {
  const { audit } = app.services;

  app.get(
    '/audit',
    {
      schema: {
        tags: ['audit'],
        summary: 'Audit events, newest first (reviewers and admins: all; others: their teams’ models)',
        querystring: Filter.extend({ before: z.coerce.number().int().positive().optional(), limit: z.coerce.number().int().min(1).max(500).optional() }),
        response: { 200: z.object({ items: z.array(Event), nextCursor: z.number().nullable() }) },
      },
    },
    async (req) => audit.list(req.actor, req.query),
  );

  app.get('/audit/export', { schema: { tags: ['audit'], summary: 'The matching events as JSON lines, oldest first', querystring: Filter } }, async (req, reply) => {
    const lines = audit.exportLines(req.actor, req.query);
    // The first line is read before answering, so a refusal is still a proper error response.
    const first = await lines.next();
    async function* all() {
      if (!first.done) yield first.value;
      yield* lines;
    }
    return reply.type('application/x-ndjson').header('content-disposition', 'attachment; filename="audit.jsonl"').send(Readable.from(all()));
  });

  app.get(
    '/audit/verify',
    {
      schema: {
        tags: ['audit'],
        summary: 'Recompute the hash chain: any changed, removed or reordered event is reported',
        response: { 200: z.object({ ok: z.boolean(), events: z.number(), problems: z.array(z.object({ seq: z.number().nullable(), problem: z.string() })) }) },
      },
    },
    async (req) => audit.verify(req.actor),
  );
};
