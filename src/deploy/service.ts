/**
 * Deployments: policy first, then quota, then a recorded row, then the engine. Every state change
 * is written in a transaction with its audit event; the engine's work happens outside it and its
 * outcome is recorded when it is known (ready, failed), so a crash mid-start leaves a row that
 * the startup reconciliation settles from what is really running.
 */
import path from 'node:path';
import { rm } from 'node:fs/promises';
import { and, eq, inArray, lt, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db, Tx } from '../core/db/index.js';
import { queryRows } from '../core/db/index.js';
import { deployments, modelVersions, models } from '../core/db/schema.js';
import { AppError, notFound } from '../core/errors.js';
import { appendAudit } from '../audit/index.js';
import { resolveVersion, type CatalogService } from '../catalog/index.js';
import { hasTeamRole, isAdmin, isReviewer, requireScope, forbid, type Actor, systemActor } from '../identity/index.js';
import type { UseCheck } from '../governance/use-check.js';
import type { RegistryService } from '../registry/service.js';
import type { DeploymentEngine, EngineDeployment, EngineName, EngineStatus } from './ports/engine.js';
import { BUILT_IN_TEMPLATES, resolveSettings, TemplateSettings } from './template-schema.js';
import type { TemplateService } from './templates.js';
import { quotaOf, readLimits } from './limits.js';
import { endpointName, serviceName, stableId } from './naming.js';
import { requireLocalFormat, servedFile, stageLocalFile } from './model-files.js';
import { splitModelRef, type DeploymentSpec } from './spec.js';
import { LIVE_STATES, type DeploymentViewT, type DryRunViewT } from './views.js';
import { loadJoined, mayStop, sees, toView, type Joined, type Row } from './repo.js';


export interface DeploymentDeps {
  db: Db;
  catalog: Pick<CatalogService, 'getVersion'>;
  registry: Pick<RegistryService, 'withVersionFolder'>;
  useCheck: UseCheck;
  templates: TemplateService;
  engines: Partial<Record<EngineName, DeploymentEngine>>;
  defaultEngine: EngineName;
  /** Folder for local copies of served model files (`<dataDir>/endpoints`). */
  endpointsDir: string;
  /** How a cluster reaches a version's files when the store has no OCI manifest (`hf://` via HF_ENDPOINT). */
  storageUriOf?: (slug: string, version: string, artifactManifest: string | null) => string;
  logger: Logger;
  now?: () => Date;
}

const SYSTEM = systemActor('deployments');

