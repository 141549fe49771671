/**
 * Spawning one endpoint child and waiting until it is ready. The child runs detached in its own
 * process group with stdout/stderr appended to its log file, so it can outlive this server and be
 * adopted later; the IPC channel is only used for the `ready` message and dropped afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '../core/errors.js';
import { readRssMb, signalGroup, tailFile, waitGone } from './process-utils.js';
import type { EndpointSpec, FailureReason } from './types.js';

export interface LaunchOptions {
  logPath: string;
  startTimeoutMs: number;
  /** Extra environment for the child (tests set GARDEN_RUNNER_TEST_FAULT here). */
  childEnv: Record<string, string>;
}

export interface Launched {
  child: ChildProcess;
  url: string;
}

const SELF = fileURLToPath(import.meta.url);
// From sources (tests, dev) the child is TypeScript too and needs the tsx loader; from dist it is .js.
const FROM_SOURCES = SELF.endsWith('.ts');
const CHILD_MAIN = path.join(path.dirname(SELF), 'child', FROM_SOURCES ? 'main.ts' : 'main.js');

export function endpointFailed(id: string, reason: FailureReason, message: string, logPath: string): AppError {
  return new AppError('ENDPOINT_FAILED', message, { id, reason, logTail: tailFile(logPath) });
}

/** V8 heap cap: most of the budget, leaving room for native memory (onnxruntime, llama.cpp). */
function heapCapMb(memoryMb: number): number {
  return Math.max(32, Math.floor(memoryMb * 0.75));
}

export async function launchChild(spec: EndpointSpec, o: LaunchOptions): Promise<Launched> {
  mkdirSync(path.dirname(o.logPath), { recursive: true });
  const logFd = openSync(o.logPath, 'w');
  const execArgv = [`--max-old-space-size=${heapCapMb(spec.memoryMb)}`, ...(FROM_SOURCES ? ['--import', 'tsx'] : []), CHILD_MAIN];
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, execArgv, {
      detached: true,
      stdio: ['ignore', logFd, logFd, 'ipc'],
      env: { ...process.env, ...o.childEnv, GARDEN_RUNNER_SPEC: JSON.stringify(spec) },
    });
  } finally {
    closeSync(logFd);
  }
  const pid = child.pid;
  if (pid === undefined) {
    await new Promise((r) => child.once('error', r));
    throw endpointFailed(spec.id, 'start_failed', `could not spawn the endpoint process for ${spec.id}`, o.logPath);
  }

  // A wildcard bind is reached over loopback.
  const bind = spec.host ?? '127.0.0.1';
  const host = bind === '0.0.0.0' ? '127.0.0.1' : bind === '::' ? '::1' : bind;
  const fail = async (reason: FailureReason, message: string): Promise<never> => {
    signalGroup(pid, 'SIGKILL');
    await waitGone(pid, 5000);
    throw endpointFailed(spec.id, reason, message, o.logPath);
  };

  // Everything that can end the start: ready, exit, memory, timeout.
  const outcome = await new Promise<{ port: number } | { reason: FailureReason; message: string }>((resolve) => {
    const timer = setTimeout(() => resolve({ reason: 'start_timeout', message: `endpoint ${spec.id} not ready within ${o.startTimeoutMs} ms` }), o.startTimeoutMs);
    const memory = setInterval(() => {
      const rss = readRssMb(pid, (spec.workers ?? 1) > 1);
      if (rss !== undefined && rss > spec.memoryMb) {
        resolve({ reason: 'out_of_memory', message: `endpoint ${spec.id} used ${Math.round(rss)} MB RSS while starting, above its limit of ${spec.memoryMb} MB` });
      }
    }, 100);
    child.on('message', (m: { type?: string; port?: number }) => {
      if (m?.type === 'ready' && typeof m.port === 'number') resolve({ port: m.port });
    });
    child.once('exit', (code, signal) =>
      resolve({ reason: 'start_failed', message: `endpoint ${spec.id} exited while starting (${signal ? `signal ${signal}` : `exit code ${code}`})` }),
    );
    child.once('error', (err) => resolve({ reason: 'start_failed', message: `endpoint ${spec.id}: ${err.message}` }));
    const cleanup = () => {
      clearTimeout(timer);
      clearInterval(memory);
    };
    child.once('message', cleanup);
    child.once('exit', cleanup);
    setTimeout(cleanup, o.startTimeoutMs + 10).unref();
  });
  if ('reason' in outcome) return fail(outcome.reason, outcome.message);

  const url = `http://${host.includes(':') ? `[${host}]` : host}:${outcome.port}`;
  // The contract says ready means /v2/health/ready answers 200; check it once over HTTP too.
  try {
    const res = await fetch(`${url}/v2/health/ready`, { signal: AbortSignal.timeout(Math.min(5000, o.startTimeoutMs)) });
    if (res.status !== 200) return await fail('start_failed', `endpoint ${spec.id} reported ready but /v2/health/ready answered ${res.status}`);
  } catch (err) {
    if (err instanceof AppError) throw err;
    return fail('start_failed', `endpoint ${spec.id} reported ready but /v2/health/ready failed: ${(err as Error).message}`);
  }
  child.removeAllListeners('message');
  if (child.connected) child.disconnect();
  child.unref();
  return { child, url };
}
