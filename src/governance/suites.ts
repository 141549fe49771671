/** Evaluation suites: admins register them; benchmark results on them count for submissions. */
import { asc } from 'drizzle-orm';
import type { Db } from '../core/db/index.js';
import { evaluationSuites } from '../core/db/schema.js';
import { appendAudit } from '../audit/index.js';
import { requireAdmin, requireScope, type Actor } from '../identity/index.js';

export interface SuiteInput {
  name: string;
  task: string;
  description?: string | undefined;
  metrics: string[];
  /** The platform can run it by itself (a benchmark job is queued on submission). */
  automatic?: boolean | undefined;
}

/** Registers (or updates) a suite; admins only. */
export async function registerSuite(db: Db, actor: Actor, s: SuiteInput): Promise<void> {
  requireAdmin(actor, 'register evaluation suites');
  const fields = { task: s.task, description: s.description ?? '', metrics: s.metrics, automatic: s.automatic ?? false };
  await db.transaction(async (tx) => {
    await tx.insert(evaluationSuites).values({ name: s.name, ...fields }).onConflictDoUpdate({ target: evaluationSuites.name, set: fields });
    await appendAudit(tx, actor, { action: 'suite.register', targetType: 'suite', targetId: s.name, details: { task: s.task, metrics: s.metrics } });
  });
}

export function createSuiteService(deps: { db: Db }) {
  const { db } = deps;
  return {
    async list(actor: Actor) {
      requireScope(actor, 'read');
      return db
        .select({ name: evaluationSuites.name, description: evaluationSuites.description, task: evaluationSuites.task, metrics: evaluationSuites.metrics, automatic: evaluationSuites.automatic })
        .from(evaluationSuites)
        .orderBy(asc(evaluationSuites.name));
    },
    register: (actor: Actor, s: SuiteInput) => registerSuite(db, actor, s),
  };
}

export type SuiteService = ReturnType<typeof createSuiteService>;
