/**
 * The name rules of a version's file paths: names that tools run or trust (version-control
 * metadata, `.gitattributes`, `.envrc`…), compared the way the disks a model lands on resolve
 * names. No imports and no Node APIs: the server (file-paths.ts, the scanner, the CLI) and the
 * web UI's upload use this one module, so a browser leaves out exactly what the server refuses.
 */

/** A name rule a path breaks: VCS metadata, or a file tools act on. */
export type NameRule = 'VCS_METADATA' | 'TOOL_TRUSTED';

/**
 * Folder (or file) names of version-control systems, compared as `comparableName` gives them.
 * Their metadata configures and runs programs: `.git/config` `core.fsmonitor`, `core.sshCommand`
 * and `.git/hooks/*` run on `git status`; `.hg/hgrc` hooks; `.svn`, `.bzr`, `_darcs`, `CVS` and
 * `.jj` hold repository settings their tools trust. `.git` as a FILE is a `gitdir:` redirect to
 * another repository. None of it belongs to a model.
 */
const VCS_NAMES: ReadonlySet<string> = new Set(['.git', '.hg', '.svn', '.bzr', '_darcs', 'cvs', '.jj']);
/**
 * Windows 8.3 short names of those folders: on NTFS `GIT~1` is the same folder as `.git`
 * (git refuses it for this reason, CVE-2014-9390).
 */
const VCS_SHORT_RE = /^(git|hg|svn|bzr)~\d+$/;

/**
 * Files tools read from any folder of a working tree (or the folder itself) and act on:
 * - `.gitattributes`: filter, diff, merge and textconv drivers and `working-tree-encoding` for the
 *   files beside it, in every folder of an enclosing repository;
 * - `.gitmodules`: submodule URLs and paths git clones and checks out (CVE-2018-17456 and kin);
 * - `.lfsconfig`: git-lfs endpoints and settings, so credentials go where it says;
 * - `.gitconfig`, `.hgrc`: a home folder's configuration (fsmonitor, sshCommand, hooks), read when
 *   the folder is HOME, as in containers that use the working folder;
 * - `.hgsub`, `.hgsubstate`: Mercurial subrepositories it clones and updates (CVE-2017-1000116);
 * - `.envrc`: direnv runs it as shell code on entering the folder;
 * - `.pre-commit-config.yaml`: pre-commit installs and runs the hooks it lists on every commit.
 */
const TRUSTED_NAMES: ReadonlySet<string> = new Set([
  '.gitattributes',
  '.gitmodules',
  '.lfsconfig',
  '.gitconfig',
  '.hgrc',
  '.hgsub',
  '.hgsubstate',
  '.envrc',
  '.pre-commit-config.yaml',
]);
/** 8.3 short names git knows for `.gitmodules` and `.gitattributes` (its is_ntfs_dotgitmodules). */
const TRUSTED_SHORT_RE = /^(gitmod|gi7eba|gitatt|gi7d29)~\d+$/;

/** Code points HFS+ ignores in names (git's is_hfs_dotgit): `.g\u200cit` is `.git` on a Mac. */
const HFS_IGNORED = /[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]/g;

/**
 * A path segment as the disks a model lands on resolve it, for comparing with names tools trust:
 * Unicode-normalised (macOS stores `é` decomposed), case folded (macOS and Windows disks ignore
 * case), HFS+ ignorable code points removed, an NTFS
 * alternate data stream (`.git::$INDEX_ALLOCATION` is the folder `.git`) and trailing dots and
 * spaces (`.git.` and `.git ` are `.git` on Windows) cut off.
 */
export function comparableName(segment: string): string {
  return segment.normalize('NFC').replace(HFS_IGNORED, '').replace(/:.*$/s, '').replace(/[. ]+$/, '').toLowerCase();
}

const isVcs = (n: string) => VCS_NAMES.has(n) || VCS_SHORT_RE.test(n);
const isTrusted = (n: string) => TRUSTED_NAMES.has(n) || TRUSTED_SHORT_RE.test(n);
/** `.github/workflows/*` runs on a CI service when the folder is pushed as a repository. */
const isWorkflows = (names: readonly string[], i: number) => names[i] === 'workflows' && names[i - 1] === '.github';

/** The name rule the path's segments break (VCS metadata before the rest), or null. */
export function nameRule(segments: readonly string[]): NameRule | null {
  const names = segments.map(comparableName);
  if (names.some(isVcs)) return 'VCS_METADATA';
  if (names.some((n, i) => isTrusted(n) || isWorkflows(names, i))) return 'TOOL_TRUSTED';
  return null;
}

/** The leading part of `path` a name rule refuses (`a/.git/x` → `a/.git`, `.github/workflows/ci.yml` → `.github/workflows`), or null. */
export function refusedPrefix(path: string): string | null {
  const parts = path.split('/');
  const names = parts.map(comparableName);
  const i = names.findIndex((n, j) => isVcs(n) || isTrusted(n) || isWorkflows(names, j));
  return i < 0 ? null : parts.slice(0, i + 1).join('/');
}
