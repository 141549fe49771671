/**
 * Which file of a version an engine serves, and a local copy of it for the local runner
 * (hard-linked from the filesystem store where possible, so it costs no space).
 */
import { copyFile, link, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import type { Db, Tx } from '../core/db/index.js';
import { versionFiles } from '../core/db/schema.js';
import { AppError } from '../core/errors.js';
import { isServedPath } from '../registry/file-paths.js';
import type { RegistryService } from '../registry/service.js';

/** Formats in the order an engine prefers them when a version ships several. */
const SERVED = ['onnx', 'gguf', 'safetensors', 'pytorch', 'tensorflow', 'keras', 'joblib'];
export const LOCAL_FORMATS = new Set(['onnx', 'gguf']);

export interface ServedFile {
  path: string;
  format: string;
  size: number;
}

export async function servedFile(db: Db | Tx, versionId: number): Promise<ServedFile | null> {
  // Files at refused paths (stored before the rule: `.git/…`) are hidden everywhere, and never served.
  const files = (await db.select({ path: versionFiles.path, format: versionFiles.format, size: versionFiles.size }).from(versionFiles).where(eq(versionFiles.versionId, versionId))).filter((x) =>
    isServedPath(x.path),
  );
  for (const f of SERVED) {
    const hit = files.filter((x) => x.format === f || x.path.toLowerCase().endsWith(`.${f}`)).sort((a, b) => b.size - a.size)[0];
    if (hit) return { path: hit.path, format: f, size: Number(hit.size) };
  }
  return null;
}

/** Copies (or links) the served file to `<dir>/<basename>` and returns its path. */
export async function stageLocalFile(registry: Pick<RegistryService, 'withVersionFolder'>, versionId: number, file: ServedFile, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const target = path.join(dir, path.basename(file.path));
  await rm(target, { force: true });
  await registry.withVersionFolder(versionId, async (src) => {
    const from = path.join(src, file.path);
    await link(from, target).catch(() => copyFile(from, target));
  });
  return target;
}

export function requireLocalFormat(slug: string, version: string, file: ServedFile | null): ServedFile {
  if (!file) throw new AppError('INVALID_INPUT', `${slug}@${version} has no model file an engine can serve (committed ONNX, GGUF, safetensors … files)`, { slug, version });
  if (!LOCAL_FORMATS.has(file.format)) {
    throw new AppError('INVALID_INPUT', `the local runner serves ONNX and GGUF files; ${slug}@${version} ships ${file.format}: deploy it with engine kserve`, { slug, version, format: file.format });
  }
  return file;
}
