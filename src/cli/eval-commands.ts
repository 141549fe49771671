/** `garden eval` and `garden suite …`: evaluation suites and their runs, over the API. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { CliHelpers } from './admin-commands.js';
import { ApiError } from './client.js';
import { table } from './format.js';

type Out = { json?: boolean; url?: string; token?: string };

interface EvalRun {
  id: string;
  suite: string;
  suiteRevision: number;
  state: string;
  hardware: string | null;
  results: { metric: string; value: number; higherIsBetter: boolean }[] | null;
  error: string | null;
}
interface SuiteView {
  name: string;
  task: string;
  metrics: string[];
  automatic: boolean;
  revision: number;
  dataset: { name: string; items: number } | null;
}

export function registerEvalCommands(program: Command, h: CliHelpers): void {
  h.withServerOptions(program.command('eval <model@version>'))
    .description('run an evaluation suite against a temporary endpoint; results are recorded as benchmark results')
    .requiredOption('--suite <name>', 'the registered suite (with a dataset)')
    .option('--no-wait', 'return once queued')
    .action(async (ref: string, o: Out & { suite: string; wait: boolean }) => {
      const at = ref.lastIndexOf('@');
      if (at <= 0) throw new ApiError(0, 'INVALID_INPUT', 'name the version: garden eval slug@1.0.0 --suite NAME');
      const c = h.client(o);
      let run = await c.send<EvalRun>('POST', `/api/v1/models/${encodeURIComponent(ref.slice(0, at))}/versions/${encodeURIComponent(ref.slice(at + 1))}/evaluations`, { suite: o.suite });
      const end = Date.now() + 30 * 60_000;
      while (o.wait && (run.state === 'queued' || run.state === 'running') && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 1000));
        run = await c.get<EvalRun>(`/api/v1/evaluations/${run.id}`);
      }
      if (run.state === 'failed') throw new ApiError(0, 'ENDPOINT_FAILED', `evaluation ${run.id} failed: ${run.error ?? 'no error recorded'}`);
      h.print(run, o, () =>
        run.results
          ? [`${ref} on suite ${run.suite} (revision ${run.suiteRevision}), ${run.hardware ?? ''}`, table(['METRIC', 'VALUE', 'BETTER'], run.results.map((r) => [r.metric, Number(r.value.toFixed(4)), r.higherIsBetter ? 'higher' : 'lower'])), 'recorded as benchmark results of the version'].join('\n')
          : `evaluation ${run.id} ${run.state}`,
      );
    });

  const suite = program.command('suite').description('evaluation suites: a dataset, a task and metrics (registering: admins)');
  h.withServerOptions(suite.command('register <name>'))
    .description('register or update a suite; with --dataset the platform can run it (garden eval, automatic benchmarks)')
    .requiredOption('--task <task>', 'text-classification or text-generation (others: results recorded elsewhere)')
    .requiredOption('--metrics <list>', 'comma-separated: accuracy, f1, exact_match, rouge_l, latency_p50, latency_p95, latency_p99, error_rate, throughput')
    .option('--dataset <file.jsonl>', 'JSON lines {"input", "expected"} (expected may be a list of acceptable answers)')
    .option('--description <text>', 'what it measures')
    .option('--automatic', 'run it by itself when a version of a model with this task is submitted')
    .action(async (name: string, o: Out & { task: string; metrics: string; dataset?: string; description?: string; automatic?: boolean }) => {
      const dataset = o.dataset
        ? {
            name: path.basename(o.dataset),
            text: await readFile(o.dataset, 'utf8').catch((err: Error) => {
              throw new ApiError(0, 'INVALID_INPUT', `cannot read ${o.dataset}: ${err.message}`);
            }),
          }
        : undefined;
      await h.client(o).send('POST', '/api/v1/suites', {
        name,
        task: o.task,
        metrics: o.metrics.split(',').map((m) => m.trim()).filter(Boolean),
        ...(o.description ? { description: o.description } : {}),
        ...(o.automatic ? { automatic: true } : {}),
        ...(dataset ? { dataset } : {}),
      });
      h.print({ name }, o, () => `suite ${name} registered${dataset ? ` with ${dataset.name}` : ''}`);
    });
  h.withServerOptions(suite.command('list'))
    .description('registered suites')
    .action(async (o: Out) => {
      const r = await h.client(o).get<{ items: SuiteView[] }>('/api/v1/suites');
      h.print(r, o, () => table(['NAME', 'TASK', 'METRICS', 'DATASET', 'ITEMS', 'AUTOMATIC', 'REV'], r.items.map((x) => [x.name, x.task, x.metrics.join(','), x.dataset?.name ?? '–', x.dataset?.items ?? '–', x.automatic ? 'yes' : 'no', x.revision])));
    });
}
