/** Prometheus metrics: default process metrics plus HTTP request counts and durations per route. */
import { requireScope } from '../identity/index.js';
import type { FastifyInstance } from 'fastify';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'garden_' });
  const duration = new Histogram({
    name: 'garden_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const imported = new Counter({
    name: 'garden_import_entries_total',
    help: 'Catalog entries processed by imports, by outcome',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  return { registry, duration, imported };
}
export type Metrics = ReturnType<typeof createMetrics>;

export function installMetrics(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.duration.observe(
      { method: req.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
  app.get('/metrics', { schema: { hide: true } }, async (req, reply) => {
    requireScope(req.actor, 'read');
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
