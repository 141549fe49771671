/**
 * The upload of a version, kept outside React so it goes on when the Files tab unmounts (switching
 * tabs) and shows again when it comes back. One upload at a time per version.
 */
import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useCallback, useSyncExternalStore } from 'react';
import type { PickedFile } from './pick-files';
import { isActive, runUpload, type UploadRun } from './upload-run';

/** Progress reaches React at most this often; status changes always do. */
const PUBLISH_EVERY_MS = 100;

const runs = new Map<string, UploadRun>();
const pickedOf = new Map<string, readonly PickedFile[]>();
const controllers = new Map<string, AbortController>();
const lastPublished = new Map<string, number>();
const listeners = new Set<() => void>();

const keyOf = (slug: string, version: string) => `${slug}@${version}`;
const emit = () => listeners.forEach((l) => l());
const subscribe = (l: () => void) => {
  listeners.add(l);
  return () => listeners.delete(l);
};

// Leaving the page stops the upload: ask first. The server keeps what it received either way.
const warnOnLeave = (e: BeforeUnloadEvent) => e.preventDefault();

function publish(key: string, run: UploadRun, force: boolean) {
  const now = performance.now();
  if (!force && now - (lastPublished.get(key) ?? 0) < PUBLISH_EVERY_MS) return;
  lastPublished.set(key, now);
  runs.set(key, { ...run, files: run.files.map((f) => ({ ...f })) });
  emit();
}

async function afterCommit(queryClient: QueryClient, slug: string, version: string) {
  await Promise.all([
    // Every version's file list: the "shared" marks of other versions may change too.
    queryClient.invalidateQueries({ queryKey: ['files'] }),
    queryClient.invalidateQueries({ queryKey: ['registry-stats'] }),
    queryClient.invalidateQueries({ queryKey: ['extraction', slug, version] }),
  ]);
}

export function useUpload(slug: string, version: string) {
  const key = keyOf(slug, version);
  const queryClient = useQueryClient();
  const run = useSyncExternalStore(subscribe, () => runs.get(key) ?? null);

  const start = useCallback(
    (picked: readonly PickedFile[]) => {
      if (isActive(runs.get(key) ?? null) || picked.length === 0) return;
      const controller = new AbortController();
      controllers.set(key, controller);
      pickedOf.set(key, picked);
      window.addEventListener('beforeunload', warnOnLeave);
      void runUpload({ slug, version }, picked, controller.signal, (r, force) => publish(key, r, force))
        .then(async (final) => {
          if (final.phase === 'committed') await afterCommit(queryClient, slug, version);
        })
        .finally(() => {
          controllers.delete(key);
          if (controllers.size === 0) window.removeEventListener('beforeunload', warnOnLeave);
        });
    },
    [key, slug, version, queryClient],
  );

  const cancel = useCallback(() => controllers.get(key)?.abort(), [key]);

  /** Runs the last choice of files again: what the server already holds is not sent again. */
  const resume = useCallback(() => {
    const picked = pickedOf.get(key);
    if (picked) start(picked);
  }, [key, start]);

  /** Forgets a finished, stopped or failed upload (to choose files again). */
  const reset = useCallback(() => {
    if (isActive(runs.get(key) ?? null)) return;
    runs.delete(key);
    pickedOf.delete(key);
    emit();
  }, [key]);

  return { run, start, cancel, resume, reset };
}
