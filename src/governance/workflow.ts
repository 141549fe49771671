/**
 * The governed way in: draft → submitted (checks: the security scan of every file) → a reviewer's
 * acknowledgement when the scan warns → team-lead sign-off → platform approval → approved
 * (validated, or experimental when submitted for evaluation only); a `block` scan verdict or any
 * reviewer's rejection ends it. Separation of duties: the approver is neither the submitter nor
 * the person who signed off, and nobody signs off their own submission. Every transition locks
 * the version's row, checks the stage it expects, and is audited in the same transaction, so two
 * reviewers acting at once cannot both succeed.
 */
import { eq, sql } from 'drizzle-orm';
import { queryRows, type Db, type Tx } from '../core/db/index.js';
import { modelVersions, models, scanReports, submissions, teams, versionFiles } from '../core/db/schema.js';
import { AppError, notFound } from '../core/errors.js';
import { appendAudit } from '../audit/index.js';
import { hasTeamRole, isReviewer, requireReviewer, requireScope, requireTeamRole, requireUser, requireWriter, seesUnpublished, type Actor } from '../identity/index.js';
import type { JobQueue } from '../jobs/queue.js';
import { refreshModel, seesVersion } from '../catalog/index.js';
import { automaticSuitesFor } from '../eval/index.js';
import { acceptBenchmark, countedBenchmarks } from './benchmark-review.js';

export const SCAN_QUEUE = 'scan-version';

export type Stage = 'checks' | 'awaiting_ack' | 'awaiting_signoff' | 'awaiting_approval' | 'approved' | 'rejected';

export interface SubmissionView {
  slug: string;
  version: string;
  ownerTeam: string;
  lifecycle: string;
  stage: Stage;
  evaluationOnly: boolean;
  submittedBy: string | null;
  submittedAt: string;
  scanVerdict: string | null;
  signedOffBy: string | null;
  approvedBy: string | null;
  rejectReason: string | null;
  /** What the caller could do now. */
  next: string[];
}

export interface WorkflowDeps {
  db: Db;
  jobs: JobQueue;
}

interface Locked {
  versionId: number;
  lifecycle: string;
  ownerTeam: string;
  slug: string;
  version: string;
  sub: typeof submissions.$inferSelect | undefined;
}

