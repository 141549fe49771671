/** Deployment templates: listed for everyone who deploys, edited by admins, built-ins seeded once. */
import { asc, eq } from 'drizzle-orm';
import type { Db } from '../core/db/index.js';
import { deploymentTemplates } from '../core/db/schema.js';
import { AppError, notFound } from '../core/errors.js';
import { appendAudit } from '../audit/index.js';
import { requireAdmin, requireScope, type Actor } from '../identity/index.js';
import { BUILT_IN_TEMPLATES, StoredTemplateSettings, type DeploymentTemplate, type TemplateSettings } from './template-schema.js';

export interface TemplateView extends DeploymentTemplate {
  builtIn: boolean;
  updatedAt: string;
}

function toView(r: typeof deploymentTemplates.$inferSelect): TemplateView {
  return { name: r.name, description: r.description, settings: StoredTemplateSettings.parse(r.settings), builtIn: r.builtIn, updatedAt: r.updatedAt.toISOString() };
}

/** Inserts the built-in templates an installation lacks (an admin's edits are kept). */
export async function seedTemplates(db: Db): Promise<void> {
  for (const t of BUILT_IN_TEMPLATES) {
    await db.insert(deploymentTemplates).values({ name: t.name, description: t.description, settings: t.settings, builtIn: true }).onConflictDoNothing();
  }
}

function checkSettings(s: TemplateSettings): void {
  if (s.autoscaling.minReplicas > s.autoscaling.maxReplicas) {
    throw new AppError('INVALID_INPUT', `autoscaling.minReplicas (${s.autoscaling.minReplicas}) exceeds maxReplicas (${s.autoscaling.maxReplicas})`, { errors: [{ path: 'settings.autoscaling.minReplicas', message: 'must be ≤ maxReplicas' }] });
  }
}

export function createTemplateService(deps: { db: Db }) {
  const { db } = deps;

  async function get(actor: Actor, name: string): Promise<TemplateView> {
    requireScope(actor, 'read');
    const [r] = await db.select().from(deploymentTemplates).where(eq(deploymentTemplates.name, name));
    if (!r) throw notFound(`deployment template ${name}`, { template: name });
    return toView(r);
  }

  return {
    async list(actor: Actor): Promise<TemplateView[]> {
      requireScope(actor, 'read');
      return (await db.select().from(deploymentTemplates).orderBy(asc(deploymentTemplates.name))).map(toView);
    },
    get,
    /** Creates or replaces a template; admins only, audited with the settings before and after. */
    async put(actor: Actor, t: DeploymentTemplate): Promise<TemplateView> {
      requireAdmin(actor, 'edit deployment templates');
      checkSettings(t.settings);
      const userId = actor.kind === 'user' ? actor.id : null;
      return db.transaction(async (tx) => {
        const [before] = await tx.select().from(deploymentTemplates).where(eq(deploymentTemplates.name, t.name)).for('update');
        const [row] = await tx
          .insert(deploymentTemplates)
          .values({ name: t.name, description: t.description, settings: t.settings, builtIn: false, updatedBy: userId })
          .onConflictDoUpdate({ target: deploymentTemplates.name, set: { description: t.description, settings: t.settings, updatedBy: userId, updatedAt: new Date() } })
          .returning();
        await appendAudit(tx, actor, { action: before ? 'template.update' : 'template.create', targetType: 'template', targetId: t.name, details: { before: before?.settings ?? null, after: t.settings } });
        return toView(row!);
      });
    },
    /** Removes a template an admin added; built-ins can be edited but not removed. */
    async remove(actor: Actor, name: string): Promise<void> {
      requireAdmin(actor, 'remove deployment templates');
      await db.transaction(async (tx) => {
        const [r] = await tx.select().from(deploymentTemplates).where(eq(deploymentTemplates.name, name)).for('update');
        if (!r) throw notFound(`deployment template ${name}`, { template: name });
        if (r.builtIn) throw new AppError('CONFLICT', `${name} is a built-in template: edit it instead of removing it`, { template: name });
        await tx.delete(deploymentTemplates).where(eq(deploymentTemplates.name, name));
        await appendAudit(tx, actor, { action: 'template.remove', targetType: 'template', targetId: name });
      });
    },
  };
}

export type TemplateService = ReturnType<typeof createTemplateService>;
