/**
 * Repository-level checks: code shipped next to the weights (Python, shell scripts, native
 * executables) and the JSON files that make loaders run it (`auto_map`, `trust_remote_code`,
 * `custom_pipelines` in config.json / tokenizer_config.json …). Custom code needs a reviewer (at
 * least medium, and the config's finding lists the files); code that starts processes, evaluates
 * strings, loads code, opens sockets, loads native libraries, writes outside the folder or
 * downloads is high, and so is custom code named from another repository (never scanned); native
 * executables are critical. JSON that does not parse is high (fail closed).
 */
import { existsSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ScanTarget } from '../context.js';
import { finding, type Finding } from '../types.js';
import { chatTemplateFindings } from './gguf.js';

const q = (s: string) => JSON.stringify(s.length > 160 ? `${s.slice(0, 160)}…` : s);

/** Hugging Face names for code that `trust_remote_code=True` imports (auto_map targets). */
const REMOTE_CODE_NAME = /^(modeling|configuration|tokenization|processing|image_processing|feature_extraction|video_processing|pipeline|custom)_.*\.py$/;

/**
 * Constructs that make Python source notable (checked with comments and string contents removed).
 * `blocking` ones block the file: custom code may be approved by a reviewer, but not code that
 * starts processes, evaluates strings, loads code, opens sockets, talks to the network, loads
 * native libraries or downloads; the rest keep the finding at medium (review).
 */
