/** Display formatting shared by the pages. */

/** Shown for empty or unknown values. */
export const DASH = '—';

const trim = (n: number, digits = 1): string => n.toFixed(digits).replace(/\.0+$/, '').replace(/(\.\d*?)0+$/, '$1');

/** 8030000000 → "8B", 110000000 → "110M", 1500 → "1.5K". */
export function formatParameters(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n) || n <= 0) return DASH;
  if (n >= 1e12) return `${trim(n / 1e12)}T`;
  if (n >= 1e9) return `${trim(n / 1e9)}B`;
  if (n >= 1e6) return `${trim(n / 1e6)}M`;
  if (n >= 1e3) return `${trim(n / 1e3)}K`;
  return String(n);
}

/** 8030261248 → "8.03 B", 6400 → "6.4 K": three significant digits, for counts read from files. */
export function formatParametersPrecise(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n) || n <= 0) return DASH;
  const units: [number, string][] = [[1e12, 'T'], [1e9, 'B'], [1e6, 'M'], [1e3, 'K']];
  const [div, unit] = units.find(([d]) => n >= d) ?? [1, ''];
  const value = String(Number((n / div).toPrecision(3)));
  return unit ? `${value} ${unit}` : value;
}

/** Decimal units, as disks and the server state sizes: 2100000000 → "2.10 GB". */
export function formatBytes(n: number): string {
  if (n >= 1e12) return `${(n / 1e12).toFixed(2)} TB`;
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} B`;
}

/** Bytes per second → "85.2 MB/s". */
export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(Math.round(bytesPerSecond))}/s`;
}

/** Seconds → "45 s", "3 min 20 s", "2 h 5 min". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return DASH;
  const s = Math.ceil(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ''}`;
}

/** 5.6 → "5.6 GB". */
export function formatGb(gb: number | null | undefined): string {
  if (gb === null || gb === undefined || !Number.isFinite(gb)) return DASH;
  return `${trim(gb, 2)} GB`;
}

/** Context windows: 131072 → "128K", 32768 → "32K", 448 → "448", 10000 → "10,000". */
export function formatTokens(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return DASH;
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)}M`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024}K`;
  return n.toLocaleString('en-US');
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** ISO date or timestamp → "1 Sep 2026". */
export function formatDate(iso: string | null | undefined): string {
  if (!iso) return DASH;
  const d = new Date(iso.length === 10 ? `${iso}T00:00:00Z` : iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()] ?? ''} ${d.getUTCFullYear()}`;
}

/** "29 Nov 2026, 14:05 UTC": for events within a day of each other (reviews, jobs, tokens), the time matters. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return DASH;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${formatDate(iso)}, ${d.toISOString().slice(11, 16)} UTC`;
}

let languageNames: Intl.DisplayNames | null = null;
/** "ja" → "Japanese"; unknown codes are returned unchanged. */
export function languageName(code: string): string {
  try {
    languageNames ??= new Intl.DisplayNames(['en'], { type: 'language' });
    const name = languageNames.of(code);
    return name && name !== code ? name : code;
  } catch {
    return code;
  }
}

/** "text-generation" → "text generation" (values stay recognisable, but read as words). */
export function humanize(value: string): string {
  return value.replace(/[-_]+/g, ' ');
}

export function capitalize(value: string): string {
  return value.charAt(0).toUpperCase() + value.slice(1);
}

/** A benchmark value: up to 4 significant decimals, no trailing zeros. */
export function formatMetric(value: number): string {
  if (!Number.isFinite(value)) return DASH;
  return Math.abs(value) >= 1000 ? value.toLocaleString('en-US', { maximumFractionDigits: 1 }) : String(Number(value.toPrecision(4)));
}

/** Empty strings, null and undefined become the dash. */
export function orDash(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return DASH;
  const s = String(value).trim();
  return s ? s : DASH;
}

/** Until an ISO time: "3 h 12 min left", "42 min left", "under a minute left", "expired" once past. */
export function formatTimeLeft(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return DASH;
  const end = new Date(iso).getTime();
  if (Number.isNaN(end)) return DASH;
  const minutes = Math.floor((end - now) / 60_000);
  if (end <= now) return 'expired';
  if (minutes < 1) return 'under a minute left';
  if (minutes < 60) return `${minutes} min left`;
  const h = Math.floor(minutes / 60);
  return `${h} h${minutes % 60 ? ` ${minutes % 60} min` : ''} left`;
}
