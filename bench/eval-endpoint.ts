/**
 * Evaluation endpoint cold start as a user sees it: from "Start evaluation endpoint" (the service
 * call behind the button and `garden eval-endpoint start`) until the endpoint answers ready:
 * policy check, quota, recorded row, the model file staged from the artifact store, the child
 * process started, the model loaded and warmed up. Median of 5 for the demo ONNX classifier and
 * the demo GGUF, on the embedded database (PGlite).
 *   npx tsx bench/eval-endpoint.ts [--runs 5]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createServices } from '../src/api/services.js';
import { runImport, resolveVersion } from '../src/catalog/index.js';
import { openDatabase } from '../src/core/db/index.js';
import { generateTextClassifier, generateTinyGguf } from '../src/demo-models/index.js';
import { systemActor } from '../src/identity/index.js';

const RUNS = Number(process.argv[process.argv.indexOf('--runs') + 1] || 5) || 5;
const SYS = systemActor('bench');
const dir = mkdtempSync(path.join(tmpdir(), 'garden-bench-eval-'));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

try {
  const database = await openDatabase({ dataDir: dir });
  await database.migrate();
  const services = await createServices(database, { dataDir: dir });
  const entry = (slug: string, tasks: string[]) => ({ slug, name: slug, version: '1.0.0', ownerTeam: 'bench', description: 'bench model', tasks, domains: [], tags: [], languages: ['en'], license: 'mit', compliance: { status: 'approved' }, maturity: 'validated', lifecycle: 'approved', approvedUseCases: ['evaluation'] });
  await runImport(SYS, database.db, services.catalog, [entry('router', ['text-classification']), entry('tiny-llama', ['text-generation'])]);
  for (const [slug, file, bytes] of [['router', 'model.onnx', generateTextClassifier().onnx], ['tiny-llama', 'model.gguf', generateTinyGguf()]] as const) {
    const v = await resolveVersion(database.db, slug, '1.0.0');
    await services.registry.attachGeneratedFiles(SYS, v!.id, [{ path: file, bytes: Buffer.from(bytes) }]);
  }
  const rows: Record<string, string | number>[] = [];
  for (const slug of ['router', 'tiny-llama']) {
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      const d = await services.deployments.create(SYS, { model: `${slug}@1.0.0`, template: 'evaluation', team: 'bench', useCase: 'evaluation', environment: 'evaluation', engine: 'local' }, { wait: true });
      if (d.state !== 'ready') throw new Error(`${slug}: ${d.state} ${d.lastError}`);
      const res = await fetch(`${d.endpointUrl}/v2/models/${slug}/ready`);
      if (res.status !== 200) throw new Error(`${slug}: not ready (${res.status})`);
      times.push(performance.now() - t0);
      await services.deployments.stop(SYS, d.id);
    }
    rows.push({ model: slug, 'median ms': Math.round(median(times)), 'min ms': Math.round(Math.min(...times)), 'max ms': Math.round(Math.max(...times)), runs: times.map((t) => Math.round(t)).join(', ') });
  }
  console.table(rows);
  await services.runner.close();
  await services.jobs.stop();
  await database.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