export function createDeploymentService(deps: DeploymentDeps) {
  const { db, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const launches = new Map<string, Promise<void>>();

  function engineOf(name: EngineName): DeploymentEngine {
    const e = deps.engines[name];
    const how: Record<EngineName, string> = {
      kserve: 'the KServe engine is not configured on this server (set GARDEN_KUBE_NAMESPACE and a kubeconfig)',
      seldon: 'the Seldon Core v2 engine is not configured on this server (set GARDEN_SELDON_NAMESPACE, GARDEN_SELDON_INFERENCE_URL and a kubeconfig)',
      local: 'the local runner is not available',
    };
    if (!e) throw new AppError('ADAPTER_UNAVAILABLE', how[name], { engine: name });
    return e;
  }

  /** Who may start, and on whose quota: evaluation for any member of the team, production for contributors. */
  function authorize(actor: Actor, team: string, environment: 'evaluation' | 'production'): void {
    requireScope(actor, 'deploy');
    if (isAdmin(actor)) return;
    const role = environment === 'evaluation' ? 'viewer' : 'contributor';
    if (!hasTeamRole(actor, team, role)) {
      throw forbid(environment === 'evaluation' ? `only members of team ${team} can start evaluation endpoints for it` : `only contributors of team ${team} can deploy for it`, { need: `${role} of ${team}` });
    }
  }

  /** Resolves a spec into what the engine needs, checking policy (audited) on the way. */
  async function resolve(actor: Actor, spec: DeploymentSpec, id: string, skipPolicy = false) {
    const { slug, version } = splitModelRef(spec.model);
    const view = await deps.catalog.getVersion(actor, slug, version);
    const row = await resolveVersion(db, slug, version);
    if (!row) throw notFound(`version ${slug}@${version}`, { slug, version });
    authorize(actor, spec.team, spec.environment);
    // The use policy governs using published versions. Evaluating a version before it is
    // published is not such a use: the platform's own suite runs do it, and so may the owner team
    // (a draft or a submission it wants to measure before asking for review).
    const platformRun = skipPolicy && actor.kind === 'system';
    const ownUnpublished = (row.lifecycle === 'draft' || row.lifecycle === 'submitted') && (isAdmin(actor) || hasTeamRole(actor, row.ownerTeam, 'viewer'));
    const decision =
      spec.environment === 'evaluation' && (platformRun || ownUnpublished)
        ? { allowed: true as const }
        : await deps.useCheck(actor, slug, version, { purpose: spec.environment === 'evaluation' ? 'evaluation' : 'deployment', useCase: spec.useCase, description: spec.description });
    if (!decision.allowed) throw new AppError('POLICY_REFUSED', decision.reason, { rule: decision.rule, model: spec.model });
    const template = await deps.templates.get(actor, spec.template);
    const settings = resolveSettings(template.settings, spec.overrides);
    const parsed = TemplateSettings.safeParse(settings);
    if (!parsed.success) throw new AppError('INVALID_INPUT', 'overrides make the template invalid', { errors: parsed.error.issues.map((i) => ({ path: `overrides.${i.path.join('.')}`, message: i.message })) });
    if (settings.autoscaling.minReplicas > settings.autoscaling.maxReplicas) {
      throw new AppError('MANIFEST_INVALID', `minReplicas (${settings.autoscaling.minReplicas}) exceeds maxReplicas (${settings.autoscaling.maxReplicas})`, { errors: [{ path: 'autoscaling.minReplicas', message: 'must be ≤ maxReplicas' }] });
    }
    const engineName = spec.engine ?? deps.defaultEngine;
    const file = await servedFile(db, row.id);
    if (engineName === 'local') requireLocalFormat(slug, version, file);
    const [m] = await db.select({ tasks: models.tasks }).from(models).where(eq(models.slug, slug));
    const expiresAt = spec.environment === 'evaluation' ? new Date(now().getTime() + (await readLimits(db)).lifetimeHours * 3_600_000) : null;
    const d: EngineDeployment = {
      id,
      name: spec.environment === 'production' ? serviceName(slug, spec.team, spec.useCase) : endpointName(id, slug),
      model: {
        slug,
        version,
        format: file?.format ?? 'unknown',
        task: m?.tasks[0] ?? null,
        storageUri: deps.storageUriOf?.(slug, version, view.artifactManifest) ?? view.artifactUri,
      },
      template: spec.template,
      settings,
      team: spec.team,
      useCase: spec.useCase,
      environment: spec.environment,
      expiresAt,
    };
    return { d, versionId: row.id, ownerTeam: row.ownerTeam, engine: engineOf(engineName), file };
  }

  /** The deployment, if the actor may see it (NOT_FOUND otherwise, as for a missing one). */
  async function loadView(actor: Actor, id: string): Promise<Joined> {
    requireScope(actor, 'read');
    if (!/^[0-9a-f-]{36}$/i.test(id)) throw notFound(`deployment ${id}`, { id });
    const [j] = await loadJoined(db, eq(deployments.id, id), 1);
    if (!j || !sees(actor, j)) throw notFound(`deployment ${id}`, { id });
    return j;
  }

  async function load(actor: Actor, id: string): Promise<Row> {
    return (await loadView(actor, id)).d;
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
      settings: r.settings ? TemplateSettings.parse(r.settings) : BUILT_IN_TEMPLATES.find((t) => t.name === 'evaluation')!.settings,
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
      await transition(SYSTEM, r.id, ['starting'], 'failed', { lastError: (err as Error).message, logTail }, { reason: details?.reason ?? 'start_failed', message: (err as Error).message });
      await cleanup(r.id);
    }
  }

  /**
   * A production deployment that is ready replaces the live ones of the same name (the same
   * model, team and use case: typically the previous version). On KServe the object was updated
   * in place, so only the record changes; the local runner stops the old process.
   */
  async function supersede(r: Row, engine: DeploymentEngine): Promise<void> {
    const old = await db.select().from(deployments).where(and(eq(deployments.name, r.name ?? ''), inArray(deployments.state, ['ready', 'starting', 'failed']), sql`${deployments.id} <> ${r.id}`));
    for (const o of old) {
      if (o.state === 'failed') continue;
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

  async function create(actor: Actor, spec: DeploymentSpec, opts: { wait?: boolean; skipPolicy?: boolean } = {}): Promise<DeploymentViewT> {
    const id = crypto.randomUUID();
    const { d, versionId, engine } = await resolve(actor, spec, id, opts.skipPolicy);
    await engine.render(d); // validates (MANIFEST_INVALID) before anything is recorded
    const row = await db.transaction(async (tx) => {
      // Platform suite runs (automatic benchmarks on submission) are short and must not fail because a team's quota is full.
      if (spec.environment === 'evaluation' && !(opts.skipPolicy && actor.kind === 'system')) await checkQuota(tx, spec.team, d.settings.resources.gpus);
      const [inserted] = await tx
        .insert(deployments)
        .values({
          id,
          versionId,
          name: d.name,
          team: spec.team,
          useCase: spec.useCase,
          environment: spec.environment,
          template: spec.template,
          engine: engine.name,
          settings: d.settings,
          overrides: spec.overrides ?? null,
          gpus: d.settings.resources.gpus,
          state: 'starting',
          expiresAt: d.expiresAt,
          createdBy: actor.kind === 'user' ? actor.id : null,
        })
        .returning();
      await appendAudit(tx, actor, { action: 'deployment.create', targetType: 'deployment', targetId: id, modelSlug: d.model.slug, details: { model: spec.model, team: spec.team, useCase: spec.useCase, environment: spec.environment, template: spec.template, engine: engine.name, expiresAt: d.expiresAt?.toISOString() ?? null } });
      return inserted!;
    });
    const p = launch(row, d, engine).finally(() => launches.delete(id));
    launches.set(id, p);
    if (opts.wait) await p;
    return get(actor, id);
  }

  /** Evaluation endpoints and their GPUs, counted under a per-team lock so two starts cannot both squeeze in. */
  async function checkQuota(tx: Tx, team: string, gpus: number): Promise<void> {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`garden-eval-quota:${team}`}))`);
    const q = await quotaOf(tx, team);
    const [used] = await queryRows<{ n: number; g: number }>(tx, sql`SELECT count(*)::int AS n, coalesce(sum(gpus), 0)::int AS g FROM deployments WHERE team = ${team} AND environment = 'evaluation' AND state IN ('pending','starting','ready','stopping')`);
    const n = used?.n ?? 0;
    const g = used?.g ?? 0;
    if (n + 1 > q.maxEndpoints) throw new AppError('QUOTA_EXCEEDED', `team ${team} already runs ${n} of its ${q.maxEndpoints} evaluation endpoints: stop one first`, { team, running: n, limit: q.maxEndpoints });
    if (g + gpus > q.maxGpus) throw new AppError('QUOTA_EXCEEDED', `team ${team} holds ${g} of its ${q.maxGpus} evaluation GPUs; this endpoint needs ${gpus} more`, { team, gpus: g, limit: q.maxGpus });
  }

  async function get(actor: Actor, id: string): Promise<DeploymentViewT> {
    return toView(actor, await loadView(actor, id));
  }

  async function stopRow(actor: Actor, r: Row, to: 'stopped' | 'expired'): Promise<void> {
    const ok = await transition(actor, r.id, ['pending', 'starting', 'ready', 'running'], 'stopping', {}, { reason: to === 'expired' ? 'lifetime ended' : 'stopped' });
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

  return {
    /** Everything `create` would do, without doing it: the policy decision and the manifests. */
    async dryRun(actor: Actor, spec: DeploymentSpec): Promise<DryRunViewT> {
      const { d: planned, engine } = await resolve(actor, spec, crypto.randomUUID());
      // Production names are stable; so is the id on the labels, so the same file renders the same manifests.
      const d = spec.environment === 'production' ? { ...planned, id: stableId(planned.name) } : planned;
      const manifests = await engine.render(d);
      return {
        deployment: { name: d.name, model: { slug: d.model.slug, version: d.model.version }, team: d.team, useCase: d.useCase, environment: d.environment, template: d.template, engine: engine.name, settings: d.settings, gpus: d.settings.resources.gpus, expiresAt: d.expiresAt?.toISOString() ?? null },
        policy: { allowed: true },
        manifests,
      };
    },
    create,
    get,
    async list(actor: Actor, f: { slug?: string | undefined; version?: string | undefined; team?: string | undefined; live?: boolean | undefined; environment?: 'evaluation' | 'production' | undefined } = {}): Promise<DeploymentViewT[]> {
      requireScope(actor, 'read');
      const conds = [];
      if (f.slug) {
        const ids = await db.select({ id: modelVersions.id }).from(modelVersions).innerJoin(models, eq(models.id, modelVersions.modelId)).where(and(eq(models.slug, f.slug), f.version ? eq(modelVersions.version, f.version) : undefined));
        if (!ids.length) return [];
        conds.push(inArray(deployments.versionId, ids.map((i) => i.id)));
      }
      if (f.team) conds.push(eq(deployments.team, f.team));
      if (f.environment) conds.push(eq(deployments.environment, f.environment));
      if (f.live) conds.push(inArray(deployments.state, [...LIVE_STATES]));
      const rows = await loadJoined(db, and(...conds), 200);
      return rows.filter((j) => sees(actor, j)).map((j) => toView(actor, j));
    },
    async stop(actor: Actor, id: string): Promise<DeploymentViewT> {
      const r = await load(actor, id);
      if (!mayStop(actor, r)) throw forbid(`only members of team ${r.team} (or an admin) can stop this deployment`, { need: `member of ${r.team}` });
      if (!(['pending', 'starting', 'ready', 'running'] as string[]).includes(r.state)) throw new AppError('CONFLICT', `deployment ${id} is already ${r.state}`, { state: r.state });
      await stopRow(actor, r, 'stopped');
      return get(actor, id);
    },
    /** The endpoint to send requests to, for the playground and comparison (ready deployments only). */
    async endpointOf(actor: Actor, id: string): Promise<{ url: string; modelName: string; headers: Record<string, string>; view: DeploymentViewT }> {
      const j = await loadView(actor, id);
      const r = j.d;
      const view = toView(actor, j);
      if (!isAdmin(actor) && !isReviewer(actor) && !hasTeamRole(actor, r.team, 'viewer') && r.environment === 'evaluation') {
        throw forbid(`evaluation endpoints of team ${r.team} are for its members`, { need: `member of ${r.team}` });
      }
      if (r.state !== 'ready' || !r.endpointUrl) throw new AppError('CONFLICT', `deployment ${view.name ?? id} is ${r.state}, not ready`, { state: r.state });
      // Seldon routes by a header on its shared mesh URL; the engine kept it in the handle.
      const headers = ((r.handle as { headers?: Record<string, string> } | null)?.headers) ?? {};
      return { url: r.endpointUrl, modelName: view.modelName, headers, view };
    },
    /** Records a failure an engine noticed after start (crash, hang, out of memory). */
    async markFailed(id: string, reason: string, message: string, logTail: string[]): Promise<void> {
      await transition(SYSTEM, id, ['starting', 'ready'], 'failed', { lastError: message, logTail: logTail.slice(-50) }, { reason, message });
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
          await transition(systemActor('reconcile'), r.id, ['pending', 'starting', 'ready'], 'failed', { lastError: status.message ?? 'failed', logTail: status.logTail ?? [] });
          continue;
        }
        // Gone (process ended with the old server) or an interrupted start: start it again.
        await db.update(deployments).set({ state: 'starting', endpointUrl: null }).where(eq(deployments.id, r.id));
        out.restarted += 1;
        const p = launch({ ...r, state: 'starting' }, d, engine).finally(() => launches.delete(r.id));
        launches.set(r.id, p);
      }
      return out;
    },
    /** Waits for starts in flight (tests, shutdown). */
    async settle(): Promise<void> {
      await Promise.all([...launches.values()].map((p) => p.catch(() => undefined)));
    },
  };
}

export type DeploymentService = ReturnType<typeof createDeploymentService>;
