/**
 * The local runner as a deployment engine: one child process per deployment on this host, with
 * the template's memory as its limit. After a restart, `status` re-adopts a process the earlier
 * server left running, so a deployment that still serves is not started twice.
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { AppError } from '../../core/errors.js';
import type { LocalRunner } from '../../runner/types.js';
import type { DeploymentEngine, EngineDeployment, EngineStatus } from '../ports/engine.js';

const UNITS: Record<string, number> = { '': 1 / 1_048_576, k: 1000 / 1_048_576, Ki: 1 / 1024, M: 1e6 / 1_048_576, Mi: 1, G: 1e9 / 1_048_576, Gi: 1024, T: 1e12 / 1_048_576, Ti: 1_048_576 };

/** A Kubernetes memory quantity in MiB ("2Gi" → 2048). */
export function quantityToMb(q: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)(k|Ki|M|Mi|G|Gi|T|Ti)?$/.exec(q);
  if (!m) throw new AppError('INVALID_INPUT', `not a memory quantity: ${q}`);
  return Math.max(64, Math.round(Number(m[1]) * (UNITS[m[2] ?? ''] ?? 1)));
}

/**
 * Replicas on one host are worker processes sharing the endpoint's port: the template's minimum
 * replicas, at most one per core (GGUF models keep one: llama.cpp already uses the cores).
 */
export function workersOf(d: EngineDeployment): number {
  if (d.model.format !== 'onnx') return 1;
  return Math.max(1, Math.min(d.settings.autoscaling.minReplicas, availableParallelism()));
}

/** The template's health check as the supervisor's probe: every period, hung after failureThreshold periods. */
function healthOf(d: EngineDeployment): { healthIntervalMs: number; hangAfterMs: number } {
  const h = d.settings.health;
  return { healthIntervalMs: h.periodSeconds * 1000, hangAfterMs: Math.max(h.periodSeconds * h.failureThreshold, h.timeoutSeconds) * 1000 };
}

function specOf(d: EngineDeployment) {
  if (!d.model.localPath) throw new AppError('INVALID_INPUT', `no local copy of ${d.model.slug}@${d.model.version} to serve`);
  if (d.model.format !== 'onnx' && d.model.format !== 'gguf') throw new AppError('INVALID_INPUT', `the local runner serves ONNX and GGUF files, not ${d.model.format}`);
  return { id: d.id, modelName: d.model.slug, modelVersion: d.model.version, format: d.model.format, modelPath: d.model.localPath, memoryMb: quantityToMb(d.settings.resources.memory), workers: workersOf(d), ...healthOf(d) } as const;
}

export function createLocalProcessEngine(deps: { runner: LocalRunner; host?: string | undefined }): DeploymentEngine {
  const { runner } = deps;
  return {
    name: 'local',
    async render(d) {
      return [{ kind: 'LocalEndpoint', name: d.name, model: `${d.model.slug}@${d.model.version}`, format: d.model.format, workers: workersOf(d), memoryMb: quantityToMb(d.settings.resources.memory), ...healthOf(d), timeoutSeconds: d.settings.timeoutSeconds, expiresAt: d.expiresAt?.toISOString() ?? null }];
    },
    async start(d) {
      // Each endpoint has its own key: its port may be reachable by others on this host or network.
      const apiKey = randomBytes(24).toString('base64url');
      const h = await runner.start({ ...specOf(d), host: deps.host, apiKey });
      return { state: 'ready', endpointUrl: h.url, handle: { pid: h.pid, url: h.url, apiKey } };
    },
    async stop(d, handle) {
      if (runner.list().some((h) => h.id === d.id)) return runner.stop(d.id);
      // A process an earlier server left: adopt it so stop() can end it, else signal its group.
      const pid = typeof handle?.pid === 'number' ? handle.pid : null;
      const url = typeof handle?.url === 'string' ? handle.url : null;
      if (pid && url && d.model.localPath && (await runner.adopt(specOf(d), { pid, url }).catch(() => false))) return runner.stop(d.id);
      if (pid) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    },
    async status(d, handle): Promise<EngineStatus> {
      const own = runner.list().find((h) => h.id === d.id);
      if (own) return { state: 'ready', endpointUrl: own.url, handle: { ...handle, pid: own.pid, url: own.url } };
      const pid = typeof handle?.pid === 'number' ? handle.pid : null;
      const url = typeof handle?.url === 'string' ? handle.url : null;
      if (pid && url && d.model.localPath && (await runner.adopt(specOf(d), { pid, url }).catch(() => false))) return { state: 'ready', endpointUrl: url, handle: { ...handle, pid, url } };
      return { state: 'gone', endpointUrl: null };
    },
  };
}
