/** Builders of valid catalog input for tests; override only what the test is about. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../src/core/paths.js';
import { parseImportText } from '../src/catalog/index.js';

let n = 0;

export function makeEntry(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  n += 1;
  return {
    slug: `test-model-${n}`,
    name: `Test Model ${n}`,
    version: '1.0.0',
    ownerTeam: 'test-team',
    description: 'A model made by a test.',
    tasks: ['text-classification'],
    domains: ['general'],
    tags: ['test'],
    languages: ['en'],
    license: 'apache-2.0',
    parameters: 110_000_000,
    contextLength: 512,
    hardware: { minGpuMemoryGb: { fp16: 1 }, cpuInference: true, ramGb: 2 },
    compliance: { status: 'approved' },
    maturity: 'validated',
    lifecycle: 'approved',
    ...overrides,
  };
}

export function smallCatalog(): unknown[] {
  return parseImportText(readFileSync(path.join(ROOT, 'test/fixtures/small-catalog.yaml'), 'utf8'));
}
