import { describe, expect, it } from 'vitest';
import { emptyFieldsPatch } from './prefill.js';

describe('pre-filling a draft from extracted fields', () => {
  it('fills only what the owner left empty, field by field inside the card and hardware', () => {
    const current = {
      architecture: 'MyOwnName',
      parameters: null,
      languages: [],
      card: { intendedUse: 'Written by the owner', limitations: '', trainingData: '', markdown: '' },
      hardware: { minGpuMemoryGb: {}, smallestGpuMemoryGb: null, recommendedGpu: 'NVIDIA L4', cpuInference: false, ramGb: null },
    };
    const extracted = {
      architecture: 'LlamaForCausalLM',
      parameters: 8_030_000_000,
      languages: ['en', 'de'],
      card: { intendedUse: 'From README', limitations: 'From README too', trainingData: '', markdown: '# Card' },
      hardware: { minGpuMemoryGb: { fp16: 36.6, int4: 23.6 }, cpuInference: false, ramGb: 18 },
    };
    expect(emptyFieldsPatch(current, extracted)).toEqual({
      parameters: 8_030_000_000,
      languages: ['en', 'de'],
      card: { intendedUse: 'Written by the owner', limitations: 'From README too', trainingData: '', markdown: '# Card' },
      hardware: { minGpuMemoryGb: { fp16: 36.6, int4: 23.6 }, recommendedGpu: 'NVIDIA L4', cpuInference: false, ramGb: 18 },
    });
  });
});
