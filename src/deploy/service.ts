/**
 * Deployments: policy first, then quota, then a recorded row, then the engine. Every state change
 * is written in a transaction with its audit event; the engine's work happens outside it and its
 * outcome is recorded when it is known (ready, failed), so a crash mid-start leaves a row that
 * the startup reconciliation settles from what is really running.
 */
import { and, eq, inArray } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db } from '../core/db/index.js';
import { deployments, modelVersions, models } from '../core/db/schema.js';
import { AppError, notFound } from '../core/errors.js';
import { appendAudit } from '../audit/index.js';
import { resolveVersion, type CatalogService } from '../catalog/index.js';
import { hasTeamRole, isAdmin, requireScope, forbid, type Actor } from '../identity/index.js';
import type { UseCheck } from '../governance/use-check.js';
import type { RegistryService } from '../registry/service.js';
import type { DeploymentEngine, EngineDeployment, EngineName } from './ports/engine.js';
import { resolveSettings, TemplateSettings } from './template-schema.js';
import type { TemplateService } from './templates.js';
import { checkQuota, readLimits } from './limits.js';
import { endpointName, serviceName, stableId } from './naming.js';
import { requireLocalFormat, servedFile } from './model-files.js';
import { splitModelRef, type DeploymentSpec } from './spec.js';
import { LIVE_STATES, STOPPABLE_STATES, type DeploymentViewT, type DryRunViewT } from './views.js';
import { loadJoined, mayStop, mayUse, sees, toView, type Joined, type Row } from './repo.js';
import { createDeploymentRuntime } from './runtime.js';

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

