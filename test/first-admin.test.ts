/**
 * The first admin's secrets never reach a log: `garden serve` runs as a child process on a fresh
 * data folder with stdout piped (as under a container runtime), with and without
 * GARDEN_ADMIN_TOKEN, and once on a terminal (`script` gives it a pseudo-terminal).
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { openDatabase, queryRows } from '../src/core/db/index.js';
import { ROOT } from '../src/core/paths.js';
import { FIRST_ADMIN_FILE, firstAdminDelivery } from '../src/first-admin.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Served {
  /** Everything the server wrote to stdout (its logs, and anything printed) until it stopped. */
  stdout: string;
  url: string;
  dataDir: string;
  /** What `during` returned (it runs while the server does). */
  during: unknown;
}

const SERVE = ['serve', '--port', '0', '--host', '127.0.0.1', '--no-demo', '--no-workers'];

function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GARDEN_')) env[k] = v;
  return { ...env, GARDEN_CLI_FROM_SOURCE: '1', GARDEN_LOG_LEVEL: 'info', ...extra };
}

/** Starts `garden serve` on a new data folder, waits until it runs, calls `during`, and stops it. */
async function serve(opts: { env?: Record<string, string>; tty?: boolean }, during: (url: string, dataDir: string) => Promise<unknown> = async () => null): Promise<Served> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'garden-first-'));
  dirs.push(dataDir);
  // An empty migrated database (the test run's template): a first start, minus the migration time.
  cpSync(inject('pgliteTemplate'), path.join(dataDir, 'db'), { recursive: true });
  const garden = [process.execPath, path.join(ROOT, 'bin/garden.js'), ...SERVE, '--data-dir', dataDir];
  // `script -qec CMD /dev/null` runs CMD on a pseudo-terminal and copies what it writes to our pipe.
  const [cmd, ...args] = opts.tty ? ['script', '-qec', garden.map((a) => `'${a}'`).join(' '), '/dev/null'] : garden;
  const child = spawn(cmd!, args, { cwd: dataDir, env: childEnv(opts.env ?? {}), stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const running = /Model Garden is running at (http:\/\/\S+)/;
  const deadline = Date.now() + 90_000;
  // On a terminal stderr is merged into stdout.
  while (!running.test(stderr) && !running.test(stdout) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
  const url = (running.exec(stderr) ?? running.exec(stdout))?.[1];
  if (!url) {
    process.kill(-(child.pid as number), 'SIGKILL');
    throw new Error(`garden serve did not start:\n${stderr}\n${stdout}`);
  }
  try {
    const result = await during(url, dataDir);
    return { stdout: await stop(), url, dataDir, during: result };
  } catch (err) {
    await stop();
    throw err;
  }

  async function stop(): Promise<string> {
    // Its own process group (under `script` the server is script's child): stop them together.
    const group = -(child.pid as number);
    process.kill(group, 'SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    if (child.exitCode === null && child.signalCode === null) process.kill(group, 'SIGKILL');
    return stdout;
  }
}

const login = (url: string, password: string) =>
  fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) });

describe.concurrent('first start', () => {
  it('with stdout piped, writes the admin password and token to a file only its owner can read, and logs where, not what', async () => {
    const s = await serve({}, async (url, dataDir) => {
      const text = readFileSync(path.join(dataDir, FIRST_ADMIN_FILE), 'utf8');
      const password = /as {2}admin {2}\/ {2}(\S+)/.exec(text)?.[1] ?? '';
      const token = /API token \(admin, 30 days\): {2}(mgt_\S+)/.exec(text)?.[1] ?? '';
      const signedIn = await login(url, password);
      const me = await fetch(`${url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
      return { password, token, signIn: signedIn.status, me: me.status };
    });
    const { password, token, signIn, me } = s.during as { password: string; token: string; signIn: number; me: number };
    expect([password.length > 10, token.length > 40, signIn, me]).toEqual([true, true, 200, 200]);
    const file = path.join(s.dataDir, FIRST_ADMIN_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(s.stdout).not.toContain(password);
    expect(s.stdout).not.toContain(token);
    expect(s.stdout).toContain(file);
  }, 120_000);

  it('with GARDEN_ADMIN_TOKEN set, makes no password, prints none and writes no file', async () => {
    const adminToken = `first-admin-test-${'t'.repeat(32)}`;
    const s = await serve({ env: { GARDEN_ADMIN_TOKEN: adminToken } }, async (url) => {
      const me = await fetch(`${url}/api/v1/me`, { headers: { authorization: `Bearer ${adminToken}` } });
      return { status: me.status, body: (await me.json()) as { user: { username: string; platformRole: string } } };
    });
    expect(s.during).toMatchObject({ status: 200, body: { user: { username: 'admin', platformRole: 'admin' } } });
    expect(existsSync(path.join(s.dataDir, FIRST_ADMIN_FILE))).toBe(false);
    expect(s.stdout).not.toMatch(/sign in at|API token \(admin/);
    expect(s.stdout).not.toContain(adminToken);
    expect(s.stdout).toContain('garden user set-password admin');
    const db = await openDatabase({ dataDir: s.dataDir });
    try {
      expect(await queryRows(db.db, sql`SELECT password_hash FROM users WHERE username = 'admin'`)).toEqual([{ password_hash: null }]);
    } finally {
      await db.close();
    }
  }, 120_000);

  // `script` is in util-linux (bsdutils on Debian, an essential package).
  it.skipIf(!existsSync('/usr/bin/script'))('on a terminal, prints the sign-in once and writes no file', async () => {
    const s = await serve({ tty: true });
    const password = /as {2}admin {2}\/ {2}(\S+)/.exec(s.stdout)?.[1];
    expect(password).toBeTruthy();
    expect(s.stdout.split(password!).length - 1).toBe(1);
    expect(existsSync(path.join(s.dataDir, FIRST_ADMIN_FILE))).toBe(false);
  }, 120_000);

  it('decides where the secrets go: nowhere without any, the terminal only on a TTY', () => {
    expect(firstAdminDelivery({ username: 'admin', password: null, token: null }, true)).toBe('nothing');
    expect(firstAdminDelivery({ username: 'admin', password: 'p', token: 't' }, true)).toBe('terminal');
    expect(firstAdminDelivery({ username: 'admin', password: 'p', token: 't' }, false)).toBe('file');
  });
});
