/**
 * Pre-filling a draft from what its files say: only fields the owner left empty are written (per
 * sub-field for card, hardware and compatibility), so nothing the owner wrote is overwritten.
 */
import type { Actor } from '../identity/index.js';
import { VersionPatch, type CatalogService, type VersionViewT } from '../catalog/index.js';
import { AppError } from '../core/errors.js';
import type { RegistryService } from './service.js';

const VERSION_KEYS = ['architecture', 'parameters', 'contextLength', 'languages', 'license', 'benchmarks', 'card', 'hardware', 'compatibility'] as const;
const isEmpty = (v: unknown): boolean =>
  v === null ||
  v === undefined ||
  v === '' ||
  (Array.isArray(v) && v.length === 0) ||
  (typeof v === 'object' && !Array.isArray(v) && Object.values(v).every(isEmpty));

/** The extracted version fields whose current value is empty (per sub-field for card and hardware). */
export function emptyFieldsPatch(current: Record<string, unknown>, extracted: Record<string, unknown>): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const key of VERSION_KEYS) {
    const value = extracted[key];
    if (isEmpty(value)) continue;
    const now = current[key];
    if (key === 'card' || key === 'hardware' || key === 'compatibility') {
      const merged: Record<string, unknown> = { ...((now as Record<string, unknown>) ?? {}) };
      let changed = false;
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (isEmpty(merged[k]) && !isEmpty(v)) {
          merged[k] = v;
          changed = true;
        }
      }
      // the API returns derived fields the input does not take
      delete merged.smallestGpuMemoryGb;
      if (changed) patch[key] = merged;
    } else if (isEmpty(now)) {
      patch[key] = value;
    }
  }
  return patch;
}


/** Extracts a version's committed files and writes what they say into its empty fields. */
export async function prefillVersion(
  registry: Pick<RegistryService, 'extractVersion'>,
  catalog: Pick<CatalogService, 'getVersion' | 'updateVersion' | 'assertEditable'>,
  actor: Actor,
  slug: string,
  version: string,
): Promise<{ filled: string[]; notes: string[]; version: VersionViewT }> {
  await catalog.assertEditable(actor, slug);
  const current = await catalog.getVersion(actor, slug, version);
  if (current.lifecycle !== 'draft') {
    throw new AppError('LIFECYCLE_TRANSITION', `${slug}@${version} is ${current.lifecycle}: only drafts are pre-filled`, { lifecycle: current.lifecycle });
  }
  const x = await registry.extractVersion(actor, slug, version);
  const patch = emptyFieldsPatch(current, x.fields as Record<string, unknown>);
  const filled = Object.keys(patch);
  if (filled.length === 0) return { filled, notes: x.notes, version: current };
  const parsed = VersionPatch.safeParse(patch);
  if (!parsed.success) {
    throw new AppError('INVALID_INPUT', `what the files say does not fit the catalog: ${parsed.error.issues[0]?.message ?? 'invalid'}`, {
      fields: filled,
    });
  }
  return { filled, notes: x.notes, version: await catalog.updateVersion(actor, slug, version, parsed.data) };
}
