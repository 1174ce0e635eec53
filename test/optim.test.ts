// optim: SGD and Adam against torch.optim's update formulas written out by hand (several steps,
// every option), option validation, parameter groups, and a small training run.
import { expect, it } from 'vitest';
import * as wg from 'webgrad-gpu';
import { backendsUnderTest, describeEachBackend } from './helpers/backends.js';
import { expectClose } from './helpers/close.js';

const { nn, optim } = wg;
const backends = await backendsUnderTest();

/** Gradients for each step: deterministic, of both signs, varying from step to step. */
const gradAt = (step: number, n: number): number[] => Array.from({ length: n }, (_, i) => Math.sin(1.3 * step + 0.7 * i) * (1 + i));

const INIT = [0.5, -1.2, 2.0, 0.03];
const STEPS = 6;

interface SgdOpts { lr: number; momentum?: number; dampening?: number; nesterov?: boolean; weightDecay?: number }
interface AdamOpts { lr?: number; betas?: [number, number]; eps?: number; weightDecay?: number }

/** torch.optim.SGD, written out. */
function sgdReference(o: SgdOpts): number[] {
  const { lr, momentum = 0, dampening = 0, nesterov = false, weightDecay = 0 } = o;
  const p = [...INIT];
  let buf: number[] = [];
  for (let t = 0; t < STEPS; t++) {
    const g = gradAt(t, p.length);
    let d = g.map((gi, i) => gi + weightDecay * p[i]);
    if (momentum !== 0) {
      // The first step copies the gradient into the buffer, undamped.
      const prev = buf;
      buf = t === 0 ? [...d] : prev.map((b, i) => momentum * b + (1 - dampening) * d[i]);
      const cur = buf;
      d = nesterov ? d.map((di, i) => di + momentum * cur[i]) : [...cur];
    }
    for (let i = 0; i < p.length; i++) p[i] -= lr * d[i];
  }
  return p;
}

/** torch.optim.Adam, written out. */
function adamReference(o: AdamOpts): number[] {
  const { lr = 1e-3, betas = [0.9, 0.999], eps = 1e-8, weightDecay = 0 } = o;
  const [b1, b2] = betas;
  const p = [...INIT];
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  for (let t = 1; t <= STEPS; t++) {
    const g = gradAt(t - 1, p.length).map((gi, i) => gi + weightDecay * p[i]);
    for (let i = 0; i < p.length; i++) {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      const denom = Math.sqrt(v[i]) / Math.sqrt(1 - b2 ** t) + eps;
      p[i] -= (lr / (1 - b1 ** t)) * (m[i] / denom);
    }
  }
  return p;
}

/** Runs `STEPS` steps with the gradients of gradAt, each step inside its own scope(). */
function run(make: (params: wg.Tensor[]) => InstanceType<typeof optim.SGD> | InstanceType<typeof optim.Adam>, dtype: wg.DType): wg.Tensor {
  const p = wg.tensor(INIT, { dtype, requiresGrad: true });
  const opt = make([p]);
  for (let t = 0; t < STEPS; t++) {
    wg.scope(() => {
      opt.zeroGrad();
      p.grad = wg.keep(wg.tensor(gradAt(t, INIT.length), { dtype }));
      opt.step();
    });
  }
  return p;
}

const sgdCases: SgdOpts[] = [
  { lr: 0.1 },
  { lr: 0.1, weightDecay: 0.05 },
  { lr: 0.05, momentum: 0.9 },
  { lr: 0.05, momentum: 0.9, dampening: 0.3, weightDecay: 0.01 },
  { lr: 0.05, momentum: 0.8, nesterov: true },
  { lr: 0.05, momentum: 0.8, nesterov: true, weightDecay: 0.1 },
];
const adamCases: AdamOpts[] = [{}, { lr: 0.01 }, { lr: 0.05, betas: [0.5, 0.9], eps: 1e-3 }, { lr: 0.02, weightDecay: 0.1 }, { lr: 0.1, betas: [0, 0] }];

