// The tutorial's training loop, through the public API, waits on the GPU only at item():
// every other step records work and submits it, with no mapAsync.
import { expect, it } from 'vitest';
import * as wg from 'webgrad-gpu';
import type { WebGPUBackend } from '../src/backend/webgpu/webgpu-backend.js';
import { getBackend } from '../src/runtime.js';
import { backendsUnderTest, describeEachBackend } from './helpers/backends.js';

const backends = await backendsUnderTest();

// Without an adapter this block is reported as skipped (a failure under CI): see helpers/backends.ts.
describeEachBackend(backends.filter((b) => b === 'webgpu'), 'readbacks', () => {
  it('the two-layer training loop maps no buffer until item()', async () => {
    const gpu = getBackend() as WebGPUBackend;
    wg.manualSeed(0);
    const data = wg.randn([233, 10]);
    const label = wg.randn([233, 10]);
    const w1 = wg.randn([10, 7], { requiresGrad: true });
    const w2 = wg.randn([7, 10], { requiresGrad: true });
    const before = gpu.stats.readbacks;
    let loss: wg.Tensor | null = null;
    for (let step = 0; step < 20; step++) {
      loss?.dispose();
      loss = wg.scope(() => {
        const l = data.mm(w1).clamp(0).mm(w2).sub(label).pow(2).sum();
        l.backward();
        wg.noGrad(() => {
          w1.sub_(w1.grad!.mul(1e-4));
          w2.sub_(w2.grad!.mul(1e-4));
          w1.grad!.zero_();
          w2.grad!.zero_();
        });
        return l;
      });
    }
    expect(gpu.stats.readbacks - before, 'mapAsync calls during 20 steps').toBe(0);
    expect(await loss!.item()).toBeGreaterThan(0);
    expect(gpu.stats.readbacks - before, 'mapAsync calls after one item()').toBe(1);
  });
});