export function createDeploymentService(deps: DeploymentDeps) {
  const { db, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const runtime = createDeploymentRuntime({ db, logger, now, registry: deps.registry, engines: deps.engines, endpointsDir: deps.endpointsDir });
  const { engineOf } = runtime;

  /**
   * Who may start, and on whose quota: contributors of the team (or admins), for evaluation
   * endpoints too: they spend the team's quota and run processes. Viewers read and try endpoints.
   */
  function authorize(actor: Actor, team: string, environment: 'evaluation' | 'production'): void {
    requireScope(actor, 'deploy');
    if (isAdmin(actor)) return;
    if (!hasTeamRole(actor, team, 'contributor')) {
      throw forbid(environment === 'evaluation' ? `only contributors of team ${team} can start evaluation endpoints for it` : `only contributors of team ${team} can deploy for it`, { need: `contributor of ${team}` });
    }
  }

  /** Resolves a spec into what the engine needs, checking policy (audited) on the way. */
  async function resolve(actor: Actor, spec: DeploymentSpec, id: string, platformRun = false) {
    const { slug, version } = splitModelRef(spec.model);
    const view = await deps.catalog.getVersion(actor, slug, version);
    const row = await resolveVersion(db, slug, version);
    if (!row) throw notFound(`version ${slug}@${version}`, { slug, version });
    authorize(actor, spec.team, spec.environment);
    // The use policy governs using published versions. Evaluating a version before it is
    // published is not such a use: the platform's own suite runs do it, and so may the owner team
    // (a draft or a submission it wants to measure before asking for review).
    const ownUnpublished = (row.lifecycle === 'draft' || row.lifecycle === 'submitted') && (isAdmin(actor) || hasTeamRole(actor, row.ownerTeam, 'viewer'));
    const decision =
      spec.environment === 'evaluation' && (platformRun || ownUnpublished)
        ? { allowed: true as const }
        : await deps.useCheck(actor, slug, version, { purpose: spec.environment === 'evaluation' ? 'evaluation' : 'deployment', useCase: spec.useCase, description: spec.description });
    if (!decision.allowed) throw new AppError('POLICY_REFUSED', decision.reason, { rule: decision.rule, model: spec.model });
    const template = await deps.templates.get(actor, spec.template);
    const settings = resolveSettings(template.settings, spec.overrides);
    const parsed = TemplateSettings.safeParse(settings);
    if (!parsed.success) throw new AppError('INVALID_INPUT', `template ${spec.template} with these overrides is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, { errors: parsed.error.issues.map((i) => ({ path: `overrides.${i.path.join('.')}`, message: i.message })) });
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

  async function create(actor: Actor, spec: DeploymentSpec, opts: { wait?: boolean; skipPolicy?: boolean } = {}): Promise<DeploymentViewT> {
    const id = crypto.randomUUID();
    // The platform's own suite runs: no use policy (they measure unpublished versions) and no quota.
    const platformRun = opts.skipPolicy === true && actor.kind === 'system';
    const { d, versionId, engine } = await resolve(actor, spec, id, platformRun);
    await engine.render(d); // validates (MANIFEST_INVALID) before anything is recorded
    const row = await db.transaction(async (tx) => {
      // Suite runs (automatic benchmarks on submission) are short and must not fail because a team's quota is full.
      if (spec.environment === 'evaluation' && !platformRun) await checkQuota(tx, spec.team, d.settings.resources.gpus);
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
    const p = runtime.start(row, d, engine);
    if (opts.wait) await p;
    return get(actor, id);
  }

  async function defaultTeam(actor: Actor, slug: string, version: string): Promise<string> {
    // Teams the caller may start endpoints for (contributors and up).
    const teams = actor.kind === 'user' ? [...actor.teams.keys()].filter((t) => hasTeamRole(actor, t, 'contributor')) : [];
    const owner = (await resolveVersion(db, slug, version))?.ownerTeam;
    if (owner && (teams.includes(owner) || isAdmin(actor))) return owner;
    if (teams.length === 1) return teams[0]!;
    throw new AppError('INVALID_INPUT', teams.length ? `name the team the endpoint counts against: one of ${teams.join(', ')}` : 'name the team the endpoint counts against', { errors: [{ path: 'team', message: 'required' }], teams });
  }

  async function get(actor: Actor, id: string): Promise<DeploymentViewT> {
    return toView(actor, await loadView(actor, id));
  }

  return {
    markFailed: runtime.markFailed,
    reap: runtime.reap,
    reconcile: runtime.reconcile,
    settle: runtime.settle,
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
    /**
     * A temporary endpoint on the evaluation template. It counts against the team named, else the
     * model's owner team when the caller belongs to it (or is an admin), else the caller's only team.
     */
    async startEvaluationEndpoint(actor: Actor, slug: string, version: string, opts: { team?: string | undefined; wait?: boolean } = {}): Promise<DeploymentViewT> {
      const spec = { model: `${slug}@${version}`, template: 'evaluation', team: opts.team ?? (await defaultTeam(actor, slug, version)), useCase: 'evaluation', environment: 'evaluation' as const, engine: 'local' as const };
      return create(actor, spec, { wait: opts.wait ?? false });
    },
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
      requireScope(actor, 'deploy'); // for admins too: their token needs the scope like anyone's
      if (!mayStop(actor, r)) throw forbid(`only contributors of team ${r.team} (or an admin) can stop this deployment`, { need: `contributor of ${r.team}` });
      if (!(STOPPABLE_STATES as readonly string[]).includes(r.state)) throw new AppError('CONFLICT', `deployment ${id} is already ${r.state}`, { state: r.state });
      await runtime.stop(actor, r, 'stopped');
      return get(actor, id);
    },
    /** The endpoint to send requests to, for the playground and comparison (ready deployments only). */
    async endpointOf(actor: Actor, id: string): Promise<{ url: string; modelName: string; headers: Record<string, string>; view: DeploymentViewT }> {
      const j = await loadView(actor, id);
      const r = j.d;
      const view = toView(actor, j);
      if (!mayUse(actor, r)) throw forbid(`endpoints of team ${r.team} are for its members`, { need: `member of ${r.team}` });
      if (r.state !== 'ready' || !r.endpointUrl) throw new AppError('CONFLICT', `deployment ${view.name ?? id} is ${r.state}, not ready`, { state: r.state });
      // Seldon routes by a header on its shared mesh URL; local endpoints want their key. Both are in the handle.
      const handle = r.handle as { headers?: Record<string, string>; apiKey?: string } | null;
      const headers = { ...handle?.headers, ...(handle?.apiKey ? { authorization: `Bearer ${handle.apiKey}` } : {}) };
      return { url: r.endpointUrl, modelName: view.modelName, headers, view };
    },
  };
}

export type DeploymentService = ReturnType<typeof createDeploymentService>;
