// The memory plan of compiled steps on WebGPU (src/backend/webgpu/step-plan.ts): every
// allocation of a compiled call gets a static buffer by its position in the call, shared by
// allocations that do not live at once, so a steady-state call creates no bind group and
// records as one submit. What must never happen: a buffer handed to two live tensors, an
// upload landing before commands that read the buffer's previous contents, a buffer bound for
// reading and writing in one dispatch because a held or fused dispatch still read it. Each
// test compares with eager execution (exactly: eager and compiled run the same float32
// expressions here; 1e-6 where a chain may contract a·b + c into an FMA).
import { expect, it } from 'vitest';
import * as wg from 'webgrad-gpu';
import type { WebGPUBackend } from '../src/backend/webgpu/webgpu-backend.js';
import { makeModel } from '../examples/mnist/model.js';
import { getBackend } from '../src/runtime.js';
import { backendsUnderTest, describeEachBackend } from './helpers/backends.js';
import { compare, rand, type Tol } from './helpers/compile-check.js';

await backendsUnderTest();
const { nn, optim } = wg;
const F = nn.functional;
const TOL: Tol = { rtol: 1e-6, atol: 1e-6 };

const stats = () => ({ ...(getBackend() as WebGPUBackend).stats });
const arr = async (t: wg.Tensor): Promise<Float32Array> => Float32Array.from(await t.toArray());

