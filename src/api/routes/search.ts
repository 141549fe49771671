import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ModelSummary } from '../../catalog/index.js';
import { SearchQuery } from '../../search/index.js';

const Constraint = z.object({
  id: z.string(),
  kind: z.string(),
  value: z.union([z.number(), z.boolean(), z.string(), z.array(z.string())]),
  label: z.string(),
  source: z.string(),
});

export const SearchResponse = z.object({
  query: z
    .object({
      text: z.string(),
      residual: z.string(),
      terms: z.array(z.string()),
      tasks: z.array(z.string()),
      constraints: z.array(Constraint).describe('constraints understood from the text; pass an id in `ignore` to drop one'),
      ignored: z.array(Constraint).describe('constraints understood from the text but dropped through `ignore`'),
      corrections: z
        .array(z.object({ from: z.string(), to: z.array(z.string()) }))
        .describe('query words that match nothing, and the catalog words searched for instead (spelling correction)'),
    })
    .nullable(),
  items: z.array(ModelSummary.extend({ score: z.number().nullable() })),
  total: z.number(),
  nextCursor: z.string().nullable(),
  facets: z.record(z.string(), z.array(z.object({ value: z.string(), count: z.number() }))).nullable(),
  message: z.string().nullable(),
  relaxed: z.boolean(),
});

export const searchRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/search',
    {
      schema: {
        tags: ['search'],
        summary: 'Ranked search with constraints read from the text and facet counts',
        querystring: SearchQuery,
        response: { 200: SearchResponse },
      },
    },
    async (req, reply) => app.services.readCache.respond(req, reply, () => app.services.search.search(req.actor, req.query, { facets: true })),
  );
};
