import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  ImportReport,
  ModelCreate,
  ModelDetail,
  ModelPatch,
  ModelSummary,
  Page,
  SemVer,
  Slug,
  VersionCreate,
  VersionPatch,
  VersionView,
  entriesOf,
  parseImportText,
  runImport,
} from '../../catalog/index.js';
import { SearchQuery } from '../../search/index.js';
import { AppError } from '../../core/errors.js';

const SlugParams = z.object({ slug: Slug }).strict();
const VersionParams = z.object({ slug: Slug, version: SemVer }).strict();
const ListQuery = SearchQuery.omit({ q: true, ignore: true }).extend({ sort: z.enum(['name', 'updated']).optional() }).strict();

export const catalogRoutes: FastifyPluginAsyncZod = async (app) => {
  const { catalog, search, database, metrics, readCache } = app.services;

  app.get(
    '/models',
    {
      schema: {
        tags: ['catalog'],
        summary: 'List models (head version of each) with facet filters and cursor pagination',
        querystring: ListQuery,
        response: { 200: Page(ModelSummary) },
      },
    },
    async (req, reply) =>
      readCache.respond(req, reply, async () => {
        const r = await search.search(req.actor, req.query, { facets: false });
        return { items: r.items.map(({ score: _score, ...s }) => s), nextCursor: r.nextCursor, total: r.total };
      }),
  );

  app.post(
    '/models',
    { schema: { tags: ['catalog'], summary: 'Create a model', body: ModelCreate, response: { 201: ModelDetail } } },
    async (req, reply) => reply.code(201).send(await catalog.createModel(req.actor, req.body)),
  );

  app.get(
    '/models/:slug',
    { schema: { tags: ['catalog'], summary: 'A model with every version and its lineage', params: SlugParams, response: { 200: ModelDetail } } },
    async (req, reply) => readCache.respond(req, reply, () => catalog.getModel(req.actor, req.params.slug)),
  );

  app.patch(
    '/models/:slug',
    { schema: { tags: ['catalog'], summary: 'Update model fields', params: SlugParams, body: ModelPatch, response: { 200: ModelDetail } } },
    async (req) => catalog.updateModel(req.actor, req.params.slug, req.body),
  );

  app.get(
    '/models/:slug/versions',
    { schema: { tags: ['catalog'], summary: 'Every version, newest first', params: SlugParams, response: { 200: z.object({ items: z.array(VersionView) }) } } },
    async (req, reply) => readCache.respond(req, reply, async () => ({ items: await catalog.listVersions(req.actor, req.params.slug) })),
  );

  app.post(
    '/models/:slug/versions',
    { schema: { tags: ['catalog'], summary: 'Add a version', params: SlugParams, body: VersionCreate, response: { 201: VersionView } } },
    async (req, reply) => reply.code(201).send(await catalog.createVersion(req.actor, req.params.slug, req.body)),
  );

  app.get(
    '/models/:slug/versions/:version',
    { schema: { tags: ['catalog'], summary: 'One version', params: VersionParams, response: { 200: VersionView } } },
    async (req, reply) => readCache.respond(req, reply, () => catalog.getVersion(req.actor, req.params.slug, req.params.version)),
  );

  app.patch(
    '/models/:slug/versions/:version',
    {
      schema: {
        tags: ['catalog'],
        summary: 'Update a version (content is frozen once approved; lifecycle fields stay editable)',
        params: VersionParams,
        body: VersionPatch,
        response: { 200: VersionView },
      },
    },
    async (req) => catalog.updateVersion(req.actor, req.params.slug, req.params.version, req.body),
  );

  app.get(
    '/teams',
    {
      schema: {
        tags: ['catalog'],
        summary: 'Teams that own models',
        response: { 200: z.object({ items: z.array(z.object({ slug: z.string(), name: z.string(), models: z.number() })) }) },
      },
    },
    async (req) => ({ items: await catalog.listTeams(req.actor) }),
  );

  app.post(
    '/import',
    {
      schema: {
        tags: ['catalog'],
        summary: 'Bulk import of catalog entries (JSON or YAML), idempotent by slug + version',
        description:
          'Body: a list of entries, `{ "entries": [...] }`, or YAML (Content-Type application/yaml). Valid entries are written even when others fail; each failure is reported with its index and error code.',
        body: z.unknown(),
        response: { 200: ImportReport },
      },
    },
    async (req) => {
      if (req.body === undefined || req.body === null || req.body === '') throw new AppError('INVALID_INPUT', 'empty import body');
      const entries = typeof req.body === 'string' ? parseImportText(req.body) : entriesOf(req.body);
      const report = await runImport(req.actor, database.db, catalog, entries);
      for (const o of ['created', 'updated', 'unchanged', 'failed'] as const) metrics.imported.inc({ outcome: o }, report[o]);
      return report;
    },
  );
};
