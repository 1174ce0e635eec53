// wg.compile (src/compile.ts) on both backends: what a compiled step promises beyond the chain
// kernels of test/compile-gpu.test.ts. Ordering hazards around pending chains (in-place writes
// of what a chain reads, optimizer steps, matmuls before and after, int32 ops in between),
// training equal to eager (MLP, the MNIST CNN, a tiny GPT), and the API: readbacks refused
// inside a step, signatures, the plan cache and its bound, options, errors thrown inside a
// step, autograd errors, nested steps.
//
// Tolerances: on the CPU backend a compiled step runs fn eagerly, so results are compared
// exactly. On WebGPU eager and compiled run the same float32 expressions; a driver may contract
// a chain's a·b + c into an FMA (half an ulp of a·b), hence 1e-6 relative (plus 1e-6 absolute
// for sums of O(1) values that cancel). Training runs the 100 steps of the MLP, the CNN
// and the GPT on both backends (on lavapipe, 100 eager + 100 compiled steps took 17 s for the
// CNN at batch 2 and 21 s for the GPT on a shared 2-core machine; all within 1e-6).
import { expect, it } from 'vitest';
import * as wg from 'webgrad-gpu';
import { makeCnn } from '../examples/mnist/model.js';
import { GPT } from '../examples/gpt/model.js';
import { getBackend } from '../src/runtime.js';
import { backendsUnderTest, describeEachBackend } from './helpers/backends.js';
import { compare, expectFewerDispatches, rand, sameAsEager, type Tol } from './helpers/compile-check.js';

const backends = await backendsUnderTest();
const { nn, optim } = wg;
const F = nn.functional;

const EXACT: Tol = { rtol: 0, atol: 0 };
const GPU_TOL: Tol = { rtol: 1e-6, atol: 1e-6 };
const tolFor = (backend: wg.BackendChoice): Tol => (backend === 'cpu' ? EXACT : GPU_TOL);

/** Dispatches of `fn` run eagerly (0 on the CPU backend). */
function dispatchesOf(fn: () => void): number {
  const b = getBackend();
  b.flush();
  const d0 = b.dispatchCount();
  fn();
  b.flush();
  return b.dispatchCount() - d0;
}

const ints = (n: number, hi: number, seed: number): wg.Tensor =>
  wg.tensor(Int32Array.from({ length: n }, (_, i) => (i * 7 + seed * 3 + ((i * i) % 5)) % hi));

