/**
 * Which real services the test tiers can use here. A missing service skips its tier with a notice;
 * under CI (CI=true), where .ci/run installs and starts everything, a missing service fails instead.
 */
import { existsSync, readdirSync } from 'node:fs';

export const IN_CI = process.env.CI === 'true';
export const CHROMIUM_PATH = process.env.GARDEN_CHROMIUM ?? '/usr/bin/chromium';

export function postgresBinDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) if (existsSync(`${root}/${v}/bin/initdb`)) return `${root}/${v}/bin`;
  return null;
}

export function hasRegistry(): boolean {
  return existsSync('/usr/bin/docker-registry');
}

export function hasChromium(): boolean {
  return existsSync(CHROMIUM_PATH);
}

/** Call when a tier's service is missing: prints why it is skipped, or throws under CI. */
export function missingService(tier: string, why: string): void {
  const msg = `[${tier}] skipped: ${why}`;
  if (IN_CI) throw new Error(`${msg} (CI=true requires every tier)`);
  console.warn(`NOTICE ${msg}`);
}
