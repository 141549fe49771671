/**
 * Linux process helpers for the supervisor: liveness (zombies count as dead), resident memory from
 * /proc, process-group signals, and the tail of an endpoint's log file. They work the same for our
 * own children and for processes adopted from an earlier server, which are not our children.
 */
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';

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

function vmRssKb(pid: number | string): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The members of process group `pgid` other than its leader (an endpoint's worker processes). */
export function groupMembers(pgid: number): string[] {
  const out: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e) || Number(e) === pgid) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      // Fields after the parenthesised command name: state, ppid, pgrp, …
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) === pgid) out.push(e);
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

/**
 * Resident set size in MB (VmRSS) of the endpoint; with `group`, also of the workers in the
 * process group it leads (endpoints are spawned detached). That walks /proc, so it is asked
 * only for endpoints that have workers. Undefined when the process is gone.
 */
export function readRssMb(pid: number, group = false): number | undefined {
  const own = vmRssKb(pid);
  if (own === undefined) return undefined;
  return (group ? groupMembers(pid) : []).reduce((kb, m) => kb + (vmRssKb(m) ?? 0), own) / 1024;
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
