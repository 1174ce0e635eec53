// wg.profile(): time per kernel (GPU timestamp queries on WebGPU, wall time on the CPU).
import { expect, it } from 'vitest';
import * as wg from 'webgrad-gpu';
import { backendsUnderTest, describeEachBackend } from './helpers/backends.js';
import { expectClose } from './helpers/close.js';

const backends = await backendsUnderTest();

describeEachBackend(backends, 'profile', () => {
  it('reports every kernel of a training step without changing its results', async () => {
    wg.manualSeed(3);
    const x = wg.randn([65, 17]);
    const w = wg.randn([17, 3], { requiresGrad: true });
    const step = (): wg.Tensor => {
      const loss = x.mm(w).clamp(0).exp().sum();
      loss.backward();
      return loss;
    };
    const plain = await step().item();
    const g0 = await w.grad!.toArray();
    wg.noGrad(() => w.grad!.zero_());
    const p = await wg.profile(step);
    expect(await p.result.item()).toBeCloseTo(plain, 4);
    await expectClose(w.grad!, g0, 1e-5, 1e-5, [17, 3]);
    const names = p.kernels.map((k) => k.kernel).join(' | ');
    // Forward mm + the backward's dW (x needs no gradient): two matmul launches.
    const mm = p.kernels.filter((k) => k.kernel.startsWith('matmul'));
    expect(mm.reduce((s, k) => s + k.count, 0), names).toBe(2);
    expect(names).toMatch(/clamp/);
    expect(names).toMatch(/exp/);
    expect(p.totalMs).toBeGreaterThan(0);
    expect(p.kernels.every((k) => k.ms >= 0 && k.count > 0)).toBe(true);
    expect(wg.formatProfile(p, 3).split('\n')).toHaveLength(4);
  });

  it('refuses a profile inside a profile and recovers after a throwing fn', async () => {
    await expect(wg.profile(() => wg.profile(() => 1))).rejects.toThrow(/profile: a profile is already running/);
    await expect(wg.profile(() => { throw new Error('boom'); })).rejects.toThrow('boom');
    const p = await wg.profile(() => wg.ones([4]).add(1));
    await expectClose(p.result, [2, 2, 2, 2]);
  });
});
