/**
 * Turns a free-text catalog query ("Japanese NER that fits on one A10") into
 * hard constraints (GPU memory, CPU-only, context length, language, maturity,
 * licence) plus soft search terms and task hints. Pure and synchronous.
 */
import {
  GPU_DISPLAY_NAMES, GPU_MEMORY_GB, LANGUAGES, LANGUAGE_NAMES, LICENSE_ALIASES, LICENSE_GROUPS,
  LICENSE_STANDALONE_ALIASES, STOP_WORDS, TASK_EXPANSIONS, TASK_SYNONYMS,
} from './vocabulary.js';

export type ConstraintKind = 'maxGpuMemoryGb' | 'cpuOnly' | 'minContextLength' | 'language' | 'maturity' | 'license';
export interface QueryConstraint {
  id: string;
  kind: ConstraintKind;
  value: number | boolean | string | string[];
  label: string;
  source: string;
}
export interface ParsedQuery {
  text: string;
  residual: string;
  terms: string[];
  termGroups: string[][];
  tasks: string[];
  constraints: QueryConstraint[];
}

type Draft = Omit<QueryConstraint, 'source'>;
type Groups = Record<string, string | undefined>;
interface Rule { re: RegExp; build: (g: Groups, match: string) => Draft | null }

// ---------------------------------------------------------------- helpers
const norm = (s: string): string => s.toLowerCase().replace(/[\s\-_]+/g, '');
const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const NUMBER_FORMAT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
const fmt = (n: number): string => NUMBER_FORMAT.format(n);
const toNum = (s: string | undefined): number => (s === undefined ? NaN : Number(s.replace(/,/g, '')));

const SEP = String.raw`[\s\-]*`;
/** Alternation of vocabulary keys, longest first; spaces/hyphens in keys match any spacing. */
const alt = (keys: readonly string[]): string =>
  [...keys].sort((a, b) => b.length - a.length).map((k) => escapeRe(k).replace(/[ -]+/g, SEP)).join('|');
const byNorm = <T>(rec: Readonly<Record<string, T>>): Map<string, string> =>
  new Map(Object.keys(rec).map((k) => [norm(k), k]));
const rx = (src: string): RegExp => new RegExp(src, 'giu');

const B = String.raw`(?<![\p{L}\p{N}_])`; // word start
const E = String.raw`(?![\p{L}\p{N}_])`; // word end
/** A free-standing number: never part of a word or model id such as "llama-3.1-8b" or "bge-m3". */
const NUM = String.raw`(?<![\p{L}\p{N}_\/\-])(?<!\d[.,])(?<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)`;
const CMP = String.raw`(?:at\s+least|min(?:imum)?(?:\s+of)?|no\s+(?:less|more|longer)\s+than|not\s+(?:less|more)\s+than|(?:more|greater|less|fewer|shorter|longer)\s+than|over|above|under|below|up\s+to|at\s+most|max(?:imum)?(?:\s+of)?|within|around|about|roughly|approx(?:imately)?|of|>=?|<=?|≥|≤|~)`;

// ---------------------------------------------------------------- context length
/** A word is ~1.33 tokens for English BPE tokenizers; integer maths avoids 13300.000000000002. */
const wordsToTokens = (words: number): number => Math.ceil((words * 133) / 100 - 1e-9);
const WORDS_PER_PAGE = 500;
const LONG_CONTEXT_TOKENS = 32768;

