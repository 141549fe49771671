/** The security scan of a submitted version, as a background job (idempotent: a retry rescans). */
import { createScanner } from '../scanner/scan.js';
import { finding, overallVerdict, type FileReport, type ScanReport } from '../scanner/types.js';
import type { JobQueue } from '../jobs/queue.js';
import type { RegistryService } from '../registry/service.js';
import { SCAN_QUEUE, type WorkflowService } from './workflow.js';

/** Scans a folder; the real scanner unless a test gives another. */
export interface FolderScanner {
  scanPath(dir: string): Promise<ScanReport>;
}

/**
 * The report of a version's scan, made to cover exactly the version's files: a file the scanner
 * did not report (a folder it skipped, a walk that stopped early) is blocked as unscanned, so a
 * version can never pass with a file nobody looked at.
 */
export function coverVersionFiles(report: ScanReport, files: readonly { path: string; digest: string }[]) {
  const digests = new Map(files.map((f) => [f.path, f.digest]));
  const reported = new Set(report.files.map((f) => f.path));
  const missing: FileReport[] = files
    .filter((f) => !reported.has(f.path))
    .map((f) => ({ path: f.path, format: 'unknown', verdict: 'block', findings: [finding('NOT_SCANNED', 'high', 'the scanner did not report this file of the version, so it cannot be shown to be safe', null)] }));
  const all = [...report.files.filter((f) => digests.has(f.path)), ...missing];
  return {
    verdict: overallVerdict(all),
    files: all.map((f) => ({ path: f.path, digest: digests.get(f.path) ?? '', format: f.format, verdict: f.verdict, findings: f.findings })),
  };
}

export function registerScanJob(jobs: JobQueue, registry: RegistryService, workflow: WorkflowService, o: { concurrency?: number; scanner?: FolderScanner } = {}): void {
  const scanner = o.scanner ?? createScanner();
  jobs.register<{ versionId: number }>(SCAN_QUEUE, { retryLimit: 3, retryDelaySeconds: 10, expireInSeconds: 3600, concurrency: o.concurrency ?? 2 }, async ({ versionId }) =>
    registry.withVersionFolder(versionId, async (dir, files) => {
      const { verdict, files: scanned } = coverVersionFiles(await scanner.scanPath(dir), files);
      await workflow.recordScan(versionId, verdict, scanned);
      return { verdict, files: scanned.length };
    }),
  );
}
