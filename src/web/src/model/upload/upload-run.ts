/**
 * One upload of chosen files into a draft version, as plain data plus the function that runs it:
 * hash every file (sha256), send what the server does not hold yet, then commit them all at once.
 */
import { commitFiles } from '../../api/registry';
import type { VersionFile } from '../../api/types';
import { sha256OfFile } from './hash-file';
import type { PickedFile } from './pick-files';
import { createRateMeter, type RateMeter } from './rate-meter';
import { sendFile, type SendTarget } from './send-file';

export type FileStatus = 'waiting' | 'hashing' | 'hashed' | 'sending' | 'sent' | 'stored' | 'stopped' | 'failed';
export type Phase = 'hashing' | 'sending' | 'committing' | 'committed' | 'stopped' | 'failed';

export interface FileProgress {
  path: string;
  size: number;
  status: FileStatus;
  hashed: number;
  /** Bytes the server holds. */
  offset: number;
  /** The offset the server already had when this run declared the file (a resumed upload). */
  resumedFrom: number;
  error: string | null;
}

export interface UploadRun {
  phase: Phase;
  files: FileProgress[];
  totalBytes: number;
  /** Bytes done in the current phase (hashed, or held by the server). */
  doneBytes: number;
  rate: number | null;
  secondsLeft: number | null;
  /** Why the run failed (a file or the commit), for the error alert. */
  error: unknown;
  committed: VersionFile[] | null;
}

export const isActive = (run: UploadRun | null): boolean => run !== null && ['hashing', 'sending', 'committing'].includes(run.phase);

const isAbort = (err: unknown, signal: AbortSignal) => signal.aborted || (err as Error | null)?.name === 'AbortError';
const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

export function initialRun(picked: readonly PickedFile[]): UploadRun {
  return {
    phase: 'hashing',
    files: picked.map((p) => ({ path: p.path, size: p.file.size, status: 'waiting', hashed: 0, offset: 0, resumedFrom: 0, error: null })),
    totalBytes: picked.reduce((s, p) => s + p.file.size, 0),
    doneBytes: 0,
    rate: null,
    secondsLeft: null,
    error: null,
    committed: null,
  };
}

/**
 * Runs the upload. `publish` receives the run after every change (the same object, mutated: the
 * caller copies what it keeps). A file that fails does not stop the others; the commit only
 * happens when every file is on the server. Aborting stops cleanly: the server keeps what it got.
 */
export async function runUpload(
  target: SendTarget,
  picked: readonly PickedFile[],
  signal: AbortSignal,
  publish: (run: UploadRun, force: boolean) => void,
): Promise<UploadRun> {
  const run = initialRun(picked);
  let meter: RateMeter = createRateMeter();
  const tick = (force = false) => {
    run.rate = meter.rate();
    run.secondsLeft = meter.secondsLeft(run.totalBytes - run.doneBytes);
    publish(run, force);
  };
  const enter = (phase: Phase) => {
    run.phase = phase;
    run.doneBytes = 0;
    meter = createRateMeter();
    tick(true);
  };
  const fail = (f: FileProgress, err: unknown) => {
    f.status = 'failed';
    f.error = messageOf(err);
    run.error ??= err;
  };
  const digests: (string | null)[] = [];
  let current: FileProgress | undefined;
  // Keeps rate and time left honest while a chunk is slow to go through.
  const clock = setInterval(() => {
    if (run.phase === 'hashing' || run.phase === 'sending') tick(true);
  }, 1000);
  try {
    enter('hashing');
    for (const [i, p] of picked.entries()) {
      const f = run.files[i] as FileProgress;
      current = f;
      f.status = 'hashing';
      tick(true);
      try {
        digests[i] = await sha256OfFile(p.file, {
          signal,
          onBytes: (n) => {
            f.hashed += n;
            run.doneBytes += n;
            meter.add(n);
            tick();
          },
        });
        f.status = 'hashed';
      } catch (err) {
        if (isAbort(err, signal)) throw err;
        digests[i] = null;
        fail(f, err);
      }
    }

    enter('sending');
    for (const [i, p] of picked.entries()) {
      const f = run.files[i] as FileProgress;
      const digest = digests[i];
      if (!digest) continue;
      current = f;
      f.status = 'sending';
      tick(true);
      // The first offset answers the declaration: bytes the server already had are done, not transferred.
      let declared = false;
      try {
        await sendFile(target, p.path, p.file, digest, {
          signal,
          onDeclared: (s) => {
            if (s.deduplicated) f.status = 'stored';
            else f.resumedFrom = s.offset;
          },
          onOffset: (offset) => {
            if (declared) meter.add(Math.max(0, offset - f.offset));
            declared = true;
            run.doneBytes += offset - f.offset;
            f.offset = offset;
            tick();
          },
        });
        if (f.status === 'sending') f.status = 'sent';
      } catch (err) {
        if (isAbort(err, signal)) throw err;
        fail(f, err);
      }
      tick(true);
    }
    current = undefined;
    if (run.files.some((f) => f.status === 'failed')) {
      run.phase = 'failed';
    } else {
      run.phase = 'committing';
      tick(true);
      run.committed = (await commitFiles(target.slug, target.version, signal)).items;
      run.phase = 'committed';
    }
  } catch (err) {
    if (isAbort(err, signal)) {
      run.phase = 'stopped';
      if (current && current.status !== 'stored') current.status = 'stopped';
    } else {
      run.phase = 'failed';
      run.error = err;
      if (current) fail(current, err);
    }
  }
  clearInterval(clock);
  run.rate = null;
  run.secondsLeft = null;
  publish(run, true);
  return run;
}
