// The short form of `npm run soak` (bench/soak.ts): 300 steps of the tutorial net, each inside
// scope(); after a 50-step warm-up, live tensors and device bytes must not move and the pool
// must not grow. The long form runs 20,000 steps and prints the figures.
import { expect, it } from 'vitest';
import * as wg from '../src/index.js';
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
});
