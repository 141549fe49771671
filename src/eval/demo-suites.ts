/** The demo catalog's suites: runnable on this host against the demo's generated models. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Services } from '../api/services.js';
import { systemActor } from '../identity/index.js';

export async function registerDemoSuites(services: Pick<Services, 'suites'>, dataDir: string): Promise<void> {
  const dir = path.join(dataDir, 'demo-models');
  const demo = systemActor('demo-catalog');
  await services.suites.register(demo, {
    name: 'support-routing',
    task: 'text-classification',
    description: 'Routing accuracy on 120 held-out support tickets (billing, technical, account, shipping), with latency on this host.',
    metrics: ['accuracy', 'f1', 'latency_p50', 'latency_p95', 'error_rate'],
    automatic: true,
    dataset: { name: 'support-router.eval.jsonl', text: await readFile(path.join(dir, 'support-router.eval.jsonl'), 'utf8') },
  });
  await services.suites.register(demo, {
    name: 'tiny-generation',
    task: 'text-generation',
    description: 'Exact match and ROUGE-L of short completions (16 tokens, temperature 0): a smoke suite for generative endpoints.',
    metrics: ['exact_match', 'rouge_l', 'latency_p95', 'error_rate'],
    automatic: true,
    dataset: { name: 'tiny-llama.eval.jsonl', text: await readFile(path.join(dir, 'tiny-llama.eval.jsonl'), 'utf8') },
  });
}