function contextDraft(tokens: number, note?: string): Draft | null {
  if (!Number.isFinite(tokens) || tokens <= 0) return null;
  return {
    id: `minContextLength:${tokens}`, kind: 'minContextLength', value: tokens,
    label: `context ≥ ${fmt(tokens)} tokens${note ? ` (${note})` : ''}`,
  };
}
/** "32k" → 32 × 1024 (context windows are powers of two), "1M" → 1024²; plain numbers are taken literally. */
function contextTokens(g: Groups): Draft | null {
  const n = toNum(g.num);
  const mult = g.mult?.toLowerCase();
  if (mult === 'k') return contextDraft(Math.round(n * 1024));
  if (mult === 'm') return contextDraft(Math.round(n * 1024 * 1024));
  if (g.tok === undefined && n < 512) return null; // "gemma 2 context" is not a context size
  return contextDraft(Math.round(n));
}
const CTX_TAIL = String.raw`(?:${SEP}(?:window|length|size))?`;
const CONTEXT_RULES: Rule[] = [
  { // document length: "under 10,000 words", "10k-word documents", "200 pages"
    re: rx(String.raw`${B}(?:${CMP}\s*)?${NUM}(?:\s*(?<k>k))?${SEP}(?<unit>words?|pages?)${E}`),
    build: (g) => {
      const n = toNum(g.num) * (g.k ? 1000 : 1);
      const pages = g.unit?.toLowerCase().startsWith('page') ?? false;
      return contextDraft(wordsToTokens(pages ? n * WORDS_PER_PAGE : n), `≈${fmt(n)} ${pages ? 'pages' : 'words'}`);
    },
  },
  { // "at least 32k context", "32k-token context window"
    re: rx(String.raw`${B}(?:${CMP}\s*)?${NUM}(?:\s*(?<mult>k|m))?(?:${SEP}(?<tok>tokens?))?${SEP}(?:of\s+)?context${CTX_TAIL}${E}`),
    build: contextTokens,
  },
  { // "context of 32,000 tokens", "context window >= 8k"
    re: rx(String.raw`${B}context${CTX_TAIL}\s*(?:(?:is|=|:|${CMP})\s*)*${NUM}(?:\s*(?<mult>k|m))?(?:${SEP}(?<tok>tokens?))?${E}`),
    build: contextTokens,
  },
  { // "≥ 16k tokens", "8k tokens"
    re: rx(String.raw`${B}(?:${CMP}\s*)?${NUM}(?:\s*(?<mult>k|m))?${SEP}(?<tok>tokens?)${E}`),
    build: contextTokens,
  },
  {
    re: rx(String.raw`${B}(?:long|large|big|huge|extended)${SEP}context${CTX_TAIL}${E}`),
    build: () => contextDraft(LONG_CONTEXT_TOKENS, 'long context'),
  },
];

// ---------------------------------------------------------------- GPU memory / CPU
function gpuDraft(gb: number, detail?: string): Draft | null {
  if (!Number.isFinite(gb) || gb <= 0) return null;
  return {
    id: `maxGpuMemoryGb:${gb}`, kind: 'maxGpuMemoryGb', value: gb,
    label: `fits in ${fmt(gb)} GB GPU memory${detail ? ` (${detail})` : ''}`,
  };
}
const GPU_NAMES = Object.keys(GPU_MEMORY_GB).filter((k) => !/\d+gb$/.test(k));
const GPU_BY_NORM = byNorm(GPU_MEMORY_GB);
const COUNT_WORDS: Readonly<Record<string, number>> = { two: 2, dual: 2, three: 3, four: 4, eight: 8 };
const GPU_PREP = String.raw`(?:(?:fits?|fitting|runs?|running|works?|deployed|deployable)(?:\s+(?:on|in|into|onto|within|with))?|on|in|into|onto|for|with|using|across|within)`;
const GB_PREFIX = String.raw`(?:(?:fits?|fitting|runs?|running|works?)(?:\s+(?:in|on|into|onto|within|under|with))?|under|below|(?:less|smaller|lower)\s+than|up\s+to|at\s+most|no\s+more\s+than|not\s+more\s+than|max(?:imum)?(?:\s+of)?|within|in|on|into|onto|for|with|<=?|≤)`;
const ARTICLE = String.raw`(?:a\s+single|an?|one|single)`;

