import { describe, expect, it } from 'vitest';
import { estimateHardware, toQuantizationKey } from './hardware.js';

describe('estimateHardware', () => {
  it('computes a Llama-3.1-8B-like estimate with the full-context KV cache', () => {
    const hw = estimateHardware({ parameters: 8.03e9, layers: 32, heads: 32, kvHeads: 8, headDim: 128, contextLength: 131072, nativeDtype: 'bf16' });
    const kv = 2 * 32 * 8 * 128 * 131072 * 2;
    expect(hw.kvCacheBytes).toBe(kv);
    expect(kv / 1e9).toBeCloseTo(17.18, 2);
    // fp16 weights 16.06 GB + KV 17.18 GB, × 1.1 = 36.56 → 36.6
    expect(hw.minGpuMemoryGb.fp16).toBe(36.6);
    expect(hw.minGpuMemoryGb.int8).toBe(27.8); // (8.03 + 17.18) × 1.1 = 27.73
    expect(hw.minGpuMemoryGb.int4).toBe(23.6); // (8.03 × 0.5 × 1.06 + 17.18) × 1.1 = 23.58
    expect(hw.ramGb).toBe(18); // 16.06 × 1.1 = 17.67 → 18.0
    expect(hw.notes).toEqual([]);
  });

  it('derives kv heads and head dim, and omits the KV term with a note when shape is unknown', () => {
    const derived = estimateHardware({ parameters: 1e9, layers: 10, hiddenSize: 1024, heads: 16, contextLength: 1000, nativeDtype: 'fp32' });
    expect(derived.kvCacheBytes).toBe(2 * 10 * 16 * 64 * 1000 * 2);
    expect(derived.ramGb).toBe(4.5); // 4 GB × 1.1 = 4.4 → 4.5

    const bare = estimateHardware({ parameters: 1e9 });
    expect(bare.kvCacheBytes).toBe(0);
    expect(bare.minGpuMemoryGb).toEqual({ fp16: 2.2, int8: 1.1, int4: 0.6 });
    expect(bare.notes.join(' ')).toMatch(/KV cache not included: layers, kvHeads, headDim, contextLength/);
    expect(bare.notes.join(' ')).toMatch(/RAM assumes fp16/);
    expect(estimateHardware({ parameters: 1e9, nativeWeightBytes: 6e8 }).ramGb).toBe(1);
    expect(() => estimateHardware({ parameters: 0 })).toThrow(RangeError);
  });

  it('maps dtype spellings to catalog precisions', () => {
    expect(['bfloat16', 'torch.float16', 'F32', 'F8_E4M3', 'I8', 'Q8_0', 'Q4_K', 'IQ4_XS', 'Q6_K'].map(toQuantizationKey)).toEqual(
      ['bf16', 'fp16', 'fp32', 'fp8', 'int8', 'int8', 'int4', 'int4', null],
    );
  });
});
