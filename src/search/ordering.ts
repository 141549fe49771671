/** Sort orders of the light search query (alias x) and the keys their cursors carry. */
import { sql, type SQL } from 'drizzle-orm';
import { AppError } from '../core/errors.js';
import type { Sort } from './params.js';

const ISO_TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const isCount = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** A cursor's keys must have the shape its sort order writes; anything else is not ours. */
export function checkCursorKeys(sort: Sort, k: (string | number)[]): void {
  const ok =
    sort === 'relevance'
      ? k.length === 2 && isCount(k[0]) && isCount(k[1])
      : k.length === 3 &&
        typeof k[0] === 'string' &&
        (sort === 'name' || ISO_TS.test(k[0])) &&
        isCount(k[1]) &&
        isCount(k[2]);
  if (!ok) throw new AppError('INVALID_CURSOR', 'the cursor is malformed; start again without it');
}

/** ORDER BY for a sort (over the light query, alias x), and where the page after a cursor starts. */
export function ordering(sort: Sort, after: (string | number)[] | null): { order: SQL; keyset: SQL; offset: number } {
  switch (sort) {
    case 'relevance': {
      const offset = Number(after?.[0] ?? 0);
      return {
        order: sql`score DESC, x.k_name COLLATE "C", x.id`,
        keyset: sql`TRUE`,
        offset: Number.isInteger(offset) && offset >= 0 ? offset : 0,
      };
    }
    case 'name':
      return {
        order: sql`x.k_name COLLATE "C", x.id`,
        keyset: after ? sql`(x.k_name COLLATE "C", x.id) > (${String(after[0])} COLLATE "C", ${Number(after[1])})` : sql`TRUE`,
        offset: 0,
      };
    case 'updated':
      return {
        order: sql`x.updated_at DESC, x.id DESC`,
        keyset: after ? sql`(x.updated_at, x.id) < (${String(after[0])}::timestamptz, ${Number(after[1])})` : sql`TRUE`,
        offset: 0,
      };
  }
}
