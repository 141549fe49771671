/**
 * Reading the audit trail: queries by model, actor, action and time (newest first, cursor by
 * sequence number), JSON-lines export, and verification of the hash chain. Platform reviewers and
 * admins read everything; other users read the events of their teams' models.
 */
import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type Db } from '../core/db/index.js';
import { isReviewer, isAdmin, type Actor } from '../identity/actor.js';
import { forbid, requireScope, requireUser } from '../identity/policy.js';
import { fromRow, verifyChain, type AuditEvent, type RawEvent, type VerifyResult } from './chain.js';

export interface AuditFilter {
  model?: string | undefined;
  /** A username (or `system:…`, `anonymous`). */
  actor?: string | undefined;
  action?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  /** Events with a sequence number below this (the previous page's nextCursor). */
  before?: number | undefined;
  limit?: number | undefined;
}

export interface AuditDeps {
  db: Db;
}

export function createAuditService(deps: AuditDeps) {
  const { db } = deps;

  function where(actor: Actor, f: AuditFilter): SQL {
    const parts: SQL[] = [sql`TRUE`];
    if (f.model) parts.push(sql`e.model_slug = ${f.model}`);
    if (f.actor) parts.push(sql`e.actor_name = ${f.actor}`);
    if (f.action) parts.push(f.action.endsWith('.') ? sql`e.action LIKE ${`${f.action}%`}` : sql`e.action = ${f.action}`);
    if (f.from) parts.push(sql`e.at >= ${new Date(f.from).toISOString()}`);
    if (f.to) parts.push(sql`e.at < ${new Date(f.to).toISOString()}`);
    if (f.before !== undefined) parts.push(sql`e.seq < ${f.before}`);
    if (!isReviewer(actor) && !isAdmin(actor)) {
      const a = requireUser(actor);
      parts.push(sql`e.model_slug IN (SELECT m.slug FROM models m JOIN memberships ms ON ms.team_id = m.owner_team_id WHERE ms.user_id = ${a.id})`);
    }
    return sql.join(parts, sql` AND `);
  }

  async function list(actor: Actor, f: AuditFilter): Promise<{ items: AuditEvent[]; nextCursor: number | null }> {
    requireScope(actor, 'read');
    const limit = Math.min(Math.max(f.limit ?? 50, 1), 500);
    const rows = await queryRows<RawEvent>(db, sql`SELECT e.* FROM audit_events e WHERE ${where(actor, f)} ORDER BY e.seq DESC LIMIT ${limit + 1}`);
    const items = rows.slice(0, limit).map(fromRow);
    return { items, nextCursor: rows.length > limit ? (items[items.length - 1]?.seq ?? null) : null };
  }

  /** Every matching event, oldest first, one JSON object per line. */
  async function* exportLines(actor: Actor, f: AuditFilter): AsyncGenerator<string> {
    requireScope(actor, 'read');
    const cond = where(actor, { ...f, before: undefined });
    for (let after = 0; ; ) {
      const rows = await queryRows<RawEvent>(db, sql`SELECT e.* FROM audit_events e WHERE ${cond} AND e.seq > ${after} ORDER BY e.seq LIMIT 1000`);
      for (const r of rows) {
        const e = fromRow(r);
        after = e.seq;
        yield `${JSON.stringify(e)}\n`;
      }
      if (rows.length < 1000) return;
    }
  }

  async function verify(actor: Actor): Promise<VerifyResult> {
    requireScope(actor, 'read');
    if (!isReviewer(actor) && !isAdmin(actor)) throw forbid('only a platform reviewer or an admin can verify the whole audit trail', { need: 'reviewer' });
    return verifyChain(db);
  }

  /**
   * Every event about one version, oldest first. Audit data: signed-in readers only (the read
   * scope), even when the catalog is public; the caller has checked the actor may see the version.
   */
  async function versionHistory(actor: Actor, slug: string, version: string): Promise<AuditEvent[]> {
    requireScope(actor, 'read');
    const rows = await queryRows<RawEvent>(db, sql`SELECT e.* FROM audit_events e WHERE e.model_slug = ${slug} AND e.target_id = ${`${slug}@${version}`} ORDER BY e.seq LIMIT 1000`);
    return rows.map(fromRow);
  }

  return { list, exportLines, verify, versionHistory };
}

export type AuditService = ReturnType<typeof createAuditService>;
