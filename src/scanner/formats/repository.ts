/**
 * Repository-level checks: code shipped next to the weights (Python, shell scripts, native
 * executables) and the JSON files that make loaders run it (`auto_map`, `trust_remote_code`,
 * `custom_pipelines` in config.json / tokenizer_config.json …). Any code needs a reviewer (at
 * least medium); code that starts processes, evaluates strings, opens sockets or loads native
 * libraries is high; native executables are critical. JSON that does not parse is high (fail closed).
 */
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ScanTarget } from '../context.js';
import { finding, type Finding } from '../types.js';
import { chatTemplateFindings } from './gguf.js';

const q = (s: string) => JSON.stringify(s.length > 160 ? `${s.slice(0, 160)}…` : s);

/** Hugging Face names for code that `trust_remote_code=True` imports (auto_map targets). */
const REMOTE_CODE_NAME = /^(modeling|configuration|tokenization|processing|image_processing|feature_extraction|video_processing|pipeline|custom)_.*\.py$/;

/** Constructs that make Python source dangerous enough to block (checked with comments removed). */
const DANGEROUS_PY: readonly [RegExp, string][] = [
  [/\bos\.(system|popen|exec[lv]p?e?|spawn[lv]p?e?|posix_spawnp?|fork|forkpty|kill|setuid)\s*\(/, 'starts processes (os.system and friends)'],
  [/\bsubprocess\b|\bpty\.spawn\b|\bcommands\.getoutput\b|\bplatform\.popen\b/, 'starts processes (subprocess)'],
  [/(?<![\w.])(eval|exec)\s*\(/, 'evaluates strings as code (eval/exec)'],
  [/(?<![\w.])(compile|__import__)\s*\(|\bimportlib\.(import_module|util\.spec_from)|\brunpy\b/, 'loads or compiles code dynamically'],
  [/\b(marshal|pickle|cPickle|dill|cloudpickle)\.loads?\s*\(|\bjoblib\.load\s*\(/, 'deserialises pickles or bytecode'],
  [/\bsocket\b\s*\.|\bimport\s+socket\b|\bfrom\s+socket\b/, 'opens network sockets'],
  [/\brequests\.(get|post|put|patch|delete|head|request|Session)\b|\burllib\.request\b|\burlopen\s*\(|\bhttp\.client\b|\b(httpx|aiohttp|paramiko|ftplib|smtplib|telnetlib)\b/, 'talks to the network'],
  [/\bctypes\b|\bcffi\b|\bload_library\b|\bcdll\b/i, 'loads native libraries'],
  [/\b(base64\.b(64|32|16|85)decode|codecs\.decode|zlib\.decompress|bytes\.fromhex)\b/, 'decodes embedded data (a common way to hide a payload)'],
  [/\bshutil\.rmtree\b|\bos\.(remove|unlink|rmdir|chmod|chown)\s*\(/, 'deletes files or changes permissions'],
  [/\btorch\.hub\.load\b/, 'downloads and runs more code (torch.hub.load)'],
  [/\bsnapshot_download\b|\bhf_hub_download\b/, 'downloads files at run time'],
];
/** Of those, the ones that alone make a file block (the rest keep the finding at medium). */
const BLOCKING = new Set([0, 1, 2, 3, 4, 5, 6, 7, 10]);

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
  DANGEROUS_PY.forEach(([re, why], i) => {
    const m = re.exec(code);
    if (m) hits.push({ why, line: lineOf(code, m.index), index: m.index, blocking: BLOCKING.has(i) });
  });
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

function configFindings(json: unknown, file: string): Finding[] {
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
        const targets = [...new Set(autoMapTargets(x))];
        const modules = [...new Set(targets.map((s) => s.replace(/\.[^.]*$/, '')))];
        const foreign = targets.filter((s) => s.includes('--')).map((s) => s.split('--')[0]!);
        out.push(
          finding(
            'HF_REMOTE_CODE',
            'high',
            `${file} has ${where}: loading this model with trust_remote_code=True runs the Python files named in it (${modules.slice(0, 8).map(q).join(', ') || 'none listed'})${
              foreign.length ? `, including code from other repositories (${[...new Set(foreign)].map(q).join(', ')}) that is not in this folder and was not scanned` : ''
            }`,
            null,
          ),
        );
      } else if (k === 'trust_remote_code' && x === true) {
        out.push(finding('HF_TRUST_REMOTE_CODE', 'high', `${file} sets ${where} to true: tools that honour it run the model's Python code without asking`, null));
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
  return docs.flatMap((d) => configFindings(d, file));
}
