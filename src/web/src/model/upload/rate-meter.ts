/** Transfer rate over a sliding window, and the time left at that rate. */

export interface RateMeter {
  /** Counts `n` bytes moved now. */
  add(n: number): void;
  /** Bytes per second over the window; null until there is enough to tell. */
  rate(): number | null;
  /** Seconds to move `remaining` bytes at the current rate; null when unknown. */
  secondsLeft(remaining: number): number | null;
}

export function createRateMeter(windowMs = 5000, now: () => number = () => performance.now()): RateMeter {
  let total = 0;
  // Oldest first; the first sample may predate the window, so the rate spans all of it.
  const samples: { t: number; total: number }[] = [{ t: now(), total: 0 }];
  // Measured up to now, not up to the last chunk: a stalled transfer shows its rate falling.
  const rate = (): number | null => {
    const t = now();
    while (samples.length > 1 && (samples[1]?.t ?? t) <= t - windowMs) samples.shift();
    const first = samples[0];
    if (!first || t - first.t < 250) return null;
    return ((total - first.total) * 1000) / (t - first.t);
  };
  return {
    add(n) {
      total += n;
      samples.push({ t: now(), total });
    },
    rate,
    secondsLeft(remaining) {
      const r = rate();
      return r && r > 0 ? remaining / r : null;
    },
  };
}