describeEachBackend(backends, 'optim (float32)', () => {
  it.each(sgdCases)('SGD %o follows torch.optim.SGD', async (o) => {
    await expectClose(run((ps) => new optim.SGD(ps, o), 'float32'), sgdReference(o), 1e-5, 1e-5);
  });

  it.each(adamCases)('Adam %o follows torch.optim.Adam', async (o) => {
    await expectClose(run((ps) => new optim.Adam(ps, o), 'float32'), adamReference(o), 1e-5, 1e-5);
  });

  it('skips parameters without a gradient, and honours per-group options', async () => {
    const a = wg.tensor([1, 2], { requiresGrad: true });
    const b = wg.tensor([3, 4], { requiresGrad: true });
    const c = wg.tensor([5], { requiresGrad: true });
    const opt = new optim.SGD([{ params: [a, c] }, { params: [b], lr: 1 }], { lr: 0.1, momentum: 0.5 });
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.1, 1]);
    expect(opt.paramGroups[1].momentum).toBe(0.5);
    a.grad = wg.tensor([1, 1]);
    b.grad = wg.tensor([1, -1]);
    opt.step();
    await expectClose(a, [0.9, 1.9]);
    await expectClose(b, [2, 5]);
    await expectClose(c, [5]);
    opt.zeroGrad({ setToNone: false });
    await expectClose(a.grad!, [0, 0]);
    opt.zeroGrad();
    expect(a.grad).toBeNull();
    expect(c.grad).toBeNull();
  });

  it('a step bumps the version, so backward through a stale graph refuses', () => {
    for (const make of [(p: wg.Tensor) => new optim.SGD([p], { lr: 0.1 }), (p: wg.Tensor) => new optim.Adam([p])]) {
      const w = wg.tensor([1, 2], { requiresGrad: true });
      const opt = make(w);
      w.mul(w).sum().backward();
      const stale = w.mul(3).sum(); // mul saves w for its backward
      const before = w.version;
      opt.step();
      expect(w.version).toBe(before + 1);
      expect(() => stale.backward()).toThrow(/modified by an in-place operation/);
    }
  });

  it('trains a model: loss falls with SGD+momentum and with Adam', async () => {
    for (const make of [
      (ps: Iterable<wg.Tensor>) => new optim.SGD(ps, { lr: 0.05, momentum: 0.9 }),
      (ps: Iterable<wg.Tensor>) => new optim.Adam(ps, { lr: 0.05 }),
    ]) {
      wg.manualSeed(0);
      const x = wg.randn([64, 3]);
      const y = x.mm(wg.tensor([[1], [-2], [0.5]])).add(0.3);
      const model = new nn.Sequential(new nn.Linear(3, 8), new nn.Tanh(), new nn.Linear(8, 1));
      const opt = make(model.parameters());
      const losses: number[] = [];
      let live = 0;
      for (let step = 0; step < 100; step++) {
        const loss = wg.scope(() => {
          opt.zeroGrad();
          const loss = nn.functional.mseLoss(model.forward(x), y);
          loss.backward();
          opt.step();
          return loss;
        });
        losses.push(await loss.item());
        loss.dispose();
        if (step === 1) live = wg.memory().liveTensors; // parameters, grads and optimizer state
      }
      // Flat: nothing leaks per step (the count can drop as the GC finalizes earlier garbage).
      expect(wg.memory().liveTensors).toBeLessThanOrEqual(live);
      model.dispose();
      opt.dispose();
      expect(losses[99]).toBeLessThan(losses[0] * 0.05);
    }
  });
});

describeEachBackend(['cpu'], 'optim (float64, CPU)', () => {
  it.each(sgdCases)('SGD %o matches the reference to 1e-12', async (o) => {
    await expectClose(run((ps) => new optim.SGD(ps, o), 'float64'), sgdReference(o), 1e-12, 1e-12);
  });

  it.each(adamCases)('Adam %o matches the reference to 1e-12', async (o) => {
    await expectClose(run((ps) => new optim.Adam(ps, o), 'float64'), adamReference(o), 1e-12, 1e-12);
  });
});

describeEachBackend(['cpu'], 'optim validation', () => {
  const p = () => [wg.zeros([2], { requiresGrad: true })];
  it('rejects bad SGD options', () => {
    expect(() => new optim.SGD(p(), { lr: NaN })).toThrow(/SGD: invalid learning rate: NaN/);
    expect(() => new optim.SGD(p(), { lr: -0.1 })).toThrow(/invalid learning rate: -0.1/);
    expect(() => new optim.SGD(p(), { lr: 0.1, momentum: -0.5 })).toThrow(/invalid momentum/);
    expect(() => new optim.SGD(p(), { lr: 0.1, weightDecay: -1 })).toThrow(/invalid weightDecay/);
    expect(() => new optim.SGD(p(), { lr: 0.1, nesterov: true })).toThrow(/nesterov momentum requires a momentum > 0 and zero dampening/);
    expect(() => new optim.SGD(p(), { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true })).toThrow(/nesterov/);
    expect(() => new optim.SGD(p(), {} as { lr: number })).toThrow(/lr is required/);
    expect(() => new optim.SGD([{ params: p(), lr: -1 }], { lr: 0.1 })).toThrow(/invalid learning rate: -1/);
  });

  it('rejects bad Adam options', () => {
    expect(() => new optim.Adam(p(), { lr: NaN })).toThrow(/Adam: invalid learning rate/);
    expect(() => new optim.Adam(p(), { betas: [1, 0.999] })).toThrow(/invalid beta parameter at index 0: 1 \(expected a number in \[0, 1\)\)/);
    expect(() => new optim.Adam(p(), { betas: [0.9, -0.1] })).toThrow(/beta parameter at index 1/);
    expect(() => new optim.Adam(p(), { eps: -1 })).toThrow(/invalid eps/);
    expect(() => new optim.Adam(p(), { weightDecay: NaN })).toThrow(/invalid weightDecay/);
  });

  it('rejects bad parameter lists', () => {
    expect(() => new optim.Adam([])).toThrow(/empty parameter list/);
    const leaf = wg.zeros([2], { requiresGrad: true });
    expect(() => new optim.Adam([leaf.mul(2)])).toThrow(/can't optimize a non-leaf tensor/);
    expect(() => new optim.Adam([leaf, leaf])).toThrow(/appears more than once/);
    expect(() => new optim.Adam([wg.zeros([2], { dtype: 'int32' })])).toThrow(/int32/);
  });
});