describeEachBackend(backends, 'compiled steps: ordering hazards', (backend) => {
  const tol = tolFor(backend);
  const fewer = (info: wg.CompiledStepInfo): void => {
    if (backend === 'webgpu') expectFewerDispatches(info);
    else expect([info.eagerDispatches, info.dispatches]).toEqual([null, null]);
  };

  it('in-place sub_, mul_, div_, zero_, add_ and fill_ of tensors a pending chain reads (and of a chain result), seen through views', async () => {
    const info = await sameAsEager(
      () => ({ x: rand([5, 7], 1), y: rand([7], 2), z: rand([5, 7], 3) }),
      ({ x, y, z }) => {
        const a = x.mul(2).add(y).exp();          // reads x, y
        x.sub_(1);                                // writes x while a is pending
        const b = x.mul(3).tanh().add(y);
        x.mul_(0.5);
        y.zero_();
        const c = x.add(y).mul(x);
        z.add_(a.mul(0.1));                       // an in-place write reading a chain result
        const d = z.sigmoid().sub(a);
        y.fill_(0.25);
        const flat = x.reshape([35]);             // views see later in-place writes
        const xt = x.t();
        xt.add_(a.t());                           // through a transposed view, reading a chain result
        x.div_(xt.t().abs().add(1));
        return [a, b, c, d, x.mul(1), y.mul(1), z.mul(1), flat.mul(1), xt.mul(1)];
      },
      tol,
    );
    fewer(info);
  });

  it('an optimizer step (SGD with momentum, Adam) updating parameters pending chains read', async () => {
    const info = await sameAsEager(
      () => {
        wg.manualSeed(3);
        const p = rand([4, 6], 4, { requiresGrad: true });
        const q = rand([6], 5, { requiresGrad: true });
        return { p, q, x: rand([4, 6], 6), sgd: new optim.SGD([p], { lr: 0.1, momentum: 0.9 }), adam: new optim.Adam([q], { lr: 0.05 }) };
      },
      ({ p, q, x, sgd, adam }) => {
        sgd.zeroGrad();
        adam.zeroGrad();
        const before = wg.noGrad(() => p.mul(2).add(q).relu());
        const loss = p.mul(x).add(q).tanh().mul(p).sum();
        loss.backward();
        sgd.step();
        adam.step();
        const after = wg.noGrad(() => p.mul(2).add(q).relu());
        return [before, loss, after, p.mul(1), q.mul(1), p.grad!.mul(1)];
      },
      tol,
      5,
    );
    fewer(info);
  });

  it('a matmul reading a chain result, chains reading a held matmul (bias + relu, clamp epilogue), and their backward', async () => {
    const info = await sameAsEager(
      () => ({ x: rand([5, 9], 7), w: rand([9, 3], 8, { requiresGrad: true }), b: rand([3], 9, { requiresGrad: true }) }),
      ({ x, w, b }) => {
        w.grad = null;
        b.grad = null;
        const m1 = x.exp().add(1).mm(w).relu();
        const m2 = x.mm(w).add(b).relu().mul(2).sub(b);
        const m3 = x.mm(w).clamp(0).mul(3).add(b);
        const m4 = F.linear(x.tanh(), w.t(), b).relu().mul(0.5);
        m1.add(m2).add(m3).add(m4).square().mean().backward();
        return [m1, m2, m3, m4, w.grad!, b.grad!];
      },
      tol,
    );
    fewer(info);
  });

  it('int32 ops mixed into float chains stay correct (they do not join a chain)', async () => {
    const info = await sameAsEager(
      () => ({ x: rand([3, 17], 10), idx: ints(51, 5, 1).reshape([3, 17]) }),
      ({ x, idx }) => {
        const f = x.exp().add(1);
        const i = idx.add(1).mul(2).sub(idx);
        const g = f.mul(i.float()).sub(i.float().mul(0.5)).relu();
        const am = g.argmax(1);
        const back = g.add(am.unsqueeze(1).float()).maximum(i.float());
        // Mixed float32/int32 operands promote to float32 (one operand is not float32: no chain).
        const mixed = x.mul(idx).add(1).sub(idx.mul(x.exp())).div(idx.add(1));
        return [g, i, am, back, mixed];
      },
      tol,
    );
    fewer(info);
  });

  it('views as chain inputs (transpose, narrow, select, expand), a transposed read of a pending result, in-place writes to chain results', async () => {
    const info = await sameAsEager(
      () => ({ x: rand([5, 4], 12), y: rand([4, 5], 13) }),
      ({ x, y }) => {
        const a = x.exp();
        const t1 = a.t().add(y).mul(a.t());                           // a pending result read transposed
        const t2 = x.t().exp().add(y).mul(x.t());
        const t3 = x.narrow(0, 2, 3).exp().add(x.narrow(0, 1, 3)).mul(y.narrow(0, 1, 3).narrow(1, 1, 4));
        const t4 = x.select(0, 3).exp().add(x.select(1, 2).narrow(0, 1, 4)).sigmoid();
        const t5 = x.narrow(1, 2, 1).expand([5, 4]).exp().add(x);
        const b = x.neg().add(2);
        b.add_(1);                                                    // in-place writes to chain results
        const c = b.mul(2);
        b.mul_(b);
        const d = c.sub(b).add(a);
        a.sub_(d);
        return [t1, t2, t3, t4, t5, b, c, d, a.mul(1)];
      },
      tol,
    );
    fewer(info);
  });

  it('chains of different sizes interleaved, empty tensors, intermediates whose buffers are released and reused within one step', async () => {
    const info = await sameAsEager(
      () => ({ x: rand([5, 4], 14), y: rand([3, 2], 15), e: rand([3, 0], 16) }),
      ({ x, y, e }) => {
        const a = x.exp();
        const b = y.exp();
        const c = a.add(1);
        const d = b.add(2);
        const empty = e.exp().add(e).mul(2);
        const outs: wg.Tensor[] = [];
        for (let i = 0; i < 6; i++) {
          const t = x.add(i);
          outs.push(t.mul(2));
          t.dispose();   // its buffer may serve a later op of the same chain
        }
        return [c, d, empty, a.mul(c), outs.reduce((p, q) => p.mul(q).tanh())];
      },
      tol,
    );
    fewer(info);
  });

  it('the results are read after the step (item, toArray) and equal eager ones', async () => {
    const x = rand([65], 11);
    const fn = (t: wg.Tensor) => t.mul(t).add(1).sqrt().sum();
    const want = await fn(x).item();
    const step = wg.compile(fn);
    for (let i = 0; i < 3; i++) {
      const got = await step(x).item();
      compare(`call ${i + 1}`, [got], [want], tol);
    }
  });
});

