import { describe, it, expect } from 'vitest';
import { parseQuery, type ConstraintKind, type QueryConstraint } from './query-parser.js';
import {
  GPU_DISPLAY_NAMES, GPU_MEMORY_GB, LANGUAGES, LANGUAGE_NAMES, LICENSE_ALIASES, STOP_WORDS, TASK_EXPANSIONS,
  TASK_SYNONYMS,
} from './vocabulary.js';

/** Parses q and returns the single constraint of `kind`, checking the invariants every constraint must hold. */
function only(q: string, kind: ConstraintKind): QueryConstraint {
  const parsed = parseQuery(q);
  const matches = parsed.constraints.filter((c) => c.kind === kind);
  expect(matches, `constraints of ${kind} in ${JSON.stringify(q)}`).toHaveLength(1);
  const c = matches[0] as QueryConstraint;
  expect(q).toContain(c.source);
  expect(c.source.trim()).toBe(c.source);
  expect(c.id.startsWith(`${kind}:`)).toBe(true);
  return c;
}

function expectConstraint(q: string, kind: ConstraintKind, value: QueryConstraint['value'], source?: string): void {
  const c = only(q, kind);
  expect(c.value, q).toEqual(value);
  if (source !== undefined) expect(c.source, q).toBe(source);
}

describe('GPU memory constraints', () => {
  it.each([
    ['under 16 GB', 16, 'under 16 GB'],
    ['less than 16GB', 16, 'less than 16GB'],
    ['<= 16 GB', 16, '<= 16 GB'],
    ['max 16GB', 16, 'max 16GB'],
    ['llm 16GB or less', 16, '16GB or less'],
    ['within 16 GB', 16, 'within 16 GB'],
    ['chat model on a 24GB GPU', 24, 'on a 24GB GPU'],
    ['something that fits on a 24 GB card', 24, 'fits on a 24 GB card'],
    ['fits in 24GB', 24, 'fits in 24GB'],
    ['ner under 12 GiB', 12, 'under 12 GiB'],
    ['under 16G', 16, 'under 16G'],
    ['24 GB of VRAM', 24, '24 GB of VRAM'],
    ['embedding model under 7.5 GB', 7.5, 'under 7.5 GB'],
    ['code model that fits on one A10', 24, 'fits on one A10'],
    ['fits on an A100 80GB', 80, 'fits on an A100 80GB'],
    ['whisper on a T4', 16, 'on a T4'],
    ['llm on 2 A100s', 80, 'on 2 A100s'],
    ['2x A100', 80, '2x A100'],
    ['2x A100 80GB', 160, '2x A100 80GB'],
    ['on a single H100', 80, 'on a single H100'],
    ['on an H200', 141, 'on an H200'],
    ['on a V100 32GB', 32, 'on a V100 32GB'],
    ['runs on an RTX 4090', 24, 'runs on an RTX 4090'],
    ['on a 3090', 24, 'on a 3090'],
    ['on an A10G', 24, 'on an A10G'],
    ['on a NVIDIA L40S', 48, 'on a NVIDIA L40S'],
    ['on an RTX A6000', 48, 'on an RTX A6000'],
    ['on one MI300X', 192, 'on one MI300X'],
    ['on a L4', 24, 'on a L4'],
  ])('%s → %d GB', (q, gb, source) => {
    expectConstraint(q, 'maxGpuMemoryGb', gb, source);
  });

  it('has a stable id and a readable label', () => {
    const c = only('code model that fits on one A10', 'maxGpuMemoryGb');
    expect(c.id).toBe('maxGpuMemoryGb:24');
    expect(c.label).toBe('fits in 24 GB GPU memory (1× NVIDIA A10)');
    expect(only('under 16 GB', 'maxGpuMemoryGb').label).toBe('fits in 16 GB GPU memory');
  });

  it('ignores bare GPU names, bare sizes and system RAM', () => {
    for (const q of ['A100', 'h200 benchmark', '16GB', 'under 16GB RAM', 'model 8b']) {
      expect(parseQuery(q).constraints.filter((c) => c.kind === 'maxGpuMemoryGb'), q).toEqual([]);
    }
  });
});

