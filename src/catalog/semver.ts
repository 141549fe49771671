import semver from 'semver';

const pad = (n: number | string) => String(n).padStart(10, '0');

/**
 * Encodes semver precedence as a string whose byte order matches semver order, so the database
 * can sort versions: numbers are zero-padded; a release sorts after its pre-releases ("~" > "-");
 * build metadata is ignored, as semver says.
 */
export function versionSortKey(version: string): string {
  const v = semver.parse(version);
  if (!v) throw new Error(`not a semantic version: ${version}`);
  const core = `${pad(v.major)}.${pad(v.minor)}.${pad(v.patch)}`;
  if (v.prerelease.length === 0) return `${core}~`;
  const pre = v.prerelease.map((p) => (typeof p === 'number' ? `0${pad(p)}` : `1${p}`)).join('.');
  return `${core}-${pre}`;
}

export const compareVersions = (a: string, b: string): number => semver.compare(a, b);
