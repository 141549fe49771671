/**
 * Evaluation runs: a suite's dataset sent through a temporary endpoint of a version, its metrics
 * recorded as the version's benchmark results (with hardware and date) so they count for the
 * submission workflow. Requested by people (`garden eval`) or queued on submission for automatic
 * suites; run by the `run-suite` job, which owns the endpoint and always stops it.
 */
import os from 'node:os';
import { and, desc, eq } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db, Tx } from '../core/db/index.js';
import { benchmarkResults, evaluationRuns, evaluationSuites, modelVersions, models, teams } from '../core/db/schema.js';
import { AppError, notFound } from '../core/errors.js';
import { appendAudit } from '../audit/index.js';
import { refreshModel, resolveVersion, seesVersion } from '../catalog/index.js';
import { requireScope, requireTeamRole, systemActor, type Actor } from '../identity/index.js';
import type { JobQueue } from '../jobs/queue.js';
import type { DeploymentService } from '../deploy/service.js';
import { createInferenceClient, textInfer } from '../runner/client.js';
import { automaticSuitesFor } from './automatic.js';
import { parseDataset } from './dataset.js';
import { isTask, validateSuiteMetrics } from './metrics.js';
import { runSuite } from './run-suite.js';

export const RUN_SUITE_QUEUE = 'run-suite';
const RUNNER = systemActor('evaluation');
/** Generation settings the suites use (deterministic output, comparable across runs). */
const GENERATION = { max_tokens: 16, temperature: 0 };