describe('CPU constraints', () => {
  it.each([
    ['ner CPU only', 'CPU only'],
    ['cpu-only embeddings', 'cpu-only'],
    ['speech to text that runs on CPU', 'runs on CPU'],
    ['summarizer on CPU', 'on CPU'],
    ['classifier without a GPU', 'without a GPU'],
    ['no GPU translation', 'no GPU'],
  ])('%s', (q, source) => {
    const c = only(q, 'cpuOnly');
    expect(c).toMatchObject({ id: 'cpuOnly:true', value: true, label: 'runs on CPU', source });
    expect(parseQuery(q).constraints.some((x) => x.kind === 'maxGpuMemoryGb')).toBe(false);
  });
});

describe('context length constraints', () => {
  it.each([
    ['at least 32k context', 32768, 'at least 32k context'],
    ['chat 32k context', 32768, '32k context'],
    ['8K context', 8192, '8K context'],
    ['128k context window', 131072, '128k context window'],
    ['1M context', 1048576, '1M context'],
    ['llm with a context of 32,000 tokens', 32000, 'context of 32,000 tokens'],
    ['context window of at least 8k', 8192, 'context window of at least 8k'],
    ['≥ 16k tokens', 16384, '≥ 16k tokens'],
    ['>=16k tokens', 16384, '>=16k tokens'],
    ['32k-token context window', 32768, '32k-token context window'],
    ['long context chat', 32768, 'long context'],
    ['long-context summarization', 32768, 'long-context'],
    // Document lengths: tokens = ceil(words × 1.33), pages × 500 words.
    ['documents under 10,000 words', 13300, 'under 10,000 words'],
    ['texts up to 5000 words', 6650, 'up to 5000 words'],
    ['10k-word documents', 13300, '10k-word'],
    ['reports of 200 pages', 133000, 'of 200 pages'],
    ['1,001 words', 1332, '1,001 words'],
  ])('%s → %d tokens', (q, tokens, source) => {
    expectConstraint(q, 'minContextLength', tokens, source);
  });

  it('labels and ids', () => {
    const c = only('at least 32k context', 'minContextLength');
    expect(c.id).toBe('minContextLength:32768');
    expect(c.label).toBe('context ≥ 32,768 tokens');
  });

  it('"under 10,000 words" is context, never GPU memory', () => {
    const p = parseQuery('under 10,000 words');
    expect(p.constraints.map((c) => c.kind)).toEqual(['minContextLength']);
  });

  it('ignores tiny bare numbers before "context"', () => {
    expect(parseQuery('gemma 2 context').constraints).toEqual([]);
  });
});

describe('language constraints', () => {
  it.each([
    ['Japanese NER', 'ja', 'Japanese'],
    ['summarization in Japanese', 'ja', 'in Japanese'],
    ['German', 'de', 'German'],
    ['deutsch ner', 'de', 'deutsch'],
    ['français classifier', 'fr', 'français'],
    ['español asr', 'es', 'español'],
    ['nihongo tts', 'ja', 'nihongo'],
    ['mandarin speech to text', 'zh', 'mandarin'],
    ['Korean', 'ko', 'Korean'],
    ['arabic', 'ar', 'arabic'],
    ['hindi', 'hi', 'hindi'],
    ['portuguese', 'pt', 'portuguese'],
    ['italian', 'it', 'italian'],
    ['dutch', 'nl', 'dutch'],
    ['polish', 'pl', 'polish'],
    ['russian', 'ru', 'russian'],
    ['turkish', 'tr', 'turkish'],
    ['swedish', 'sv', 'swedish'],
    ['chinese', 'zh', 'chinese'],
    ['english-only embeddings', 'en', 'english-only'],
    ['multilingual embeddings', 'multilingual', 'multilingual'],
  ])('%s → %s', (q, code, source) => {
    expectConstraint(q, 'language', code, source);
  });

  it('labels with the English name', () => {
    expect(only('Japanese NER', 'language')).toMatchObject({ id: 'language:ja', label: 'language: Japanese' });
  });

  it('does not read languages out of model ids', () => {
    expect(parseQuery('bert-base-japanese').constraints).toEqual([]);
  });
});

