// The short form of `npm run soak` (bench/soak.ts): 300 steps of the tutorial net, each inside
// scope(); after a 50-step warm-up, live tensors and device bytes must not move and the pool
// must not grow. The long form runs 20,000 steps and prints the figures.
import { expect, it } from 'vitest';
import * as wg from 'webgrad-gpu';
import { soak } from '../bench/soak.js';
import { backendsUnderTest, describeEachBackend } from './helpers/backends.js';

const backends = await backendsUnderTest();

describeEachBackend(backends, 'soak', () => {
  it('keeps live tensors, bytes and pool flat over 300 training steps', async () => {
    const before = wg.memory();
    const r = await soak(300, 50, 50);
    expect(r.samples.map((s) => s.step)).toEqual([50, 100, 150, 200, 250, 300]);
    for (const s of r.samples) {
      // data, label, w1, w2 and the two .grads: nothing else survives a step
      expect(s.liveTensors, `live tensors at step ${s.step}`).toBe(before.liveTensors + 6);
      expect(s.bytesInUse, `bytes in use at step ${s.step}`).toBe(r.warm.bytesInUse);
      expect(s.poolBytes, `pool at step ${s.step}`).toBeLessThanOrEqual(r.poolPeak);
    }
    expect(r.flat).toBe(true);
    expect(r.end.loss).toBeLessThan(r.samples[0].loss);
    const after = wg.memory();
    expect(after.liveTensors).toBe(before.liveTensors);
    expect(after.bytesInUse).toBe(before.bytesInUse);
  });

  it('stays flat without scope() when the user disposes what they hold: op temporaries die with the graph', async () => {
    wg.manualSeed(3);
    const x = wg.randn([16, 8]);
    const w = wg.randn([8, 4], { requiresGrad: true });
    const v = wg.randn([4], { requiresGrad: true });
    const counts: number[] = [];
    for (let step = 0; step < 300; step++) {
      // Number operands, a vector matmul and max(dim): each makes tensors no user holds.
      // Every tensor this code creates has a name and is disposed; a leak shows in the count.
      const a = x.mm(w);
      const b = a.mul(0.5);
      const c = b.add(1);
      const h = c.tanh();
      const [m, mi] = h.max(1);
      const hv = h.matmul(v);
      const ms = m.sum();
      const sq = hv.pow(2);
      const mse = sq.mean();
      const reg = mse.mul(0.1);
      const loss = ms.add(reg);
      loss.backward();
      wg.noGrad(() => {
        w.sub_(w.grad!, 0.01);
        v.sub_(v.grad!, 0.01);
        w.grad!.zero_();
        v.grad!.zero_();
      });
      for (const t of [a, b, c, h, m, mi, hv, ms, sq, mse, reg, loss]) t.dispose();
      if (step % 50 === 49) counts.push(wg.memory().liveTensors);
    }
    expect(new Set(counts).size, `live tensors every 50 steps: ${counts.join(', ')}`).toBe(1);
    for (const t of [x, w, v, w.grad!, v.grad!]) t.dispose();
  });
});
