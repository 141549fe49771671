/**
 * Evaluation endpoint limits: their lifetime (one installation-wide setting) and per-team quotas
 * of concurrent endpoints and GPUs (installation defaults, overridable per team). Admins set them.
 */
import { eq, inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import { queryRows, type Db, type Tx } from '../core/db/index.js';
import { settings, teamQuotas } from '../core/db/schema.js';
import { AppError } from '../core/errors.js';
import { appendAudit } from '../audit/index.js';
import { requireAdmin, requireScope, type Actor } from '../identity/index.js';

export const EvalLimits = z.strictObject({
  /** How long an evaluation endpoint lives, in hours. */
  lifetimeHours: z.number().min(0.05).max(168),
  /** Default per team: concurrent evaluation endpoints. */
  maxEndpointsPerTeam: z.number().int().min(0).max(1000),
  /** Default per team: GPUs held by evaluation endpoints at once. */
  maxGpusPerTeam: z.number().int().min(0).max(1000),
});
export type EvalLimits = z.infer<typeof EvalLimits>;

export const DEFAULT_LIMITS: EvalLimits = { lifetimeHours: 4, maxEndpointsPerTeam: 3, maxGpusPerTeam: 4 };
const KEY = 'eval_limits';

export const TeamQuota = z.strictObject({ maxEvalEndpoints: z.number().int().min(0).max(1000).nullable(), maxGpus: z.number().int().min(0).max(1000).nullable() });
export type TeamQuota = z.infer<typeof TeamQuota>;

export async function readLimits(db: Db | Tx): Promise<EvalLimits> {
  const [row] = await db.select().from(settings).where(eq(settings.key, KEY));
  if (!row) return DEFAULT_LIMITS;
  const parsed = EvalLimits.safeParse({ ...DEFAULT_LIMITS, ...JSON.parse(row.value) });
  return parsed.success ? parsed.data : DEFAULT_LIMITS;
}

/** The quota that applies to `team`: its own where set, else the installation default. */
export async function quotaOf(db: Db | Tx, team: string): Promise<{ maxEndpoints: number; maxGpus: number }> {
  const limits = await readLimits(db);
  const [q] = await db.select().from(teamQuotas).where(eq(teamQuotas.team, team));
  return { maxEndpoints: q?.maxEvalEndpoints ?? limits.maxEndpointsPerTeam, maxGpus: q?.maxGpus ?? limits.maxGpusPerTeam };
}

/** Evaluation endpoints and their GPUs, counted under a per-team lock so two starts cannot both squeeze in. */
export async function checkQuota(tx: Tx, team: string, gpus: number): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`garden-eval-quota:${team}`}))`);
  const q = await quotaOf(tx, team);
  const [used] = await queryRows<{ n: number; g: number }>(tx, sql`SELECT count(*)::int AS n, coalesce(sum(gpus), 0)::int AS g FROM deployments WHERE team = ${team} AND environment = 'evaluation' AND state IN ('pending','starting','ready','stopping')`);
  const n = used?.n ?? 0;
  const g = used?.g ?? 0;
  if (n + 1 > q.maxEndpoints) throw new AppError('QUOTA_EXCEEDED', `team ${team} already runs ${n} of its ${q.maxEndpoints} evaluation endpoints: stop one first`, { team, running: n, limit: q.maxEndpoints });
  if (g + gpus > q.maxGpus) throw new AppError('QUOTA_EXCEEDED', `team ${team} holds ${g} of its ${q.maxGpus} evaluation GPUs; this endpoint needs ${gpus} more`, { team, gpus: g, limit: q.maxGpus });
}

export function createLimitService(deps: { db: Db }) {
  const { db } = deps;
  return {
    async get(actor: Actor): Promise<EvalLimits> {
      requireScope(actor, 'read');
      return readLimits(db);
    },
    async set(actor: Actor, next: EvalLimits): Promise<EvalLimits> {
      requireAdmin(actor, 'change evaluation endpoint limits');
      await db.transaction(async (tx) => {
        const before = await readLimits(tx);
        await tx.insert(settings).values({ key: KEY, value: JSON.stringify(next) }).onConflictDoUpdate({ target: settings.key, set: { value: JSON.stringify(next), updatedAt: new Date() } });
        await appendAudit(tx, actor, { action: 'eval-limits.update', targetType: 'settings', targetId: KEY, details: { before, after: next } });
      });
      return next;
    },
    /** The quota that applies to each team, and the team's own settings (null: the default applies). */
    async teamQuotas(actor: Actor, teams: string[]): Promise<Record<string, { maxEndpoints: number; maxGpus: number; own: TeamQuota }>> {
      requireScope(actor, 'read');
      const limits = await readLimits(db);
      const rows = teams.length ? await db.select().from(teamQuotas).where(inArray(teamQuotas.team, teams)) : [];
      return Object.fromEntries(teams.map((t) => {
        const q = rows.find((r) => r.team === t);
        return [t, { maxEndpoints: q?.maxEvalEndpoints ?? limits.maxEndpointsPerTeam, maxGpus: q?.maxGpus ?? limits.maxGpusPerTeam, own: { maxEvalEndpoints: q?.maxEvalEndpoints ?? null, maxGpus: q?.maxGpus ?? null } }];
      }));
    },
    async setTeamQuota(actor: Actor, team: string, q: TeamQuota): Promise<void> {
      requireAdmin(actor, 'change team quotas');
      await db.transaction(async (tx) => {
        await tx.insert(teamQuotas).values({ team, ...q }).onConflictDoUpdate({ target: teamQuotas.team, set: { ...q, updatedAt: new Date() } });
        await appendAudit(tx, actor, { action: 'team-quota.update', targetType: 'team', targetId: team, details: q });
      });
    },
  };
}

export type LimitService = ReturnType<typeof createLimitService>;
