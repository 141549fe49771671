/**
 * Hugging Face model card (README.md) reader: the YAML front matter (license, languages, tags,
 * base model, pipeline tag, model-index results) and the markdown body, including the sections a
 * catalog card asks for (intended use, limitations, training data).
 */
import { readFile, stat } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { ExtractError, unreadable } from './errors.js';
import type { BaseRelation, BenchmarkRow, CardFields } from './types.js';

const MAX_README_BYTES = 5_000_000;
const LABEL_MAX = 64;
const TEXT_MAX = 20_000;
const MARKDOWN_MAX = 100_000;
const LOWER_IS_BETTER = /(^|[^a-z])(wer|cer)([^a-z]|$)|loss|perplexity|latency/i;
const HF_RELATIONS: readonly BaseRelation[] = ['adapter', 'merge', 'quantized', 'finetune'];

/** What a README yields. Absent items are empty lists / null. */
export interface ReadmeSummary {
  license: string | null;
  languages: string[];
  tags: string[];
  datasets: string[];
  tasks: string[];
  baseModel: { ref: string; relation: BaseRelation } | null;
  benchmarks: BenchmarkRow[];
  card: CardFields;
  /** The raw front matter, when it parsed to an object. */
  frontMatter: Record<string, unknown> | null;
  notes: string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const label = (v: unknown): string | null => {
  if (typeof v !== 'string' && typeof v !== 'number') return null;
  const s = String(v).trim();
  return s ? s.slice(0, LABEL_MAX) : null;
};
const labels = (v: unknown, max = 50): string[] => {
  const list = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
  return [...new Set(list.map(label).filter((s): s is string => s !== null))].slice(0, max);
};

/** Splits `---\n yaml \n---\n body` into its two parts; no front matter gives `yaml: null`. */
export function splitFrontMatter(text: string): { yaml: string | null; body: string } {
  const src = text.replace(/^\uFEFF/, '');
  const m = /^---[ \t]*\r?\n([\s\S]*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|$)/.exec(src);
  if (!m) return { yaml: null, body: src };
  return { yaml: m[1] ?? '', body: src.slice(m[0].length) };
}

/** Text under the first heading that matches, up to the next heading of the same or higher level. */
export function sectionText(markdown: string, heading: RegExp): string {
  const lines = markdown.split(/\r?\n/);
  let inFence = false;
  let level = 0;
  const out: string[] = [];
  for (const line of lines) {
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    const h = inFence ? null : /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (h) {
      const lvl = h[1]?.length ?? 1;
      const title = (h[2] ?? '').replace(/[*_`]/g, '').trim();
      if (level > 0 && lvl <= level) break;
      if (level === 0 && heading.test(title)) {
        level = lvl;
        continue;
      }
    }
    if (level > 0) out.push(line);
  }
  return out.join('\n').trim().slice(0, TEXT_MAX);
}

function benchmarksOf(modelIndex: unknown): BenchmarkRow[] {
  const rows: BenchmarkRow[] = [];
  for (const entry of Array.isArray(modelIndex) ? modelIndex : []) {
    const results: unknown = isObj(entry) ? entry.results : undefined;
    for (const r of Array.isArray(results) ? results : []) {
      if (!isObj(r)) continue;
      const dataset = isObj(r.dataset) ? r.dataset : {};
      const task = isObj(r.task) ? r.task : {};
      const datasetName = label(dataset.name) ?? label(dataset.type);
      const suite = datasetName ?? label(task.type) ?? label(task.name);
      for (const m of Array.isArray(r.metrics) ? r.metrics : []) {
        if (!isObj(m)) continue;
        const metric = label(m.type) ?? label(m.name);
        const value = typeof m.value === 'number' ? m.value : typeof m.value === 'string' ? Number(m.value) : NaN;
        if (!suite || !metric || !Number.isFinite(value)) continue;
        const names = `${label(m.type) ?? ''} ${label(m.name) ?? ''}`;
        rows.push({ suite, dataset: datasetName, metric, value, higherIsBetter: !LOWER_IS_BETTER.test(names) });
      }
    }
  }
  return rows.slice(0, 200);
}

function baseModelOf(fm: Obj, notes: string[]): ReadmeSummary['baseModel'] {
  const refs = labels(fm.base_model, 20);
  const first = refs[0];
  if (!first) return null;
  const rel = fm.base_model_relation;
  let relation: BaseRelation = refs.length > 1 ? 'merge' : 'finetune';
  if (typeof rel === 'string' && (HF_RELATIONS as readonly string[]).includes(rel)) relation = rel as BaseRelation;
  else if (rel !== undefined) notes.push(`unknown base_model_relation ${JSON.stringify(rel)}; assumed ${relation}`);
  if (refs.length > 1) notes.push(`README names ${refs.length} base models; kept ${first}`);
  return { ref: first.slice(0, 200), relation };
}

/** Parses README.md text. Invalid YAML front matter is reported in `notes`, not thrown. */
export function parseReadme(text: string): ReadmeSummary {
  const notes: string[] = [];
  const { yaml, body } = splitFrontMatter(text);
  let fm: Obj = {};
  let frontMatter: Obj | null = null;
  if (yaml !== null) {
    try {
      const parsed: unknown = parseYaml(yaml, { maxAliasCount: 100 });
      if (isObj(parsed)) fm = frontMatter = parsed;
      else if (parsed != null) notes.push('README front matter is not a mapping; ignored');
    } catch (err) {
      notes.push(`README front matter is not valid YAML (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
    }
  }
  const licenseName = fm.license === 'other' ? label(fm.license_name) : null;
  return {
    license: licenseName ?? label(fm.license),
    languages: labels(fm.language, 200).filter((l) => l.length >= 2 && l.length <= 16),
    tags: labels(fm.tags),
    datasets: labels(fm.datasets, 200),
    tasks: labels(fm.pipeline_tag, 20),
    baseModel: baseModelOf(fm, notes),
    benchmarks: benchmarksOf(fm['model-index']),
    card: {
      markdown: body.trim().slice(0, MARKDOWN_MAX),
      intendedUse: sectionText(body, /^(intended uses?\b|uses$)/i),
      limitations: sectionText(body, /^(limitations\b|bias,? risks,? and limitations|risks and limitations)/i),
      trainingData: sectionText(body, /^training data\b/i),
    },
    frontMatter,
    notes,
  };
}

/** Reads and parses a README.md (at most 5 MB). */
export async function readReadme(file: string): Promise<ReadmeSummary> {
  try {
    if ((await stat(file)).size > MAX_README_BYTES) throw new ExtractError('TOO_LARGE', 'README larger than 5 MB', file);
    return parseReadme(await readFile(file, 'utf8'));
  } catch (err) {
    throw unreadable(file, err);
  }
}
