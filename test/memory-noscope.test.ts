// Issue 15 item 4: the first README example's training loop WITHOUT scope() and disposing
// nothing stays bounded. Tensors the loop drops are freed by the FinalizationRegistry, whose
// callbacks run only as event-loop tasks: readbacks now give it one now and then (every 16 ms
// at most). CPU readbacks used to resolve as microtasks only, so even after a garbage
// collection nothing was freed: 10,000 steps kept 80,000 tensors.
//
// When V8 collects is its own choice (in this test's worker, with its large heap, a tiny model
// reached 59,000 dropped tensors before the first major GC, and none in 2,000 WebGPU steps),
// so the test collects every 1,000 steps, as a program's own allocations would make V8 do, and
// checks that the loop itself (its readbacks, no other await) lets the finalizers free them.
import v8 from 'node:v8';
import vm from 'node:vm';
import { expect, it } from 'vitest';
import * as wg from 'webgrad-gpu';
import { backendsUnderTest, describeEachBackend } from './helpers/backends.js';

const backends = await backendsUnderTest();

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Tensors a step of this loop leaves behind without scope(), when nothing reclaims them. */
const PER_STEP = 8;

describeEachBackend(backends, 'the README loop without scope()', (backend) => {
  // 10,000 steps take ~5 s on the CPU backend; on lavapipe a step is ~8 ms of recording and
  // emulated dispatch (2,000 took 17 s), so 10,000 would be over a minute of CI: WebGPU runs
  // 1,000, collecting every 250 (its readbacks resolve from a task anyway).
  const steps = backend === 'cpu' ? 10_000 : 1_000;
  const every = backend === 'cpu' ? 1000 : 250;

  it(`stays bounded over ${steps} steps: live tensors and bytes are reclaimed, never grow with the step count`, async () => {
    wg.manualSeed(0);
    const data = wg.randn(8, 4);
    const label = wg.randn(8, 4);
    const w1 = wg.randn(4, 3, { requiresGrad: true });
    const w2 = wg.randn(3, 4, { requiresGrad: true });
    // What earlier tests dropped is freed first, so the counts below are this loop's.
    for (let i = 0; i < 3; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 10));
    }
    const start = wg.memory();
    let maxLive = 0;
    let maxBytes = 0;
    let reclaimed = 0; // the largest drop of the live count between two samples
    let prev = start.liveTensors;
    let maxAfterGc = 0; // live tensors right after the readback that follows each collection
    let first = NaN;
    let last = NaN;
    for (let step = 0; step < steps; step++) {
      const loss = data.mm(w1).clamp(0).mm(w2).sub(label).pow(2).sum();
      if (step % 100 === 0) {
        const v = await loss.item(); // the only readback, as in the README
        if (step === 0) first = v;
        last = v;
        const m = wg.memory();
        reclaimed = Math.max(reclaimed, prev - m.liveTensors);
        prev = m.liveTensors;
        if (step % every === 0 && step > 0) maxAfterGc = Math.max(maxAfterGc, m.liveTensors - start.liveTensors);
      }
      if (step % every === every - 1) gc();
      loss.backward();
      wg.noGrad(() => {
        w1.sub_(w1.grad!.mul(1e-3));
        w2.sub_(w2.grad!.mul(1e-3));
        w1.grad!.zero_();
        w2.grad!.zero_();
      });
      const m = wg.memory();
      maxLive = Math.max(maxLive, m.liveTensors - start.liveTensors);
      maxBytes = Math.max(maxBytes, m.bytesInUse - start.bytesInUse);
    }
    const leak = PER_STEP * steps;
    console.log(`${backend}: ${steps} steps without scope(): at most ${maxLive} live tensors (a leak would reach ${leak}), ${(maxBytes / 1024).toFixed(0)} KiB; after each collection at most ${maxAfterGc}; largest reclaim ${reclaimed}`);
    expect(last).toBeLessThan(first); // it trains
    // After each collection the loop's next readback let the finalizers free what it dropped:
    // what remains is at most this step's tensors, whatever the step count.
    // (17 measured on the CPU: the readback comes mid-step, after the forward).
    expect(maxAfterGc).toBeLessThanOrEqual(3 * PER_STEP);
    // Between a collection and the readback after it (at most 100 steps later) at most
    // `every + 100` steps' worth accumulates, and no more.
    const bound = PER_STEP * (every + 100) + 3 * PER_STEP;
    expect(maxLive).toBeLessThanOrEqual(bound);
    // Bytes likewise: tensors of at most 8 x 4 floats (256-byte size classes on WebGPU).
    expect(maxBytes).toBeLessThanOrEqual(bound * (backend === 'cpu' ? 128 : 256));
    for (const t of [data, label, w1, w2]) {
      t.grad?.dispose();
      t.dispose();
    }
  }, 120_000);
});
