/**
 * What runs: the engine side of deployments. Starting a recorded row and recording the outcome,
 * replacing a live deployment by its successor, stopping, reaping expired endpoints, and
 * reconciling recorded state with what the engines really run after a restart. Every state
 * change is a transition with its audit event; engine work happens between transitions.
 */
import path from 'node:path';
import { rm } from 'node:fs/promises';
import { and, eq, inArray, lt, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db } from '../core/db/index.js';
import { deployments, modelVersions, models } from '../core/db/schema.js';
import { AppError } from '../core/errors.js';
import { appendAudit } from '../audit/index.js';
import { systemActor, type Actor } from '../identity/index.js';
import type { RegistryService } from '../registry/service.js';
import type { DeploymentEngine, EngineDeployment, EngineName, EngineStatus } from './ports/engine.js';
import { BUILT_IN_TEMPLATES, StoredTemplateSettings } from './template-schema.js';
import { endpointName } from './naming.js';
import { requireLocalFormat, servedFile, stageLocalFile } from './model-files.js';
import type { Row } from './repo.js';
import { STOPPABLE_STATES } from './views.js';

const SYSTEM = systemActor('deployments');

const NOT_CONFIGURED: Record<EngineName, string> = {
  kserve: 'the KServe engine is not configured on this server (set GARDEN_KUBE_NAMESPACE and a kubeconfig)',
  seldon: 'the Seldon Core v2 engine is not configured on this server (set GARDEN_SELDON_NAMESPACE, GARDEN_SELDON_INFERENCE_URL and a kubeconfig)',
  local: 'the local runner is not available',
};

export interface RuntimeDeps {
  db: Db;
  registry: Pick<RegistryService, 'withVersionFolder'>;
  engines: Partial<Record<EngineName, DeploymentEngine>>;
  /** Folder for local copies of served model files (`<dataDir>/endpoints`). */
  endpointsDir: string;
  logger: Logger;
  now: () => Date;
}

