/**
 * The hash chain of the audit trail. Appending takes the single audit_head row's lock (an UPDATE),
 * so concurrent transactions append one after the other and the chain never forks; the event is
 * written in the caller's transaction, so it exists exactly when the change it records does.
 */
import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { queryRows, type Db, type Tx } from '../core/db/index.js';
import { actorRef, type Actor } from '../identity/actor.js';

export interface AuditInput {
  action: string;
  targetType: string;
  targetId: string;
  modelSlug?: string | null;
  details?: Record<string, unknown>;
}

export interface AuditEvent {
  seq: number;
  at: string;
  actorId: string | null;
  actorName: string;
  action: string;
  targetType: string;
  targetId: string;
  modelSlug: string | null;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

/** JSON with object keys sorted at every depth: the same value always gives the same text. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

/** The hash of an event: sha256 over its fields and the previous event's hash. */
export function eventHash(e: Omit<AuditEvent, 'hash'>): string {
  const body = canonicalJson([e.seq, new Date(e.at).toISOString(), e.actorId, e.actorName, e.action, e.targetType, e.targetId, e.modelSlug, e.details, e.prevHash]);
  return createHash('sha256').update(body).digest('hex');
}

/** Appends one event inside `tx` and returns it. */
export async function appendAudit(tx: Db | Tx, actor: Actor, input: AuditInput): Promise<AuditEvent> {
  const [head] = await queryRows<{ seq: string | number; hash: string }>(tx, sql`UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash`);
  if (!head) throw new Error('audit_head row is missing');
  const who = actorRef(actor);
  const partial: Omit<AuditEvent, 'hash'> = {
    seq: Number(head.seq),
    at: new Date().toISOString(),
    actorId: who.id,
    actorName: who.name,
    action: input.action,
    targetType: input.targetType,
    targetId: input.targetId,
    modelSlug: input.modelSlug ?? null,
    details: input.details ?? {},
    prevHash: head.hash,
  };
  const event: AuditEvent = { ...partial, hash: eventHash(partial) };
  await tx.execute(sql`
    INSERT INTO audit_events (seq, at, actor_id, actor_name, action, target_type, target_id, model_slug, details, prev_hash, hash)
    VALUES (${event.seq}, ${event.at}, ${event.actorId}, ${event.actorName}, ${event.action}, ${event.targetType}, ${event.targetId},
            ${event.modelSlug}, ${JSON.stringify(event.details)}::jsonb, ${event.prevHash}, ${event.hash})`);
  await tx.execute(sql`UPDATE audit_head SET hash = ${event.hash} WHERE id = 1`);
  return event;
}

export interface VerifyResult {
  ok: boolean;
  events: number;
  /** The first problems found (at most 20). */
  problems: { seq: number | null; problem: string }[];
}

/** Recomputes the chain from the first event; any changed, removed or reordered event breaks it. */
export async function verifyChain(db: Db): Promise<VerifyResult> {
  const problems: VerifyResult['problems'] = [];
  const note = (seq: number | null, problem: string) => {
    if (problems.length < 20) problems.push({ seq, problem });
  };
  let prev = 'genesis';
  let expected = 1;
  let count = 0;
  const PAGE = 1000;
  for (let after = 0; ; ) {
    const rows = await queryRows<RawEvent>(db, sql`SELECT * FROM audit_events WHERE seq > ${after} ORDER BY seq LIMIT ${PAGE}`);
    for (const r of rows) {
      const e = fromRow(r);
      count++;
      if (e.seq !== expected) note(e.seq, `expected event ${expected} here: events are missing or were renumbered`);
      if (e.prevHash !== prev) note(e.seq, 'its previous-hash field does not match the event before it (an event was removed, inserted or reordered)');
      if (eventHash(e) !== e.hash) note(e.seq, 'its content does not match its hash (the event was changed)');
      prev = e.hash;
      expected = e.seq + 1;
      after = e.seq;
    }
    if (rows.length < PAGE) break;
  }
  const [head] = await queryRows<{ seq: string | number; hash: string }>(db, sql`SELECT seq, hash FROM audit_head WHERE id = 1`);
  if (!head) note(null, 'the audit head row is missing');
  else if (Number(head.seq) !== expected - 1 || head.hash !== prev) {
    note(null, `the chain ends at event ${expected - 1} but the head records event ${head.seq}: events were removed from the end`);
  }
  return { ok: problems.length === 0, events: count, problems };
}

export interface RawEvent {
  seq: string | number;
  at: string | Date;
  actor_id: string | null;
  actor_name: string;
  action: string;
  target_type: string;
  target_id: string;
  model_slug: string | null;
  details: unknown;
  prev_hash: string;
  hash: string;
}

export function fromRow(r: RawEvent): AuditEvent {
  return {
    seq: Number(r.seq),
    at: new Date(r.at).toISOString(),
    actorId: r.actor_id,
    actorName: r.actor_name,
    action: r.action,
    targetType: r.target_type,
    targetId: r.target_id,
    modelSlug: r.model_slug,
    details: (typeof r.details === 'string' ? JSON.parse(r.details) : r.details) as Record<string, unknown>,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}