interface Trainer {
  step: () => wg.Tensor;
  params: () => wg.Tensor[];
}

/** The usual classifier step (zeroGrad, cross-entropy, backward, step) over fixed x and y. */
const classifier = (model: wg.nn.Module, opt: { zeroGrad(): void; step(): void }, x: wg.Tensor, y: wg.Tensor): Trainer => ({
  step: () => {
    opt.zeroGrad();
    const loss = F.crossEntropy(model.forward(x), y);
    loss.backward();
    opt.step();
    return loss;
  },
  params: () => [...model.parameters()],
});

/**
 * Trains twice from `build()` (which seeds and builds model, optimizer and data): `steps`
 * eager steps, then `steps` calls of the compiled step; compares every loss and the final
 * parameters.
 */
async function trainTwice(name: string, build: () => Trainer, steps: number, tol: Tol): Promise<wg.CompiledStepInfo> {
  const eager = build();
  const eagerLosses: number[] = [];
  for (let i = 0; i < steps; i++) eagerLosses.push(await wg.scope(async () => eager.step().item()));
  const compiled = build();
  const step = wg.compile(compiled.step);
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) losses.push(await wg.scope(async () => step().item()));
  compare('losses', losses, eagerLosses, tol);
  // The losses must move, or the comparison proves little.
  expect(Math.abs(eagerLosses[steps - 1] - eagerLosses[0])).toBeGreaterThan(1e-3);
  const want = eager.params();
  const got = compiled.params();
  for (let k = 0; k < want.length; k++) compare(`parameter ${k}`, await got[k].toArray(), await want[k].toArray(), tol);
  const info = step.info();
  expect([info.calls, info.traces]).toEqual([steps, 1]);
  if (info.dispatches !== null) console.log(`${name}: ${info.eagerDispatches} dispatches per eager step, ${info.dispatches} compiled`);
  return info;
}

describeEachBackend(backends, 'compiled training equals eager', (backend) => {
  const tol = tolFor(backend);

  it('an MLP with Adam, 100 steps', async () => {
    const info = await trainTwice('MLP', () => {
      wg.manualSeed(0);
      const model = new nn.Sequential(new nn.Linear(6, 16), new nn.ReLU(), new nn.Linear(16, 16), new nn.Tanh(), new nn.Linear(16, 3));
      const opt = new optim.Adam(model.parameters(), { lr: 1e-2 });
      const x = rand([8, 6], 1);
      const y = ints(8, 3, 2);
      return classifier(model, opt, x, y);
    }, 100, tol);
    if (backend === 'webgpu') expectFewerDispatches(info);
  });

  it('an MLP with dropout (same seed) and SGD with momentum, 10 steps', async () => {
    await trainTwice('MLP with dropout', () => {
      wg.manualSeed(1);
      const model = new nn.Sequential(new nn.Linear(6, 32), new nn.ReLU(), new nn.Dropout(0.3), new nn.Linear(32, 3));
      const opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
      const x = rand([8, 6], 3);
      const y = ints(8, 3, 4);
      wg.manualSeed(2);
      return classifier(model, opt, x, y);
    }, 10, tol);
  });

  it('the MNIST CNN (batch norm in training mode), Adam, 100 steps', async () => {
    const info = await trainTwice('CNN', () => {
      wg.manualSeed(0);
      const model = makeCnn();
      const opt = new optim.Adam(model.parameters(), { lr: 2e-3 });
      const x = rand([2, 784], 5);
      const y = ints(2, 10, 6);
      // The running statistics of the batch norms too (buffers, not parameters).
      return { ...classifier(model, opt, x, y), params: () => Object.values(model.stateDict()) };
    }, 100, tol);
    if (backend === 'webgpu') expectFewerDispatches(info);
  });

  it('a tiny GPT with AdamW and clipGradNorm_, 100 steps', async () => {
    const info = await trainTwice('GPT', () => {
      wg.manualSeed(0);
      const model = new GPT({ vocabSize: 11, layers: 1, heads: 2, embd: 8, block: 8 });
      const opt = new optim.AdamW(model.paramGroups(0.1), { lr: 1e-2 });
      const idx = ints(16, 11, 7).reshape([2, 8]);
      const targets = ints(16, 11, 8);
      return {
        step: () => {
          opt.zeroGrad();
          const loss = F.crossEntropy(model.forward(idx), targets);
          loss.backward();
          nn.utils.clipGradNorm_(model.parameters(), 0.5);
          opt.step();
          return loss;
        },
        params: () => [...model.parameters()],
      };
    }, 100, tol);
    if (backend === 'webgpu') expectFewerDispatches(info);
  });
});