export interface RunView {
  id: string;
  suite: string;
  suiteRevision: number;
  model: { slug: string; version: string };
  state: 'queued' | 'running' | 'succeeded' | 'failed';
  hardware: string | null;
  results: { metric: string; value: number; higherIsBetter: boolean }[] | null;
  samples: unknown[] | null;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** What this host is, as benchmark results name hardware. */
export function hardwareOfThisHost(): string {
  const cpu = os.cpus()[0]?.model.replace(/\s+/g, ' ').trim() ?? 'unknown CPU';
  return `${cpu}, ${os.cpus().length} cores (CPU only, local runner)`;
}

export function createEvaluationService(deps: { db: Db; jobs: JobQueue; deployments: DeploymentService; readBlob: (digest: string) => Promise<Buffer>; logger: Logger }) {
  const { db } = deps;

  async function view(id: string): Promise<RunView> {
    const [r] = await db
      .select({ run: evaluationRuns, slug: models.slug, version: modelVersions.version })
      .from(evaluationRuns)
      .innerJoin(modelVersions, eq(modelVersions.id, evaluationRuns.versionId))
      .innerJoin(models, eq(models.id, modelVersions.modelId))
      .where(eq(evaluationRuns.id, id));
    if (!r) throw notFound(`evaluation run ${id}`, { id });
    const x = r.run;
    return { id: x.id, suite: x.suite, suiteRevision: x.suiteRevision, model: { slug: r.slug, version: r.version }, state: x.state as RunView['state'], hardware: x.hardware, results: x.results as RunView['results'], samples: x.samples as unknown[] | null, error: x.error, createdAt: x.createdAt.toISOString(), startedAt: x.startedAt?.toISOString() ?? null, finishedAt: x.finishedAt?.toISOString() ?? null };
  }

  /** Queues a run inside `tx` (the job exists only if the caller commits). */
  async function enqueue(tx: Tx, actor: Actor, versionId: number, suiteName: string): Promise<string> {
    const [suite] = await tx.select().from(evaluationSuites).where(eq(evaluationSuites.name, suiteName));
    if (!suite) throw notFound(`evaluation suite ${suiteName}`, { suite: suiteName });
    if (!suite.datasetDigest || !isTask(suite.task)) {
      throw new AppError('INVALID_INPUT', `suite ${suiteName} has no dataset the platform can run (register it with a dataset and a task of text-classification or text-generation)`, { suite: suiteName });
    }
    const [run] = await tx.insert(evaluationRuns).values({ suite: suiteName, suiteRevision: suite.revision, versionId, requestedBy: actor.kind === 'user' ? actor.id : null }).returning({ id: evaluationRuns.id });
    await deps.jobs.send(RUN_SUITE_QUEUE, { runId: run!.id }, { tx });
    await appendAudit(tx, actor, { action: 'evaluation.request', targetType: 'evaluation-run', targetId: run!.id, details: { suite: suiteName, versionId } });
    return run!.id;
  }

  /** Runs one queued run end to end; the endpoint is stopped whatever happens. */
  async function execute(runId: string): Promise<void> {
    const [run] = await db.select().from(evaluationRuns).where(eq(evaluationRuns.id, runId));
    if (!run || run.state === 'succeeded' || run.state === 'failed') return;
    const [suite] = await db.select().from(evaluationSuites).where(eq(evaluationSuites.name, run.suite));
    const [v] = await db.select({ slug: models.slug, version: modelVersions.version, modelId: models.id, team: teams.slug }).from(modelVersions).innerJoin(models, eq(models.id, modelVersions.modelId)).innerJoin(teams, eq(teams.id, models.ownerTeamId)).where(eq(modelVersions.id, run.versionId));
    const hardware = hardwareOfThisHost();
    await db.update(evaluationRuns).set({ state: 'running', startedAt: new Date(), hardware }).where(eq(evaluationRuns.id, runId));
    let endpointId: string | null = null;
    try {
      if (!suite?.datasetDigest || !v) throw new AppError('NOT_FOUND', 'the suite or the version is gone');
      const metrics = validateSuiteMetrics(suite.task, suite.metrics);
      const items = parseDataset((await deps.readBlob(suite.datasetDigest)).toString('utf8'));
      const d = await deps.deployments.create(RUNNER, { model: `${v.slug}@${v.version}`, template: 'evaluation', team: v.team, useCase: `suite run: ${suite.name}`, environment: 'evaluation', engine: 'local' }, { wait: true, skipPolicy: true });
      endpointId = d.id;
      const { url, modelName, headers } = await deps.deployments.endpointOf(RUNNER, d.id);
      const client = createInferenceClient(url, { timeoutMs: 60_000, headers });
      const meta = await client.metadata(modelName);
      const generative = suite.task === 'text-generation';
      const result = await runSuite({
        items,
        task: suite.task as 'text-classification' | 'text-generation',
        metrics,
        concurrency: generative ? 1 : 4,
        predict: async (input) => (await textInfer(client, modelName, [input], meta, generative ? GENERATION : undefined))[0] ?? '',
      });
      // The endpoint goes before the run is reported done, so "succeeded" never leaves one behind.
      await deps.deployments.stop(RUNNER, d.id).catch(() => undefined);
      endpointId = null;
      const today = new Date().toISOString().slice(0, 10);
      await db.transaction(async (tx) => {
        await tx.update(evaluationRuns).set({ state: 'succeeded', results: result.results, samples: result.samples, finishedAt: new Date() }).where(eq(evaluationRuns.id, runId));
        // The latest run of a suite replaces that suite's earlier measured results on this version;
        // numbers the team typed for it stay, marked as theirs, next to what Garden measured.
        await tx.delete(benchmarkResults).where(and(eq(benchmarkResults.versionId, run.versionId), eq(benchmarkResults.suite, run.suite), eq(benchmarkResults.source, 'measured')));
        await tx.insert(benchmarkResults).values(result.results.map((r, i) => ({ versionId: run.versionId, position: 100 + i, suite: run.suite, suiteVersion: String(run.suiteRevision), dataset: suite.datasetName, metric: r.metric, value: r.value, higherIsBetter: r.higherIsBetter, date: today, hardware, source: 'measured', runId })));
        await refreshModel(tx, v.modelId);
        await appendAudit(tx, RUNNER, { action: 'evaluation.complete', targetType: 'evaluation-run', targetId: runId, modelSlug: v.slug, details: { suite: run.suite, results: result.results, items: result.items, errors: result.errors } });
      });
    } catch (err) {
      deps.logger.warn({ err, run: runId }, 'evaluation run failed');
      await db.transaction(async (tx) => {
        await tx.update(evaluationRuns).set({ state: 'failed', error: (err as Error).message, finishedAt: new Date() }).where(eq(evaluationRuns.id, runId));
        await appendAudit(tx, RUNNER, { action: 'evaluation.failed', targetType: 'evaluation-run', targetId: runId, details: { message: (err as Error).message } });
      });
    } finally {
      if (endpointId) await deps.deployments.stop(RUNNER, endpointId).catch(() => undefined);
    }
  }

  deps.jobs.register<{ runId: string }>(RUN_SUITE_QUEUE, { retryLimit: 0, retryDelaySeconds: 30, expireInSeconds: 3600, concurrency: 1 }, async (data) => {
    await execute(data.runId);
    return { runId: data.runId };
  });

  return {
    /** `garden eval MODEL@VERSION --suite NAME`: members of the owner team, reviewers and admins. */
    async request(actor: Actor, slug: string, version: string, suite: string): Promise<RunView> {
      requireScope(actor, 'deploy');
      const v = await resolveVersion(db, slug, version);
      if (!v || !seesVersion(actor, v.ownerTeam, v.lifecycle)) throw notFound(`version ${slug}@${version}`, { slug, version });
      if (!(actor.kind === 'user' && (actor.platformRole === 'reviewer' || actor.platformRole === 'admin'))) requireTeamRole(actor, v.ownerTeam, 'contributor', 'run evaluation suites on its versions');
      const id = await db.transaction((tx) => enqueue(tx, actor, v.id, suite));
      return view(id);
    },
    async get(actor: Actor, id: string): Promise<RunView> {
      requireScope(actor, 'read');
      if (!/^[0-9a-f-]{36}$/i.test(id)) throw notFound(`evaluation run ${id}`, { id });
      const run = await view(id);
      const v = await resolveVersion(db, run.model.slug, run.model.version);
      if (!v || !seesVersion(actor, v.ownerTeam, v.lifecycle)) throw notFound(`evaluation run ${id}`, { id });
      return run;
    },
    async list(actor: Actor, slug: string, version: string): Promise<RunView[]> {
      requireScope(actor, 'read');
      const v = await resolveVersion(db, slug, version);
      if (!v || !seesVersion(actor, v.ownerTeam, v.lifecycle)) throw notFound(`version ${slug}@${version}`, { slug, version });
      const rows = await db.select({ id: evaluationRuns.id }).from(evaluationRuns).where(eq(evaluationRuns.versionId, v.id)).orderBy(desc(evaluationRuns.createdAt)).limit(50);
      return Promise.all(rows.map((r) => view(r.id)));
    },
    /** On submission: a run of every automatic suite for the model's task, when the version has a file the local runner serves. */
    async queueAutomatic(tx: Tx, actor: Actor, versionId: number): Promise<number> {
      const names = await automaticSuitesFor(tx, versionId);
      for (const n of names) await enqueue(tx, actor, versionId, n);
      return names.length;
    },
    execute,
  };
}

export type EvaluationService = ReturnType<typeof createEvaluationService>;
