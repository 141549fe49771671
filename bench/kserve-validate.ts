/**
 * Cost of validating InferenceService manifests against the vendored KServe CRD.
 *   npx tsx bench/kserve-validate.ts [--seconds 2]
 * Prints: YAML parse + compile of the full strict schema (what a naive validator pays),
 * the same with the deduplicated schema (no cache), the warm path (deduplicated schema read
 * from the sha256-keyed cache), and validations per second (schema + webhook rules).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CRD_FILES } from '../src/deploy/adapters/kserve/crd-schema.js';
import { renderInferenceService } from '../src/deploy/adapters/kserve/render.js';
import { createAjv, strictSchema } from '../src/deploy/adapters/kserve/schema-validator.js';
import { validateManifest } from '../src/deploy/adapters/kserve/validate.js';
import { BUILT_IN_TEMPLATES } from '../src/deploy/template-schema.js';

const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1]) || 2;
const cacheDir = mkdtempSync(path.join(tmpdir(), 'mg-crd-bench-'));
const ms = (t: number) => `${(performance.now() - t).toFixed(0)} ms`;
const file = CRD_FILES.inferenceService;

function timed(label: string, fn: () => void): void {
  const t = performance.now();
  fn();
  console.log(`${label.padEnd(56)} ${ms(t)}`);
}

try {
  timed('cold, full strict schema (parse + compile)', () => createAjv().compile(strictSchema(file, 'v1beta1', { full: true, cacheDir: null })));
  timed('cold, deduplicated schema (parse + dedupe + compile)', () => createAjv().compile(strictSchema(file, 'v1beta1', { cacheDir })));
  timed('warm, deduplicated schema from the sha256 cache', () => createAjv().compile(strictSchema(file, 'v1beta1', { cacheDir })));
  const full = JSON.stringify(strictSchema(file, 'v1beta1', { full: true, cacheDir: null })).length;
  const small = JSON.stringify(strictSchema(file, 'v1beta1', { cacheDir })).length;
  console.log(`${'schema size full / deduplicated'.padEnd(56)} ${(full / 1024).toFixed(0)} KB / ${(small / 1024).toFixed(0)} KB`);

  const t = BUILT_IN_TEMPLATES[0]!;
  const manifest = renderInferenceService(
    { id: '3f1c2b9e-1111-4222-8333-444455556666', name: 'mg-3f1c2b9e-sentiment', model: { slug: 'sentiment', version: '1.0.0', format: 'onnx', task: null, storageUri: 's3://models/sentiment/1.0.0' }, template: t.name, settings: t.settings, team: 'nlp', useCase: 'triage', environment: 'production', expiresAt: null },
    { namespace: 'mg-nlp' },
  );
  validateManifest(manifest); // builds the process singleton
  let n = 0;
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 100; i++) validateManifest(manifest);
    n += 100;
  }
  console.log(`${'validateManifest (schema + webhook rules)'.padEnd(56)} ${Math.round(n / seconds).toLocaleString('en')} /s`);
} finally {
  rmSync(cacheDir, { recursive: true, force: true });
}
