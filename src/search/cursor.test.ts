import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, fingerprint } from './cursor.js';

describe('cursor', () => {
  const fp = fingerprint(['q', { values: {} }, 'name', 20]);

  it('round-trips the position of the last row', () => {
    expect(decodeCursor(encodeCursor(fp, { k: ['abc', 7, 120] }), fp)).toEqual({ k: ['abc', 7, 120] });
  });

  it('refuses a cursor from another query, and garbage', () => {
    const other = fingerprint(['q2', { values: {} }, 'name', 20]);
    expect(() => decodeCursor(encodeCursor(other, { k: [1] }), fp)).toThrow(expect.objectContaining({ code: 'INVALID_CURSOR' }));
    for (const bad of ['', '!!!', Buffer.from('{"f":1}').toString('base64url'), Buffer.from('[1,2]').toString('base64url')]) {
      expect(() => decodeCursor(bad, fp)).toThrow(expect.objectContaining({ code: 'INVALID_CURSOR' }));
    }
  });
});

describe('coverQuery', () => {
  it('asks for every combination of the needed number of groups', async () => {
    const { coverQuery } = await import('./text-match.js');
    expect(coverQuery(['a', 'b', 'c'], 2)).toBe('((a) & (b)) | ((a) & (c)) | ((b) & (c))');
    expect(coverQuery(['a', 'b'], 1)).toBe('(a) | (b)');
  });
});