describe('maturity constraints', () => {
  it.each([
    ['production-ready ner', 'production', 'production-ready'],
    ['production ready ner', 'production', 'production ready'],
    ['used in production', 'production', 'used in production'],
    ['production grade asr', 'production', 'production grade'],
    ['experimental tts', 'experimental', 'experimental'],
  ])('%s → %s', (q, value, source) => {
    expectConstraint(q, 'maturity', value, source);
  });

  it('"validated" and "approved for" are not maturity', () => {
    const p = parseQuery('validated model approved for legal');
    expect(p.constraints).toEqual([]);
    expect(p.terms).toEqual(['validated', 'approved', 'legal']);
  });
});

describe('licence constraints', () => {
  it.each([
    ['apache licensed', 'apache-2.0', 'apache licensed', 'license:apache-2.0'],
    ['apache-2.0 ner', 'apache-2.0', 'apache-2.0', 'license:apache-2.0'],
    ['Apache 2.0 license', 'apache-2.0', 'Apache 2.0 license', 'license:apache-2.0'],
    ['licensed under the Apache License 2.0', 'apache-2.0', 'licensed under the Apache License 2.0', 'license:apache-2.0'],
    ['MIT licensed', 'mit', 'MIT licensed', 'license:mit'],
    ['license: MIT', 'mit', 'license: MIT', 'license:mit'],
    ['BSD license', 'bsd-3-clause', 'BSD license', 'license:bsd-3-clause'],
    ['creative commons', 'cc-by-4.0', 'creative commons', 'license:cc-by-4.0'],
    ['Llama 3 license', 'llama3', 'Llama 3 license', 'license:llama3'],
    ['permissive licence', ['apache-2.0', 'mit', 'bsd-3-clause'], 'permissive licence', 'license:permissive'],
    ['permissive license', ['apache-2.0', 'mit', 'bsd-3-clause'], 'permissive license', 'license:permissive'],
    ['open licence', ['apache-2.0', 'mit', 'bsd-3-clause', 'cc-by-4.0'], 'open licence', 'license:open'],
  ])('%s', (q, value, source, id) => {
    expectConstraint(q, 'license', value, source);
    expect(only(q, 'license').id).toBe(id);
  });

  it('labels', () => {
    expect(only('apache licensed', 'license').label).toBe('licence: apache-2.0');
  });

  it('needs the word "licence" for ambiguous aliases', () => {
    for (const q of ['mit', 'open source llm', 'llama 3 70b', 'permissive']) {
      expect(parseQuery(q).constraints, q).toEqual([]);
    }
  });
});

