/**
 * Validation of the file paths of a model version: relative, forward-slash paths as in a Hugging
 * Face repository. Every problem is reported at once, with a stable reason per path.
 */
import { AppError } from '../core/errors.js';

export const PATH_LIMITS = { maxBytes: 1024, maxSegmentBytes: 255, maxFiles: 10_000 } as const;

export type PathProblem =
  | 'EMPTY'
  | 'ABSOLUTE'
  | 'BACKSLASH'
  | 'TRAVERSAL'
  | 'CONTROL_CHARACTER'
  | 'TOO_LONG'
  | 'DUPLICATE';

/** Why a single path is unacceptable, or null when it is fine. */
export function pathProblem(p: string): PathProblem | null {
  if (p.length === 0) return 'EMPTY';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(p)) return 'CONTROL_CHARACTER';
  if (p.includes('\\')) return 'BACKSLASH';
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p)) return 'ABSOLUTE';
  const segments = p.split('/');
  if (segments.some((s) => s === '..' || s === '.' || s === '')) return 'TRAVERSAL';
  if (Buffer.byteLength(p) > PATH_LIMITS.maxBytes || segments.some((s) => Buffer.byteLength(s) > PATH_LIMITS.maxSegmentBytes)) {
    return 'TOO_LONG';
  }
  return null;
}

/**
 * Checks a version's file list. Paths that differ only in letter case count as duplicates: they
 * would overwrite each other on case-insensitive filesystems when pulled.
 */
export function validateFilePaths(paths: readonly string[]): void {
  if (paths.length > PATH_LIMITS.maxFiles) {
    throw new AppError('INVALID_INPUT', `a version holds at most ${PATH_LIMITS.maxFiles} files, not ${paths.length}`, {
      reason: 'TOO_MANY_FILES',
    });
  }
  const problems: { path: string; reason: PathProblem }[] = [];
  const seen = new Set<string>();
  for (const p of paths) {
    const reason = pathProblem(p);
    if (reason) {
      problems.push({ path: p.slice(0, 200), reason });
      continue;
    }
    const key = p.toLowerCase();
    if (seen.has(key)) problems.push({ path: p.slice(0, 200), reason: 'DUPLICATE' });
    seen.add(key);
  }
  if (problems.length) {
    const first = problems[0] as { path: string; reason: PathProblem };
    throw new AppError(
      'INVALID_INPUT',
      `${problems.length} unacceptable file path(s), first: ${JSON.stringify(first.path)} (${first.reason})`,
      { problems: problems.slice(0, 100) },
    );
  }
}

export type FileFormat = 'safetensors' | 'safetensors-index' | 'gguf' | 'onnx' | 'onnx-data' | 'config' | 'tokenizer' | 'readme' | 'other';

/** Extensions of files that hold model weights, in the formats people ship models in. */
const WEIGHT_RE = /\.(safetensors|gguf|onnx|bin|pt|pth|ckpt|pkl|joblib|h5|keras|pb|tflite|mlmodel|nemo|npz|msgpack|engine|plan|ot)$/i;

/**
 * Refuses a file list with no weights at all (a folder that is not a model: a docs folder, a
 * dataset, the wrong directory), with reason NOT_A_MODEL.
 */
export function checkLooksLikeModel(paths: readonly string[]): void {
  if (paths.some((p) => WEIGHT_RE.test(p))) return;
  throw new AppError(
    'INVALID_INPUT',
    `this is not a model: none of its ${paths.length} file(s) holds weights (safetensors, GGUF, ONNX, PyTorch, Keras, TensorFlow…)`,
    { reason: 'NOT_A_MODEL', files: paths.slice(0, 20) },
  );
}

/** What a path most likely is, for display; the scanner decides from content. */
export function formatOf(p: string): FileFormat {
  const name = p.split('/').pop()?.toLowerCase() ?? '';
  if (name.endsWith('.safetensors.index.json')) return 'safetensors-index';
  if (name.endsWith('.safetensors')) return 'safetensors';
  if (name.endsWith('.gguf')) return 'gguf';
  if (name.endsWith('.onnx')) return 'onnx';
  if (name.endsWith('.onnx_data') || name.endsWith('.onnx.data')) return 'onnx-data';
  if (name === 'readme.md') return 'readme';
  if (name.startsWith('tokenizer') || name === 'vocab.txt' || name === 'merges.txt' || name.endsWith('.model')) return 'tokenizer';
  if (name.endsWith('config.json')) return 'config';
  return 'other';
}
