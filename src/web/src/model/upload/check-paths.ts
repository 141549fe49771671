/**
 * Checks the chosen paths before anything is sent, with the rules the server applies
 * (src/registry/file-paths.ts): relative, forward slashes, no `..`, no duplicates.
 */
import type { PickedFile } from './pick-files';

export const MAX_PATH_BYTES = 1024;
export const MAX_SEGMENT_BYTES = 255;
export const MAX_FILES = 10_000;

const bytes = (s: string) => new TextEncoder().encode(s).length;

/** Why the server would refuse this path, in words, or null when it is fine. */
export function pathProblem(p: string): string | null {
  if (p.length === 0) return 'the path is empty';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(p)) return 'the path contains a control character';
  if (p.includes('\\')) return 'backslashes are not allowed: use / between folders';
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p)) return 'absolute paths are not allowed';
  const segments = p.split('/');
  if (segments.some((s) => s === '..')) return '“..” is not allowed in a path';
  if (segments.some((s) => s === '.' || s === '')) return 'the path has an empty or “.” folder name';
  if (bytes(p) > MAX_PATH_BYTES || segments.some((s) => bytes(s) > MAX_SEGMENT_BYTES)) return 'the path is too long';
  return null;
}

export interface PathIssue {
  path: string;
  problem: string;
}

/**
 * Every problem of a selection. Paths differing only in letter case count as duplicates, as on
 * the server: they would overwrite each other on case-insensitive disks when pulled.
 */
export function checkPaths(files: readonly PickedFile[]): PathIssue[] {
  const issues: PathIssue[] = [];
  if (files.length > MAX_FILES) issues.push({ path: '', problem: `a version holds at most ${MAX_FILES.toLocaleString('en-US')} files` });
  const seen = new Set<string>();
  for (const { path } of files) {
    const problem = pathProblem(path);
    if (problem) {
      issues.push({ path, problem });
      continue;
    }
    const key = path.toLowerCase();
    if (seen.has(key)) issues.push({ path, problem: 'chosen twice: every path must be unique' });
    seen.add(key);
  }
  return issues;
}
