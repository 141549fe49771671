/**
 * The local runner: starts endpoint children (launch.ts), adopts ones an earlier server left
 * running, and watches them: memory (VmRSS against memoryMb), health (a failing
 * /v2/health/ready for hangAfterMs means hung) and exits. Each failure is reported once to the
 * onFailure listeners with the endpoint's last log lines.
 */
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Logger } from 'pino';
import { AppError } from '../core/errors.js';
import { launchChild } from './launch.js';
import { isAlive, readRssMb, signalGroup, tailFile, waitGone } from './process-utils.js';
import type { EndpointFailure, EndpointHandle, EndpointSpec, FailureReason, LocalRunner } from './types.js';

export interface LocalRunnerOptions {
  /** Folder of endpoint logs (`<logDir>/<id>.log`), kept across restarts for adoption. */
  logDir: string;
  logger: Logger;
  startTimeoutMs?: number;
  healthIntervalMs?: number;
  /** How long the health probe may fail (or time out) in a row before the child counts as hung. */
  hangAfterMs?: number;
  stopGraceMs?: number;
  /** Extra environment for children; tests use it for GARDEN_RUNNER_TEST_FAULT (see child/faults.ts). */
  childEnv?: Record<string, string>;
}

interface Running {
  spec: EndpointSpec;
  handle: EndpointHandle;
  logPath: string;
  /** Our own child; undefined for an adopted process (then liveness is polled). */
  child?: ChildProcess | undefined;
  timer?: NodeJS.Timeout;
  lastHealthy: number;
  probing: boolean;
  /** Set once the endpoint is stopping or has failed, so nothing is reported twice. */
  over: boolean;
}

