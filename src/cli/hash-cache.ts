/**
 * Remembers the sha256 of files already hashed, keyed by absolute path and checked against size,
 * inode and modification time (as git's index does), so pushing a folder again only reads the
 * files that changed. Kept in `<cache dir>/hashes.json`; a missing or damaged cache is ignored.
 */
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

interface Entry {
  size: number;
  mtimeMs: number;
  ino: number;
  digest: string;
}

/** Most entries kept; the oldest are dropped first. */
const MAX_ENTRIES = 50_000;

export interface HashCache {
  /** The cached digest when the file is unchanged since it was hashed, else computes and records it. */
  digest(abs: string, compute: () => Promise<string>): Promise<{ digest: string; cached: boolean }>;
  save(): Promise<void>;
}

export async function openHashCache(dir: string | undefined): Promise<HashCache> {
  const file = dir ? path.join(dir, 'hashes.json') : undefined;
  let entries = new Map<string, Entry>();
  if (file) {
    try {
      entries = new Map(Object.entries(JSON.parse(await readFile(file, 'utf8')) as Record<string, Entry>));
    } catch {
      /* first use, or unreadable: start empty */
    }
  }
  let dirty = false;
  return {
    async digest(abs, compute) {
      const st = await stat(abs);
      const hit = entries.get(abs);
      if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs && hit.ino === st.ino) return { digest: hit.digest, cached: true };
      const digest = await compute();
      // Hashed a file being written? Then its times moved: do not remember a digest of bytes in flux.
      const after = await stat(abs);
      if (after.mtimeMs === st.mtimeMs && after.size === st.size) {
        entries.delete(abs);
        entries.set(abs, { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, digest });
        dirty = true;
      }
      return { digest, cached: false };
    },
    async save() {
      if (!file || !dirty) return;
      const kept = [...entries].slice(-MAX_ENTRIES);
      await mkdir(path.dirname(file), { recursive: true });
      const temp = `${file}.${process.pid}.tmp`;
      await writeFile(temp, JSON.stringify(Object.fromEntries(kept)));
      await rename(temp, file);
    },
  };
}