const DANGEROUS_PY: readonly { re: RegExp; why: string; blocking: boolean }[] = [
  { re: /\bos\.(system|popen|exec[lv]p?e?|spawn[lv]p?e?|posix_spawnp?|fork|forkpty|kill|setuid)\s*\(/, why: 'starts processes (os.system and friends)', blocking: true },
  { re: /\bsubprocess\b|\bpty\.spawn\b|\bcommands\.getoutput\b|\bplatform\.popen\b/, why: 'starts processes (subprocess)', blocking: true },
  { re: /(?<![\w.])(eval|exec)\s*\(/, why: 'evaluates strings as code (eval/exec)', blocking: true },
  { re: /(?<![\w.])(compile|__import__)\s*\(|\bimportlib\.(import_module|util\.spec_from)|\brunpy\b/, why: 'loads or compiles code dynamically', blocking: true },
  { re: /\b(marshal|pickle|cPickle|dill|cloudpickle)\.loads?\s*\(|\bjoblib\.load\s*\(/, why: 'deserialises pickles or bytecode', blocking: true },
  { re: /\bsocket\b\s*\.|\bimport\s+socket\b|\bfrom\s+socket\b/, why: 'opens network sockets', blocking: true },
  {
    re: /\brequests\.(get|post|put|patch|delete|head|request|Session)\b|\burllib\.request\b|\burlopen\s*\(|\bhttp\.client\b|\b(httpx|aiohttp|paramiko|ftplib|smtplib|telnetlib)\b/,
    why: 'talks to the network',
    blocking: true,
  },
  { re: /\bctypes\b|\bcffi\b|\bload_library\b|\bcdll\b/i, why: 'loads native libraries', blocking: true },
  { re: /\b(base64\.b(64|32|16|85)decode|codecs\.decode|zlib\.decompress|bytes\.fromhex)\b/, why: 'decodes embedded data (a common way to hide a payload)', blocking: false },
  { re: /\bshutil\.rmtree\b|\bos\.(remove|unlink|rmdir|chmod|chown)\s*\(/, why: 'deletes files or changes permissions', blocking: false },
  { re: /\btorch\.hub\.(load|download_url_to_file|load_state_dict_from_url)\b/, why: 'downloads and runs more code (torch.hub)', blocking: true },
  { re: /\bsnapshot_download\b|\bhf_hub_download\b|\bcached_download\b|\burlretrieve\b|\bwget\.download\b/, why: 'downloads files at run time', blocking: true },
];

/** A path literal that leaves the model's folder: absolute, in the home folder, or climbing with `..`. */
const OUTSIDE_PATH = String.raw`(?:\/|~|\.\.[\/\\]|[A-Za-z]:[\/\\]|\\\\)`;
const STR_OPEN = String.raw`[rRbBuUfF]{0,2}(['"])`;
/** Writes whose target is a literal path outside the folder (the literal is read from the raw source). */
const OUTSIDE_WRITES: readonly RegExp[] = [
  // open('/etc/x', 'w'), io.open('~/.bashrc', mode='a')
  new RegExp(String.raw`\b(?:io\.|codecs\.)?open\s*\(\s*${STR_OPEN}${OUTSIDE_PATH}[^'"\n]*\1\s*,\s*(?:mode\s*=\s*)?[rRbBuU]{0,2}['"][rbt]*[wax+]`),
  // Path('/etc/x').write_text(...), Path('~/.ssh').mkdir()
  new RegExp(String.raw`\b(?:pathlib\.)?(?:Pure)?(?:Posix)?Path\s*\(\s*${STR_OPEN}${OUTSIDE_PATH}[^'"\n]*\1\s*\)\s*\.\s*(?:write_text|write_bytes|touch|mkdir|symlink_to|hardlink_to|rename|replace|open\s*\(\s*['"][wax])`),
  // shutil.copy(src, '/usr/lib/x'), os.rename(a, '../x'), os.makedirs('/opt/x'), torch.save(obj, '/tmp/x')
  new RegExp(
    String.raw`\b(?:shutil\.(?:copy|copy2|copyfile|copytree|move)|os\.(?:rename|replace|makedirs|mkdir|symlink|link)|torch\.save|(?:np|numpy)\.(?:save|savez|savetxt))\s*\(\s*(?:[^,()\n]*,\s*)?${STR_OPEN}${OUTSIDE_PATH}`,
  ),
];
/** Places outside the folder a path can be built from; with a write anywhere in the file, that is a write outside. */
const OUTSIDE_ROOTS = /\bos\.path\.expanduser\s*\(|\bPath\.home\s*\(|\bos\.environ\s*(\[|\.get\s*\()\s*['"](HOME|USERPROFILE|APPDATA)['"]|\bos\.getenv\s*\(\s*['"](HOME|USERPROFILE|APPDATA)['"]|\bsite\.(getsitepackages|getusersitepackages)\b|\bsys\.(prefix|exec_prefix|base_prefix)\b|\btempfile\.gettempdir\s*\(/;
const ANY_WRITE = /\bopen\s*\([^)\n]*['"][rbt]*[wax+][bt]*['"]|\.write_(text|bytes)\s*\(|\bshutil\.(copy|copy2|copyfile|copytree|move)\s*\(|\bos\.(rename|replace|makedirs|symlink|link)\s*\(|\btorch\.save\s*\(/;

/**
 * Where the code writes outside the model folder, or -1. `src` is the raw source (path literals are
 * read from it), `code` the same text with comments and strings blanked (a match must start in code).
 */
function outsideWrite(src: string, code: string): number {
  for (const re of OUTSIDE_WRITES) {
    const at = firstInCode(re, src, code);
    if (at >= 0) return at;
  }
  const root = firstInCode(OUTSIDE_ROOTS, src, code);
  return root >= 0 && firstInCode(ANY_WRITE, src, code) >= 0 ? root : -1;
}

/** Index of the first match of `re` in `src` that starts in code (not in a comment or string), or -1. */
function firstInCode(re: RegExp, src: string, code: string): number {
  const g = new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`);
  for (let m = g.exec(src); m; m = g.exec(src)) if (code[m.index] !== ' ') return m.index;
  return -1;
}

const SHELL_NOTABLE: readonly [RegExp, string][] = [
  [/\b(curl|wget)\b/, 'downloads (curl/wget)'],
  [/\|\s*(ba|z|da)?sh\b/, 'pipes into a shell'],
  [/\b(nc|ncat|netcat|socat)\b|\/dev\/tcp\//, 'opens network connections'],
  [/\bbase64\s+(-d|--decode)\b/, 'decodes base64'],
  [/\brm\s+-[a-z]*r[a-z]*f?\b|\bchmod\b|\bchown\b|\bsudo\b/, 'changes files, permissions or privileges'],
  [/\bpip3?\s+install\b|\bconda\s+install\b/, 'installs packages'],
];

/**
 * Blanks comments and the contents of string literals (docstrings with examples, messages) so
 * patterns match code only. f-strings are kept: their {…} parts are code. Lengths and newlines are
 * preserved, so indexes and line numbers stay right.
 */
function blankPython(src: string): string {
  const out = src.split('');
  let i = 0;
  const blank = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (out[k] !== '\n') out[k] = ' ';
  };
  while (i < src.length) {
    const c = src[i]!;
    if (c === '#') {
      const e = src.indexOf('\n', i);
      const stop = e < 0 ? src.length : e;
      blank(i, stop);
      i = stop;
    } else if (c === '"' || c === "'") {
      const prefix = /[A-Za-z]*$/.exec(src.slice(Math.max(0, i - 3), i))?.[0] ?? '';
      const triple = src.startsWith(c.repeat(3), i);
      const q = triple ? c.repeat(3) : c;
      let j = i + q.length;
      while (j < src.length && !src.startsWith(q, j) && (triple || src[j] !== '\n')) j += src[j] === '\\' ? 2 : 1;
      if (!/f/i.test(prefix)) blank(i + q.length, Math.min(j, src.length));
      i = j + q.length;
    } else i++;
  }
  return out.join('');
}

function lineOf(text: string, index: number): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < index; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

async function readText(t: ScanTarget): Promise<string | Finding> {
  if (t.size > t.limits.maxHeaderBytes) {
    return finding('SCAN_LIMIT', 'high', `the file is ${t.size} bytes, over the scan limit of ${t.limits.maxHeaderBytes}: it was not checked`, null);
  }
  return readFile(t.abs, 'utf8');
}

async function scanPython(t: ScanTarget): Promise<Finding[]> {
  const text = await readText(t);
  if (typeof text !== 'string') return [text];
  const base = path.posix.basename(t.path);
  const remote = REMOTE_CODE_NAME.test(base);
  const out: Finding[] = [
    finding(
      'PYTHON_CODE',
      'medium',
      remote
        ? `${base} is Hugging Face remote code: loading the model with trust_remote_code=True imports and runs it; a reviewer must read it`
        : 'Python source shipped with the model: it runs when the model is loaded with trust_remote_code=True or when anyone imports it; a reviewer must read it',
      null,
    ),
  ];
  const code = blankPython(text);
  const hits: { why: string; line: number; index: number; blocking: boolean }[] = [];
  for (const { re, why, blocking } of DANGEROUS_PY) {
    const m = re.exec(code);
    if (m) hits.push({ why, line: lineOf(code, m.index), index: m.index, blocking });
  }
  const outside = outsideWrite(text, code);
  if (outside >= 0) hits.push({ why: 'writes files outside the model folder', line: lineOf(code, outside), index: outside, blocking: true });
  const decodeAndRun = hits.some((h) => h.why.startsWith('decodes')) && hits.some((h) => h.why.startsWith('evaluates') || h.why.startsWith('loads or compiles'));
  if (hits.length) {
    const blocking = hits.some((h) => h.blocking) || decodeAndRun;
    const first = hits.reduce((a, b) => (b.index < a.index ? b : a));
    out.push(
      finding(
        blocking ? 'PYTHON_DANGEROUS_CODE' : 'PYTHON_NOTABLE_CODE',
        blocking ? 'high' : 'medium',
        `the code ${hits.map((h) => `${h.why} (line ${h.line})`).join('; ')}${decodeAndRun ? ' — and it decodes data and then runs code, the shape of a hidden payload' : ''}`,
        Buffer.byteLength(code.slice(0, first.index)),
      ),
    );
  }
  return out;
}

async function scanShell(t: ScanTarget): Promise<Finding[]> {
  const text = await readText(t);
  if (typeof text !== 'string') return [text];
  const notable = SHELL_NOTABLE.filter(([re]) => re.test(text)).map(([, why]) => why);
  return [
    finding(
      'SHELL_SCRIPT',
      'high',
      `a shell script shipped with the model: it runs with the rights of whoever executes it, and model loaders never need one${notable.length ? `; it ${notable.join(', ')}` : ''}`,
      0,
    ),
  ];
}

function executableKind(head: Buffer): string {
  if (head.subarray(0, 4).toString('latin1') === '\x7fELF') return 'an ELF (Linux) executable or shared library';
  if (head.subarray(0, 2).toString('latin1') === 'MZ') return 'a Windows (PE/DOS) executable or DLL';
  const m = head.length >= 4 ? head.readUInt32BE(0) : 0;
  if (m === 0xcafebabe) return 'a Mach-O universal binary or Java class file';
  if ([0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe].includes(m)) return 'a Mach-O (macOS) executable or library';
  return 'a native executable';
}

/**
 * Scans code files in a model folder. Handles FileFormats 'python', 'shell' and 'executable'
 * (other formats: no findings).
 */
export async function scanRepositoryFile(t: ScanTarget): Promise<Finding[]> {
  switch (t.format) {
    case 'python':
      return scanPython(t);
    case 'shell':
      return scanShell(t);
    case 'executable':
      return [finding('NATIVE_EXECUTABLE', 'critical', `${executableKind(t.head)} shipped with a model: native code that runs with full rights if anything loads or executes it`, 0)];
    default:
      return [];
  }
}

// ---------------------------------------------------------------------------------------------

/** Module names an auto_map value points at: "modeling_x.MyModel" or "org/repo--modeling_x.MyModel". */
function autoMapTargets(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(autoMapTargets);
  if (v && typeof v === 'object') return Object.values(v).flatMap(autoMapTargets);
  return [];
}

/** Where a config file sits, to find the code files it names: null for a lone file (nothing to look in). */
interface ConfigFolder {
  /** Absolute folder of the config file. */
  dir: string;
  /** Absolute scanned folder: files must be inside it. */
  root: string;
}

/**
 * auto_map / custom_pipelines: custom code that loaders import with trust_remote_code=True. Code in
 * this folder is scanned file by file (a dangerous file blocks on its own), so naming it only asks
 * for review (medium, listing the files). Code named from another repository ("org/repo--module.X")
 * is downloaded when the model loads and was never scanned: that blocks.
 */
function remoteCodeFindings(targets: string[], file: string, where: string, folder: ConfigFolder | null): Finding[] {
  const unique = [...new Set(targets)];
  const local = unique.filter((s) => !s.includes('--'));
  const foreign = [...new Set(unique.filter((s) => s.includes('--')).map((s) => s.split('--')[0]!))];
  const files = [...new Set(local.map((s) => `${s.replace(/\.py$/, '').replace(/\.[^.]*$/, '').split('.').join('/')}.py`))];
  const present: string[] = [];
  const missing: string[] = [];
  for (const f of files) {
    if (!folder) continue;
    const abs = path.resolve(folder.dir, f);
    const inside = abs.startsWith(folder.root + path.sep);
    (inside && existsSync(abs) ? present : missing).push(path.relative(folder.root, abs).split(path.sep).join('/'));
  }
  const list = (xs: string[]) => xs.slice(0, 12).map(q).join(', ') + (xs.length > 12 ? `, and ${xs.length - 12} more` : '');
  const out: Finding[] = [];
  if (files.length > 0 || foreign.length === 0) {
    const which = !folder
      ? `the Python files ${list(files) || '(none listed)'}`
      : `the custom code files ${list(present) || '(none of them is in the folder)'}${missing.length ? `; named but not in the folder: ${list(missing)}` : ''}`;
    out.push(
      finding(
        'HF_REMOTE_CODE',
        'medium',
        `${file} has ${where}: loading this model with trust_remote_code=True imports and runs ${which}; a reviewer must read that code before approving (each file is also scanned, and one that starts processes, evaluates strings, opens sockets, writes outside the folder or downloads is blocked)`,
        null,
      ),
    );
  }
  if (foreign.length > 0) {
    out.push(
      finding(
        'HF_REMOTE_CODE_EXTERNAL',
        'high',
        `${file} has ${where} naming code from other repositories (${list(foreign)}): loaders download that code when the model is loaded; it is not in this folder, so it was never scanned or reviewed`,
        null,
      ),
    );
  }
  return out;
}

function configFindings(json: unknown, file: string, folder: ConfigFolder | null): Finding[] {
  const out: Finding[] = [];
  const visit = (v: unknown, depth: number, trail: string) => {
    if (depth > 64 || !v || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      v.forEach((x) => visit(x, depth + 1, trail));
      return;
    }
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const where = trail ? `${trail}.${k}` : k;
      if (k === 'auto_map' || k === 'custom_pipelines') {
        out.push(...remoteCodeFindings(autoMapTargets(x), file, where, folder));
      } else if (k === 'trust_remote_code' && x === true) {
        out.push(
          finding(
            'HF_TRUST_REMOTE_CODE',
            'medium',
            `${file} sets ${where} to true: tools that honour it run the model's Python code without asking, so that code must have been reviewed (it is scanned as part of this folder)`,
            null,
          ),
        );
      } else if (k === 'chat_template') {
        const templates = typeof x === 'string' ? [{ name: where, t: x }] : Array.isArray(x) ? x.flatMap((e: unknown) => templateOf(e, where)) : [];
        for (const tpl of templates) out.push(...chatTemplateFindings(tpl.t, `${file} ${tpl.name}`, null));
        continue;
      }
      visit(x, depth + 1, where);
    }
  };
  visit(json, 0, '');
  return out;
}

function templateOf(e: unknown, where: string): { name: string; t: string }[] {
  if (!e || typeof e !== 'object') return [];
  const o = e as { name?: unknown; template?: unknown };
  return typeof o.template === 'string' ? [{ name: `${where} ${q(typeof o.name === 'string' ? o.name : '')}`, t: o.template }] : [];
}

/**
 * Scans a JSON file: it must be valid UTF-8 JSON within limits.maxHeaderBytes (a file that does
 * not parse cannot be shown to be harmless), and config files must not make loaders run code.
 * Handles FileFormat 'json' (JSON Lines files, by their .jsonl name, are parsed line by line).
 */
export async function scanConfigJson(t: ScanTarget): Promise<Finding[]> {
  if (t.size > t.limits.maxHeaderBytes) {
    return [finding('SCAN_LIMIT', 'high', `the JSON file is ${t.size} bytes, over the scan limit of ${t.limits.maxHeaderBytes}: it was not checked`, null)];
  }
  const fh = await open(t.abs, 'r');
  let bytes: Buffer;
  try {
    bytes = await fh.readFile();
  } finally {
    await fh.close();
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return [finding('JSON_INVALID', 'high', 'the JSON file is not valid UTF-8: parsers disagree on what it says, so it cannot be checked', null)];
  }
  const file = path.posix.basename(t.path);
  const docs: unknown[] = [];
  const lines = file.endsWith('.jsonl') ? text.split('\n') : [text];
  let offset = 0;
  for (const line of lines) {
    if (line.trim() !== '' || lines.length === 1) {
      try {
        docs.push(JSON.parse(line));
      } catch (err) {
        const pos = /position (\d+)/.exec((err as Error).message);
        const at = offset + (pos ? Buffer.byteLength(line.slice(0, Number(pos[1]))) : 0);
        return [finding('JSON_INVALID', 'high', `the file does not parse as JSON (${(err as Error).message}): it cannot be checked`, at)];
      }
    }
    offset += Buffer.byteLength(line) + 1;
  }
  const folder = t.root === null ? null : { dir: path.dirname(t.abs), root: path.resolve(t.root) };
  return docs.flatMap((d) => configFindings(d, file, folder));
}
