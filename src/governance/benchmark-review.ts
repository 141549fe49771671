/**
 * Benchmark provenance in the review: a result Garden measured (a suite run) counts for a
 * submission by itself; a result the team typed counts only once a platform reviewer has
 * accepted it, and never on the word of whoever typed it.
 */
import { sql } from 'drizzle-orm';
import { queryRows, type Db, type Tx } from '../core/db/index.js';
import { AppError, notFound } from '../core/errors.js';
import { appendAudit } from '../audit/index.js';
import { refreshModel } from '../catalog/index.js';
import { requireReviewer, requireUser, type Actor } from '../identity/index.js';

/** What the submission check finds on a version's registered suites. */
export async function countedBenchmarks(tx: Tx, versionId: number): Promise<{ counted: number; awaitingAcceptance: number }> {
  const [row] = await queryRows<{ counted: number; awaiting: number }>(
    tx,
    sql`SELECT count(*) FILTER (WHERE b.source = 'measured' OR b.accepted_at IS NOT NULL)::int AS counted,
               count(*) FILTER (WHERE b.source = 'reported' AND b.accepted_at IS NULL)::int AS awaiting
          FROM benchmark_results b JOIN evaluation_suites s ON s.name = b.suite
         WHERE b.version_id = ${versionId}`,
  );
  return { counted: row?.counted ?? 0, awaitingAcceptance: row?.awaiting ?? 0 };
}

/**
 * A platform reviewer accepts one result the team reported: audited, and refused to the person
 * who typed it (SEPARATION_OF_DUTIES). Measured results need no acceptance (CONFLICT).
 */
export async function acceptBenchmark(db: Db, actor: Actor, slug: string, version: string, id: number, comment: string): Promise<void> {
  requireReviewer(actor, 'accept benchmark results reported by a team');
  const me = requireUser(actor);
  await db.transaction(async (tx) => {
    const [b] = await queryRows<{ id: number; model_id: number; source: string; reported_by: string | null; accepted_at: string | null; suite: string; metric: string; value: number }>(
      tx,
      sql`SELECT b.id, m.id AS model_id, b.source, b.reported_by, b.accepted_at, b.suite, b.metric, b.value
            FROM benchmark_results b JOIN model_versions v ON v.id = b.version_id JOIN models m ON m.id = v.model_id
           WHERE b.id = ${id} AND m.slug = ${slug} AND v.version = ${version}
           FOR UPDATE OF b`,
    );
    if (!b) throw notFound(`benchmark result ${id} of ${slug}@${version}`, { slug, version, id });
    if (b.source === 'measured') throw new AppError('CONFLICT', `benchmark result ${id} was measured by Garden: it needs no acceptance`, { id, source: b.source });
    if (b.accepted_at) throw new AppError('CONFLICT', `benchmark result ${id} is already accepted`, { id });
    if (b.reported_by === me.id) throw new AppError('SEPARATION_OF_DUTIES', 'you reported this result: another platform reviewer must accept it');
    await tx.execute(sql`UPDATE benchmark_results SET accepted_by = ${me.id}, accepted_at = now() WHERE id = ${id}`);
    await appendAudit(tx, actor, {
      action: 'benchmark.accept',
      targetType: 'version',
      targetId: `${slug}@${version}`,
      modelSlug: slug,
      details: { id, suite: b.suite, metric: b.metric, value: Number(b.value), comment },
    });
    await refreshModel(tx, b.model_id); // announces the change to read caches
  });
}
