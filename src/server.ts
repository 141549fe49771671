/** Starts Model Garden: database, migrations, demo catalog, HTTP server. */
import type { FastifyInstance } from 'fastify';
import { buildApp } from './api/app.js';
import { createServices, type Services } from './api/services.js';
import { loadDemoCatalogOnce } from './catalog/demo.js';
import { attachDemoModelFiles } from './catalog/demo-files.js';
import { registerDemoSuites } from './eval/demo-suites.js';
import type { Config } from './core/config.js';
import { openDatabase } from './core/db/index.js';
import { createLogger, type Logger } from './core/logger.js';
import { deliverFirstAdmin } from './first-admin.js';

export interface RunningServer {
  app: FastifyInstance;
  services: Services;
  url: string;
  close(): Promise<void>;
}

export async function startServer(config: Readonly<Config>, logger: Logger = createLogger(config.logLevel)): Promise<RunningServer> {
  const started = Date.now();
  const database = await openDatabase({ url: config.db.url, dataDir: config.dataDir });
  await database.migrate();
  const services = await createServices(database, { dataDir: config.dataDir, store: config.store, adminToken: config.auth.adminToken, sessionHours: config.auth.sessionHours, oidc: config.auth.oidc, deploy: config.deploy, logger });
  const boot = await services.identity.bootstrap();
  if (config.demo) {
    const report = await loadDemoCatalogOnce(database.db, services.catalog);
    if (report) {
      const runnable = await attachDemoModelFiles(database.db, services.registry, config.dataDir);
      await registerDemoSuites(services, config.dataDir);
      logger.info({ created: report.created, failed: report.failed, runnable }, 'demo catalog loaded');
    }
    for (const r of report?.results.filter((x) => x.outcome === 'failed') ?? []) {
      logger.warn({ entry: r }, 'demo catalog entry rejected');
    }
  }
  const app = await buildApp({ services, logger, bodyLimitBytes: config.bodyLimitMb * 1024 * 1024, trustProxy: config.auth.trustProxy });
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}`;
  logger.info(
    { url, database: database.kind, schemaVersion: await database.schemaVersion(), startupMs: Date.now() - started },
    'Model Garden ready',
  );
  if (boot) deliverFirstAdmin(boot, { url, dataDir: config.dataDir, stdoutIsTTY: process.stdout.isTTY === true, write: (t) => process.stdout.write(t), logger });
  await services.jobs.start({ workers: config.workers });
  await services.jobs.schedule('registry-housekeeping', '*/10 * * * *');
  await services.jobs.schedule('reap-endpoints', '* * * * *');
  // Deployments recorded as running: keep what still runs, start again what the last stop ended.
  const reconciled = await services.deployments.reconcile();
  if (reconciled.kept + reconciled.restarted + reconciled.failed) logger.info(reconciled, 'deployments reconciled');
  return {
    app,
    services,
    url,
    close: async () => {
      await app.close();
      await services.jobs.stop();
      await services.deployments.settle();
      await services.runner.close();
      await database.close();
    },
  };
}