describe('product brief examples', () => {
  it('summarize legal documents under 10,000 words', () => {
    const p = parseQuery('summarize legal documents under 10,000 words');
    expect(p.constraints).toHaveLength(1);
    expect(p.constraints[0]).toMatchObject({ kind: 'minContextLength', value: 13300, source: 'under 10,000 words' });
    expect(p.terms).toEqual(expect.arrayContaining(['summarize', 'legal', 'documents']));
    expect(p.terms).not.toContain('under');
    expect(p.tasks).toContain('summarization');
    expect(p.residual).toBe('summarize legal documents');
    expect(p.termGroups[0]?.slice(0, 2)).toEqual(['summarize', 'summarization']);
  });

  it('Japanese NER', () => {
    const p = parseQuery('Japanese NER');
    expect(p.constraints.map((c) => c.id)).toEqual(['language:ja']);
    expect(p.terms).toEqual(['ner']);
    expect(p.tasks).toEqual(['token-classification']);
    expect(p.termGroups).toEqual([['ner', 'token-classification', 'named entity', 'entity recognition', 'entity extraction']]);
  });

  it('production-ready speech to text that runs on CPU', () => {
    const p = parseQuery('production-ready speech to text that runs on CPU');
    expect(p.constraints.map((c) => c.id)).toEqual(['maturity:production', 'cpuOnly:true']);
    expect(p.tasks).toEqual(['automatic-speech-recognition']);
    expect(p.terms).toEqual(['speech', 'text']);
    expect(p.termGroups).toHaveLength(1);
    expect(p.termGroups[0]?.[0]).toBe('speech to text');
    expect(p.residual).toBe('speech to text');
  });

  it('code model that fits on one A10', () => {
    const p = parseQuery('code model that fits on one A10');
    expect(p.constraints).toHaveLength(1);
    expect(p.constraints[0]).toMatchObject({ id: 'maxGpuMemoryGb:24', value: 24, source: 'fits on one A10' });
    expect(p.terms).toEqual(['code']);
    expect(p.termGroups).toEqual([['code']]);
  });

  it('Apache licensed embedding model under 16 GB', () => {
    const p = parseQuery('Apache licensed embedding model under 16 GB');
    expect(p.constraints.map((c) => [c.id, c.source])).toEqual([
      ['license:apache-2.0', 'Apache licensed'],
      ['maxGpuMemoryGb:16', 'under 16 GB'],
    ]);
    expect(p.terms).toEqual(['embedding']);
    expect(p.tasks).toEqual(expect.arrayContaining(['feature-extraction', 'sentence-similarity']));
  });
});

describe('general behaviour', () => {
  it('ignore option drops constraints and keeps their words out of terms', () => {
    const p = parseQuery('Japanese NER under 16 GB', { ignore: ['language:ja'] });
    expect(p.constraints.map((c) => c.id)).toEqual(['maxGpuMemoryGb:16']);
    expect(p.terms).toEqual(['ner']);
    expect(p.residual).toBe('NER');
  });

  it('empty and whitespace-only queries', () => {
    for (const q of ['', '   ', '\n\t']) {
      expect(parseQuery(q)).toEqual({ text: '', residual: '', terms: [], termGroups: [], tasks: [], constraints: [] });
    }
  });

  it('a query of only stop words', () => {
    const p = parseQuery('  I need a model for the thing, which is something with models  ');
    expect(p).toMatchObject({ residual: '', terms: [], termGroups: [], tasks: [], constraints: [] });
    expect(p.text).toBe('I need a model for the thing, which is something with models');
  });

  it.each([
    'llama-3.1-8b', 'bge-m3', 'gpt2', 'qwen2.5-7b-instruct', 'phi-3-mini-128k-instruct', 'mistral-7b-v0.3',
    'meta-llama/Llama-3.1-70B', 'yi-34b-200k', 'flan-t5-xl', 'e5-large-v2', 'all-MiniLM-L6-v2', 'whisper-large-v3',
    'Llama 3 70B', 'gemma 2 9b',
  ])('no constraints from model name %s', (q) => {
    const p = parseQuery(q);
    expect(p.constraints).toEqual([]);
    expect(p.terms.length).toBeGreaterThan(0);
  });

  it('keeps model ids as single terms and unknown words as terms', () => {
    const p = parseQuery('bge-m3 for legal contracts');
    expect(p.terms).toEqual(['bge-m3', 'legal', 'contracts']);
    expect(p.termGroups).toEqual([['bge-m3'], ['legal'], ['contracts', 'contract']]);
  });

  it('recognises multi-word and hyphenated task phrases', () => {
    expect(parseQuery('named entity recognition').tasks).toEqual(['token-classification']);
    expect(parseQuery('speech-to-text').tasks).toEqual(['automatic-speech-recognition']);
    expect(parseQuery('text to speech').tasks).toEqual(['text-to-speech']);
    expect(parseQuery('cross-encoder rerankers').tasks).toEqual(['text-ranking']);
    expect(parseQuery('OCR for invoices').tasks).toEqual(['image-to-text', 'document-question-answering']);
    expect(parseQuery('summarise').tasks).toEqual(['summarization']);
    expect(parseQuery('image classification').tasks).toEqual(['image-classification']);
    expect(parseQuery('machine translation').tasks).toEqual(['translation']);
    expect(parseQuery('question answering').tasks).toEqual(['question-answering']);
  });

  it('dedupes terms and keeps order', () => {
    expect(parseQuery('legal NER legal ner').terms).toEqual(['legal', 'ner']);
  });

  it('orders constraints by position and dedupes by id', () => {
    const p = parseQuery('on CPU German cpu-only');
    expect(p.constraints.map((c) => c.id)).toEqual(['cpuOnly:true', 'language:de']);
  });
});

