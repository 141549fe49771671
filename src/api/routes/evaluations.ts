/** Evaluation suite runs: request one for a version, follow it, list a version's runs. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SemVer, Slug } from '../../catalog/index.js';

const RunView = z.object({
  id: z.string(),
  suite: z.string(),
  suiteRevision: z.number(),
  model: z.object({ slug: z.string(), version: z.string() }),
  state: z.enum(['queued', 'running', 'succeeded', 'failed']),
  hardware: z.string().nullable(),
  results: z.array(z.object({ metric: z.string(), value: z.number(), higherIsBetter: z.boolean() })).nullable(),
  samples: z.array(z.unknown()).nullable(),
  error: z.string().nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
const VersionParams = z.object({ slug: Slug, version: SemVer }).strict();

export const evaluationRoutes: FastifyPluginAsyncZod = async (app) => {
  const { evaluations } = app.services;
  const tags = ['evaluations'];
  app.post(
    '/models/:slug/versions/:version/evaluations',
    { schema: { tags, summary: 'Run an evaluation suite against a temporary endpoint of this version; results become benchmark results', params: VersionParams, body: z.object({ suite: z.string().min(1) }).strict(), response: { 202: RunView } } },
    async (req, reply) => reply.code(202).send(await evaluations.request(req.actor, req.params.slug, req.params.version, req.body.suite)),
  );
  app.get('/models/:slug/versions/:version/evaluations', { schema: { tags, summary: 'This version’s evaluation runs, newest first', params: VersionParams, response: { 200: z.array(RunView) } } }, async (req) =>
    evaluations.list(req.actor, req.params.slug, req.params.version),
  );
  app.get('/evaluations/:id', { schema: { tags, summary: 'One evaluation run: state, results, first samples', params: z.object({ id: z.string().uuid() }).strict(), response: { 200: RunView } } }, async (req) => evaluations.get(req.actor, req.params.id));
};
