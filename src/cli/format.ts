/** Plain-text rendering for terminals: aligned tables, truncated cells, no colours when piped. */
export function table(headers: string[], rows: (string | number | null | undefined)[][], maxWidth = 48): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null || c === undefined || c === '' ? '–' : String(c))))];
  const clip = (s: string) => (s.length > maxWidth ? `${s.slice(0, maxWidth - 1)}…` : s);
  const clipped = cells.map((r) => r.map(clip));
  const widths = headers.map((_, i) => Math.max(...clipped.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(clipped[0] ?? []), line(widths.map((w) => '─'.repeat(w))), ...clipped.slice(1).map(line)].join('\n');
}

export function gb(v: number | null | undefined): string {
  return v === null || v === undefined ? '' : `${v} GB`;
}

export function count(n: number | null | undefined): string {
  if (n === null || n === undefined) return '';
  if (n >= 1e9) return `${(n / 1e9).toFixed(n >= 1e10 ? 0 : 1)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(0)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(0)}k`;
  return String(n);
}
