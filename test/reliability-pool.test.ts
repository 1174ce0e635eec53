// Issue 15 item 9: memory the user can get back. The WebGPU pool destroys free buffers that
// wait more than POOL_IDLE_MS (2 s) for reuse, at a submit or, once the program stops
// submitting, from a timer; memory() reports what the pool holds. The CPU backend has no pool.
import { expect, it } from 'vitest';
import * as wg from 'webgrad-gpu';
import { POOL_IDLE_MS } from '../src/backend/webgpu/buffer-pool.js';
import { backendsUnderTest, describeEachBackend } from './helpers/backends.js';

const backends = await backendsUnderTest();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describeEachBackend(backends, 'the buffer pool when idle', (backend) => {
  it('gives back what a big computation left once it has been idle, and keeps a busy loop\'s buffers', async () => {
    // 4 MiB temporaries, freed at once (dropped ones would wait for the garbage collector).
    const total = wg.scope(() => wg.ones([1 << 20]).mul(3).sum());
    expect(await total.item()).toBe(3 * (1 << 20));
    total.dispose();
    const after = wg.memory().poolBytes;
    if (backend === 'cpu') {
      expect(after).toBe(0);
      return;
    }
    expect(after).toBeGreaterThanOrEqual(4 << 20);
    // A loop that keeps running reuses its (small) buffers: they stay pooled while it runs.
    const x = wg.randn([64, 64]);
    const t0 = performance.now();
    while (performance.now() - t0 < 1.5 * POOL_IDLE_MS + 500) {
      const s = wg.scope(() => x.mm(x).relu().sum());
      await s.item();
      s.dispose();
      await sleep(20);
    }
    const busy = wg.memory().poolBytes;
    expect(busy).toBeGreaterThan(0); // the loop's size classes are still there
    expect(busy).toBeLessThan(4 << 20); // the big computation's are gone (trimmed at a submit)
    // Idle: the timer gives back the rest (it checks every POOL_IDLE_MS + 50 ms, so a buffer
    // freed just after a check goes at the next: within two periods; polled on a loaded machine).
    const idleStart = performance.now();
    while (wg.memory().poolBytes > 0 && performance.now() - idleStart < 3 * POOL_IDLE_MS + 1000) await sleep(100);
    expect(wg.memory().poolBytes).toBe(0);
    expect(performance.now() - idleStart).toBeGreaterThan(POOL_IDLE_MS / 2); // not at once: the loop's buffers were recent
    // And the pool works as before afterwards.
    expect(await x.mm(x).relu().sum().item()).toBeGreaterThan(0);
    x.dispose();
  }, 30_000);
});
