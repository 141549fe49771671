/**
 * Turns what the user chose (file inputs, or files and folders dropped on the page) into files
 * with the relative paths they will have in the version, as in a Hugging Face repository.
 */
import { refusedPrefix } from '../../../../registry/path-names';

/** A file the user chose, with its path inside the version. */
export interface PickedFile {
  path: string;
  file: File;
}

export interface Picked {
  files: PickedFile[];
  /** Folders and files left out (as `garden push` does), by path. */
  skipped: string[];
}

/**
 * The part of a path left out (`a/.git/x` → `a/.git`, `.gitattributes`), or null: what the server
 * refuses in any folder, by its own rules (version-control metadata, files git, direnv or
 * pre-commit act on), and a download cache folder, as `garden push` leaves out.
 */
function leftOut(path: string): string | null {
  const refused = refusedPrefix(path);
  if (refused) return refused;
  const parts = path.split('/');
  const cache = parts.slice(0, -1).findIndex((s) => s === '.cache');
  return cache < 0 ? null : parts.slice(0, cache + 1).join('/');
}

function collect(entries: PickedFile[]): Picked {
  const skipped = new Set<string>();
  const files = entries.filter((f) => {
    const out = leftOut(f.path);
    if (out) skipped.add(out);
    return !out;
  });
  return { files, skipped: [...skipped] };
}

/**
 * Files from an `<input type=file>`. A folder input reports `top/onnx/model.onnx`: the chosen
 * folder's own name is dropped, so its contents keep their paths inside it (`onnx/model.onnx`).
 */
export function pickFromInput(list: FileList | null): Picked {
  const entries = Array.from(list ?? [], (file) => {
    const rel = file.webkitRelativePath;
    return { path: rel ? rel.split('/').slice(1).join('/') : file.name, file };
  });
  return collect(entries);
}

function readAllEntries(dir: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = dir.createReader();
  const all: FileSystemEntry[] = [];
  // readEntries answers in batches (100 at a time in Chromium) until it answers with none.
  return new Promise((resolve, reject) => {
    const next = () =>
      reader.readEntries((batch) => {
        if (batch.length === 0) resolve(all);
        else {
          all.push(...batch);
          next();
        }
      }, reject);
    next();
  });
}

const fileOf = (entry: FileSystemFileEntry) => new Promise<File>((resolve, reject) => entry.file(resolve, reject));

async function walk(entry: FileSystemEntry, prefix: string, out: Picked): Promise<void> {
  const path = `${prefix}${entry.name}`;
  if (entry.isFile) {
    if (leftOut(path)) out.skipped.push(path);
    else out.files.push({ path, file: await fileOf(entry as FileSystemFileEntry) });
  } else if (entry.isDirectory) {
    if (leftOut(`${path}/x`) === path) {
      out.skipped.push(path);
      return;
    }
    for (const child of await readAllEntries(entry as FileSystemDirectoryEntry)) await walk(child, `${path}/`, out);
  }
}

/**
 * Files and folders dropped on the page. One folder dropped alone is taken like "Choose folder"
 * (its contents, without its name); with several items, every item keeps its name.
 * Must be called during the drop event: the browser empties the DataTransfer afterwards.
 */
export async function pickFromDrop(data: DataTransfer): Promise<Picked> {
  // Everything is read from the DataTransfer before the first await.
  const entries = Array.from(data.items)
    .filter((item) => item.kind === 'file')
    .map((item) => item.webkitGetAsEntry())
    .filter((e): e is FileSystemEntry => e !== null);
  const flat = Array.from(data.files, (file) => ({ path: file.name, file }));
  // Without the entry API only the flat list of files is available.
  if (entries.length === 0) return collect(flat);
  const out: Picked = { files: [], skipped: [] };
  const [only] = entries;
  if (entries.length === 1 && only?.isDirectory) {
    for (const child of await readAllEntries(only as FileSystemDirectoryEntry)) await walk(child, '', out);
  } else {
    for (const e of entries) await walk(e, '', out);
  }
  return out;
}