const GPU_RULES: Rule[] = [
  { // named GPUs: "fits on one A10", "on 2 A100s", "2x A100", "on an A100 80GB"
    re: rx(String.raw`${B}(?:(?<prep>${GPU_PREP})\s+)?(?:(?<art>${ARTICLE})\s+|(?<count>(?<![\p{L}\p{N}_.\-])\d+|two|dual|three|four|eight)(?:\s*[x×]\s*|\s+))?(?:(?:nvidia|amd|geforce|tesla|instinct)${SEP})*(?<![\p{L}\p{N}_\/\-])(?<name>${alt(GPU_NAMES)})(?:${SEP}(?<vnum>\d+)\s*(?:gib|gb|g))?s?${E}(?:\s+(?:gpus?|cards?)${E})?`),
    build: (g) => {
      const art = g.art?.toLowerCase().replace(/\s+/g, ' ');
      if (!g.prep && !g.count && art !== 'one' && art !== 'single' && art !== 'a single') return null;
      const key = GPU_BY_NORM.get(norm(g.name ?? ''));
      const base = g.vnum ? Number(g.vnum) : key !== undefined ? GPU_MEMORY_GB[key] : undefined;
      const c = g.count?.toLowerCase();
      const count = c === undefined ? 1 : (COUNT_WORDS[c] ?? Number(c));
      if (key === undefined || base === undefined || !(count >= 1 && count <= 64)) return null;
      const display = `${GPU_DISPLAY_NAMES[key] ?? key.toUpperCase()}${g.vnum ? ` ${g.vnum}GB` : ''}`;
      return gpuDraft(base * count, `${count}× ${display}`);
    },
  },
  { // "under 16 GB", "16GB or less", "on a 24GB GPU", "fits in 24GB" (but not "16GB RAM")
    re: rx(String.raw`${B}(?:(?<pre>${GB_PREFIX})\s*(?:${ARTICLE}\s+)?)?${NUM}\s*(?:gib|gb|g)${E}(?!\s*(?:of\s+)?(?:system\s+|cpu\s+|host\s+)?ram${E})(?:\s+(?<mem>(?:of\s+)?(?:vram|gpu${SEP}(?:memory|ram)|graphics${SEP}cards?|gpus?|cards?|memory))${E})?(?:\s+(?<less>or\s+(?:less|lower|under|below|smaller|fewer)|max(?:imum)?|at\s+most|limit)${E})?`),
    build: (g) => (g.pre || g.mem || g.less ? gpuDraft(toNum(g.num)) : null),
  },
  {
    re: rx(String.raw`${B}(?:cpu${SEP}only|cpu${SEP}(?:based|friendly|compatible|inference)|(?:runs?|running|run|works?|working|inference)\s+on\s+(?:(?:an?|the|plain|commodity)\s+)?cpus?|on\s+(?:(?:an?|the)\s+)?cpus?|(?:without|no|w\/o|not\s+needing)\s+(?:(?:an?|the|any)\s+)?gpus?|gpu${SEP}free|cpus?)${E}`),
    build: () => ({ id: 'cpuOnly:true', kind: 'cpuOnly', value: true, label: 'runs on CPU' }),
  },
];

// ---------------------------------------------------------------- licence / maturity / language
const LICENSE_BY_NORM = byNorm(LICENSE_ALIASES);
const LIC_WORD = String.raw`licen[cs](?:e[ds]?|ing)`;
const LIC_VERSION = String.raw`(?:\s*(?:v(?:ersion)?\s*\d+(?:\.\d+)?|\d+\.\d+)${E})?`; // "Apache License 2.0"
const LIC_ALT = alt(Object.keys(LICENSE_ALIASES));
function licenseDraft(alias: string | undefined, needsKeyword: boolean): Draft | null {
  const key = LICENSE_BY_NORM.get(norm(alias ?? ''));
  const ids = key === undefined ? undefined : LICENSE_ALIASES[key];
  if (key === undefined || ids === undefined || ids.length === 0) return null;
  if (needsKeyword && !LICENSE_STANDALONE_ALIASES.has(key)) return null;
  const [first] = ids;
  if (ids.length === 1 && first !== undefined) {
    return { id: `license:${first}`, kind: 'license', value: first, label: `licence: ${first}` };
  }
  const group = Object.entries(LICENSE_GROUPS).find(([, v]) => v === ids)?.[0] ?? ids.join('|');
  return { id: `license:${group}`, kind: 'license', value: [...ids], label: `licence: ${group} (${ids.join(', ')})` };
}
const LANG_BY_NORM = byNorm(LANGUAGES);

