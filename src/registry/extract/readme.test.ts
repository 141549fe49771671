import { describe, expect, it } from 'vitest';
import { parseReadme, sectionText, splitFrontMatter } from './readme.js';
import { SAMPLE_README } from './test-fixtures.js';

describe('parseReadme', () => {
  it('maps front matter and sections to catalog fields', () => {
    const r = parseReadme(SAMPLE_README);
    expect(r).toMatchObject({
      license: 'apache-2.0',
      languages: ['en', 'fr'],
      tags: ['legal', 'summarization'],
      datasets: ['org/contracts'],
      tasks: ['text-generation'],
      baseModel: { ref: 'meta-llama/Llama-3.1-8B', relation: 'finetune' },
      notes: [],
    });
    expect(r.benchmarks).toEqual([
      { suite: 'LibriSpeech (clean)', dataset: 'LibriSpeech (clean)', metric: 'wer', value: 4.2, higherIsBetter: false },
      { suite: 'SQuAD', dataset: 'SQuAD', metric: 'exact_match', value: 81.5, higherIsBetter: true },
      // "answer" contains "wer" but is not a WER metric.
      { suite: 'SQuAD', dataset: 'SQuAD', metric: 'answer_f1', value: 88.1, higherIsBetter: true },
      { suite: 'text-generation', dataset: null, metric: 'perplexity', value: 5.5, higherIsBetter: false },
    ]);
    expect(r.card.markdown.startsWith('# Contract summarizer')).toBe(true);
    expect(r.card.intendedUse).toBe('### Direct Use\n\nSummaries of NDAs.');
    expect(r.card.limitations).toBe('Not legal advice.\n\n```text\n# not a heading\n```');
    expect(r.card.trainingData).toBe('Public contracts.');
  });

  it('handles list base models, other licenses and a single language string', () => {
    const r = parseReadme('---\nlicense: other\nlicense_name: acme-eula\nlanguage: de\nbase_model: [a/x, b/y]\n---\nbody');
    expect(r).toMatchObject({ license: 'acme-eula', languages: ['de'], baseModel: { ref: 'a/x', relation: 'merge' } });
    expect(r.card.markdown).toBe('body');
    expect(parseReadme('---\nbase_model: a/x\nbase_model_relation: quantized\n---\n').baseModel).toEqual({ ref: 'a/x', relation: 'quantized' });
  });

  it('survives missing or invalid front matter', () => {
    expect(parseReadme('# Title\n\n## Limitations\nNone known.').card).toMatchObject({ markdown: '# Title\n\n## Limitations\nNone known.', limitations: 'None known.' });
    const bad = parseReadme('---\nlicense: [unclosed\n---\ntext');
    expect(bad.license).toBeNull();
    expect(bad.card.markdown).toBe('text');
    expect(bad.notes[0]).toMatch(/not valid YAML/);
  });

  it('splits front matter with CRLF line endings and a BOM', () => {
    expect(splitFrontMatter('\uFEFF---\r\na: 1\r\n---\r\nbody')).toEqual({ yaml: 'a: 1', body: 'body' });
    expect(sectionText('# A\n## Intended uses & limitations\nx\n## Other\ny', /^intended uses?\b/i)).toBe('x');
  });
});
