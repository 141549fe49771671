/**
 * The scanner's vocabulary: findings with a stable code and severity, per-file reports, verdicts.
 * A file's verdict follows its worst finding: critical/high → block, medium → warn, else pass.
 * Fail closed: what cannot be parsed, is of an unknown format inside a model folder, or hits a
 * resource limit is reported as a high finding (so `block`), never silently passed.
 */

export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';
export type Verdict = 'block' | 'warn' | 'pass';

export interface Finding {
  /** Stable, SCREAMING_SNAKE code, e.g. PICKLE_CODE_EXECUTION, ZIP_SLIP, SAFETENSORS_OVERLAP. */
  code: string;
  severity: Severity;
  /** One sentence a reviewer understands: what, where, why it matters. */
  message: string;
  /** Byte offset in the file (or in the archive member, see `member`) where known. */
  offset: number | null;
  /** For findings inside an archive or checkpoint: the member path, e.g. `archive/data.pkl`. */
  member?: string;
}

/** What a file is, decided from its content (never from its name alone). */
export type FileFormat =
  | 'pickle'
  | 'pytorch-zip'
  | 'pytorch-legacy'
  | 'numpy-npy'
  | 'numpy-npz'
  | 'joblib'
  | 'safetensors'
  | 'gguf'
  | 'onnx'
  /** Raw tensor bytes an ONNX model in the same folder names as its external data. */
  | 'onnx-data'
  | 'keras'
  | 'hdf5'
  | 'savedmodel'
  | 'tflite'
  | 'zip'
  | 'tar'
  | 'gzip'
  | 'json'
  | 'text'
  | 'python'
  | 'shell'
  | 'executable'
  | 'sentencepiece'
  | 'unknown';

export interface FileReport {
  /** Path relative to the scanned folder (forward slashes), or the file name for a single file. */
  path: string;
  format: FileFormat;
  verdict: Verdict;
  findings: Finding[];
}

export interface ScanReport {
  verdict: Verdict;
  files: FileReport[];
}

/** Resource limits; hitting one is a finding (SCAN_LIMIT, high), not a crash or a pass. */
export interface ScanLimits {
  /** Most pickle opcodes interpreted per pickle stream. */
  maxPickleOps: number;
  /** Deepest stack / memo size the pickle interpreter keeps. */
  maxPickleStack: number;
  maxPickleMemo: number;
  /** Archives: most members, largest total uncompressed bytes, largest member ratio, nesting depth. */
  maxArchiveMembers: number;
  maxArchiveBytes: number;
  maxCompressionRatio: number;
  maxArchiveDepth: number;
  /** Largest JSON header / metadata block read into memory (safetensors header, GGUF strings, JSON files). */
  maxHeaderBytes: number;
}

export const DEFAULT_LIMITS: ScanLimits = {
  maxPickleOps: 2_000_000_000,
  maxPickleStack: 1_000_000,
  maxPickleMemo: 50_000_000,
  maxArchiveMembers: 100_000,
  maxArchiveBytes: 1024 ** 4,
  maxCompressionRatio: 200,
  maxArchiveDepth: 3,
  maxHeaderBytes: 100 * 1024 * 1024,
};

const RANK: Record<Severity, number> = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };

/** Orders severities: info 0 … critical 4. */
export function severityRank(s: Severity): number {
  return RANK[s];
}

export function verdictOf(findings: readonly Finding[]): Verdict {
  const worst = Math.max(-1, ...findings.map((f) => RANK[f.severity]));
  return worst >= RANK.high ? 'block' : worst === RANK.medium ? 'warn' : 'pass';
}

export function overallVerdict(files: readonly FileReport[]): Verdict {
  if (files.some((f) => f.verdict === 'block')) return 'block';
  if (files.some((f) => f.verdict === 'warn')) return 'warn';
  return 'pass';
}

export const finding = (code: string, severity: Severity, message: string, offset: number | null = null, member?: string): Finding => ({
  code,
  severity,
  message,
  offset,
  ...(member ? { member } : {}),
});

/** At most this many findings of one code are listed; the rest are counted. */
const MAX_PER_CODE = 20;

/** Keeps at most MAX_PER_CODE findings per code and adds one summary per code that overflowed. */
export function capFindings(all: Finding[]): Finding[] {
  const counts = new Map<string, number>();
  const out: Finding[] = [];
  for (const f of all) {
    const n = (counts.get(f.code) ?? 0) + 1;
    counts.set(f.code, n);
    if (n <= MAX_PER_CODE) out.push(f);
  }
  for (const [code, n] of counts) {
    if (n > MAX_PER_CODE) {
      const first = all.find((f) => f.code === code)!;
      out.push(finding(code, first.severity, `${n - MAX_PER_CODE} more ${code} findings like the ones above were not listed`, null));
    }
  }
  return out;
}
