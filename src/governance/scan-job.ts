/** The security scan of a submitted version, as a background job (idempotent: a retry rescans). */
import { createScanner } from '../scanner/scan.js';
import type { JobQueue } from '../jobs/queue.js';
import type { RegistryService } from '../registry/service.js';
import { SCAN_QUEUE, type WorkflowService } from './workflow.js';

export function registerScanJob(jobs: JobQueue, registry: RegistryService, workflow: WorkflowService, o: { concurrency?: number } = {}): void {
  const scanner = createScanner();
  jobs.register<{ versionId: number }>(SCAN_QUEUE, { retryLimit: 3, retryDelaySeconds: 10, expireInSeconds: 3600, concurrency: o.concurrency ?? 2 }, async ({ versionId }) =>
    registry.withVersionFolder(versionId, async (dir, files) => {
      const report = await scanner.scanPath(dir);
      const digests = new Map(files.map((f) => [f.path, f.digest]));
      const scanned = report.files.map((f) => ({ path: f.path, digest: digests.get(f.path) ?? '', format: f.format, verdict: f.verdict, findings: f.findings }));
      await workflow.recordScan(versionId, report.verdict, scanned);
      return { verdict: report.verdict, files: scanned.length };
    }),
  );
}