const OTHER_RULES: Rule[] = [
  { // "licensed under Apache 2.0", "license: MIT"
    re: rx(String.raw`${B}${LIC_WORD}(?:\s+(?:under|as|is)\s+|\s*[:=]\s*|\s+)(?:(?:the|an?)\s+)?(?<alias>${LIC_ALT})(?:${SEP}${LIC_WORD}${LIC_VERSION})?${E}`),
    build: (g) => licenseDraft(g.alias, false),
  },
  { // "Apache licensed", "MIT license", "permissive licence", "apache-2.0", "Apache License 2.0"
    re: rx(String.raw`${B}(?:(?:under|with)\s+(?:(?:the|an?)\s+)?)?(?<alias>${LIC_ALT})(?:${SEP}(?<kw>${LIC_WORD})${LIC_VERSION})?${E}`),
    build: (g) => licenseDraft(g.alias, g.kw === undefined),
  },
  {
    re: rx(String.raw`${B}(?:production${SEP}(?:ready|grade|quality)|prod${SEP}ready|(?:(?:used|running|deployed|already)\s+)?in\s+production|experimental)${E}`),
    build: (_g, match) => {
      const value = /experimental/i.test(match) ? 'experimental' : 'production';
      return { id: `maturity:${value}`, kind: 'maturity', value, label: `maturity: ${value}` };
    },
  },
  { // "in Japanese", "German", "multilingual" — not inside model ids such as "bert-base-japanese"
    re: rx(String.raw`(?<![\p{L}\p{N}_\/\-.])(?:(?:in|for|supports?|supporting)\s+)?(?<lang>${alt(Object.keys(LANGUAGES))})(?:-language|-only|-speaking)?(?![\p{L}\p{N}_\/\-])`),
    build: (g) => {
      const key = LANG_BY_NORM.get(norm(g.lang ?? ''));
      const code = key === undefined ? undefined : LANGUAGES[key];
      if (code === undefined) return null;
      return { id: `language:${code}`, kind: 'language', value: code, label: `language: ${LANGUAGE_NAMES[code] ?? code}` };
    },
  },
];

// Order matters: earlier rules claim text first ("under 10,000 words" is context, not GPU).
const RULES: readonly Rule[] = [...CONTEXT_RULES, ...GPU_RULES, ...OTHER_RULES];

interface Found { start: number; end: number; constraint: QueryConstraint }

function extract(text: string): Found[] {
  const found: Found[] = [];
  for (const { re, build } of RULES) {
    re.lastIndex = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      const next = m.index + ((text.codePointAt(m.index) ?? 0) > 0xffff ? 2 : 1);
      const raw = m[0];
      const start = m.index + (raw.length - raw.trimStart().length);
      const end = m.index + raw.trimEnd().length;
      const overlaps = found.some((f) => start < f.end && f.start < end);
      const draft = end > start && !overlaps ? build(m.groups ?? {}, raw) : null;
      if (draft === null) {
        re.lastIndex = next;
        continue;
      }
      found.push({ start, end, constraint: { ...draft, source: text.slice(start, end) } });
      re.lastIndex = Math.max(end, next);
    }
  }
  return found.sort((a, b) => a.start - b.start);
}

