/** Catalog references (`slug[@version]`) and semantic version ordering. */

export interface CatalogRef {
  slug: string;
  version: string | null;
}

/** "contract-summarizer@2.0.0" → { slug: "contract-summarizer", version: "2.0.0" }. */
export function parseRef(ref: string): CatalogRef {
  const at = ref.indexOf('@');
  return at < 0 ? { slug: ref, version: null } : { slug: ref.slice(0, at), version: ref.slice(at + 1) || null };
}

/** The model page of a reference, pinned to the version when one is named. */
export function modelPath(slug: string, version?: string | null): string {
  const base = `/models/${encodeURIComponent(slug)}`;
  return version ? `${base}?version=${encodeURIComponent(version)}` : base;
}

/** Compares two semantic versions (prereleases sort before their release); -1, 0 or 1. */
export function compareVersions(a: string, b: string): number {
  const split = (v: string) => {
    const [core = '', pre = ''] = v.split('+')[0]?.split(/-(.*)/s) ?? [];
    return { nums: core.split('.').map((x) => Number(x) || 0), pre: pre ? pre.split('.') : [] };
  };
  const x = split(a);
  const y = split(b);
  for (let i = 0; i < 3; i++) {
    const d = (x.nums[i] ?? 0) - (y.nums[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  if (!x.pre.length || !y.pre.length) return x.pre.length ? -1 : y.pre.length ? 1 : 0;
  for (let i = 0; i < Math.max(x.pre.length, y.pre.length); i++) {
    const p = x.pre[i];
    const q = y.pre[i];
    if (p === undefined) return -1;
    if (q === undefined) return 1;
    const pn = /^\d+$/.test(p);
    const qn = /^\d+$/.test(q);
    if (pn && qn && Number(p) !== Number(q)) return Math.sign(Number(p) - Number(q));
    if (pn !== qn) return pn ? -1 : 1;
    if (p !== q) return p < q ? -1 : 1;
  }
  return 0;
}

export function newestFirst<T extends { version: string }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => compareVersions(b.version, a.version));
}
