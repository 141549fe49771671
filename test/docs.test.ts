import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderErrorDocs } from '../scripts/gen-error-docs.js';
import { ROOT } from '../src/core/paths.js';

describe('generated docs', () => {
  it('docs/errors.md lists exactly the error codes the API can return', () => {
    const onDisk = readFileSync(path.join(ROOT, 'docs/errors.md'), 'utf8');
    expect(onDisk, 'docs/errors.md is stale: run npx tsx scripts/gen-error-docs.ts').toBe(renderErrorDocs());
  });
});
