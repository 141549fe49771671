/**
 * Linux process helpers for the supervisor: liveness (zombies count as dead), resident memory from
 * /proc, process-group signals, and the tail of an endpoint's log file. They work the same for our
 * own children and for processes adopted from an earlier server, which are not our children.
 */
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';

/** True when the process exists and is not a zombie (kill(pid, 0) alone succeeds on zombies). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state follows the parenthesised command name, which may itself contain spaces.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    // No /proc (not Linux): trust kill(0).
    return true;
  }
}

/** Resident set size in MB (VmRSS), or undefined when unknown (process gone, no /proc). */
export function readRssMb(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Signals the child's whole process group (it was spawned detached, so pgid = pid). */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

/** Polls until the process is gone or the time is up; true when gone. */
export async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() >= until) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
  return true;
}

/** The last `lines` lines of a file (reads at most the last 64 KB). */
export function tailFile(path: string, lines = 50): string[] {
  let fd: number | undefined;
  try {
    const size = statSync(path).size;
    const len = Math.min(size, 64 * 1024);
    const buf = Buffer.alloc(len);
    fd = openSync(path, 'r');
    readSync(fd, buf, 0, len, size - len);
    const all = buf.toString('utf8').split('\n');
    if (len < size) all.shift(); // a partial first line
    if (all[all.length - 1] === '') all.pop();
    return all.slice(-lines);
  } catch {
    return [];
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
