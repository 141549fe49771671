/**
 * Opaque pagination cursors. A cursor remembers the sort position of the last row and a
 * fingerprint of the query it belongs to, so it cannot be replayed against another query.
 */
import { createHash } from 'node:crypto';
import { AppError } from '../core/errors.js';

export interface CursorState {
  /** Sort keys of the last row returned (keyset), or the offset for relevance order. */
  k: (string | number)[];
  /** The first page fell back to partial matches; later pages must do the same. */
  r?: boolean;
}

export function fingerprint(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 12);
}

export function encodeCursor(fp: string, state: CursorState): string {
  return Buffer.from(JSON.stringify({ f: fp, ...state })).toString('base64url');
}

export function decodeCursor(cursor: string, fp: string): CursorState {
  let data: unknown;
  try {
    data = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new AppError('INVALID_CURSOR', 'the cursor is malformed; start again without it');
  }
  const d = data as { f?: unknown; k?: unknown };
  if (!d || typeof d !== 'object' || !Array.isArray(d.k) || !d.k.every((x) => typeof x === 'string' || typeof x === 'number')) {
    throw new AppError('INVALID_CURSOR', 'the cursor is malformed; start again without it');
  }
  if (d.f !== fp) {
    throw new AppError('INVALID_CURSOR', 'the cursor belongs to another query, filter or sort order; start again without it');
  }
  return { k: d.k, ...((d as { r?: unknown }).r === true ? { r: true } : {}) };
}
