/**
 * HTTP byte ranges (RFC 9110 §14): the single `bytes=a-b`, `bytes=a-` and `bytes=-n` forms
 * download clients send.
 */
export type RangeResult = { start: number; end: number } | 'unsatisfiable' | null;

/**
 * `null` when the whole file is to be sent: no Range header, or one the server ignores as RFC 9110
 * allows (another unit, several ranges, a malformed or inverted range). `'unsatisfiable'` when the
 * range starts at or past the end of the file (or asks for the last 0 bytes): the caller answers
 * 416 with the Content-Range `unsatisfiedRange` gives (`bytes *` then `/SIZE`).
 */
export function parseRange(header: string | undefined, size: number): RangeResult {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(size - suffix, 0), end: size - 1 };
  }
  const start = Number(m[1]);
  if (m[2] !== '' && Number(m[2]) < start) return null;
  if (start >= size) return 'unsatisfiable';
  return { start, end: m[2] ? Math.min(Number(m[2]), size - 1) : size - 1 };
}

/** The Content-Range header of a 416 answer: no range of a SIZE-byte file. */
export const unsatisfiedRange = (size: number): string => `bytes */${size}`;
