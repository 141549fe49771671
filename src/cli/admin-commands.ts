/** `garden token …`, `garden user …` and `garden audit …`: identity and the audit trail, over the API. */
import { Readable } from 'node:stream';
import type { Command } from 'commander';
import type { Client } from './client.js';
import { table } from './format.js';

type Out = { json?: boolean; url?: string; token?: string };

export interface CliHelpers {
  withServerOptions(cmd: Command): Command;
  client(o: Out): Client;
  print(data: unknown, o: Out, human: () => string): void;
}

interface TokenView {
  id: string;
  name: string;
  username: string;
  scopes: string[];
  createdAt: string;
  expiresAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

interface AuditEvent {
  seq: number;
  at: string;
  actorName: string;
  action: string;
  targetType: string;
  targetId: string;
  modelSlug: string | null;
  details: Record<string, unknown>;
}

const day = (iso: string | null) => (iso ? iso.slice(0, 16).replace('T', ' ') : '–');

export function registerAdminCommands(program: Command, h: CliHelpers): void {
  const token = program.command('token').description('API tokens: create (shown once), list with last use, revoke');
  h.withServerOptions(token.command('create <name>'))
    .description('create an API token for yourself (or, as an admin, for --user)')
    .option('--scope <scopes>', 'comma-separated: read, write, deploy, admin', 'read')
    .option('--days <n>', 'days until it expires (1-366)', '90')
    .option('--user <username>', 'for another user (admins)')
    .action(async (name: string, o: Out & { scope: string; days: string; user?: string }) => {
      const r = await h.client(o).send<{ token: string; info: TokenView }>('POST', '/api/v1/tokens', {
        name,
        scopes: o.scope.split(',').map((s) => s.trim()),
        expiresInDays: Number(o.days),
        ...(o.user ? { username: o.user } : {}),
      });
      h.print(r, o, () => `${r.token}\n\nThis token is shown once. Scopes ${r.info.scopes.join(', ')}; expires ${day(r.info.expiresAt)}.`);
    });
  h.withServerOptions(token.command('list'))
    .description('your tokens with their last use (admins: --all)')
    .option('--all', "every user's tokens (admins)")
    .action(async (o: Out & { all?: boolean }) => {
      const r = await h.client(o).get<{ items: TokenView[] }>(`/api/v1/tokens${o.all ? '?all=true' : ''}`);
      h.print(r, o, () =>
        table(
          ['ID', 'NAME', 'USER', 'SCOPES', 'LAST USED', 'EXPIRES', 'STATE'],
          r.items.map((t) => [t.id, t.name, t.username, t.scopes.join(','), day(t.lastUsedAt), day(t.expiresAt), t.revokedAt ? 'revoked' : new Date(t.expiresAt) < new Date() ? 'expired' : 'active']),
        ),
      );
    });
  h.withServerOptions(token.command('revoke <id>'))
    .description('revoke a token (yours, or any as an admin)')
    .action(async (id: string, o: Out) => {
      await h.client(o).send('DELETE', `/api/v1/tokens/${encodeURIComponent(id)}`);
      h.print({ revoked: id }, o, () => `token ${id} revoked`);
    });

  const user = program.command('user').description('users and team memberships (admins)');
  h.withServerOptions(user.command('create <username>'))
    .description('create a user; with --password for local sign-in (or GARDEN_NEW_PASSWORD)')
    .option('--name <name>', 'display name')
    .option('--email <email>', 'e-mail address')
    .option('--role <role>', 'platform role: none, reviewer or admin', 'none')
    .option('--password <password>', 'local password (at least 12 characters)')
    .action(async (username: string, o: Out & { name?: string; email?: string; role: string; password?: string }) => {
      const password = o.password ?? process.env.GARDEN_NEW_PASSWORD;
      const r = await h.client(o).send('POST', '/api/v1/users', { username, platformRole: o.role, ...(o.name ? { name: o.name } : {}), ...(o.email ? { email: o.email } : {}), ...(password ? { password } : {}) });
      h.print(r, o, () => `user ${username} created`);
    });
  h.withServerOptions(user.command('set-password <username>'))
    .description('set a local password (reads GARDEN_NEW_PASSWORD, or --password)')
    .option('--password <password>', 'the new password (at least 12 characters)')
    .action(async (username: string, o: Out & { password?: string }) => {
      const password = o.password ?? process.env.GARDEN_NEW_PASSWORD;
      if (!password) throw new Error('give --password or set GARDEN_NEW_PASSWORD');
      await h.client(o).send('PATCH', `/api/v1/users/${encodeURIComponent(username)}`, { password });
      h.print({ username }, o, () => `password of ${username} changed`);
    });
  h.withServerOptions(user.command('add-to-team <username> <team>'))
    .description("set a user's role in a team: viewer, contributor or team_lead")
    .option('--role <role>', 'viewer | contributor | team_lead', 'contributor')
    .action(async (username: string, team: string, o: Out & { role: string }) => {
      await h.client(o).send('PUT', `/api/v1/teams/${encodeURIComponent(team)}/members/${encodeURIComponent(username)}`, { role: o.role });
      h.print({ username, team, role: o.role }, o, () => `${username} is ${o.role} of ${team}`);
    });

  const audit = program.command('audit').description('the audit trail: query, export, verify the hash chain');
  h.withServerOptions(audit.command('verify'))
    .description('recompute the hash chain; exit 1 when any event was changed, removed or reordered')
    .action(async (o: Out) => {
      const r = await h.client(o).get<{ ok: boolean; events: number; problems: { seq: number | null; problem: string }[] }>('/api/v1/audit/verify');
      h.print(r, o, () =>
        r.ok ? `audit trail intact: ${r.events} events, chain verified` : [`AUDIT TRAIL BROKEN (${r.events} events read):`, ...r.problems.map((p) => `  event ${p.seq ?? '–'}: ${p.problem}`)].join('\n'),
      );
      if (!r.ok) process.exitCode = 1;
    });
  const filters = (cmd: Command) =>
    cmd
      .option('--model <slug>', 'events of one model')
      .option('--actor <username>', 'events by one user')
      .option('--action <action>', 'one action, or a prefix ending in "." (e.g. token.)')
      .option('--from <iso>', 'from this time')
      .option('--to <iso>', 'until this time');
  const query = (o: Record<string, unknown>) => {
    const qs = new URLSearchParams();
    for (const k of ['model', 'actor', 'action', 'from', 'to']) if (typeof o[k] === 'string') qs.set(k, o[k]);
    return qs;
  };
  h.withServerOptions(filters(audit.command('list')))
    .description('audit events, newest first')
    .option('--limit <n>', 'how many', '50')
    .action(async (o: Out & Record<string, unknown>) => {
      const qs = query(o);
      qs.set('limit', String(o.limit));
      const r = await h.client(o).get<{ items: AuditEvent[] }>(`/api/v1/audit?${qs}`);
      h.print(r, o, () => table(['#', 'TIME', 'ACTOR', 'ACTION', 'TARGET', 'DETAILS'], r.items.map((e) => [e.seq, day(e.at), e.actorName, e.action, e.targetId, JSON.stringify(e.details).slice(0, 80)])));
    });
  h.withServerOptions(filters(audit.command('export')))
    .description('every matching event as JSON lines, oldest first, to standard output')
    .action(async (o: Out & Record<string, unknown>) => {
      const res = await h.client(o).stream(`/api/v1/audit/export?${query(o)}`);
      if (res.body) for await (const chunk of Readable.fromWeb(res.body)) process.stdout.write(chunk as Buffer);
    });
}
