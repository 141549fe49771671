/**
 * Endpoint names: DNS-1035 labels of at most 40 characters, so KServe's derived names stay under
 * 63. Evaluation endpoints are one-offs named after their id; a production deployment is named
 * after what it is for (model, team, use case), so the same deployment.yaml renders the same
 * manifests every time (stable GitOps diffs) and deploying a new version updates it in place.
 */
import { createHash } from 'node:crypto';

const MAX = 40;

const slugPart = (s: string) => s.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '');
const fit = (head: string, tail: string) => `${head}-${tail}`.slice(0, MAX).replace(/-+$/, '');

export function endpointName(id: string, slug: string): string {
  return fit(`mg-${id.replace(/-/g, '').slice(0, 8)}`, slugPart(slug));
}

export function serviceName(slug: string, team: string, useCase: string): string {
  const h = createHash('sha256').update(`${team}\n${slug}\n${useCase.trim().toLowerCase()}`).digest('hex').slice(0, 6);
  const base = slugPart(slug).replace(/^[^a-z]+/, '') || 'model';
  return `${base.slice(0, MAX - 7).replace(/-+$/, '')}-${h}`;
}

/** A UUID-shaped id derived from a name (dry runs: the same file renders the same labels). */
export function stableId(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