export function createLocalRunner(opts: LocalRunnerOptions): LocalRunner {
  const startTimeoutMs = opts.startTimeoutMs ?? 60_000;
  const healthIntervalMs = opts.healthIntervalMs ?? 2_000;
  const hangAfterMs = opts.hangAfterMs ?? 10_000;
  const stopGraceMs = opts.stopGraceMs ?? 5_000;
  const log = opts.logger.child({ domain: 'runner' });
  const running = new Map<string, Running>();
  /** Log tails of endpoints that failed or stopped, for logs(id) afterwards. */
  const ended = new Map<string, string[]>();
  const listeners: ((f: EndpointFailure) => void)[] = [];
  const logPathOf = (id: string) => path.join(opts.logDir, `${path.basename(id)}.log`);

  function fail(r: Running, reason: FailureReason, message: string): void {
    if (r.over) return;
    r.over = true;
    clearInterval(r.timer);
    running.delete(r.spec.id);
    signalGroup(r.handle.pid, 'SIGKILL');
    const logTail = tailFile(r.logPath);
    ended.set(r.spec.id, logTail);
    log.warn({ endpointId: r.spec.id, reason, pid: r.handle.pid }, message);
    const failure: EndpointFailure = { id: r.spec.id, reason, message, logTail };
    for (const l of listeners) {
      try {
        l(failure);
      } catch (err) {
        log.error({ err, endpointId: r.spec.id }, 'onFailure listener threw');
      }
    }
  }

  async function probe(r: Running): Promise<void> {
    r.probing = true;
    try {
      const res = await fetch(`${r.handle.url}/v2/health/ready`, { signal: AbortSignal.timeout(r.spec.hangAfterMs ?? hangAfterMs) });
      await res.arrayBuffer();
      if (res.status === 200) r.lastHealthy = Date.now();
    } catch {
      // Counted by lastHealthy not moving; a slow answer is not a hang until hangAfterMs passes.
    } finally {
      r.probing = false;
    }
  }

  function check(r: Running): void {
    if (r.over) return;
    const pid = r.handle.pid;
    if (!r.child && !isAlive(pid)) return fail(r, 'crashed', `endpoint ${r.spec.id} (pid ${pid}) is gone`);
    const rss = readRssMb(pid, (r.spec.workers ?? 1) > 1);
    if (rss !== undefined && rss > r.spec.memoryMb) {
      return fail(r, 'out_of_memory', `endpoint ${r.spec.id} used ${Math.round(rss)} MB RSS, above its limit of ${r.spec.memoryMb} MB`);
    }
    if (Date.now() - r.lastHealthy >= (r.spec.hangAfterMs ?? hangAfterMs)) {
      return fail(r, 'hung', `endpoint ${r.spec.id} did not answer /v2/health/ready for ${Math.round((Date.now() - r.lastHealthy) / 1000)} s`);
    }
    if (!r.probing) void probe(r);
  }

  function supervise(r: Running): void {
    running.set(r.spec.id, r);
    ended.delete(r.spec.id);
    r.child?.once('exit', (code, signal) => {
      if (!r.over) fail(r, 'crashed', `endpoint ${r.spec.id} exited (${signal ? `signal ${signal}` : `exit code ${code}`})`);
    });
    // Memory is sampled more often than health is probed: a leak can outgrow the limit in seconds.
    let tick = 0;
    const interval = r.spec.healthIntervalMs ?? healthIntervalMs;
    const every = Math.max(1, Math.round(interval / Math.min(interval, 250)));
    r.timer = setInterval(() => {
      tick++;
      const rss = readRssMb(r.handle.pid, (r.spec.workers ?? 1) > 1);
      if (rss !== undefined && rss > r.spec.memoryMb) return check(r);
      if (tick % every === 0) check(r);
    }, Math.min(interval, 250));
    r.timer.unref();
  }

  async function stopOne(r: Running): Promise<void> {
    r.over = true;
    clearInterval(r.timer);
    const pid = r.handle.pid;
    signalGroup(pid, 'SIGTERM');
    if (!(await waitGone(pid, stopGraceMs))) {
      log.warn({ endpointId: r.spec.id, pid }, 'endpoint ignored SIGTERM; killing');
      signalGroup(pid, 'SIGKILL');
      await waitGone(pid, 5_000);
    }
    ended.set(r.spec.id, tailFile(r.logPath));
    running.delete(r.spec.id);
    log.info({ endpointId: r.spec.id, pid }, 'endpoint stopped');
  }

  return {
    async start(spec) {
      if (running.has(spec.id)) throw new AppError('CONFLICT', `endpoint ${spec.id} is already running`);
      if (!(spec.memoryMb > 0)) throw new AppError('INVALID_INPUT', 'memoryMb must be positive');
      const logPath = logPathOf(spec.id);
      log.info({ endpointId: spec.id, model: spec.modelName, format: spec.format }, 'starting endpoint');
      const { child, url } = await launchChild(spec, { logPath, startTimeoutMs, childEnv: opts.childEnv ?? {} });
      const handle: EndpointHandle = { id: spec.id, pid: child.pid!, url, startedAt: new Date() };
      supervise({ spec, handle, logPath, child, lastHealthy: Date.now(), probing: false, over: false });
      log.info({ endpointId: spec.id, pid: handle.pid, url }, 'endpoint ready');
      return handle;
    },

    async stop(id) {
      const r = running.get(id);
      if (r) await stopOne(r);
    },

    async adopt(spec, { pid, url }) {
      if (running.has(spec.id)) return true;
      if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return false;
      const base = url.replace(/\/+$/, '');
      try {
        const health = await fetch(`${base}/v2/health/ready`, { signal: AbortSignal.timeout(3_000) });
        await health.arrayBuffer();
        if (health.status !== 200) return false;
        const model = await fetch(`${base}/v2/models/${encodeURIComponent(spec.modelName)}/ready`, { signal: AbortSignal.timeout(3_000) });
        const body = (await model.json().catch(() => ({}))) as { name?: unknown; ready?: unknown };
        if (model.status !== 200 || body.name !== spec.modelName || body.ready !== true) return false;
      } catch {
        return false;
      }
      const handle: EndpointHandle = { id: spec.id, pid, url: base, startedAt: new Date() };
      supervise({ spec, handle, logPath: logPathOf(spec.id), lastHealthy: Date.now(), probing: false, over: false });
      log.info({ endpointId: spec.id, pid, url: base }, 'endpoint adopted');
      return true;
    },

    list: () => [...running.values()].map((r) => ({ ...r.handle })),

    logs(id) {
      const r = running.get(id);
      if (r) return tailFile(r.logPath);
      return ended.get(id) ?? tailFile(logPathOf(id));
    },

    onFailure(listener) {
      listeners.push(listener);
    },

    async close() {
      await Promise.all([...running.values()].map(stopOne));
    },
  };
}
