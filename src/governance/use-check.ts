/**
 * The use policy applied to a catalog version (what deployments and evaluation endpoints call
 * before anything starts): the version as the actor may see it, the decision, and its audit event.
 */
import type { CatalogService } from '../catalog/index.js';
import type { Db } from '../core/db/index.js';
import { appendAudit } from '../audit/index.js';
import type { Actor } from '../identity/index.js';
import { checkUse, type PolicyDecision, type UseRequest } from './policy.js';

export function createUseCheck(deps: { db: Db; catalog: Pick<CatalogService, 'getVersion'> }) {
  return async function checkVersionUse(actor: Actor, slug: string, version: string, req: UseRequest): Promise<PolicyDecision> {
    const v = await deps.catalog.getVersion(actor, slug, version);
    const decision = checkUse(
      {
        slug,
        version: v.version,
        lifecycle: v.lifecycle,
        maturity: v.maturity,
        approvedUseCases: v.approvedUseCases,
        restrictions: v.restrictions,
        deprecation: v.deprecation ? { replacement: v.deprecation.replacement ?? null, deadline: v.deprecation.deadline ?? null } : null,
      },
      req,
    );
    await deps.db.transaction(async (tx) => {
      await appendAudit(tx, actor, { action: 'policy.decision', targetType: 'version', targetId: `${slug}@${version}`, modelSlug: slug, details: { ...req, ...decision } });
    });
    return decision;
  };
}

export type UseCheck = ReturnType<typeof createUseCheck>;
