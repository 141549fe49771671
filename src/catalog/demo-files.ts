/**
 * The demo catalog's runnable entries get real model files: a small ONNX text classifier and a
 * tiny GGUF, generated on this host (nothing is downloaded), so evaluation endpoints, the
 * playground and evaluation suites work on a fresh install.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Db } from '../core/db/index.js';
import { systemActor } from '../identity/index.js';
import type { RegistryService } from '../registry/service.js';
import { resolveVersion } from './repo.js';

const DEMO = systemActor('demo-catalog');

export async function attachDemoModelFiles(db: Db, registry: Pick<RegistryService, 'attachGeneratedFiles'>, dataDir: string): Promise<string[]> {
  const { writeDemoModels } = await import('../demo-models/index.js');
  const p = await writeDemoModels(path.join(dataDir, 'demo-models'));
  const attached: string[] = [];
  for (const [slug, version, file, name] of [
    ['support-ticket-router', '1.0.0', p.classifierPath, 'model.onnx'],
    ['tiny-llama-demo', '0.1.0', p.ggufPath, 'model.gguf'],
  ] as const) {
    const v = await resolveVersion(db, slug, version);
    if (!v) continue;
    await registry.attachGeneratedFiles(DEMO, v.id, [{ path: name, bytes: await readFile(file) }]);
    attached.push(`${slug}@${version}`);
  }
  return attached;
}
