import { describe, expect, it } from 'vitest';
import { checkUse, type PolicyVersion } from './policy.js';

const v = (over: Partial<PolicyVersion> = {}): PolicyVersion => ({
  slug: 'summarizer',
  version: '2.0.0',
  lifecycle: 'approved',
  maturity: 'validated',
  approvedUseCases: ['Contract summarization', 'internal research'],
  restrictions: ['No automated legal advice to clients', 'Not for medical diagnosis'],
  deprecation: null,
  ...over,
});

describe('use policy', () => {
  it('allows an approved use case of a validated version, whatever its case', () => {
    expect(checkUse(v(), { purpose: 'deployment', useCase: 'contract summarization' })).toEqual({ allowed: true });
  });

  it('keeps experimental versions to evaluation', () => {
    expect(checkUse(v({ maturity: 'experimental' }), { purpose: 'deployment', useCase: 'internal research' })).toMatchObject({ allowed: false, rule: 'experimental' });
    expect(checkUse(v({ maturity: 'experimental' }), { purpose: 'evaluation' })).toEqual({ allowed: true });
  });

  it('requires one of the approved use cases for a deployment, listing them', () => {
    const d = checkUse(v(), { purpose: 'deployment', useCase: 'chatbot' });
    expect(d).toMatchObject({ allowed: false, rule: 'use-case' });
    expect(d.allowed === false && d.reason).toContain('"Contract summarization", "internal research"');
    expect(checkUse(v(), { purpose: 'deployment' })).toMatchObject({ allowed: false, rule: 'use-case' });
  });

  it('refuses a use matching a restriction, quoting it', () => {
    for (const description of ['gives legal advice to clients automatically', 'medical diagnosis support']) {
      const d = checkUse(v(), { purpose: 'deployment', useCase: 'internal research', description });
      expect(d.allowed).toBe(false);
      expect(d.allowed === false && d.reason).toMatch(/may not be used for this: "(No automated legal advice to clients|Not for medical diagnosis)"/);
    }
    expect(checkUse(v(), { purpose: 'deployment', useCase: 'internal research', description: 'summaries of supplier contracts' })).toEqual({ allowed: true });
  });

  it('refuses deprecated and retired versions, naming the replacement and deadline', () => {
    const d = checkUse(v({ lifecycle: 'deprecated', deprecation: { replacement: 'summarizer@3.0.0', deadline: '2027-03-31' } }), { purpose: 'evaluation' });
    expect(d).toEqual({ allowed: false, rule: 'deprecated', reason: 'summarizer@2.0.0 is deprecated: use summarizer@3.0.0 instead (migration deadline 2027-03-31)' });
    expect(checkUse(v({ lifecycle: 'retired' }), { purpose: 'evaluation' })).toMatchObject({ allowed: false, rule: 'retired' });
    expect(checkUse(v({ lifecycle: 'submitted' }), { purpose: 'evaluation' })).toMatchObject({ allowed: false, rule: 'not-approved' });
  });
});
