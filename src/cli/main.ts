/** The `garden` command line. Commands are thin: they call the server's API or the services. */
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { ConfigError, loadClientConfig } from '../core/client-config.js';
import { isAppError } from '../core/errors.js';
import { PRODUCT_VERSION } from '../core/paths.js';
import { registerAdminCommands } from './admin-commands.js';
import { registerDeployCommands } from './deploy-commands.js';
import { registerEvalCommands } from './eval-commands.js';
import { ApiError, createClient } from './client.js';
import { count, gb, table } from './format.js';
import type { ImportReportT, ModelDetailT, ModelSummaryT } from '../catalog/index.js';

type Out = { json?: boolean; url?: string; token?: string };

const FACET_FLAGS = ['task', 'domain', 'maturity', 'lifecycle', 'compliance', 'team', 'license', 'language', 'framework', 'quantization'] as const;

function print(data: unknown, opts: Out, human: () => string): void {
  process.stdout.write(opts.json ? `${JSON.stringify(data, null, 2)}\n` : `${human()}\n`);
}

function clientConfig(opts: Out) {
  return loadClientConfig(process.env, { ...(opts.url ? { url: opts.url } : {}), ...(opts.token ? { token: opts.token } : {}) });
}

function client(opts: Out) {
  return createClient(clientConfig(opts));
}

function summaryRows(items: ModelSummaryT[]) {
  return items.map((m) => [
    m.slug,
    m.head?.version,
    m.tasks.join(','),
    m.head?.maturity,
    m.head?.lifecycle === 'approved' ? '' : m.head?.lifecycle,
    m.ownerTeam,
    gb(m.head?.minGpuMemoryGb),
    m.head?.cpuInference ? 'yes' : '',
  ]);
}
const SUMMARY_HEADERS = ['SLUG', 'VERSION', 'TASKS', 'MATURITY', 'STATE', 'TEAM', 'MIN GPU', 'CPU'];

interface FacetOpts {
  fitsInGb?: string;
  cpu?: boolean;
  minContext?: string;
  limit?: string;
  sort?: string;
}

function facetQuery(opts: FacetOpts & Record<string, unknown>): URLSearchParams {
  const qs = new URLSearchParams();
  for (const f of FACET_FLAGS) for (const v of (opts[f] as string[] | undefined) ?? []) qs.append(f, v);
  if (opts.fitsInGb) qs.set('fitsInGb', opts.fitsInGb);
  if (opts.cpu) qs.set('cpu', 'true');
  if (opts.minContext) qs.set('minContext', opts.minContext);
  if (opts.limit) qs.set('limit', opts.limit);
  if (opts.sort) qs.set('sort', opts.sort);
  return qs;
}

function addFacetOptions(cmd: Command): Command {
  for (const f of FACET_FLAGS) cmd.addOption(new Option(`--${f} <value...>`, `filter by ${f} (repeatable)`));
  return cmd
    .option('--fits-in-gb <n>', 'fits in N GB of GPU memory')
    .option('--cpu', 'runs on CPU')
    .option('--min-context <tokens>', 'context length at least N tokens')
    .option('--limit <n>', 'results per page', '20');
}

function withServerOptions(cmd: Command): Command {
  return cmd
    .option('--json', 'print JSON')
    .option('--url <url>', 'server URL (default: $GARDEN_URL or http://localhost:8080)')
    .option('--token <token>', 'API token (default: $GARDEN_TOKEN)');
}

