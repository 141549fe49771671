/** Which outputs of one input stand out from the others: the cells the comparison table highlights. */

/**
 * For each column, whether its output differs from the rest: those that disagree with a clear
 * majority, or all of them when there is none. Errors count as outputs of their own.
 */
export function differingCells(outputs: (string | null)[], errors: (string | null)[]): boolean[] {
  const keys = outputs.map((o, i) => (errors[i] !== null && errors[i] !== undefined ? `\u0000error` : (o ?? '')));
  const counts = new Map<string, number>();
  for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
  if (counts.size <= 1) return keys.map(() => false);
  const sorted = [...counts.entries()].sort((a, b) => b[1] - a[1]);
  const [top, second] = sorted;
  const majority = top && (!second || top[1] > second[1]) && top[1] > 1 ? top[0] : null;
  return keys.map((k) => majority === null || k !== majority);
}
