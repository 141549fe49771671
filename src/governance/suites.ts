/**
 * Evaluation suites: admins register them; benchmark results on them count for submissions. A
 * suite with a dataset (JSON lines in the artifact store) and a task the platform knows can be
 * run by the platform itself (`garden eval`, the automatic benchmark on submission).
 */
import { asc, eq } from 'drizzle-orm';
import type { Db } from '../core/db/index.js';
import { evaluationSuites } from '../core/db/schema.js';
import { appendAudit } from '../audit/index.js';
import { requireAdmin, requireScope, type Actor } from '../identity/index.js';
import { parseDataset, validateSuite } from '../eval/index.js';

export interface SuiteInput {
  name: string;
  task: string;
  description?: string | undefined;
  metrics: string[];
  /** The platform can run it by itself (a benchmark job is queued on submission). */
  automatic?: boolean | undefined;
  /** The dataset as JSON lines (`{"input", "expected"}`); makes the suite runnable by the platform. */
  dataset?: { name: string; text: string } | undefined;
}

export interface SuiteStore {
  putSmallBlob(bytes: Buffer): Promise<{ digest: string; size: number }>;
}

/** Registers (or updates) a suite; admins only. A new dataset or metric list bumps the revision. */
export async function registerSuite(db: Db, actor: Actor, s: SuiteInput, store?: SuiteStore): Promise<void> {
  requireAdmin(actor, 'register evaluation suites');
  // A known task and metrics for it; runnable suites need ones the platform computes.
  validateSuite(s.task, s.metrics, { runnable: s.dataset !== undefined });
  let dataset: { digest: string; name: string; items: number } | null = null;
  if (s.dataset) {
    const items = parseDataset(s.dataset.text).length;
    if (!store) throw new Error('registerSuite: a dataset needs the artifact store');
    const blob = await store.putSmallBlob(Buffer.from(s.dataset.text, 'utf8'));
    dataset = { digest: blob.digest, name: s.dataset.name, items };
  }
  await db.transaction(async (tx) => {
    const [before] = await tx.select().from(evaluationSuites).where(eq(evaluationSuites.name, s.name)).for('update');
    const changed = !before || (dataset && dataset.digest !== before.datasetDigest) || before.metrics.join(',') !== s.metrics.join(',');
    const fields = {
      task: s.task,
      description: s.description ?? '',
      metrics: s.metrics,
      automatic: s.automatic ?? false,
      ...(dataset ? { datasetDigest: dataset.digest, datasetName: dataset.name, datasetItems: dataset.items } : {}),
      revision: before ? before.revision + (changed ? 1 : 0) : 1,
    };
    await tx.insert(evaluationSuites).values({ name: s.name, ...fields }).onConflictDoUpdate({ target: evaluationSuites.name, set: fields });
    await appendAudit(tx, actor, { action: 'suite.register', targetType: 'suite', targetId: s.name, details: { task: s.task, metrics: s.metrics, dataset: dataset ? { name: dataset.name, items: dataset.items, digest: dataset.digest } : null, revision: fields.revision } });
  });
}

export function createSuiteService(deps: { db: Db; store?: SuiteStore }) {
  const { db } = deps;
  return {
    async list(actor: Actor) {
      requireScope(actor, 'read');
      const rows = await db.select().from(evaluationSuites).orderBy(asc(evaluationSuites.name));
      return rows.map((r) => ({
        name: r.name,
        description: r.description,
        task: r.task,
        metrics: r.metrics,
        automatic: r.automatic,
        revision: r.revision,
        dataset: r.datasetDigest ? { name: r.datasetName ?? 'dataset.jsonl', items: r.datasetItems ?? 0, digest: r.datasetDigest } : null,
      }));
    },
    register: (actor: Actor, s: SuiteInput) => registerSuite(db, actor, s, deps.store),
  };
}

export type SuiteService = ReturnType<typeof createSuiteService>;