export function createWorkflowService(deps: WorkflowDeps) {
  const { db, jobs } = deps;
  /** Called in the submit transaction (the evaluation domain queues automatic suite runs). */
  const submitted: ((tx: Tx, actor: Actor, versionId: number) => Promise<unknown>)[] = [];

  /** The version row locked for this transaction (FOR UPDATE), or NOT_FOUND when the actor may not see it. */
  async function lock(tx: Tx, actor: Actor, slug: string, version: string): Promise<Locked> {
    const [row] = await queryRows<{ id: number; lifecycle: string; team: string }>(
      tx,
      sql`SELECT v.id, v.lifecycle, t.slug AS team FROM model_versions v JOIN models m ON m.id = v.model_id JOIN teams t ON t.id = m.owner_team_id
           WHERE m.slug = ${slug} AND v.version = ${version} FOR UPDATE OF v`,
    );
    if (!row || !seesVersion(actor, row.team, row.lifecycle)) throw notFound(`version ${slug}@${version}`, { slug, version });
    const [sub] = await tx.select().from(submissions).where(eq(submissions.versionId, row.id));
    return { versionId: row.id, lifecycle: row.lifecycle, ownerTeam: row.team, slug, version, sub };
  }

  function expectStage(l: Locked, stages: Stage[], action: string): NonNullable<Locked['sub']> {
    if (!l.sub || !stages.includes(l.sub.stage as Stage)) {
      const now = l.sub?.stage ?? l.lifecycle;
      throw new AppError('LIFECYCLE_TRANSITION', `${l.slug}@${l.version} is ${now.replace('_', ' ')}: it cannot be ${action} now`, { stage: now, expected: stages });
    }
    return l.sub;
  }

  const userId = (a: Actor) => (a.kind === 'user' ? a.id : null);

  /** What a submission still lacks (empty when it can be submitted). */
  async function missing(tx: Tx, versionId: number): Promise<string[]> {
    const [v] = await tx.select().from(modelVersions).where(eq(modelVersions.id, versionId));
    if (!v) return ['the version'];
    const out: string[] = [];
    if (!v.intendedUse.trim()) out.push('card.intendedUse');
    if (!v.limitations.trim()) out.push('card.limitations');
    if (!v.trainingData.trim()) out.push('card.trainingData');
    if (v.approvedUseCases.length === 0) out.push('approvedUseCases (at least one)');
    const [files] = await queryRows<{ n: number }>(tx, sql`SELECT count(*)::int AS n FROM ${versionFiles} WHERE version_id = ${versionId}`);
    if (!files?.n) out.push('files (upload and commit the artifacts)');
    // Numbers Garden measured, or typed ones a platform reviewer accepted; a suite the platform runs
    // by itself on submission counts too (its measured results arrive with the run).
    const bench = await countedBenchmarks(tx, versionId);
    if (!bench.counted && !(await automaticSuitesFor(tx, versionId)).length) {
      const waiting = bench.awaitingAcceptance ? ` (${bench.awaitingAcceptance} reported by the team await a platform reviewer’s acceptance)` : '';
      out.push(`a benchmark result on a registered evaluation suite, measured by Garden or accepted by a platform reviewer${waiting}`);
    }
    return out;
  }

  async function submit(actor: Actor, slug: string, version: string, o: { evaluationOnly?: boolean } = {}): Promise<SubmissionView> {
    await db.transaction(async (tx) => {
      const l = await lock(tx, actor, slug, version);
      requireTeamRole(actor, l.ownerTeam, 'contributor', 'submit its versions');
      if (l.lifecycle !== 'draft') throw new AppError('LIFECYCLE_TRANSITION', `${slug}@${version} is ${l.lifecycle}: only a draft can be submitted (fix and submit a new version)`, { lifecycle: l.lifecycle });
      const lacks = await missing(tx, l.versionId);
      if (lacks.length) throw new AppError('SUBMISSION_INCOMPLETE', `${slug}@${version} cannot be submitted yet; missing: ${lacks.join('; ')}`, { missing: lacks });
      await tx.update(modelVersions).set({ lifecycle: 'submitted', updatedAt: new Date() }).where(eq(modelVersions.id, l.versionId));
      await tx
        .insert(submissions)
        .values({ versionId: l.versionId, stage: 'checks', evaluationOnly: o.evaluationOnly ?? false, submittedBy: userId(actor) })
        .onConflictDoUpdate({ target: submissions.versionId, set: { stage: 'checks', evaluationOnly: o.evaluationOnly ?? false, submittedBy: userId(actor), submittedAt: new Date() } });
      await jobs.send(SCAN_QUEUE, { versionId: l.versionId }, { tx, singletonKey: `scan-${l.versionId}` });
      for (const hook of submitted) await hook(tx, actor, l.versionId);
      await appendAudit(tx, actor, { action: 'submission.submit', targetType: 'version', targetId: `${slug}@${version}`, modelSlug: slug, details: { evaluationOnly: o.evaluationOnly ?? false } });
      await refresh(tx, l.versionId);
    });
    return get(actor, slug, version);
  }

  /** The scan job's verdict: block rejects, warn waits for a reviewer, pass goes to sign-off. Idempotent. */
  async function recordScan(versionId: number, verdict: 'pass' | 'warn' | 'block', files: { path: string; digest: string; format: string; verdict: string; findings: unknown[] }[]): Promise<void> {
    await db.transaction(async (tx) => {
      const [row] = await queryRows<{ slug: string; version: string }>(
        tx,
        sql`SELECT m.slug, v.version FROM model_versions v JOIN models m ON m.id = v.model_id WHERE v.id = ${versionId} FOR UPDATE OF v`,
      );
      const [sub] = await tx.select().from(submissions).where(eq(submissions.versionId, versionId));
      if (!row || sub?.stage !== 'checks') return; // already decided (a retried job)
      await tx.delete(scanReports).where(eq(scanReports.versionId, versionId));
      if (files.length) await tx.insert(scanReports).values(files.map((f) => ({ versionId, path: f.path, digest: f.digest, format: f.format, verdict: f.verdict, findings: f.findings })));
      const stage: Stage = verdict === 'block' ? 'rejected' : verdict === 'warn' ? 'awaiting_ack' : 'awaiting_signoff';
      const blocked = files.filter((f) => f.verdict === 'block').map((f) => f.path);
      await tx
        .update(submissions)
        .set({ stage, scanVerdict: verdict, ...(verdict === 'block' ? { rejectReason: `the security scan blocked ${blocked.join(', ')}`, decidedAt: new Date() } : {}) })
        .where(eq(submissions.versionId, versionId));
      if (verdict === 'block') await tx.update(modelVersions).set({ lifecycle: 'rejected', updatedAt: new Date() }).where(eq(modelVersions.id, versionId));
      const system = { kind: 'system', name: 'scanner' } as const;
      await appendAudit(tx, system, {
        action: verdict === 'block' ? 'submission.auto_reject' : 'submission.scanned',
        targetType: 'version',
        targetId: `${row.slug}@${row.version}`,
        modelSlug: row.slug,
        details: { verdict, files: files.map((f) => ({ path: f.path, verdict: f.verdict, findings: f.findings.length })) },
      });
      await refresh(tx, versionId);
    });
  }

  async function acknowledge(actor: Actor, slug: string, version: string, comment: string): Promise<SubmissionView> {
    if (!comment.trim()) throw new AppError('INVALID_INPUT', 'acknowledging scan warnings needs a comment saying why they are acceptable');
    await transition(actor, slug, version, ['awaiting_ack'], 'acknowledged', () => requireReviewer(actor, 'acknowledge scan warnings'), () => {
      return { set: { stage: 'awaiting_signoff', ackBy: userId(actor), ackComment: comment }, action: 'submission.acknowledge', details: { comment } };
    });
    return get(actor, slug, version);
  }

  async function signOff(actor: Actor, slug: string, version: string, comment?: string): Promise<SubmissionView> {
    await transition(actor, slug, version, ['awaiting_signoff'], 'signed off', (l) => requireTeamRole(actor, l.ownerTeam, 'team_lead', 'sign off its submissions'), (_l, sub) => {
      if (sub.submittedBy && sub.submittedBy === userId(actor)) throw new AppError('SEPARATION_OF_DUTIES', 'you submitted this version: another team lead must sign it off');
      return { set: { stage: 'awaiting_approval', signedOffBy: userId(actor) }, action: 'submission.sign_off', details: { comment: comment ?? '' } };
    });
    return get(actor, slug, version);
  }

  async function approve(actor: Actor, slug: string, version: string, comment?: string): Promise<SubmissionView> {
    await transition(actor, slug, version, ['awaiting_approval'], 'approved', () => requireReviewer(actor, 'approve submissions'), (_l, sub) => {
      const me = userId(actor);
      if (me && (me === sub.submittedBy || me === sub.signedOffBy)) {
        throw new AppError('SEPARATION_OF_DUTIES', 'the approver must be neither the submitter nor the person who signed off');
      }
      return {
        set: { stage: 'approved', approvedBy: me, decidedAt: new Date() },
        version: { lifecycle: 'approved', maturity: sub.evaluationOnly ? 'experimental' : 'validated' },
        action: 'submission.approve',
        details: { comment: comment ?? '', maturity: sub.evaluationOnly ? 'experimental' : 'validated' },
      };
    });
    return get(actor, slug, version);
  }

  async function reject(actor: Actor, slug: string, version: string, reason: string): Promise<SubmissionView> {
    if (!reason.trim()) throw new AppError('INVALID_INPUT', 'a rejection needs a reason');
    await transition(
      actor,
      slug,
      version,
      ['checks', 'awaiting_ack', 'awaiting_signoff', 'awaiting_approval'],
      'rejected',
      (l) => {
        if (!hasTeamRole(actor, l.ownerTeam, 'team_lead')) requireReviewer(actor, 'reject submissions');
      },
      (l, sub) => {
      // Platform reviewers reject at any step; the owner team's lead at the sign-off step.
      if (!(isReviewer(actor) || (sub.stage === 'awaiting_signoff' && hasTeamRole(actor, l.ownerTeam, 'team_lead')))) requireReviewer(actor, 'reject submissions');
      return { set: { stage: 'rejected', rejectReason: reason, decidedAt: new Date() }, version: { lifecycle: 'rejected' }, action: 'submission.reject', details: { reason, stage: sub.stage } };
      },
    );
    return get(actor, slug, version);
  }

  /** validated → production: a named SLA owner and at least one recorded production deployment. */
  async function promote(actor: Actor, slug: string, version: string, slaOwner: string): Promise<SubmissionView> {
    if (!slaOwner.trim()) throw new AppError('INVALID_INPUT', 'promotion to production needs a named SLA owner');
    await db.transaction(async (tx) => {
      const l = await lock(tx, actor, slug, version);
      requireReviewer(actor, 'promote versions to production');
      const [v] = await tx.select({ maturity: modelVersions.maturity }).from(modelVersions).where(eq(modelVersions.id, l.versionId));
      if (l.lifecycle !== 'approved' || v?.maturity !== 'validated') {
        throw new AppError('LIFECYCLE_TRANSITION', `only an approved, validated version can be promoted (this one is ${l.lifecycle}, ${v?.maturity ?? '?'})`);
      }
      const [prod] = await queryRows<{ n: number }>(tx, sql`SELECT count(*)::int AS n FROM deployments WHERE version_id = ${l.versionId} AND environment = 'production'`);
      if (!prod?.n) throw new AppError('LIFECYCLE_TRANSITION', `${slug}@${version} has no production deployment yet: promotion needs at least one`);
      await tx.update(modelVersions).set({ maturity: 'production', updatedAt: new Date() }).where(eq(modelVersions.id, l.versionId));
      await tx.update(submissions).set({ slaOwner }).where(eq(submissions.versionId, l.versionId));
      await appendAudit(tx, actor, { action: 'version.promote', targetType: 'version', targetId: `${slug}@${version}`, modelSlug: slug, details: { slaOwner } });
      await refresh(tx, l.versionId);
    });
    return get(actor, slug, version);
  }

  async function transition(
    actor: Actor,
    slug: string,
    version: string,
    from: Stage[],
    verb: string,
    /** Who may do this at all: checked before the stage, so outsiders learn nothing about it. */
    authorize: (l: Locked) => void,
    decide: (
      l: Locked,
      sub: NonNullable<Locked['sub']>,
    ) => { set: Partial<typeof submissions.$inferInsert>; version?: { lifecycle?: string; maturity?: string }; action: string; details: Record<string, unknown> },
  ): Promise<void> {
    requireUser(actor);
    // Every step is a change, whichever role check follows (a team lead's reject has none of its own).
    requireWriter(actor);
    await db.transaction(async (tx) => {
      const l = await lock(tx, actor, slug, version);
      authorize(l);
      const sub = expectStage(l, from, verb);
      const d = decide(l, sub);
      await tx.update(submissions).set(d.set).where(eq(submissions.versionId, l.versionId));
      if (d.version) await tx.update(modelVersions).set({ ...d.version, updatedAt: new Date() }).where(eq(modelVersions.id, l.versionId));
      await appendAudit(tx, actor, { action: d.action, targetType: 'version', targetId: `${slug}@${version}`, modelSlug: slug, details: d.details });
      await refresh(tx, l.versionId);
    });
  }

  /** Keeps the catalog's head version and search document current after a lifecycle change. */
  async function refresh(tx: Tx, versionId: number): Promise<void> {
    const [row] = await tx.select({ modelId: modelVersions.modelId }).from(modelVersions).where(eq(modelVersions.id, versionId));
    if (row) await refreshModel(tx, row.modelId);
  }

  /** Where the review of a version stands (read scope; a team's submission is seen by the team, reviewers and admins). */
  async function get(actor: Actor, slug: string, version: string): Promise<SubmissionView> {
    requireScope(actor, 'read');
    const [row] = await viewRows(sql`m.slug = ${slug} AND v.version = ${version}`);
    if (!row || !seesUnpublished(actor, row.ownerTeam)) throw notFound(`submission of ${slug}@${version}`, { slug, version });
    return withNext(actor, row);
  }

  /** What waits for the actor: sign-offs for team leads, acknowledgements and approvals for reviewers, and their teams' submissions. */
  async function queue(actor: Actor): Promise<{ waitingForYou: SubmissionView[]; yourTeams: SubmissionView[] }> {
    const a = requireUser(actor);
    requireScope(actor, 'read');
    const open = await viewRows(sql`s.stage IN ('checks','awaiting_ack','awaiting_signoff','awaiting_approval')`);
    const recent = await viewRows(sql`t.slug IN (SELECT t2.slug FROM memberships ms JOIN teams t2 ON t2.id = ms.team_id WHERE ms.user_id = ${a.id})`);
    const waiting = open.map((r) => withNext(actor, r)).filter((r) => r.next.length > 0 && !r.next.every((n) => n === 'reject'));
    return { waitingForYou: waiting, yourTeams: recent.map((r) => withNext(actor, r)) };
  }

  function withNext(actor: Actor, r: Omit<SubmissionView, 'next'> & { submittedById: string | null; signedOffById: string | null }): SubmissionView {
    const me = userId(actor);
    const next: string[] = [];
    if (r.stage === 'awaiting_ack' && isReviewer(actor)) next.push('acknowledge');
    if (r.stage === 'awaiting_signoff' && hasTeamRole(actor, r.ownerTeam, 'team_lead') && me !== r.submittedById) next.push('sign-off');
    if (r.stage === 'awaiting_approval' && isReviewer(actor) && me !== r.submittedById && me !== r.signedOffById) next.push('approve');
    if (['checks', 'awaiting_ack', 'awaiting_signoff', 'awaiting_approval'].includes(r.stage) && (isReviewer(actor) || (r.stage === 'awaiting_signoff' && hasTeamRole(actor, r.ownerTeam, 'team_lead')))) next.push('reject');
    const { submittedById: _s, signedOffById: _o, ...view } = r;
    return { ...view, next };
  }

  async function viewRows(where: ReturnType<typeof sql>) {
    const rows = await queryRows<{
      slug: string;
      version: string;
      team: string;
      lifecycle: string;
      stage: Stage;
      evaluation_only: boolean;
      submitted_by: string | null;
      submitted_by_id: string | null;
      submitted_at: string;
      scan_verdict: string | null;
      signed_off_by: string | null;
      signed_off_by_id: string | null;
      approved_by: string | null;
      reject_reason: string | null;
    }>(
      db,
      sql`SELECT m.slug, v.version, t.slug AS team, v.lifecycle, s.stage, s.evaluation_only, su.username AS submitted_by, s.submitted_by AS submitted_by_id,
                 s.submitted_at, s.scan_verdict, so.username AS signed_off_by, s.signed_off_by AS signed_off_by_id, ap.username AS approved_by, s.reject_reason
            FROM ${submissions} s JOIN ${modelVersions} v ON v.id = s.version_id JOIN ${models} m ON m.id = v.model_id JOIN ${teams} t ON t.id = m.owner_team_id
            LEFT JOIN users su ON su.id = s.submitted_by LEFT JOIN users so ON so.id = s.signed_off_by LEFT JOIN users ap ON ap.id = s.approved_by
           WHERE ${where} ORDER BY s.submitted_at DESC LIMIT 200`,
    );
    return rows.map((r) => ({
      slug: r.slug,
      version: r.version,
      ownerTeam: r.team,
      lifecycle: r.lifecycle,
      stage: r.stage,
      evaluationOnly: r.evaluation_only,
      submittedBy: r.submitted_by,
      submittedById: r.submitted_by_id,
      submittedAt: new Date(r.submitted_at).toISOString(),
      scanVerdict: r.scan_verdict,
      signedOffBy: r.signed_off_by,
      signedOffById: r.signed_off_by_id,
      approvedBy: r.approved_by,
      rejectReason: r.reject_reason,
    }));
  }

  /** The version's scan report, file by file. */
  async function scanReport(actor: Actor, slug: string, version: string) {
    await get(actor, slug, version);
    const rows = await queryRows<{ path: string; format: string; verdict: string; findings: unknown }>(
      db,
      sql`SELECT r.path, r.format, r.verdict, r.findings FROM ${scanReports} r JOIN ${modelVersions} v ON v.id = r.version_id JOIN ${models} m ON m.id = v.model_id
           WHERE m.slug = ${slug} AND v.version = ${version} ORDER BY r.path`,
    );
    return rows;
  }

  const onSubmitted = (hook: (tx: Tx, actor: Actor, versionId: number) => Promise<unknown>) => void submitted.push(hook);
  /** A platform reviewer accepts a benchmark result the team reported, so it counts for a submission. */
  const acceptReportedBenchmark = (actor: Actor, slug: string, version: string, id: number, comment = '') => acceptBenchmark(db, actor, slug, version, id, comment);
  return { onSubmitted, submit, recordScan, acknowledge, signOff, approve, reject, promote, get, queue, scanReport, acceptReportedBenchmark };
}

export type WorkflowService = ReturnType<typeof createWorkflowService>;
