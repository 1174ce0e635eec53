// Dropout and Dropout2d on every backend: the mask comes from manualSeed's generator (the same
// seed gives the same mask on CPU and WebGPU, checked across an init() switch), kept elements
// are scaled by exactly 1/(1-p) (float32), the gradient is the same mask, eval mode and
// training false are the identity, p = 0 / p = 1 are the identity / zeros, p outside [0, 1]
// is refused. The kept fraction of 20,000 elements at p = 0.3 lies within 4.5σ of 0.7.
import { describe, expect, it } from 'vitest';
import * as wg from 'webgrad-gpu';
import { backendsUnderTest, describeEachBackend, runnable } from './helpers/backends.js';
import { expectClose } from './helpers/close.js';

const backends = await backendsUnderTest();
const F = wg.nn.functional;

describeEachBackend(backends, 'dropout', () => {
  it('keeps ~1-p of the elements, scaled by 1/(1-p); the gradient is the same mask', async () => {
    wg.manualSeed(11);
    const n = 20000;
    const x = wg.ones([n], { requiresGrad: true });
    const y = F.dropout(x, 0.3);
    const v = (await y.toArray()) as Float32Array;
    const scale = Math.fround(1 / 0.7);
    expect(v.every((e) => e === 0 || e === scale)).toBe(true);
    const kept = v.filter((e) => e !== 0).length / n;
    expect(Math.abs(kept - 0.7)).toBeLessThan(4.5 * Math.sqrt((0.7 * 0.3) / n));
    y.backward(wg.full([n], 2));
    const g = (await x.grad!.toArray()) as Float32Array;
    expect(g.every((e, i) => e === 2 * v[i])).toBe(true);
  });

  it('p = 0 and p = 1, training false, and the modules in eval mode', async () => {
    const x = wg.tensor([[1, -2], [3, 4]]);
    await expectClose(F.dropout(x, 0), [1, -2, 3, 4], 0, 0, [2, 2]);
    await expectClose(F.dropout(x, 1), [0, 0, 0, 0], 0, 0, [2, 2]);
    expect(F.dropout(x, 0.9, false)).toBe(x);
    expect(F.dropout2d(x.reshape([1, 2, 2]), 0.9, false).shape).toEqual([1, 2, 2]);
    const d = new wg.nn.Dropout(0.9).eval();
    expect(d.forward(x)).toBe(x);
    const d2 = new wg.nn.Dropout2d(0.9);
    d2.eval();
    expect(d2.forward(x.reshape([1, 2, 2, 1]))).toBeDefined();
    await expectClose(d2.forward(x.reshape([1, 2, 2, 1])), [1, -2, 3, 4], 0, 0, [1, 2, 2, 1]);
  });

  it('dropout2d zeroes whole channels (4-D, and 3-D read as [N, C, L] like PyTorch 1.13)', async () => {
    wg.manualSeed(5);
    const y = F.dropout2d(wg.ones([4, 8, 3, 5]), 0.5);
    const v = (await y.toArray()) as Float32Array;
    for (let p = 0; p < 32; p++) {
      const plane = v.subarray(p * 15, (p + 1) * 15);
      expect(plane.every((e) => e === plane[0]) && (plane[0] === 0 || plane[0] === 2)).toBe(true);
    }
    const z = (await F.dropout2d(wg.ones([3, 4, 6]), 0.5).toArray()) as Float32Array;
    for (let p = 0; p < 12; p++) expect(new Set(z.subarray(p * 6, (p + 1) * 6)).size).toBe(1);
  });

  it('refuses p outside [0, 1] and bad ranks', () => {
    const x = wg.ones([2, 2]);
    expect(() => F.dropout(x, 1.5)).toThrow(/dropout: dropout probability has to be between 0 and 1, but got 1.5/);
    expect(() => F.dropout(x, -0.1)).toThrow(/between 0 and 1/);
    expect(() => F.dropout(x, NaN)).toThrow(/between 0 and 1/);
    expect(() => new wg.nn.Dropout(2)).toThrow(/Dropout: dropout probability/);
    expect(() => F.dropout2d(x, 0.5)).toThrow(/dropout2d: expected a 3-D or 4-D input, got shape \[2,2\]/);
    expect(() => F.dropout(wg.ones([2], { dtype: 'int32' }))).toThrow(/floating point/);
  });
});

describe('dropout: the same seed gives the same mask on every backend', () => {
  it.each([['dropout'], ['dropout2d']])('%s', async (which) => {
    const masks: Float32Array[] = [];
    for (const backend of runnable(backends)) {
      await wg.init({ backend, verbose: false });
      wg.manualSeed(42);
      const x = wg.ones([3, 5, 7, 2]);
      const y = which === 'dropout' ? F.dropout(x, 0.4) : F.dropout2d(x, 0.4);
      masks.push((await y.toArray()) as Float32Array);
      wg.destroy();
    }
    for (const m of masks.slice(1)) expect(Array.from(m)).toEqual(Array.from(masks[0]));
    expect(masks[0].some((e) => e === 0) && masks[0].some((e) => e !== 0)).toBe(true);
  });
});
