/**
 * The rules a deployment or an evaluation endpoint must pass (the deployment engines call this
 * before anything starts): experimental versions only for evaluation; a deployment names one of
 * the version's approved use cases; a use that matches a restriction is refused with the
 * restriction quoted; deprecated and retired versions are refused with the replacement named.
 */
export interface PolicyVersion {
  slug: string;
  version: string;
  lifecycle: string;
  maturity: string;
  approvedUseCases: string[];
  restrictions: string[];
  deprecation: { replacement: string | null; deadline: string | null } | null;
}

export interface UseRequest {
  purpose: 'evaluation' | 'deployment';
  /** The use case the deployment names (required for deployments). */
  useCase?: string | undefined;
  /** Free text of what it is for, checked against the restrictions too. */
  description?: string | undefined;
}

export type PolicyDecision = { allowed: true } | { allowed: false; rule: string; reason: string };

const words = (s: string) => s.toLowerCase().match(/[a-z0-9]+/g) ?? [];
const STOP = new Set(['a', 'an', 'the', 'of', 'for', 'to', 'in', 'on', 'and', 'or', 'with', 'no', 'not', 'any', 'use', 'used', 'be', 'is', 'are', 'may', 'must']);

/** A restriction matches when every meaningful word of the request's key phrase appears in it, or the reverse. */
function matchesRestriction(restriction: string, text: string): boolean {
  const r = new Set(words(restriction).filter((w) => !STOP.has(w)));
  const t = words(text).filter((w) => !STOP.has(w));
  if (!t.length || !r.size) return false;
  const hits = t.filter((w) => r.has(w) || r.has(w.replace(/s$/, '')) || r.has(`${w}s`));
  return hits.length >= Math.min(2, r.size) || hits.length === t.length;
}

export function checkUse(v: PolicyVersion, req: UseRequest): PolicyDecision {
  const ref = `${v.slug}@${v.version}`;
  if (v.lifecycle === 'deprecated' || v.lifecycle === 'retired') {
    const to = v.deprecation?.replacement;
    return { allowed: false, rule: v.lifecycle, reason: `${ref} is ${v.lifecycle}${to ? `: use ${to} instead` : ' and has no replacement named'}${v.deprecation?.deadline ? ` (migration deadline ${v.deprecation.deadline})` : ''}` };
  }
  if (v.lifecycle !== 'approved') return { allowed: false, rule: 'not-approved', reason: `${ref} is ${v.lifecycle}, not approved: it cannot be used yet` };
  if (v.maturity === 'experimental' && req.purpose !== 'evaluation') {
    return { allowed: false, rule: 'experimental', reason: `${ref} is experimental: it may only be used for evaluation` };
  }
  const text = [req.useCase ?? '', req.description ?? ''].join(' ');
  for (const r of v.restrictions) {
    if (matchesRestriction(r, text)) return { allowed: false, rule: 'restriction', reason: `${ref} may not be used for this: "${r}"` };
  }
  if (req.purpose === 'deployment') {
    if (!req.useCase) return { allowed: false, rule: 'use-case', reason: `name the use case: one of ${v.approvedUseCases.map((u) => `"${u}"`).join(', ') || '(none approved)'}` };
    const want = req.useCase.trim().toLowerCase();
    if (!v.approvedUseCases.some((u) => u.trim().toLowerCase() === want)) {
      return { allowed: false, rule: 'use-case', reason: `"${req.useCase}" is not an approved use case of ${ref}; approved: ${v.approvedUseCases.map((u) => `"${u}"`).join(', ') || '(none)'}` };
    }
  }
  return { allowed: true };
}
