/** HTTP byte ranges: the single `bytes=a-b`, `bytes=a-` and `bytes=-n` forms download clients send. */
export type RangeResult = { start: number; end: number } | 'unsatisfiable' | null;

/** `null` without a Range header; `'unsatisfiable'` for other forms or ranges outside the file. */
export function parseRange(header: string | undefined, size: number): RangeResult {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return 'unsatisfiable';
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(size - Number(m[2]), 0);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
  }
  return start > end || start >= size ? 'unsatisfiable' : { start, end };
}