describeEachBackend(['webgpu'], 'compiled steps: the memory plan', () => {
  it('a training step settles on its plan: no bind group created, one submit per call, shared buffers', async () => {
    const run = (compiled: boolean) => {
      wg.manualSeed(3);
      const model = makeModel(32);
      const opt = new optim.Adam(model.parameters(), { lr: 1e-2 });
      const body = (x: wg.Tensor, y: wg.Tensor, sum: wg.Tensor): wg.Tensor => wg.scope(() => {
        const loss = F.crossEntropy(model.forward(x), y);
        opt.zeroGrad();
        loss.backward();
        opt.step();
        return wg.noGrad(() => sum.add(loss));
      });
      return { step: compiled ? wg.compile(body) : body, model };
    };
    const x = rand([16, 784], 1);
    const y = wg.tensor(Int32Array.from({ length: 16 }, (_, i) => (i * 7) % 10));
    const eager = run(false);
    const comp = run(true);
    // Eager first, then compiled: a switch records the other side's held work inside the call.
    let sumE = wg.zeros([]);
    for (let i = 0; i < 6; i++) {
      const e = eager.step(x, y, sumE);
      sumE.dispose();
      sumE = e;
    }
    let sumC = wg.zeros([]);
    const perCall: { bindGroups: number; submits: number }[] = [];
    for (let i = 0; i < 6; i++) {
      const s0 = stats();
      const c = comp.step(x, y, sumC);
      const s1 = stats();
      perCall.push({ bindGroups: s1.bindGroups - s0.bindGroups, submits: s1.submits - s0.submits });
      sumC.dispose();
      sumC = c;
    }
    compare('loss sum', await arr(sumC), await arr(sumE), TOL);
    for (const [i, p] of [...comp.model.parameters()].entries()) {
      compare(`parameter ${i}`, await arr(p), await arr([...eager.model.parameters()][i]), TOL);
    }
    const info = (comp.step as wg.CompiledStep<unknown[], wg.Tensor>).info();
    expect(info.replanned).toBe(0);
    // Calls 5 and 6: settled. Call 2 made the plan, call 3 gave the running sum (which meets
    // the previous call's) a second buffer and the slots that shared a buffer with a survivor
    // or an upload their own, call 4 bound the sum's two buffers the other way round. The one
    // submit is the call's own batch, sent as it ends.
    for (const p of perCall.slice(4)) expect(p).toEqual({ bindGroups: 0, submits: 1 });
    // Lifetimes shared: the plan holds less than the call allocates in all.
    expect(info.planBytes).toBeGreaterThan(0);
    expect(info.planBytes!).toBeLessThan(2 * info.eagerPeakBytes!);
    for (const t of [sumE, sumC, x, y]) t.dispose();
    (comp.step as wg.CompiledStep<unknown[], wg.Tensor>).reset();
  });

  it('results kept across calls are never overwritten by later calls', async () => {
    const w = rand([8, 8], 2);
    const body = (x: wg.Tensor): wg.Tensor[] => {
      const h = x.mm(w).relu();
      return [h.mul(2).add(1), h.sum(1)];
    };
    const step = wg.compile(body);
    const inputs = [0, 1, 2, 3, 4, 5].map((i) => rand([8, 8], 10 + i));
    const planBytes: (number | null)[] = [];
    const kept = inputs.map((x) => {
      const r = step(x);
      planBytes.push(step.info().planBytes);
      return r;
    });
    const want = inputs.map((x) => body(x));
    // Kept results leave the plan (each call's get fresh buffers): it does not grow with them.
    expect(planBytes.at(-1)).toBe(planBytes[2]);
    for (let i = 0; i < inputs.length; i++) {
      for (let k = 0; k < 2; k++) compare(`call ${i + 1} result ${k}`, await arr(kept[i][k]), await arr(want[i][k]), TOL);
    }
    for (const t of [w, ...inputs, ...kept.flat(), ...want.flat()]) t.dispose();
    step.reset();
  });

  it('an upload inside the step, into a buffer a released temporary used in the same call, lands after its readers', async () => {
    // t (16 floats) is written by the matmul and read by max, both recorded in this call's
    // batch; then t is released and the first planned call gives its buffer to the upload of c
    // (same size class). queue.writeBuffer lands before the batch, so unless the plan submits
    // first, the matmul overwrites c and c.sum() reads t.
    let k = 0;
    const w = rand([4, 4], 6);
    const body = (x: wg.Tensor): wg.Tensor => wg.scope(() => {
      const t = x.mm(w);
      const u = t.max();
      t.dispose();
      k++;
      const c = wg.tensor(Float32Array.from({ length: 16 }, (_, i) => 100 * k + i)).reshape([4, 4]);
      return u.add(c.sum());
    });
    const x = rand([4, 4], 5);
    const step = wg.compile(body);
    const got: wg.Tensor[] = [];
    for (let i = 0; i < 5; i++) got.push(step(x));
    k = 0;
    for (let i = 0; i < 5; i++) compare(`call ${i + 1}`, await arr(got[i]), await arr(body(x)), TOL);
    for (const t of [w, x, ...got]) t.dispose();
    step.reset();
  });

  it('an op after an upload that submitted the batch starts a new chain (the pending one was recorded)', async () => {
    // As above, the first planned call's upload of c submits first, and the submit records the
    // pending chain of a (a size class of its own, so a does not take t's buffer); a.add(1)
    // must not join the recorded chain, whose kernel would never write its result.
    let k = 0;
    const w = rand([4, 4], 16);
    const body = (x: wg.Tensor, big: wg.Tensor): wg.Tensor[] => wg.scope(() => {
      const t = x.mm(w);
      const u = t.max();
      t.dispose();
      const a = big.mul(2);
      k++;
      const c = wg.tensor(Float32Array.from({ length: 16 }, (_, i) => 10 * k + i));
      const b = a.add(1).mul(a);
      return [b, u.add(c.sum())];
    });
    const x = rand([4, 4], 17);
    const big = rand([1000], 18);
    const step = wg.compile(body);
    const got = [0, 1, 2, 3].map(() => step(x, big));
    k = 0;
    for (let i = 0; i < 4; i++) {
      const want = body(x, big);
      for (let j = 0; j < 2; j++) compare(`call ${i + 1} result ${j}`, await arr(got[i][j]), await arr(want[j]), TOL);
    }
    for (const t of [w, x, big, ...got.flat()]) t.dispose();
    step.reset();
  });

  it('a temporary released while a held matmul still reads it is not handed to the fused result', async () => {
    // mm is held for a consumer; t is disposed before clamp takes the product back and fuses
    // it (one dispatch that reads t and writes clamp's result: they must not share a buffer).
    const w = rand([16, 16], 7);
    const body = (x: wg.Tensor): wg.Tensor => wg.scope(() => {
      const t = x.mul(1.5);
      const p = t.mm(w);
      t.dispose();
      return p.clamp(0).sum(0);
    });
    const step = wg.compile(body);
    for (let i = 0; i < 4; i++) {
      const x = rand([16, 16], 20 + i);
      compare(`call ${i + 1}`, await arr(step(x)), await arr(body(x)), TOL);
      x.dispose();
    }
    // A validation error (a buffer bound twice) would surface at the next call into the backend.
    await wg.zeros([1]).item();
    w.dispose();
    step.reset();
  });

  it('a call that takes another branch plans again, and the calls after it still equal eager', async () => {
    let call = 0;
    const w = rand([6, 6], 8);
    const body = (x: wg.Tensor): wg.Tensor => wg.scope(() => {
      call++;
      let h = x.mm(w).tanh();
      if (call % 3 === 0) h = h.mm(w).sigmoid().mul(h);
      return h.sum();
    });
    const step = wg.compile(body);
    const x = rand([6, 6], 9);
    const got: wg.Tensor[] = [];
    const replanned: (number | null)[] = [];
    for (let i = 0; i < 7; i++) {
      got.push(step(x));
      replanned.push(step.info().replanned);
    }
    call = 0;
    for (let i = 0; i < 7; i++) compare(`call ${i + 1}`, await arr(got[i]), await arr(body(x)), TOL);
    // Calls 3 and 6 take the branch: their extra allocations miss the plan, and so do the
    // calls right after (planned again for the shorter sequence).
    expect(replanned[2]).toBeGreaterThan(0);
    for (const t of [w, x, ...got]) t.dispose();
    step.reset();
  });

  it('overlapping async calls run without a plan and still equal eager', async () => {
    const w = rand([8, 8], 11);
    const body = async (x: wg.Tensor): Promise<wg.Tensor> => {
      const a = x.mm(w).relu();
      await new Promise((r) => setTimeout(r, 1));
      return a.mm(w).sum(1);
    };
    const step = wg.compile(body);
    const xs = [0, 1, 2, 3].map((i) => rand([8, 8], 30 + i));
    (await step(xs[0])).dispose();
    const got = await Promise.all(xs.map((x) => step(x)));
    for (let i = 0; i < xs.length; i++) compare(`call ${i + 1}`, await arr(got[i]), await arr(await body(xs[i])), TOL);
    for (const t of [w, ...xs, ...got]) t.dispose();
    step.reset();
  });

  it('wg.memory().planBytes counts the plans\' free buffers; emptyCache() and reset() give them back', async () => {
    // (Every test of this file resets its steps, so this one's plan is the only one.)
    const step = wg.compile((x: wg.Tensor) => wg.scope(() => x.mul(2).exp().sum()));
    const x = rand([1000], 12);
    for (let i = 0; i < 3; i++) step(x).dispose();
    expect(wg.memory().planBytes).toBeGreaterThan(0);
    expect(wg.memory().planBytes).toBe(step.info().planBytes);
    wg.emptyCache();
    expect(wg.memory().planBytes).toBe(0);
    const y = step(x);
    compare('after emptyCache', await arr(y), [await x.mul(2).exp().sum().item()], TOL);
    y.dispose();
    expect(wg.memory().planBytes).toBeGreaterThan(0);
    step.reset();
    expect(wg.memory().planBytes).toBe(0);
    x.dispose();
  });
});
