/**
 * The Hugging Face Hub read contract over the catalog (see shared docs, runner-and-hf-notes §2.4):
 * a repo is `<owner team>/<slug>` (or `garden/<slug>`), a revision is a version, `main` and `HEAD`
 * are the newest approved version, and every version has a stable 40-hex commit id. Every file is
 * presented as a Git LFS file whose oid is its sha256.
 */
import type { Actor } from '../identity/index.js';
import { createHash } from 'node:crypto';
import { AppError } from '../core/errors.js';
import type { CatalogService, ModelDetailT } from '../catalog/index.js';
import semver from 'semver';
import type { RegistryService, VersionFile } from './service.js';

export type HfErrorCode = 'RepoNotFound' | 'RevisionNotFound' | 'EntryNotFound';

/** An error the HF routes answer with `X-Error-Code`. */
export class HfError extends Error {
  constructor(
    readonly hfCode: HfErrorCode,
    message: string,
    readonly commit?: string,
  ) {
    super(message);
  }
}

export const commitOf = (slug: string, version: string): string =>
  createHash('sha1').update(`garden:${slug}@${version}`).digest('hex');

const lfsPointer = (f: VersionFile) =>
  `version https://git-lfs.github.com/spec/v1\noid sha256:${f.digest.slice(7)}\nsize ${f.size}\n`;

const gitBlobSha1 = (content: string) => {
  const body = Buffer.from(content);
  return createHash('sha1').update(`blob ${body.length}\0`).update(body).digest('hex');
};

export interface TreeEntry {
  type: 'file' | 'directory';
  oid: string;
  size: number;
  path: string;
  lfs?: { oid: string; size: number; pointerSize: number };
  lastCommit?: { id: string; title: string; date: string };
}

export function createHfView(deps: { catalog: CatalogService; registry: RegistryService }) {
  async function repo(actor: Actor, namespace: string, name: string): Promise<ModelDetailT> {
    const model = await deps.catalog.getModel(actor, name).catch((err: unknown) => {
      if ((err as AppError).code === 'NOT_FOUND' || (err as AppError).code === 'INVALID_INPUT') {
        throw new HfError('RepoNotFound', `Repository ${namespace}/${name} not found`);
      }
      throw err;
    });
    if (namespace !== model.ownerTeam && namespace !== 'garden') {
      throw new HfError('RepoNotFound', `Repository ${namespace}/${name} not found`);
    }
    return model;
  }

  /** main/HEAD: the newest approved version; a version string; or a commit id. Retired versions are never served. */
  function revision(model: ModelDetailT, rev: string) {
    const servable = model.versions.filter((v) => v.lifecycle !== 'retired' && v.lifecycle !== 'draft' && v.lifecycle !== 'submitted');
    let found;
    if (rev === 'main' || rev === 'HEAD') {
      found = [...servable].filter((v) => v.lifecycle === 'approved').sort((a, b) => semver.rcompare(a.version, b.version))[0];
    } else if (/^[0-9a-f]{40}$/.test(rev)) {
      found = servable.find((v) => commitOf(model.slug, v.version) === rev);
    } else {
      found = servable.find((v) => v.version === rev);
    }
    if (!found) throw new HfError('RevisionNotFound', `Revision ${rev} not found for ${model.slug}`);
    return { version: found, commit: commitOf(model.slug, found.version) };
  }

  function entry(f: VersionFile, commit: string, date: string, expand: boolean): TreeEntry {
    const pointer = lfsPointer(f);
    return {
      type: 'file',
      oid: gitBlobSha1(pointer),
      size: f.size,
      path: f.path,
      lfs: { oid: f.digest.slice(7), size: f.size, pointerSize: Buffer.byteLength(pointer) },
      ...(expand ? { lastCommit: { id: commit, title: `Model Garden version`, date } } : {}),
    };
  }

  async function info(actor: Actor, namespace: string, name: string, rev: string) {
    const model = await repo(actor, namespace, name);
    const { version, commit } = revision(model, rev);
    const files = await deps.registry.listFiles(actor, model.slug, version.version);
    return {
      _id: commit,
      id: `${namespace}/${model.slug}`,
      modelId: `${namespace}/${model.slug}`,
      author: model.ownerTeam,
      sha: commit,
      lastModified: version.updatedAt,
      createdAt: version.createdAt,
      private: false,
      gated: false,
      disabled: false,
      downloads: 0,
      likes: 0,
      pipeline_tag: model.tasks[0] ?? null,
      library_name: version.compatibility.frameworks[0] ?? null,
      tags: [...model.tasks, ...model.tags, ...(version.license ? [`license:${version.license}`] : [])],
      cardData: { license: version.license, language: version.languages },
      siblings: files.map((f) => ({ rfilename: f.path, size: f.size, blobId: gitBlobSha1(lfsPointer(f)), lfs: { sha256: f.digest.slice(7), size: f.size } })),
    };
  }

  /** Files and directories under `prefix` (direct children, or all with `recursive`). */
  async function tree(actor: Actor, namespace: string, name: string, rev: string, prefix: string, recursive: boolean, expand: boolean): Promise<TreeEntry[]> {
    const model = await repo(actor, namespace, name);
    const { version, commit } = revision(model, rev);
    const files = await deps.registry.listFiles(actor, model.slug, version.version);
    const base = prefix ? `${prefix.replace(/\/+$/, '')}/` : '';
    const under = files.filter((f) => f.path.startsWith(base));
    if (prefix && under.length === 0) throw new HfError('EntryNotFound', `${prefix} not found`, commit);
    const out: TreeEntry[] = [];
    const dirs = new Set<string>();
    for (const f of under) {
      const rest = f.path.slice(base.length);
      const slash = rest.indexOf('/');
      if (!recursive && slash >= 0) dirs.add(base + rest.slice(0, slash));
      else out.push(entry(f, commit, version.updatedAt, expand));
      if (recursive) {
        const parts = rest.split('/');
        for (let i = 1; i < parts.length; i++) dirs.add(base + parts.slice(0, i).join('/'));
      }
    }
    const dirEntries: TreeEntry[] = [...dirs].sort().map((d) => ({ type: 'directory', oid: createHash('sha1').update(`tree:${commit}:${d}`).digest('hex'), size: 0, path: d }));
    return [...dirEntries, ...out];
  }

  async function pathsInfo(actor: Actor, namespace: string, name: string, rev: string, paths: string[], expand: boolean): Promise<TreeEntry[]> {
    const model = await repo(actor, namespace, name);
    const { version, commit } = revision(model, rev);
    const files = await deps.registry.listFiles(actor, model.slug, version.version);
    const wanted = new Set(paths);
    return files.filter((f) => wanted.has(f.path)).map((f) => entry(f, commit, version.updatedAt, expand));
  }

  async function file(actor: Actor, namespace: string, name: string, rev: string, path: string) {
    const model = await repo(actor, namespace, name);
    const { version, commit } = revision(model, rev);
    const f = await deps.registry.getFile(actor, model.slug, version.version, path);
    if (!f) throw new HfError('EntryNotFound', `${path} not found in ${model.slug}@${version.version}`, commit);
    return { model, version: version.version, commit, file: f, pointer: lfsPointer(f) };
  }

  return { info, tree, pathsInfo, file };
}

export type HfView = ReturnType<typeof createHfView>;
