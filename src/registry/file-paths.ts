/**
 * Validation of the file paths of a model version: relative, forward-slash paths as in a Hugging
 * Face repository. Every problem is reported at once, with a stable reason per path.
 */
import path from 'node:path';
import { AppError } from '../core/errors.js';
import { comparableName, nameRule, type NameRule } from './path-names.js';

export { comparableName, type NameRule };

export const PATH_LIMITS = { maxBytes: 1024, maxSegmentBytes: 255, maxFiles: 10_000 } as const;

export type PathProblem =
  | 'EMPTY'
  | 'ABSOLUTE'
  | 'BACKSLASH'
  | 'TRAVERSAL'
  | 'CONTROL_CHARACTER'
  | 'TOO_LONG'
  | 'DUPLICATE'
  | 'FILE_AND_FOLDER'
  | 'VCS_METADATA'
  | 'TOOL_TRUSTED';

/** What each reason means, for messages people read (the CLI prints them). */
export const PATH_PROBLEM_TEXT: Record<PathProblem, string> = {
  EMPTY: 'the path is empty',
  ABSOLUTE: 'absolute paths are not allowed',
  BACKSLASH: 'backslashes are not allowed: use / between folders',
  TRAVERSAL: 'a path segment is empty, "." or ".." (or only dots and spaces, which Windows reads as such)',
  CONTROL_CHARACTER: 'the path contains a control character',
  TOO_LONG: 'the path is too long',
  DUPLICATE: 'another file has the same path on a case-insensitive disk',
  FILE_AND_FOLDER: 'another file lies inside this path, as if it were a folder: no disk can hold both',
  VCS_METADATA: 'version-control metadata (.git, .hg, .svn, .bzr, _darcs, CVS, .jj) is never stored: git and the others run commands it names (core.fsmonitor, hooks)',
  TOOL_TRUSTED: 'a file that git, direnv, pre-commit or CI read and act on in any folder holding it (.gitattributes, .gitmodules, .lfsconfig, .envrc, hooks, workflows) is never stored',
};

/** Why a single path is unacceptable, or null when it is fine. */
export function pathProblem(p: string): PathProblem | null {
  if (p.length === 0) return 'EMPTY';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(p)) return 'CONTROL_CHARACTER';
  if (p.includes('\\')) return 'BACKSLASH';
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p)) return 'ABSOLUTE';
  const segments = p.split('/');
  if (segments.some((s) => s === '..' || s === '.' || s === '' || /^[. ]+$/.test(s))) return 'TRAVERSAL';
  if (Buffer.byteLength(p) > PATH_LIMITS.maxBytes || segments.some((s) => Buffer.byteLength(s) > PATH_LIMITS.maxSegmentBytes)) {
    return 'TOO_LONG';
  }
  return nameRule(segments);
}

/** The name rule `p` breaks (VCS metadata, a file tools act on), or null: null too for paths refused for another reason. */
export function refusedName(p: string): NameRule | null {
  const reason = pathProblem(p);
  return reason === 'VCS_METADATA' || reason === 'TOOL_TRUSTED' ? reason : null;
}

/**
 * Whether a stored path is listed, served and handed to engines: every rule holds. Files stored
 * before a rule existed (a `.git/config`) stay stored for the scan and the audit, but hidden.
 */
export const isServedPath = (p: string): boolean => pathProblem(p) === null;

/**
 * Checks a version's file list. Paths that name the same file on a case-insensitive disk (or on
 * Windows, which also drops trailing dots and spaces) count as duplicates: they would overwrite
 * each other when pulled.
 */
export function validateFilePaths(paths: readonly string[]): void {
  if (paths.length > PATH_LIMITS.maxFiles) {
    throw new AppError('INVALID_INPUT', `a version holds at most ${PATH_LIMITS.maxFiles} files, not ${paths.length}`, {
      reason: 'TOO_MANY_FILES',
    });
  }
  const problems: { path: string; reason: PathProblem }[] = [];
  const seen = new Set<string>();
  const folders = new Set<string>();
  const files: { p: string; key: string }[] = [];
  for (const p of paths) {
    const reason = pathProblem(p);
    if (reason) {
      problems.push({ path: p.slice(0, 200), reason });
      continue;
    }
    const names = p.split('/').map(comparableName);
    const key = names.join('/');
    if (seen.has(key)) problems.push({ path: p.slice(0, 200), reason: 'DUPLICATE' });
    seen.add(key);
    files.push({ p, key });
    for (let i = 1; i < names.length; i++) folders.add(names.slice(0, i).join('/'));
  }
  for (const f of files) if (folders.has(f.key)) problems.push({ path: f.p.slice(0, 200), reason: 'FILE_AND_FOLDER' });
  if (problems.length) {
    const first = problems[0] as { path: string; reason: PathProblem };
    throw new AppError(
      'INVALID_INPUT',
      `${problems.length} unacceptable file path(s), first: ${JSON.stringify(first.path)} (${first.reason}: ${PATH_PROBLEM_TEXT[first.reason]})`,
      { problems: problems.slice(0, 100) },
    );
  }
}

/**
 * `root` joined with a stored path, refused (INVALID_INPUT) unless the path is one a version may
 * hold and the result stays inside `root`; for writing a version's files to disk.
 */
export function joinInside(root: string, p: string, opts: { allowRefusedNames?: boolean } = {}): string {
  const reason = pathProblem(p);
  const structural = refusedName(p) ? null : reason;
  if (structural || (reason && !opts.allowRefusedNames)) {
    throw new AppError('INVALID_INPUT', `refusing to write ${JSON.stringify(p.slice(0, 200))} (${reason}: ${PATH_PROBLEM_TEXT[reason as PathProblem]})`, { path: p.slice(0, 200), reason });
  }
  const base = path.resolve(root);
  const target = path.resolve(base, ...p.split('/'));
  if (!target.startsWith(base + path.sep)) throw new AppError('INVALID_INPUT', `refusing to write outside ${root}: ${p.slice(0, 200)}`, { path: p.slice(0, 200), reason: 'TRAVERSAL' });
  return target;
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
