/**
 * Handing over the first admin's secrets (first start only). They must never land in logs, and
 * container runtimes and log shippers keep whatever a server writes to stdout. So:
 * - with GARDEN_ADMIN_TOKEN set there is nothing to hand over: that token acts as the admin and no
 *   password exists (`garden user set-password admin` sets one later);
 * - otherwise the password and bootstrap token are printed once when stdout is an interactive
 *   terminal, and else written to `<data folder>/initial-admin.txt`, readable by the server's user
 *   only (0600); the log says where, never what.
 */
import { constants, closeSync, fchmodSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { FirstAdmin } from './identity/index.js';
import type { Logger } from './core/logger.js';

export const FIRST_ADMIN_FILE = 'initial-admin.txt';

export type FirstAdminDelivery = 'nothing' | 'terminal' | 'file';

/** Where the first admin's secrets go: nowhere when none were made, the terminal only when there is one. */
export function firstAdminDelivery(boot: FirstAdmin, stdoutIsTTY: boolean): FirstAdminDelivery {
  if (boot.password === null && boot.token === null) return 'nothing';
  return stdoutIsTTY ? 'terminal' : 'file';
}

/** The text handed over: sign-in and API token. */
export function firstAdminText(url: string, boot: FirstAdmin): string {
  const lines = ['', '  Model Garden first start: an admin account was created. This is shown once; keep it safe.'];
  if (boot.password !== null) lines.push(`    sign in at ${url}  as  ${boot.username}  /  ${boot.password}`);
  if (boot.token !== null) lines.push(`    API token (admin, 30 days):  ${boot.token}`, `    e.g. export GARDEN_TOKEN=${boot.token}`);
  lines.push(`    Change the password with:  garden user set-password ${boot.username}`, '');
  return `${lines.join('\n')}\n`;
}

export interface FirstAdminOutput {
  url: string;
  dataDir: string;
  stdoutIsTTY: boolean;
  /** The terminal (process.stdout). */
  write: (text: string) => void;
  logger: Logger;
}

/** Hands the first admin's secrets over once (see the module comment). Returns the file written, if any. */
export function deliverFirstAdmin(boot: FirstAdmin, out: FirstAdminOutput): string | null {
  const how = firstAdminDelivery(boot, out.stdoutIsTTY);
  if (how === 'nothing') {
    out.logger.info({ username: boot.username }, 'admin account created; GARDEN_ADMIN_TOKEN acts as it. Set a password for signing in with: garden user set-password admin');
    return null;
  }
  const text = firstAdminText(out.url, boot);
  if (how === 'terminal') {
    out.write(text);
    return null;
  }
  mkdirSync(out.dataDir, { recursive: true, mode: 0o700 });
  const file = path.resolve(out.dataDir, FIRST_ADMIN_FILE);
  // A new file, never through a link or an older file with wider permissions.
  rmSync(file, { force: true });
  const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    fchmodSync(fd, 0o600); // the umask can only narrow the mode, but make it exact
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  out.logger.warn({ file }, 'first start: the admin password and API token were written to this file (readable by this user only); read it, then delete it');
  return file;
}