describeEachBackend(backends, 'wg.compile API', (backend) => {
  it('a readback inside the step is refused (item, toArray, tolist, format), naming the call and saying to return the tensor', async () => {
    const x = rand([3], 1);
    const reads = [(t: wg.Tensor) => t.item(), (t: wg.Tensor) => t.toArray(), (t: wg.Tensor) => t.tolist(), (t: wg.Tensor) => t.format()];
    for (const read of reads) {
      const step = wg.compile(async (t: wg.Tensor) => read(t.sum().exp()));
      for (let call = 0; call < 2; call++) {
        const err = await step(x).then(() => null, (e: unknown) => e);
        expect(err).toBeInstanceOf(wg.WebgradError);
        expect((err as Error).message).toMatch(/(item|toArray|tolist|format)\(\) inside a compiled step/);
        expect((err as Error).message).toMatch(/[Rr]eturn the tensor/);
      }
    }
    // Outside the step reads work again.
    expect(await x.sum().item()).toBeCloseTo(Array.from(await x.toArray()).reduce((a, b) => a + b, 0), 5);
  });

  it('signatures: a new shape, dtype, requiresGrad or other argument traces again; maxPlans evicts the least recently used; reset() drops all', async () => {
    const base = wg.memory().compiledPlans;
    const a3 = rand([3], 1);
    const a4 = rand([4], 2);
    const fn = (x: wg.Tensor, k: number) => x.mul(k).add(1);
    const step = wg.compile(fn, { maxPlans: 2 });
    const expectState = async (x: wg.Tensor, k: number, traces: number, plans: number): Promise<void> => {
      const got = await step(x, k).toArray();
      compare(`k=${k} [${x.shape}]`, got, await fn(x, k).toArray(), EXACT);
      const info = step.info();
      expect([info.traces, info.plans]).toEqual([traces, plans]);
      expect(wg.memory().compiledPlans).toBe(base + plans);
    };
    await expectState(a3, 2, 1, 1);
    await expectState(a3, 2, 1, 1);
    await expectState(a4, 2, 2, 2);
    await expectState(a3, 3, 3, 2);   // another number: traces; (a3, 2) was least recently used
    await expectState(a4, 2, 3, 2);   // still cached
    await expectState(a3, 2, 4, 2);   // evicted above: traces again, evicting (a3, 3)
    await expectState(a3, 3, 5, 2);
    await expectState(a4, 2, 6, 2);   // (a4, 2) was the least recently used at the last trace
    expect(step.info().calls).toBe(8);
    // dtype and requiresGrad are part of the signature.
    const fresh = wg.compile((x: wg.Tensor) => x.add(x));
    fresh(a3);
    fresh(wg.tensor([1, 2, 3], { dtype: 'int32' }));
    fresh(a3.detach().requiresGrad_());
    fresh(a3);
    expect([fresh.info().traces, fresh.info().plans]).toEqual([3, 3]);
    expect(wg.memory().compiledPlans).toBe(base + 5);
    step.reset();
    expect(step.info().plans).toBe(0);
    expect(wg.memory().compiledPlans).toBe(base + 3);
    step(a3, 2);
    expect([step.info().traces, step.info().plans]).toEqual([7, 1]);
    fresh.reset();
    step.reset();
    expect(wg.memory().compiledPlans).toBe(base);
    // The default bound is 8 plans.
    const many = wg.compile((x: wg.Tensor) => x.neg().add(1));
    for (let n = 1; n <= 10; n++) many(rand([n], n));
    expect([many.info().traces, many.info().plans, wg.memory().compiledPlans]).toEqual([10, 8, base + 8]);
    many.reset();
    // An object argument is one signature whatever it holds: fn's JavaScript runs on every call,
    // so tensors of other shapes inside it still give the right results.
    const boxed = wg.compile((o: { x: wg.Tensor }) => o.x.exp().add(1).mul(o.x));
    for (const n of [3, 5, 3]) {
      const x = rand([n], 40 + n);
      compare(`boxed [${n}]`, await boxed({ x }).toArray(), await x.exp().add(1).mul(x).toArray(), tolFor(backend));
    }
    expect(boxed.info().traces).toBe(1);
    boxed.reset();
    expect(wg.memory().compiledPlans).toBe(base);
  });

  it('info() before any call, and on the CPU backend without dispatch counts', () => {
    const step = wg.compile((x: wg.Tensor) => x.neg().exp());
    expect(step.info()).toEqual({
      calls: 0, traces: 0, plans: 0, eagerDispatches: null, dispatches: null, eagerPeakBytes: null, peakBytes: null, planBytes: null, replanned: null,
    });
    step(rand([5], 1));
    step(rand([5], 2));
    const info = step.info();
    expect([info.calls, info.traces, info.plans]).toEqual([2, 1, 1]);
    if (backend === 'cpu') expect([info.eagerDispatches, info.dispatches]).toEqual([null, null]);
    else expect([info.eagerDispatches, info.dispatches]).toEqual([2, 1]);
    // Two results of 5 floats (the pool's smallest size class on WebGPU) at the highest point.
    expect(info.eagerPeakBytes).toBeGreaterThanOrEqual(2 * 5 * 4);
    expect(info.peakBytes).toBeGreaterThanOrEqual(5 * 4);
    // The compiled call's memory plan: a slot per allocation, 256 B each (the smallest size
    // class). neg's result is not disposed in the call, so it keeps a buffer of its own.
    if (backend === 'cpu') expect([info.planBytes, info.replanned]).toEqual([null, null]);
    else expect([info.planBytes, info.replanned]).toEqual([512, 0]);
    step.reset();
  });

  it('reports each call\'s peak bytes; compiled, the temporaries of a chain are reused at once', async () => {
    // 32 temporaries of 64K floats, each disposed before the next is made: eager keeps their
    // buffers until the submit that runs them; a chain never stores them.
    const n = 1 << 16;
    const fn = (x: wg.Tensor): wg.Tensor => {
      let y = x.mul(2);
      for (let i = 0; i < 16; i++) {
        const prev = y;
        y = wg.scope(() => prev.mul(1.01).add(0.1));
        prev.dispose();
      }
      return y;
    };
    const step = wg.compile(fn);
    const x = rand([n], 3);
    const eager = fn(x);
    const traced = step(x);
    const compiled = step(x);
    expect(Array.from(await compiled.toArray())).toEqual(Array.from(await eager.toArray()));
    const { eagerPeakBytes, peakBytes } = step.info();
    expect(eagerPeakBytes).toBeGreaterThanOrEqual(n * 4);
    expect(peakBytes).toBeGreaterThanOrEqual(n * 4);
    // Measured on lavapipe: 7.37 MB eager (all 33 results), 1.84 MB compiled.
    if (backend === 'webgpu') expect(peakBytes!).toBeLessThanOrEqual(eagerPeakBytes! / 3);
    for (const t of [x, eager, traced, compiled]) t.dispose();
    step.reset();
  });

  it('bad arguments and options throw a WebgradError and create nothing', () => {
    const base = wg.memory().compiledPlans;
    const fn = (x: wg.Tensor) => x;
    expect(() => wg.compile(fn, { maxPlans: 0 })).toThrow(wg.WebgradError);
    expect(() => wg.compile(fn, { maxPlans: 0 })).toThrow(/compile.*maxPlans.*0/);
    expect(() => wg.compile(fn, { maxPlans: 1.5 })).toThrow(/maxPlans/);
    expect(() => wg.compile(fn, { maxPlans: -2 })).toThrow(/maxPlans/);
    expect(() => wg.compile(fn, { maxPlans: '3' as unknown as number })).toThrow(/maxPlans/);
    expect(() => wg.compile(fn, { maxPlan: 3 } as wg.CompileOptions)).toThrow(wg.WebgradError);
    expect(() => wg.compile(fn, { maxPlan: 3 } as wg.CompileOptions)).toThrow(/maxPlan\b/);
    expect(() => wg.compile(42 as unknown as typeof fn)).toThrow(wg.WebgradError);
    expect(() => wg.compile(42 as unknown as typeof fn)).toThrow(/compile.*function/);
    expect(() => wg.compile(fn, { memoryPlan: 'yes' as unknown as boolean })).toThrow(/compile.*memoryPlan.*yes/);
    expect(wg.memory().compiledPlans).toBe(base);
  });

  it('an error thrown inside the step propagates and leaves compiled mode off; what the step computed before it is right', async () => {
    const x = rand([257], 2);
    let leaked: wg.Tensor | null = null;
    let fail = false;
    const step = wg.compile((t: wg.Tensor) => {
      leaked = t.exp().add(1).mul(t);
      if (fail) throw new Error('boom in step');
      return leaked.neg();
    });
    step(x);
    step(x);
    fail = true;
    expect(() => step(x)).toThrow('boom in step');
    compare('computed before the throw', await leaked!.toArray(), await x.exp().add(1).mul(x).toArray(), tolFor(backend));
    // Eager again: three unary ops, three dispatches on WebGPU (one if a chain were still collecting).
    expect(dispatchesOf(() => void x.neg().exp().abs())).toBe(backend === 'webgpu' ? 3 : 0);
    // The same for an async step that rejects.
    const asyncStep = wg.compile(async (t: wg.Tensor) => {
      const y = t.sigmoid().mul(2);
      await Promise.resolve();
      if (fail) throw new wg.WebgradError('mine', 'async boom');
      return y;
    });
    fail = false;
    await asyncStep(x);
    fail = true;
    await expect(asyncStep(x)).rejects.toThrow('async boom');
    expect(dispatchesOf(() => void x.neg().exp().abs())).toBe(backend === 'webgpu' ? 3 : 0);
    // And readbacks are allowed again.
    expect(await x.sum().item()).toBeTypeOf('number');
  });

  it('overlapping calls of an async step give right results and leave compiled mode off once all have settled', async () => {
    const x = rand([17], 5);
    const step = wg.compile(async (t: wg.Tensor, ms: number) => {
      const y = t.exp();
      await new Promise((ok) => setTimeout(ok, ms));
      return y.add(1).neg();
    });
    const want = await x.exp().add(1).neg().toArray();
    // Trace both signatures (the delay is part of it), so the overlapping calls run compiled.
    await step(x, 5);
    await step(x, 30);
    // The first call settles before the second, which found compiled mode on when it started.
    const [a, b] = await Promise.all([step(x, 5), step(x, 30)]);
    try {
      compare('first of two overlapping calls', await a.toArray(), want, tolFor(backend));
      compare('second of two overlapping calls', await b.toArray(), want, tolFor(backend));
      expect(dispatchesOf(() => void x.neg().exp().abs())).toBe(backend === 'webgpu' ? 3 : 0);
    } finally {
      getBackend().compiledMode(false);   // so that a failure here does not spill into later tests
    }
  });

  it('autograd errors still fire in compiled calls: backward through a freed graph, a saved tensor changed in place', async () => {
    const x = rand([4], 3, { requiresGrad: true });
    const twice = wg.compile((t: wg.Tensor) => {
      const l = t.mul(2).exp().sum();
      l.backward();
      l.backward();
    });
    const inPlace = wg.compile((t: wg.Tensor) => {
      const y = t.mul(2);
      const z = y.exp();
      wg.noGrad(() => y.add_(1));   // a new version of what exp saved
      z.sum().backward();
    });
    for (let call = 0; call < 3; call++) {
      expect(() => twice(x)).toThrow(wg.WebgradError);
      expect(() => twice(x)).toThrow(/second time/);
      expect(() => inPlace(x)).toThrow(wg.WebgradError);
      expect(() => inPlace(x)).toThrow(/modified by an in-place operation/);
    }
    expect([twice.info().calls, twice.info().traces, inPlace.info().traces]).toEqual([6, 1, 1]);
    expect(dispatchesOf(() => void x.detach().neg().exp().abs())).toBe(backend === 'webgpu' ? 3 : 0);
  });

  it('nested compiled steps: an inner step traced and run inside an outer compiled one', async () => {
    const inner = wg.compile((t: wg.Tensor) => t.exp().add(1).mul(t));
    let wide = false;
    const outer = wg.compile((t: wg.Tensor) => {
      // The outer signature never changes; the inner one does when `wide` flips, so the inner
      // step traces inside the outer's compiled call.
      const u = wide ? t.reshape([5, 13]) : t;
      return inner(u).sub(2).tanh().reshape([65]);
    });
    const x = rand([65], 4, { special: true });
    const want = await x.exp().add(1).mul(x).sub(2).tanh().toArray();
    for (let call = 0; call < 5; call++) {
      wide = call >= 3;
      compare(`outer call ${call + 1}`, await outer(x).toArray(), want, tolFor(backend));
    }
    expect([outer.info().calls, outer.info().traces]).toEqual([5, 1]);
    expect([inner.info().calls, inner.info().traces, inner.info().plans]).toEqual([5, 2, 2]);
    expect(dispatchesOf(() => void x.neg().exp().abs())).toBe(backend === 'webgpu' ? 3 : 0);
  });
});