export function createDeploymentRuntime(deps: RuntimeDeps) {
  const { db, logger, now } = deps;
  const launches = new Map<string, Promise<void>>();

  function engineOf(name: EngineName): DeploymentEngine {
    const e = deps.engines[name];
    if (!e) throw new AppError('ADAPTER_UNAVAILABLE', NOT_CONFIGURED[name], { engine: name });
    return e;
  }

  async function engineDeploymentOf(r: Row): Promise<EngineDeployment> {
    const [v] = await db.select({ slug: models.slug, version: modelVersions.version }).from(modelVersions).innerJoin(models, eq(models.id, modelVersions.modelId)).where(eq(modelVersions.id, r.versionId));
    const file = await servedFile(db, r.versionId);
    const localPath = file ? path.join(deps.endpointsDir, r.id, path.basename(file.path)) : undefined;
    return {
      id: r.id,
      name: r.name ?? endpointName(r.id, v?.slug ?? 'model'),
      model: { slug: v?.slug ?? '', version: v?.version ?? '', format: file?.format ?? 'unknown', task: null, storageUri: '', localPath },
      template: r.template,
      settings: r.settings ? StoredTemplateSettings.parse(r.settings) : BUILT_IN_TEMPLATES.find((t) => t.name === 'evaluation')!.settings,
      team: r.team,
      useCase: r.useCase,
      environment: r.environment as 'evaluation' | 'production',
      expiresAt: r.expiresAt,
    };
  }

  /** Moves a row from one of `from` to `to` with its audit event; false when it was not in `from`. */
  async function transition(actor: Actor, id: string, from: readonly string[], to: string, set: Partial<Row>, details: Record<string, unknown> = {}): Promise<boolean> {
    return db.transaction(async (tx) => {
      const [r] = await tx.select().from(deployments).where(eq(deployments.id, id)).for('update');
      if (!r || !from.includes(r.state)) return false;
      await tx.update(deployments).set({ ...set, state: to }).where(eq(deployments.id, id));
      await appendAudit(tx, actor, { action: `deployment.${to}`, targetType: 'deployment', targetId: id, details: { from: r.state, ...details } });
      return true;
    });
  }

  /** Starts the engine for a recorded row and records the outcome. Never throws. */
  async function launch(r: Row, d: EngineDeployment, engine: DeploymentEngine): Promise<void> {
    try {
      if (engine.name === 'local') {
        const file = requireLocalFormat(d.model.slug, d.model.version, await servedFile(db, r.versionId));
        d.model.localPath = await stageLocalFile(deps.registry, r.versionId, file, path.join(deps.endpointsDir, r.id));
      }
      const status = await engine.start(d);
      const ok = await transition(SYSTEM, r.id, ['starting'], 'ready', { endpointUrl: status.endpointUrl, handle: status.handle ?? null, readyAt: now() }, { endpoint: status.endpointUrl });
      if (!ok) await engine.stop(d, status.handle ?? null).catch(() => undefined); // stopped while starting
      else if (r.environment === 'production') await supersede(r, engine);
    } catch (err) {
      const details = err instanceof AppError ? err.details : undefined;
      const logTail = Array.isArray(details?.logTail) ? (details.logTail as string[]).slice(-50) : [];
      logger.warn({ err, deployment: r.id }, 'deployment failed to start');
      const reason = typeof details?.reason === 'string' ? details.reason : 'start_failed';
      await transition(SYSTEM, r.id, ['starting'], 'failed', { lastError: (err as Error).message, failureReason: reason, logTail }, { reason, message: (err as Error).message });
      await cleanup(r.id);
    }
  }

  /**
   * A production deployment that is ready replaces the live ones of the same name (the same
   * model, team and use case: typically the previous version). On KServe the object was updated
   * in place, so only the record changes; the local runner stops the old process.
   */
  async function supersede(r: Row, engine: DeploymentEngine): Promise<void> {
    const old = await db.select().from(deployments).where(and(eq(deployments.name, r.name ?? ''), inArray(deployments.state, ['ready', 'starting']), sql`${deployments.id} <> ${r.id}`));
    for (const o of old) {
      if (!(await transition(SYSTEM, o.id, ['ready', 'starting'], 'stopping', {}, { reason: 'superseded', supersededBy: r.id }))) continue;
      // The same cluster object was updated in place; anything else (a process, another engine's object) goes.
      const inPlace = o.engine === engine.name && engine.name !== 'local';
      if (!inPlace) await engineOf(o.engine as EngineName).stop(await engineDeploymentOf(o), (o.handle as Record<string, unknown> | null) ?? null).catch(() => undefined);
      await transition(SYSTEM, o.id, ['stopping'], 'stopped', { stoppedAt: now() }, { supersededBy: r.id });
      await cleanup(o.id);
    }
  }

  async function cleanup(id: string): Promise<void> {
    await rm(path.join(deps.endpointsDir, id), { recursive: true, force: true }).catch(() => undefined);
  }

  async function stopRow(actor: Actor, r: Row, to: 'stopped' | 'expired'): Promise<void> {
    const ok = await transition(actor, r.id, STOPPABLE_STATES, 'stopping', {}, { reason: to === 'expired' ? 'lifetime ended' : 'stopped' });
    if (!ok) return;
    await launches.get(r.id)?.catch(() => undefined);
    try {
      const engine = engineOf(r.engine as EngineName);
      await engine.stop(await engineDeploymentOf(r), (r.handle as Record<string, unknown> | null) ?? null);
    } catch (err) {
      logger.warn({ err, deployment: r.id }, 'engine stop failed; recording the deployment as stopped anyway');
    }
    await transition(actor, r.id, ['stopping'], to, { stoppedAt: now(), stoppedBy: actor.kind === 'user' ? actor.id : null });
    await cleanup(r.id);
  }

  /** Starts a recorded row in the background (tracked, so a stop or shutdown can wait for it). */
  function start(r: Row, d: EngineDeployment, engine: DeploymentEngine): Promise<void> {
    const p = launch(r, d, engine).finally(() => launches.delete(r.id));
    launches.set(r.id, p);
    return p;
  }

  return {
    engineOf,
    transition,
    start,
    stop: stopRow,
    /** Records a failure an engine noticed after start (crash, hang, out of memory). */
    async markFailed(id: string, reason: string, message: string, logTail: string[]): Promise<void> {
      await transition(SYSTEM, id, ['starting', 'ready'], 'failed', { lastError: message, failureReason: reason, logTail: logTail.slice(-50) }, { reason, message });
    },
    /** Stops evaluation endpoints whose lifetime has ended. Returns how many. */
    async reap(): Promise<number> {
      const due = await db.select().from(deployments).where(and(inArray(deployments.state, ['pending', 'starting', 'ready']), lt(deployments.expiresAt, now())));
      for (const r of due) await stopRow(systemActor('reaper'), r, 'expired');
      return due.length;
    },
    /**
     * After a restart: compares recorded live deployments with what the engines really run.
     * Ready ones still running are kept (re-adopted); ones whose process is gone are started
     * again if their lifetime allows, else marked; interrupted starts are started again.
     */
    async reconcile(): Promise<{ kept: number; restarted: number; failed: number }> {
      const out = { kept: 0, restarted: 0, failed: 0 };
      const rows = await db.select().from(deployments).where(inArray(deployments.state, ['pending', 'starting', 'ready', 'stopping']));
      for (const r of rows) {
        const engine = deps.engines[r.engine as EngineName];
        if (!engine) continue;
        const d = await engineDeploymentOf(r);
        if (r.state === 'stopping' || (r.expiresAt && r.expiresAt < now())) {
          await engine.stop(d, (r.handle as Record<string, unknown> | null) ?? null).catch(() => undefined);
          await transition(systemActor('reconcile'), r.id, ['stopping', 'pending', 'starting', 'ready'], r.state === 'stopping' ? 'stopped' : 'expired', { stoppedAt: now() });
          continue;
        }
        const status: EngineStatus = await engine.status(d, (r.handle as Record<string, unknown> | null) ?? null).catch((err: Error) => ({ state: 'gone' as const, endpointUrl: null, message: err.message }));
        if (status.state === 'ready' && r.state === 'ready') {
          out.kept += 1;
          continue;
        }
        if (status.state === 'failed') {
          out.failed += 1;
          await transition(systemActor('reconcile'), r.id, ['pending', 'starting', 'ready'], 'failed', { lastError: status.message ?? 'failed', failureReason: 'engine_failed', logTail: status.logTail ?? [] }, { reason: 'engine_failed' });
          continue;
        }
        // Gone (process ended with the old server) or an interrupted start: start it again.
        await db.update(deployments).set({ state: 'starting', endpointUrl: null }).where(eq(deployments.id, r.id));
        out.restarted += 1;
        void start({ ...r, state: 'starting' }, d, engine);
      }
      return out;
    },
    /** Waits for starts in flight (tests, shutdown). */
    async settle(): Promise<void> {
      await Promise.all([...launches.values()].map((p) => p.catch(() => undefined)));
    },
  };
}

export type DeploymentRuntime = ReturnType<typeof createDeploymentRuntime>;
