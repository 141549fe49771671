/**
 * `garden deploy`, `garden smoke-test`, `garden eval-endpoint …` and `garden deployments`:
 * deployment as code and evaluation endpoints, over the API.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { parseDeploymentSpec, type DeploymentSpec, type DeploymentViewT, type DryRunViewT } from '../deploy/index.js';
import type { TryViewT } from '../deploy/playground.js';
import { normaliseLabel, percentile } from '../eval/index.js';
import type { CliHelpers } from './admin-commands.js';
import { ApiError, type Client } from './client.js';
import { table } from './format.js';

type Out = { json?: boolean; url?: string; token?: string };
const when = (iso: string | null) => (iso ? iso.slice(0, 16).replace('T', ' ') : '–');

async function readSpec(file: string): Promise<DeploymentSpec> {
  const text = await readFile(file, 'utf8').catch((err: Error) => {
    throw new ApiError(0, 'INVALID_INPUT', `cannot read ${file}: ${err.message}`);
  });
  try {
    return parseDeploymentSpec(text);
  } catch (err) {
    throw new ApiError(0, 'INVALID_INPUT', (err as Error).message);
  }
}

/** Polls a deployment until it leaves `starting` (or the timeout passes). */
export async function waitForDeployment(c: Client, id: string, timeoutMs = 180_000): Promise<DeploymentViewT> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const d = await c.get<DeploymentViewT>(`/api/v1/deployments/${id}`);
    if (d.state !== 'starting' && d.state !== 'pending') return d;
    if (Date.now() > end) throw new ApiError(0, 'ENDPOINT_FAILED', `deployment ${d.name ?? id} is still starting after ${Math.round(timeoutMs / 1000)} s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

function failure(d: DeploymentViewT): ApiError {
  const tail = d.logTail.slice(-10).map((l) => `  | ${l}`).join('\n');
  return new ApiError(0, 'ENDPOINT_FAILED', `${d.name ?? d.id} ${d.state}${d.failureReason ? ` (${d.failureReason})` : ''}: ${d.lastError ?? 'no error recorded'}${tail ? `\n  last log lines:\n${tail}` : ''}`);
}

const row = (d: DeploymentViewT) => [d.id.slice(0, 8), d.name, `${d.model.slug}@${d.model.version}`, d.team, d.environment, d.template, d.engine, d.state, d.endpointUrl, when(d.expiresAt)];
const HEAD = ['ID', 'NAME', 'MODEL', 'TEAM', 'ENV', 'TEMPLATE', 'ENGINE', 'STATE', 'ENDPOINT', 'EXPIRES'];

export function registerDeployCommands(program: Command, h: CliHelpers): void {
  h.withServerOptions(program.command('deploy'))
    .description('deploy a model from deployment.yaml (policy, quota and manifests are checked first)')
    .requiredOption('-f, --file <deployment.yaml>', 'the deployment file')
    .option('--dry-run', 'validate and print the manifests (for a GitOps pull request); starts nothing')
    .option('--no-wait', 'return once recorded instead of waiting until it serves')
    .action(async (o: Out & { file: string; dryRun?: boolean; wait: boolean }) => {
      const spec = await readSpec(o.file);
      const c = h.client(o);
      if (o.dryRun) {
        const r = await c.send<DryRunViewT>('POST', '/api/v1/deployments?dryRun=true', spec);
        h.print(r, o, () => `# ${r.deployment.name}: ${spec.model} on ${r.deployment.engine}, template ${r.deployment.template}; policy allows it\n${r.manifests.map((m) => stringify(m)).join('---\n')}`);
        return;
      }
      let d = await c.send<DeploymentViewT>('POST', '/api/v1/deployments', spec);
      if (o.wait) d = await waitForDeployment(c, d.id);
      if (d.state === 'failed') throw failure(d);
      h.print(d, o, () => `${d.name} ${d.state}${d.endpointUrl ? ` at ${d.endpointUrl}` : ''} (id ${d.id})`);
    });

  h.withServerOptions(program.command('smoke-test'))
    .description('start the deployment temporarily (or use --deployment), send the smoke inputs, check answers and latency; exits 1 on any failure')
    .requiredOption('-f, --file <deployment.yaml>', 'the deployment file (with a smoke section)')
    .option('--deployment <id>', 'test this running deployment instead of a temporary one')
    .action(async (o: Out & { file: string; deployment?: string }) => {
      const spec = await readSpec(o.file);
      if (!spec.smoke) throw new ApiError(0, 'INVALID_INPUT', `${o.file} has no smoke section: add smoke.inputs (and optionally smoke.expect)`);
      const c = h.client(o);
      // The real target's policy and manifests must pass before anything runs.
      const plan = await c.send<DryRunViewT>('POST', '/api/v1/deployments?dryRun=true', spec);
      const target = plan.deployment.settings?.latencyTargetMs ?? 1000;
      const latencyTarget = spec.smoke.latencyTargetMs ?? target;
      let id = o.deployment;
      let temporary = false;
      if (!id) {
        const d = await c.send<DeploymentViewT>('POST', '/api/v1/deployments', { ...spec, environment: 'evaluation', engine: 'local', smoke: undefined });
        id = d.id;
        temporary = true;
      }
      try {
        const d = await waitForDeployment(c, id);
        if (d.state !== 'ready') throw failure(d);
        const r = await c.send<TryViewT>('POST', `/api/v1/deployments/${id}/try`, { mode: 'text', inputs: spec.smoke.inputs });
        const checks = spec.smoke.inputs.map((input, i) => {
          const expected = spec.smoke?.expect?.[i];
          const out = r.outputs[i] ?? null;
          const ok = r.errors[i] === null && (expected === undefined || normaliseLabel(out ?? '') === normaliseLabel(expected));
          return { input, output: out, error: r.errors[i] ?? null, expected: expected ?? null, latencyMs: r.latencies[i] ?? 0, ok };
        });
        const p95 = percentile(r.latencies, 95);
        const passed = checks.every((x) => x.ok) && p95 <= latencyTarget;
        const result = { passed, deployment: d.name, p95Ms: p95, latencyTargetMs: latencyTarget, checks };
        h.print(result, o, () =>
          [
            table(['INPUT', 'OUTPUT', 'EXPECTED', 'MS', 'OK'], checks.map((x) => [x.input, x.error ? `error: ${x.error}` : x.output, x.expected ?? '–', x.latencyMs, x.ok ? 'yes' : 'NO'])),
            `p95 ${p95} ms (target ${latencyTarget} ms) ${p95 <= latencyTarget ? 'ok' : 'TOO SLOW'}`,
            passed ? 'smoke test passed' : 'smoke test FAILED',
          ].join('\n'),
        );
        if (!passed) process.exitCode = 1;
      } finally {
        if (temporary) await c.send('POST', `/api/v1/deployments/${id}/stop`).catch(() => undefined);
      }
    });

  const ep = program.command('eval-endpoint').description('temporary evaluation endpoints (they expire by themselves)');
  h.withServerOptions(ep.command('start <model@version>'))
    .description('start an evaluation endpoint and wait until it serves; prints its URL and expiry')
    .option('--team <team>', 'the team whose quota it counts against (default: your only team)')
    .action(async (ref: string, o: Out & { team?: string }) => {
      const at = ref.lastIndexOf('@');
      if (at <= 0) throw new ApiError(0, 'INVALID_INPUT', 'name the version: garden eval-endpoint start slug@1.0.0');
      const c = h.client(o);
      const started = await c.send<DeploymentViewT>('POST', `/api/v1/models/${encodeURIComponent(ref.slice(0, at))}/versions/${encodeURIComponent(ref.slice(at + 1))}/eval-endpoint`, { ...(o.team ? { team: o.team } : {}) });
      const d = await waitForDeployment(c, started.id);
      if (d.state !== 'ready') throw failure(d);
      const auth = d.endpointKey ? ` -H 'Authorization: Bearer ${d.endpointKey}'` : '';
      h.print({ id: d.id, name: d.name, url: d.endpointUrl, model: d.modelName, key: d.endpointKey, expiresAt: d.expiresAt }, o, () =>
        [
          `${d.name} ready at ${d.endpointUrl}`,
          `expires ${when(d.expiresAt)} UTC · stop early: garden eval-endpoint stop ${d.id}`,
          ...(d.endpointKey ? [`key (send as Authorization: Bearer): ${d.endpointKey}`] : []),
          `try: curl -s${auth} ${d.endpointUrl}/v2/models/${d.modelName}`,
        ].join('\n'),
      );
    });
  h.withServerOptions(ep.command('list'))
    .description('live evaluation endpoints you can see')
    .action(async (o: Out) => {
      const r = await h.client(o).get<DeploymentViewT[]>('/api/v1/deployments?environment=evaluation&live=true');
      h.print(r, o, () => table(HEAD, r.map(row)));
    });
  h.withServerOptions(ep.command('stop <id>'))
    .description('stop an evaluation endpoint before it expires')
    .action(async (id: string, o: Out) => {
      const d = await h.client(o).send<DeploymentViewT>('POST', `/api/v1/deployments/${encodeURIComponent(id)}/stop`);
      h.print(d, o, () => `${d.name} ${d.state}`);
    });

  h.withServerOptions(program.command('deployments'))
    .description('deployments you can see (newest first)')
    .option('--model <slug>', 'of one model')
    .option('--live', 'only those starting or serving')
    .action(async (o: Out & { model?: string; live?: boolean }) => {
      const q = new URLSearchParams({ ...(o.model ? { slug: o.model } : {}), ...(o.live ? { live: 'true' } : {}) });
      const r = await h.client(o).get<DeploymentViewT[]>(`/api/v1/deployments?${q}`);
      h.print(r, o, () => table(HEAD, r.map(row)));
    });
}