export function buildCli(): Command {
  const program = new Command('garden')
    .description('Model Garden: the on-premises catalog of approved AI models')
    .version(PRODUCT_VERSION)
    .showHelpAfterError()
    // options after a subcommand are its own: `garden push . --version 2.1.0` is not the CLI's --version
    .enablePositionalOptions();

  program
    .command('serve')
    .description('run the API, web UI and workers in one process')
    .option('--port <port>', 'HTTP port (default: $GARDEN_PORT or 8080)')
    .option('--host <host>', 'interface to listen on (default 0.0.0.0)')
    .option('--data-dir <dir>', 'embedded data folder (default: $GARDEN_DATA_DIR or ./.garden)')
    .option('--database-url <url>', 'PostgreSQL URL (default: $GARDEN_DATABASE_URL; none: embedded PGlite)')
    .option('--no-demo', 'do not load the demo catalog on first start')
    .option('--no-workers', 'do not run background jobs here (API-only replicas; run `garden worker` elsewhere)')
    .action(async (o: { port?: string; host?: string; dataDir?: string; databaseUrl?: string; demo: boolean; workers: boolean }) => {
      const { startServer } = await import('../server.js');
      const { loadConfig } = await import('../core/config.js');
      const config = loadConfig(process.env, {
        ...(o.port ? { port: Number(o.port) } : {}),
        ...(o.host ? { host: o.host } : {}),
        ...(o.dataDir ? { dataDir: o.dataDir } : {}),
        ...(o.databaseUrl ? { db: { url: o.databaseUrl } } : {}),
        ...(o.demo === false ? { demo: false } : {}),
        ...(o.workers === false ? { workers: false } : {}),
      });
      const server = await startServer(config);
      const where = server.services.database.kind === 'pglite' ? `embedded database in ${config.dataDir}` : 'PostgreSQL';
      process.stderr.write(`\nModel Garden is running at ${server.url}  (${where})\nAPI docs: ${server.url}/docs\n\n`);
      const stop = async () => {
        await server.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop());
      process.once('SIGTERM', () => void stop());
    });

  program
    .command('worker')
    .description('run background jobs only (scans, benchmarks, housekeeping), next to API-only replicas')
    .option('--database-url <url>', 'PostgreSQL URL (default: $GARDEN_DATABASE_URL)')
    .action(async (o: { databaseUrl?: string }) => {
      const { loadConfig } = await import('../core/config.js');
      const { openDatabase } = await import('../core/db/index.js');
      const { createServices } = await import('../api/services.js');
      const { createLogger } = await import('../core/logger.js');
      const config = loadConfig(process.env, o.databaseUrl ? { db: { url: o.databaseUrl } } : {});
      const logger = createLogger(config.logLevel);
      const database = await openDatabase({ url: config.db.url, dataDir: config.dataDir });
      await database.migrate();
      const services = await createServices(database, { dataDir: config.dataDir, store: config.store, logger });
      await services.jobs.start({ workers: true });
      logger.info({ queues: services.jobs.queues() }, 'worker running');
      const stop = async () => {
        await services.jobs.stop();
        await database.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop());
      process.once('SIGTERM', () => void stop());
    });

  withServerOptions(program.command('import <file>'))
    .description('import catalog entries from a JSON or YAML file (idempotent by slug + version)')
    .action(async (file: string, o: Out) => {
      const text = readFileSync(file, 'utf8');
      const isJson = /^\s*[[{]/.test(text);
      const report = await client(o).post<ImportReportT>('/api/v1/import', text, isJson ? 'application/json' : 'application/yaml');
      print(report, o, () => {
        const lines = [`${report.total} entries: ${report.created} created, ${report.updated} updated, ${report.unchanged} unchanged, ${report.failed} failed`];
        for (const r of report.results.filter((x) => x.outcome === 'failed')) {
          lines.push(`  #${r.index} ${r.slug ?? '?'}@${r.version ?? '?'}: ${r.error?.code} ${r.error?.message}`);
        }
        return lines.join('\n');
      });
      if (report.failed > 0) process.exitCode = 1;
    });

  const models = program.command('models').description('browse the catalog');
  withServerOptions(addFacetOptions(models.command('list')))
    .description('list models with facet filters')
    .option('--sort <sort>', 'name | updated', 'name')
    .action(async (o: Out & FacetOpts & Record<string, unknown>) => {
      const page = await client(o).get<{ items: ModelSummaryT[]; total: number; nextCursor: string | null }>(`/api/v1/models?${facetQuery(o)}`);
      print(page, o, () => `${table(SUMMARY_HEADERS, summaryRows(page.items))}\n\n${page.items.length} of ${page.total} models`);
    });

  withServerOptions(models.command('show <slug>'))
    .description('show one model: card, hardware, benchmarks, lineage, versions')
    .action(async (slug: string, o: Out) => {
      const m = await client(o).get<ModelDetailT>(`/api/v1/models/${encodeURIComponent(slug)}`);
      print(m, o, () => renderModel(m));
    });

  withServerOptions(addFacetOptions(program.command('search <query...>')))
    .description('search by describing the job, e.g. garden search "summarize contracts under 16GB"')
    .action(async (words: string[], o: Out & FacetOpts & Record<string, unknown>) => {
      const qs = facetQuery(o);
      qs.set('q', words.join(' '));
      const r = await client(o).get<{
        items: (ModelSummaryT & { score: number | null })[];
        total: number;
        message: string | null;
        query: { constraints: { label: string }[] } | null;
      }>(`/api/v1/search?${qs}`);
      print(r, o, () => {
        const understood = r.query?.constraints.length ? `Understood: ${r.query.constraints.map((c) => c.label).join('; ')}\n` : '';
        const msg = r.message ? `${r.message}\n` : '';
        return r.items.length
          ? `${understood}${msg}${table(SUMMARY_HEADERS, summaryRows(r.items))}\n\n${r.items.length} of ${r.total} models`
          : `${understood}${msg}`.trimEnd();
      });
    });
  withServerOptions(program.command('push <folder>'))
    .description('upload a model folder (or one file) into a draft version; resumes where an earlier run stopped')
    .requiredOption('--model <slug>', 'catalog model slug')
    .requiredOption('--version <semver>', 'version to create or add files to (a draft)')
    .option('--chunk-mb <n>', 'bytes per upload request, in MB: smaller loses less on a flaky link', '16')
    .action(async (folder: string, o: Out & { model: string; version: string; chunkMb: string }) => {
      const chunkMb = Number(o.chunkMb);
      if (!(chunkMb > 0 && chunkMb <= 1024)) throw new ApiError(0, 'INVALID_INPUT', '--chunk-mb must be a number of MB between 1 and 1024');
      const { createTransfer } = await import('./transfer.js');
      const t = createTransfer(clientConfig(o));
      const r = await t.push(folder, o.model, o.version, (s) => process.stderr.write(`${s}\n`), { chunkBytes: Math.round(chunkMb * 1024 * 1024) });
      print(r, o, () =>
        [
          table(['PATH', 'SIZE', 'SHA256'], r.files.map((f) => [f.path, f.size, f.digest.slice(7, 23)])),
          '',
          `${r.files.length} files in ${o.model}@${o.version}${r.deduplicatedBytes ? `; ${r.deduplicatedBytes} bytes were already stored and not sent again` : ''}${r.resumedBytes ? `; resumed an interrupted upload, ${r.resumedBytes} bytes had already arrived` : ''}`,
          r.prefilled.length ? `model card pre-filled from the files: ${r.prefilled.join(', ')} (review and edit before submitting)` : '',
        ].join('\n'),
      );
    });

  program
    .command('scan <path>')
    .description('scan a model file or folder for code that runs when it is loaded (pickle, PyTorch, numpy, joblib, archives, …)')
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      '\nExit status: 0 pass, 2 warn (a person must look), 1 block (critical or high findings, or the scan failed).\n' +
        'Formats are identified from content, not names; a file that cannot be parsed, or an unknown format inside a model folder, blocks.',
    )
    .action(async (p: string, o: { json?: boolean }) => {
      const { createScanner } = await import('../scanner/scan.js');
      const { renderScanReport, toJsonReport } = await import('./scan-format.js');
      const report = await createScanner().scanPath(p);
      if (o.json) process.stdout.write(`${JSON.stringify(toJsonReport(report))}\n`);
      else process.stdout.write(`${renderScanReport(report)}\n`);
      process.exitCode = report.verdict === 'pass' ? 0 : report.verdict === 'warn' ? 2 : 1;
    });

  program
    .command('inspect <path>')
    .description('show what a model folder or .gguf file says about itself (headers only) and the hardware it needs')
    .option('--json', 'print JSON')
    .action(async (p: string, o: { json?: boolean }) => {
      const { extractFromFile, extractFromFolder } = await import('../registry/extract/extract.js');
      const { lstat } = await import('node:fs/promises');
      const x = (await lstat(p)).isFile() ? await extractFromFile(p) : await extractFromFolder(p);
      print(x, o, () => {
        const f = x.fields;
        const lines = [
          `layout ${x.details.layout} · ${f.architecture ?? 'unknown architecture'} · ${count(f.parameters)} parameters · context ${f.contextLength ?? '–'}`,
          `formats ${f.compatibility?.formats.join(', ') || '–'} · frameworks ${f.compatibility?.frameworks.join(', ') || '–'} · quantizations ${f.compatibility?.quantizations.join(', ') || '–'}`,
        ];
        if (f.hardware) {
          lines.push('', table(['QUANTIZATION', 'MIN GPU MEMORY'], Object.entries(f.hardware.minGpuMemoryGb).map(([q, v]) => [q, v === null || v === undefined ? 'n/a' : gb(v)])));
          lines.push(`CPU inference ${f.hardware.cpuInference ? 'yes' : 'no'} · RAM to load ${gb(f.hardware.ramGb) || '–'}`);
        }
        if (f.license || f.languages?.length) lines.push(`licence ${f.license ?? '–'} · languages ${f.languages?.join(', ') || '–'}`);
        if (f.baseModel) lines.push(`base model ${f.baseModel.ref} (${f.baseModel.relation})`);
        for (const n of x.notes) lines.push(`note: ${n}`);
        return lines.join('\n');
      });
    });

  withServerOptions(program.command('pull <ref> <folder>'))
    .description('download every file of slug@version into a folder and verify each sha256')
    .action(async (ref: string, folder: string, o: Out) => {
      const at = ref.lastIndexOf('@');
      if (at <= 0) throw new ApiError(0, 'INVALID_INPUT', 'name the version: garden pull slug@1.2.0 ./dir');
      const { createTransfer } = await import('./transfer.js');
      const files = await createTransfer(clientConfig(o)).pull(ref.slice(0, at), ref.slice(at + 1), folder);
      print({ files }, o, () => `${files.length} files verified in ${folder}`);
    });
  registerAdminCommands(program, { withServerOptions, client, print });
  registerDeployCommands(program, { withServerOptions, client, print });
  registerEvalCommands(program, { withServerOptions, client, print });
  return program;
}

function renderModel(m: ModelDetailT): string {
  const h = m.versions.find((v) => v.version === m.head?.version) ?? m.versions[0];
  const out: string[] = [`${m.name}  (${m.slug})`, `owner ${m.ownerTeam} · ${m.tasks.join(', ')} · ${m.domains.join(', ')}`, '', m.description, ''];
  if (h) {
    out.push(
      `version ${h.version} · ${h.maturity} · ${h.lifecycle} · compliance ${h.compliance.status} · licence ${h.license ?? '–'}`,
      `parameters ${count(h.parameters)} · context ${h.contextLength ?? '–'} tokens · languages ${h.languages.join(', ') || '–'}`,
    );
    if (h.deprecation) out.push(`DEPRECATED: use ${h.deprecation.replacement ?? '(no replacement)'} by ${h.deprecation.deadline ?? '–'} — ${h.deprecation.reason ?? ''}`);
    out.push('', 'Hardware', table(['QUANTIZATION', 'MIN GPU MEMORY'], Object.entries(h.hardware.minGpuMemoryGb).map(([q, v]) => [q, v === null ? 'n/a' : gb(v)])));
    out.push(`recommended GPU ${h.hardware.recommendedGpu ?? '–'} · CPU inference ${h.hardware.cpuInference ? 'yes' : 'no'} · RAM ${gb(h.hardware.ramGb) || '–'}`);
    if (h.benchmarks.length) {
      const source = (b: (typeof h.benchmarks)[number]) => (b.source === 'measured' ? 'measured by Garden' : b.accepted ? `reported, accepted by ${b.accepted.by ?? 'a reviewer'}` : 'reported by the team');
      out.push('', 'Benchmarks', table(['SUITE', 'METRIC', 'VALUE', 'DATE', 'HARDWARE', 'SOURCE'], h.benchmarks.map((b) => [`${b.suite}${b.suiteVersion ? ` ${b.suiteVersion}` : ''}`, b.metric, b.value, b.date, b.hardware, source(b)])));
    }
    if (h.approvedUseCases.length) out.push('', `Approved for: ${h.approvedUseCases.join('; ')}`);
    if (h.restrictions.length) out.push(`Restrictions: ${h.restrictions.join('; ')}`);
  }
  if (m.lineage.ancestors.length) out.push('', `Based on: ${m.lineage.ancestors.map((a) => `${a.slug ?? a.ref} (${a.relation ?? '?'})`).join(' ← ')}`);
  if (m.lineage.derived.length) out.push(`Derived: ${m.lineage.derived.map((d) => `${'  '.repeat(d.depth - 1)}${d.slug} (${d.relation})`).join(', ')}`);
  out.push('', table(['VERSION', 'MATURITY', 'STATE', 'UPDATED'], m.versions.map((v) => [v.version, v.maturity, v.lifecycle, v.updatedAt.slice(0, 10)])));
  return out.join('\n');
}

const FS_REASONS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOTDIR: 'a part of the path is not a folder',
  ELOOP: 'too many symbolic links',
};

function isFileSystemError(err: unknown): err is NodeJS.ErrnoException & { path: string; code: string } {
  const e = err as NodeJS.ErrnoException | null;
  return !!e && typeof e.path === 'string' && typeof e.code === 'string' && e.code in FS_REASONS;
}

export async function main(argv = process.argv): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (err) {
    if (err instanceof ApiError) {
      process.stderr.write(`error ${err.code}: ${err.message}\n`);
      process.exitCode = 1;
    } else if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exitCode = 78;
    } else if (isFileSystemError(err)) {
      // A path the user typed (scan, push, inspect…) that cannot be read: say so, no stack trace.
      process.stderr.write(`error: cannot read ${err.path}: ${FS_REASONS[err.code] ?? err.code}\n`);
      process.exitCode = 1;
    } else if (isAppError(err)) {
      // Refusals raised in this process (e.g. the embedded database held by another process).
      process.stderr.write(`error ${err.code}: ${err.message}\n`);
      process.exitCode = 1;
    } else {
      throw err;
    }
  }
}