describe('vocabulary consistency', () => {
  it('has expansions for every task and no stop-word synonyms', () => {
    for (const [tag, synonyms] of Object.entries(TASK_SYNONYMS)) {
      expect(TASK_EXPANSIONS[tag], tag).toBeDefined();
      for (const s of synonyms) expect(STOP_WORDS.has(s), s).toBe(false);
    }
  });
  it('names every language code and GPU', () => {
    for (const code of Object.values(LANGUAGES)) expect(LANGUAGE_NAMES[code], code).toBeDefined();
    for (const gpu of Object.keys(GPU_MEMORY_GB).filter((k) => !k.endsWith('gb'))) {
      expect(GPU_DISPLAY_NAMES[gpu], gpu).toBeDefined();
    }
    for (const ids of Object.values(LICENSE_ALIASES)) expect(ids.length).toBeGreaterThan(0);
  });
});

describe('property: random input', () => {
  /** mulberry32: tiny seeded PRNG so failures are reproducible. */
  function prng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  const FRAGMENTS = [
    'under', '16', 'GB', 'gb', 'GiB', '10,000', '7.5', 'k', 'K', 'M', 'words', 'pages', 'tokens', 'context', 'on a',
    'A100', 'T4', '80GB', '2x', 'CPU', 'cpu-only', 'no GPU', 'Japanese', 'français', 'licensed', 'licence', 'Apache',
    'MIT', 'permissive', 'production-ready', 'experimental', 'ner', 'speech to text', 'llama-3.1-8b', 'bge-m3', '≥',
    '<=', '-', ',', '.', '/', '  ', '\t', '日本語', '🙂', '\u0301', '(', ')', '[', '?', '*', '\\', '$', 'fits in', 'or less',
  ];
  const CHARS = 'abcxyzAGBkK0123456789 ,.-/≥<=x×é日🙂';

  it('never throws and every source is a substring of the input', () => {
    const rand = prng(20240611);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
    for (let n = 0; n < 200; n++) {
      const parts: string[] = [];
      const count = Math.floor(rand() * 12);
      for (let i = 0; i < count; i++) {
        parts.push(rand() < 0.7 ? pick(FRAGMENTS) : Array.from({ length: 1 + Math.floor(rand() * 6) }, () => pick([...CHARS])).join(''));
        if (rand() < 0.8) parts.push(' ');
      }
      const q = parts.join('');
      const p = parseQuery(q);
      expect(p.text).toBe(q.trim());
      for (const c of p.constraints) {
        expect(q, JSON.stringify(c)).toContain(c.source);
        expect(c.source.length).toBeGreaterThan(0);
      }
      for (const t of p.terms) {
        expect(STOP_WORDS.has(t)).toBe(false);
        expect(t).toBe(t.toLowerCase());
      }
      expect(new Set(p.terms).size).toBe(p.terms.length);
      for (const g of p.termGroups) expect(g.length).toBeGreaterThan(0);
      const again = parseQuery(q, { ignore: p.constraints.map((c) => c.id) });
      expect(again.constraints).toEqual([]);
      expect(again.terms).toEqual(p.terms);
    }
  });
});
