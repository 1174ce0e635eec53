// The bench's own safeguards, without running a benchmark: the answer check that refuses a row
// whose results differ, the same-adapter rule, and how --runs folds runs into medians and a range.
import { describe, expect, it } from 'vitest';
import { ADAPTER_OPTIONS, adapterMismatch, sameAdapterGpu, whyNotComparable, type HandedAdapter } from '../bench/adapter.js';
import { combineRuns, compareAnswers, formatTable, measure, type Case, type Result } from '../bench/harness.js';

const lavapipe = { vendor: 'mesa', architecture: '', device: 'llvmpipe (LLVM 19.1.7, 256 bits)', description: 'Vulkan driver' };

function runnerCase(webgrad: number[], tfjs: number[], tolerance = 1e-5): Case & { runs: Record<string, number> } {
  const runs = { webgrad: 0, tfjs: 0 };
  const runner = (impl: 'webgrad' | 'tfjs', values: number[]) => async () => ({
    run: async () => void runs[impl]++,
    answer: async () => values,
  });
  return { row: '9', name: 'test', size: '3', unit: 'ms', reps: 3, warmup: 1, tolerance, webgrad: runner('webgrad', webgrad), tfjs: runner('tfjs', tfjs), runs };
}

describe('bench: the answer check', () => {
  it('compares within a relative 2-norm tolerance, NaN with NaN, infinities exactly', () => {
    expect(compareAnswers([1, 2, 3], [1, 2, 3]).relErr).toBe(0);
    expect(compareAnswers([3, 4], [3, 4.5]).relErr).toBeCloseTo(0.5 / Math.hypot(3, 4.5), 12);
    expect(compareAnswers([NaN, Infinity, 1], [NaN, Infinity, 1]).relErr).toBe(0);
    expect(compareAnswers([Infinity], [-Infinity]).detail).toBe('[0]: Infinity vs -Infinity');
    expect(compareAnswers([1, 2], [1]).detail).toBe('2 values vs 1');
    expect(compareAnswers([], []).detail).toBe('empty answers prove nothing');
  });

  it('times a row whose answers agree, and records the check', async () => {
    const c = runnerCase([1, 2, 3], [1, 2, 3 + 1e-6]);
    const r = await measure(c, 'cpu');
    expect(r.check).toMatchObject({ ok: true, values: 3, tolerance: 1e-5 });
    expect(r.webgrad.samples).toHaveLength(3);
    expect(r.speedup).not.toBeNull();
    expect(c.runs).toEqual({ webgrad: 4, tfjs: 4 }); // 1 warmup + 3 reps each; answer() is separate
  });

  it('refuses to time a row whose answers differ', async () => {
    const c = runnerCase([1, 2, 3], [1, 2, 4]);
    const r = await measure(c, 'cpu');
    expect(r.check?.ok).toBe(false);
    expect(r.check?.detail).toBe('relative error 2.18e-1 > 0.00001');
    expect(c.runs).toEqual({ webgrad: 0, tfjs: 0 });
    expect(r.speedup).toBeNull();
    expect(r.webgrad.error).toMatch(/refused: the answers differ/);
    expect(formatTable([r])).toMatch(/refused/);
  });
});

describe('bench: the same adapter for both libraries', () => {
  it('answers every request with the same options and records what each asked for', async () => {
    const asked: GPURequestAdapterOptions[] = [];
    const fake = {
      requestAdapter: async (o: GPURequestAdapterOptions) => (asked.push(o), { info: lavapipe }),
      getPreferredCanvasFormat: () => 'bgra8unorm',
    } as unknown as GPU;
    const same = sameAdapterGpu(fake);
    await same.gpu.requestAdapter({});
    await same.gpu.requestAdapter({ powerPreference: 'high-performance' });
    expect(asked).toEqual([ADAPTER_OPTIONS, ADAPTER_OPTIONS]);
    expect(same.handed.map((h) => h.requested)).toEqual([{}, { powerPreference: 'high-performance' }]);
    expect(same.handed[1].info).toEqual(lavapipe);
    expect(same.gpu.getPreferredCanvasFormat()).toBe('bgra8unorm');
  });

  it('refuses when the adapters handed out or reported differ', () => {
    const h = (info: HandedAdapter['info']): HandedAdapter => ({ requested: {}, info });
    const tfjsView = { vendor: 'mesa', architecture: '' }; // tfjs keeps only these two fields
    expect(whyNotComparable([h(lavapipe), h(lavapipe)], lavapipe, tfjsView)).toBeNull();
    expect(whyNotComparable([h(lavapipe), h({ ...lavapipe, device: 'NVIDIA H200' })], lavapipe, tfjsView)).toMatch(
      /device: request 1 'llvmpipe.*' vs request 2 'NVIDIA H200'/,
    );
    expect(whyNotComparable([h(lavapipe), h(lavapipe)], lavapipe, { vendor: 'nvidia', architecture: '' })).toMatch(/vendor: webgrad 'mesa' vs tfjs 'nvidia'/);
    expect(whyNotComparable([h(lavapipe)], lavapipe, tfjsView)).toMatch(/saw 1 request/);
    expect(adapterMismatch(null, lavapipe)).toMatch(/adapter info missing/);
  });
});

describe('bench: --runs', () => {
  const result = (speedup: number, wgMs: number): Result => ({
    row: '1', name: 'matmul', size: '512', backend: 'webgpu', unit: 'ms', reps: 3, warmup: 1, check: { ok: true, values: 1, relErr: 0, tolerance: 1e-5 },
    webgrad: { samples: [wgMs], medianMs: wgMs, metric: null },
    tfjs: { samples: [wgMs * speedup], medianMs: wgMs * speedup, metric: null },
    speedup,
  });

  it('reports medians over the runs and the speedup range', () => {
    const r = combineRuns([result(2.0, 10), result(1.7, 12), result(2.3, 9)]);
    expect(r.speedup).toBe(2.0);
    expect(r.webgrad.medianMs).toBe(10);
    expect(r.runs?.speedups).toEqual([2.0, 1.7, 2.3]);
    expect(formatTable([r])).toContain('2.00x (1.70-2.30)');
    expect(formatTable([result(2.0, 10)])).toMatch(/2\.00x \|$/m);
  });
});