// ---------------------------------------------------------------- terms and task phrases
const normPhrase = (s: string): string => s.toLowerCase().replace(/[-_]+/g, ' ').replace(/\s+/g, ' ').trim();
const PHRASES = new Map<string, string[]>();
for (const [tag, synonyms] of Object.entries(TASK_SYNONYMS)) {
  for (const s of [tag, ...synonyms]) {
    const key = normPhrase(s);
    const tags = PHRASES.get(key) ?? [];
    if (!tags.includes(tag)) tags.push(tag);
    PHRASES.set(key, tags);
  }
}
const MAX_PHRASE_WORDS = Math.max(...[...PHRASES.keys()].map((k) => k.split(' ').length));
const TOKEN_RE = /(?<![\p{L}\p{N}])(?:c\+\+|c#|f#)(?![\p{L}\p{N}])|[\p{L}\p{N}]+(?:['._/-][\p{L}\p{N}]+)*/gu;

/** Light English singular for plain words ("documents" → "document"); undefined if unchanged. */
function singular(w: string): string | undefined {
  if (!/^[a-z]{4,}$/.test(w) || /(ss|us|is|as)$/.test(w)) return undefined;
  if (w.endsWith('ies')) return `${w.slice(0, -3)}y`;
  if (/(ss|x|ch|sh)es$/.test(w)) return w.slice(0, -2);
  return w.endsWith('s') ? w.slice(0, -1) : undefined;
}
function phraseTags(words: string[]): string[] | undefined {
  const key = normPhrase(words.join(' '));
  const direct = PHRASES.get(key);
  if (direct || words.length !== 1) return direct;
  const s = singular(key);
  return s === undefined ? undefined : PHRASES.get(s);
}
const uniq = (xs: readonly string[]): string[] => [...new Set(xs)];

export function parseQuery(q: string, options?: { ignore?: readonly string[] }): ParsedQuery {
  const text = (typeof q === 'string' ? q : '').trim();
  const ignore = new Set(options?.ignore ?? []);
  const found = extract(text);
  const constraints: QueryConstraint[] = [];
  for (const { constraint } of found) {
    if (!ignore.has(constraint.id) && !constraints.some((c) => c.id === constraint.id)) constraints.push(constraint);
  }

  const terms: string[] = [];
  const termGroups: string[][] = [];
  const tasks: string[] = [];
  const residual: string[] = [];
  const addTerm = (t: string): void => {
    if (!STOP_WORDS.has(t) && !terms.includes(t)) terms.push(t);
  };
  const addGroup = (g: string[]): void => {
    if (!termGroups.some((x) => x[0] === g[0])) termGroups.push(g);
  };

  const segments: string[] = [];
  let pos = 0;
  for (const f of found) {
    segments.push(text.slice(pos, f.start));
    pos = f.end;
  }
  segments.push(text.slice(pos));
  for (const segment of segments) {
    const toks = [...segment.replace(/’/g, "'").matchAll(TOKEN_RE)].map((m) => ({ raw: m[0], lower: m[0].toLowerCase() }));
    for (let i = 0; i < toks.length; ) {
      let tags: string[] | undefined;
      let len = Math.min(MAX_PHRASE_WORDS, toks.length - i);
      while (len > 1 && !(tags = phraseTags(toks.slice(i, i + len).map((t) => t.lower)))) len--;
      if (len === 1) tags = phraseTags(toks.slice(i, i + 1).map((t) => t.lower));
      const span = toks.slice(i, i + len);
      i += len;
      if (tags) {
        addGroup(uniq([span.map((t) => t.lower).join(' '), ...tags, ...tags.flatMap((t) => TASK_EXPANSIONS[t] ?? [])]));
        tasks.push(...tags);
        span.forEach((t) => addTerm(t.lower));
        residual.push(span.map((t) => t.raw).join(' '));
        continue;
      }
      const tok = span[0];
      if (tok === undefined || STOP_WORDS.has(tok.lower)) continue;
      addTerm(tok.lower);
      const s = singular(tok.lower);
      addGroup(s === undefined ? [tok.lower] : [tok.lower, s]);
      residual.push(tok.raw);
    }
  }
  return { text, residual: residual.join(' '), terms, termGroups, tasks: uniq(tasks), constraints };
}
