/** Builds the Fastify application: API under /api/v1, OpenAPI + Swagger UI, metrics, web UI. */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Logger } from '../core/logger.js';
import { WEB_DIST_DIR } from '../core/paths.js';
import { auditDenial, installAuth } from './auth.js';
import { frameworkError, installErrorHandler, routeNotFound } from './error-handler.js';
import { adminRoutes } from './routes/admin.js';
import { auditRoutes } from './routes/audit.js';
import { jobRoutes } from './routes/jobs.js';
import { governanceRoutes } from './routes/governance.js';
import { deploymentRoutes } from './routes/deployments.js';
import { evaluationRoutes } from './routes/evaluations.js';
import { authRoutes } from './routes/auth.js';
import { installMetrics } from './metrics.js';
import { catalogRoutes } from './routes/catalog.js';
import { hfRoutes } from './routes/hf.js';
import { registryRoutes } from './routes/registry.js';
import { searchRoutes } from './routes/search.js';
import { healthRoutes, statusRoutes } from './routes/system.js';
import type { Services } from './services.js';
import { CATALOG_CHANNEL } from '../catalog/index.js';

declare module 'fastify' {
  interface FastifyInstance {
    routeList: { method: string; url: string }[];
  }
}

export interface AppOptions {
  services: Services;
  logger: Logger;
  bodyLimitBytes?: number;
  /** Folder of the built web UI; not served when missing (API-only tests). */
  webDir?: string;
  /** Behind a reverse proxy: trust X-Forwarded-For / -Proto. */
  trustProxy?: boolean;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml', 'text/plain'];

export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    // pino's Logger and Fastify's logger type differ only in generics; without the cast the
    // instance type no longer matches FastifyInstance (tsc), although the lint rule calls it needless.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    loggerInstance: opts.logger as FastifyBaseLogger,
    bodyLimit: opts.bodyLimitBytes ?? 16 * 1024 * 1024,
    requestIdHeader: 'x-request-id',
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    routerOptions: { maxParamLength: 200 },
    // Routing errors (a malformed path) in the house error format too.
    frameworkErrors: frameworkError,
    trustProxy: opts.trustProxy ?? false,
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorate('services', opts.services);
  // Every route, for the authorization matrix test and the API index.
  const routeList: { method: string; url: string }[] = [];
  app.decorate('routeList', routeList);
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) if (method !== 'HEAD' && !r.url.startsWith('/docs')) routeList.push({ method, url: r.url });
  });
  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  installErrorHandler(app, (req, err) => auditDenial(opts.services, req, err));
  await installAuth(app, opts.services);
  app.addContentTypeParser(YAML_TYPES, { parseAs: 'string' }, (_req, body, done) => done(null, body));

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Model Garden API',
        version: opts.services.version,
        description:
          'Catalog of approved AI models. Errors are `{ error: { code, message, details? }, requestId }`; codes are listed in docs/errors.md.',
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  installMetrics(app, opts.services.metrics);
  const { readCache, database } = opts.services;
  const unlisten = await database.listen(CATALOG_CHANNEL, () => readCache.invalidate());
  app.addHook('onClose', async () => unlisten());
  // Writes through this process are visible to its next read at once, before the NOTIFY arrives.
  app.addHook('onResponse', async (req, reply) => {
    if (req.method !== 'GET' && req.method !== 'HEAD' && reply.statusCode < 400) readCache.invalidate();
  });
  await app.register(healthRoutes);
  await app.register(
    async (api) => {
      await api.register(authRoutes);
      await api.register(adminRoutes);
      await api.register(auditRoutes);
      await api.register(jobRoutes);
      await api.register(governanceRoutes);
      await api.register(deploymentRoutes);
      await api.register(evaluationRoutes);
      await api.register(statusRoutes);
      await api.register(catalogRoutes);
      await api.register(searchRoutes);
      await api.register(registryRoutes);
      api.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
    },
    { prefix: '/api/v1' },
  );

  await app.register(hfRoutes, { prefix: '/hf' });

  const webDir = opts.webDir ?? WEB_DIST_DIR;
  const serveWeb = existsSync(webDir);
  if (serveWeb) {
    await app.register(fastifyStatic, { root: webDir, prefix: '/', wildcard: false, index: ['index.html'] });
  }
  // A browser asking for a page (/models/llama-3.1-8b, /?q=…) gets the app shell and the UI routes
  // it; API clients and unknown API paths get a JSON 404.
  app.setNotFoundHandler((req, reply) => {
    const url = req.url.split('?')[0] ?? '';
    const wantsPage = req.method === 'GET' && String(req.headers.accept ?? '').includes('text/html');
    if (serveWeb && wantsPage && !/^\/(api|hf|docs|metrics)(\/|$)/.test(url)) {
      return reply.type('text/html').sendFile('index.html');
    }
    return routeNotFound(req, reply);
  });
  return app;
}
