// API-surface rows for the optim namespace: the optimizers (one step or two on a tiny problem,
// checked against their update formula written out below in float64; each formula gives
// torch 1.13's numbers for the same problem, quoted beside it), their state dicts, and the
// lr schedulers (their lr sequence, as torch's get_last_lr() gives it).
import { expect } from 'vitest';
import * as wg from 'webgrad-gpu';
import { G, T, is, tempPath, type Run } from './helpers.js';

const { optim } = wg;
const S = optim.lrScheduler;

/** The optimizer rows' problem: p = [1, -2] and two steps' gradients (element 0's drops to 0). */
const P0 = [1, -2];
const GRADS = [[2, 1], [0, 3]];
type Update = (p: number, g: number, t: number, s: Record<string, number>) => number;

/** Steps `make(p)` from P0 once per row of `grads`; p must equal `update` run per element (t from 1). */
async function checkSteps(make: (p: wg.Tensor) => { step(): void }, update: Update, grads = GRADS): Promise<void> {
  const p = G(P0);
  const opt = make(p);
  for (const g of grads) {
    p.grad = T(g);
    opt.step();
  }
  const want = P0.map((p0, i) => {
    const s: Record<string, number> = {};
    return grads.reduce((v, g, t) => update(v, g[i], t + 1, s), p0);
  });
  await is(p, want, 'float32', 1e-6);
}

/** A parameter's values, for a second optimizer to start from the same point. */
const copyOf = async (p: wg.Tensor): Promise<wg.Tensor> => G(Array.from(await p.toArray()));
const same = async (a: wg.Tensor, b: wg.Tensor): Promise<void> => expect(Array.from(await b.toArray())).toEqual(Array.from(await a.toArray()));

/** An SGD whose group i has lr i + 1, for the schedulers. */
const sgd = (groups = 1): wg.optim.SGD => new optim.SGD(Array.from({ length: groups }, (_, i) => ({ params: [G([0])], lr: i + 1 })), { lr: 1 });
/** getLastLr() after construction, then after each of n steps. */
const lrs = (s: { step(): void; getLastLr(): number[] }, n: number): number[][] => [s.getLastLr(), ...Array.from({ length: n }, () => (s.step(), s.getLastLr()))];
const closeLrs = (got: number[][], want: number[][]): void => {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => g.forEach((v, j) => expect(v, `epoch ${i}, group ${j}`).toBeCloseTo(want[i][j], 12)));
};

export const OPTIM: Record<string, Run> = {
  // ---- optim ----
  'optim.Optimizer': () => expect(new optim.SGD([G([1])], { lr: 0.1 })).toBeInstanceOf(optim.Optimizer),
  'optim.Optimizer#paramGroups': () => {
    const a = G([1]);
    const opt = new optim.SGD([{ params: [a], lr: 0.5 }], { lr: 0.1, momentum: 0.9 });
    expect(opt.paramGroups).toHaveLength(1);
    expect(opt.paramGroups[0]).toMatchObject({ lr: 0.5, momentum: 0.9, params: [a] });
  },
  'optim.Optimizer#step': async () => {
    for (const opt of [(p: wg.Tensor) => new optim.SGD([p], { lr: 0.1 }), (p: wg.Tensor) => new optim.Adam([p], { lr: 0.1 })]) {
      const p = G([1, 2]);
      p.grad = T([1, -1]);
      opt(p).step();
      await is(p, [0.9, 2.1], 'float32', 1e-5);
    }
  },
  'optim.Optimizer#zeroGrad': async () => {
    const p = G([1]);
    const opt = new optim.SGD([p], { lr: 1 });
    p.grad = T([5]);
    opt.zeroGrad({ setToNone: false });
    await is(p.grad!, [0]);
    opt.zeroGrad();
    expect(p.grad).toBeNull();
  },
  'optim.Optimizer#dispose': async () => {
    const p = G([1]);
    const opt = new optim.SGD([p], { lr: 1, momentum: 0.5 });
    p.grad = T([1]);
    opt.step(); // p = 0, buffer = 1
    opt.dispose();
    opt.step(); // a fresh buffer: p = -1 (with the old buffer it would be -1.5)
    await is(p, [-1]);
  },
  'optim.SGD': () => expect(() => new optim.SGD([G([1])], { lr: -1 })).toThrow('SGD: invalid learning rate: -1 (expected a finite number >= 0)'),
  'optim.SGD#step': async () => {
    const p = G([1]);
    const opt = new optim.SGD([p], { lr: 0.1, momentum: 0.9, weightDecay: 0.5 });
    for (let i = 0; i < 2; i++) {
      p.grad = T([1]);
      opt.step();
    }
    // g1 = 1 + 0.5 = 1.5, p = 0.85; g2 = 1 + 0.425 = 1.425, buf = 1.35 + 1.425 = 2.775, p = 0.5725
    await is(p, [0.5725], 'float32', 1e-6);
  },
  'optim.Adam': () => expect(new optim.Adam([G([1])]).paramGroups[0]).toMatchObject({ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 }),
  'optim.Adam#step': async () => {
    const p = G([1]);
    const opt = new optim.Adam([p], { lr: 0.1, betas: [0.5, 0.5] });
    p.grad = T([1]);
    opt.step();
    p.grad = T([3]);
    opt.step();
    // step 1: m̂ = v̂ = 1, p = 0.9; step 2: m = 0.25 + 1.5, v = 0.25 + 4.5, bias-corrected by 1 - 0.5²
    const mh = 1.75 / 0.75;
    const vh = 4.75 / 0.75;
    await is(p, [0.9 - (0.1 * mh) / (Math.sqrt(vh) + 1e-8)], 'float32', 1e-6);
  },
  'optim.Optimizer#addParamGroup': async () => {
    const a = G([1]);
    const b = G([1]);
    const opt = new optim.SGD([a], { lr: 0.1, momentum: 0.5 });
    opt.addParamGroup({ params: [b], lr: 1 });
    expect(opt.paramGroups[1]).toMatchObject({ lr: 1, momentum: 0.5, dampening: 0, nesterov: false, weightDecay: 0, params: [b] }); // the rest from the defaults
    a.grad = T([1]);
    b.grad = T([1]);
    opt.step();
    await is(a, [0.9]);
    await is(b, [0]);
    expect(() => opt.addParamGroup({ params: [a] })).toThrow('SGD: parameter 0 of group 2 appears more than once');
    expect(() => opt.addParamGroup({ params: [G([1])], lr: -1 })).toThrow('SGD: invalid learning rate: -1');
    expect(opt.paramGroups).toHaveLength(2); // a refused group is not added
  },
  'optim.Optimizer#stateDict': async () => {
    const a = G([1, 2]);
    const b = G([3]);
    const opt = new optim.Adam([{ params: [a] }, { params: [b], lr: 0.5 }], { lr: 0.1, betas: [0.5, 0.5] });
    a.grad = T([2, -2]);
    opt.step(); // b has no gradient: no state yet
    const sd = opt.stateDict();
    expect(Object.keys(sd.state)).toEqual(['0']); // by parameter index, counting through the groups
    expect(sd.state['0'].step).toBe(1);
    await is(sd.state['0'].expAvg as wg.Tensor, [1, -1]); // (1 - β1)·g
    await is(sd.state['0'].expAvgSq as wg.Tensor, [2, 2]); // (1 - β2)·g²
    expect(sd.param_groups).toEqual([
      { lr: 0.1, betas: [0.5, 0.5], eps: 1e-8, weightDecay: 0, params: [0] },
      { lr: 0.5, betas: [0.5, 0.5], eps: 1e-8, weightDecay: 0, params: [1] },
    ]);
  },
  'optim.Optimizer#loadStateDict': async () => {
    const p1 = G([1, -2]);
    const o1 = new optim.Adam([p1], { lr: 0.1, betas: [0.5, 0.5] });
    p1.grad = T([2, 1]);
    o1.step();
    const p2 = await copyOf(p1);
    const o2 = new optim.Adam([p2], { lr: 0.7 });
    o2.loadStateDict(o1.stateDict());
    expect(o2.paramGroups[0]).toMatchObject({ lr: 0.1, betas: [0.5, 0.5] });
    for (const p of [p1, p2]) p.grad = T([0, 3]);
    o1.step();
    o2.step();
    await same(p1, p2); // the resumed run is the same run, bit for bit
    const bad = o1.stateDict();
    bad.state['0'].expAvg = T([1]);
    expect(() => o2.loadStateDict(bad)).toThrow('Adam.loadStateDict: state[0].expAvg has shape [1], its parameter [2]');
    o1.step();
    o2.step(); // the refused load changed nothing
    await same(p1, p2);
  },
  'optim.OptimizerStateDict': async () => {
    // The README's checkpoint: wg.save of a tree holding the state dict, wg.load typed by it.
    const p1 = G([1, -2]);
    const o1 = new optim.NAdam([p1], { lr: 0.1 });
    p1.grad = T([2, 1]);
    o1.step();
    const sd: wg.optim.OptimizerStateDict = o1.stateDict();
    const path = tempPath('ck.safetensors');
    await wg.save({ optimizer: sd, epoch: 3 }, path);
    const ck = await wg.load<{ optimizer: wg.optim.OptimizerStateDict; epoch: number }>(path);
    expect(ck.epoch).toBe(3);
    expect(ck.optimizer.param_groups).toEqual(sd.param_groups);
    expect(ck.optimizer.state['0'].muProduct).toBe(sd.state['0'].muProduct);
    await is(ck.optimizer.state['0'].expAvgSq as wg.Tensor, Array.from(await (sd.state['0'].expAvgSq as wg.Tensor).toArray()), 'float32', 0);
    const p2 = await copyOf(p1);
    const o2 = new optim.NAdam([p2]);
    o2.loadStateDict(ck.optimizer);
    for (const p of [p1, p2]) p.grad = T([-1, 1]);
    o1.step();
    o2.step();
    await same(p1, p2);
  },
  'optim.AdamW': () => {
    expect(new optim.AdamW([G([1])]).paramGroups[0]).toMatchObject({ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01, amsgrad: false });
    expect(() => new optim.AdamW([G([1])], { eps: -1 })).toThrow('AdamW: invalid eps: -1 (expected a finite number >= 0)');
  },
  'optim.AdamW#step': () =>
    // Decoupled decay, amsgrad: element 0's second moment falls on step 2, its running max does not. torch: [0.84027517, -2.15191726]
    checkSteps((p) => new optim.AdamW([p], { lr: 0.1, betas: [0.5, 0.5], weightDecay: 0.1, amsgrad: true }), (p, g, t, s) => {
      p *= 1 - 0.1 * 0.1;
      s.m = 0.5 * (s.m ?? 0) + 0.5 * g;
      s.v = 0.5 * (s.v ?? 0) + 0.5 * g * g;
      s.vmax = Math.max(s.vmax ?? 0, s.v);
      return p - ((0.1 / (1 - 0.5 ** t)) * s.m) / (Math.sqrt(s.vmax) / Math.sqrt(1 - 0.5 ** t) + 1e-8);
    }),
  'optim.RMSprop': () => {
    expect(new optim.RMSprop([G([1])]).paramGroups[0]).toMatchObject({ lr: 0.01, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false });
    expect(() => new optim.RMSprop([G([1])], { alpha: 2 })).toThrow('RMSprop: invalid alpha: 2 (expected a number in [0, 1])');
  },
  'optim.RMSprop#step': () =>
    // Centered, with momentum and weight decay. torch: [0.55456772, -2.52728170]
    checkSteps((p) => new optim.RMSprop([p], { lr: 0.1, alpha: 0.5, weightDecay: 0.1, momentum: 0.5, centered: true }), (p, g, t, s) => {
      g += 0.1 * p;
      s.sq = 0.5 * (s.sq ?? 0) + 0.5 * g * g;
      s.avg = 0.5 * (s.avg ?? 0) + 0.5 * g;
      s.buf = 0.5 * (s.buf ?? 0) + g / (Math.sqrt(s.sq - s.avg * s.avg) + 1e-8);
      return p - 0.1 * s.buf;
    }, [[2, 1], [1, 3]]),
  'optim.Adagrad': () => {
    expect(new optim.Adagrad([G([1])]).paramGroups[0]).toMatchObject({ lr: 0.01, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10 });
    expect(() => new optim.Adagrad([G([1])], { lrDecay: -1 })).toThrow('Adagrad: invalid lrDecay: -1');
  },
  'optim.Adagrad#step': () =>
    // torch: [0.90250710, -2.13719710]
    checkSteps((p) => new optim.Adagrad([p], { lr: 0.1, lrDecay: 0.5, weightDecay: 0.1, initialAccumulatorValue: 0.5 }), (p, g, t, s) => {
      g += 0.1 * p;
      s.sum = (s.sum ?? 0.5) + g * g;
      return p - ((0.1 / (1 + (t - 1) * 0.5)) * g) / (Math.sqrt(s.sum) + 1e-10);
    }),
  'optim.Adadelta': () => {
    expect(new optim.Adadelta([G([1])]).paramGroups[0]).toMatchObject({ lr: 1, rho: 0.9, eps: 1e-6, weightDecay: 0 });
    expect(() => new optim.Adadelta([G([1])], { rho: 1.5 })).toThrow('Adadelta: invalid rho: 1.5');
  },
  'optim.Adadelta#step': () =>
    // torch: [0.99922575, -2.00168730]
    checkSteps((p) => new optim.Adadelta([p], { lr: 0.5, rho: 0.5, weightDecay: 0.1 }), (p, g, t, s) => {
      g += 0.1 * p;
      s.sq = 0.5 * (s.sq ?? 0) + 0.5 * g * g;
      const delta = (Math.sqrt((s.acc ?? 0) + 1e-6) / Math.sqrt(s.sq + 1e-6)) * g;
      s.acc = 0.5 * (s.acc ?? 0) + 0.5 * delta * delta;
      return p - 0.5 * delta;
    }),
  'optim.Adamax': () => {
    expect(new optim.Adamax([G([1])]).paramGroups[0]).toMatchObject({ lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 });
    expect(() => new optim.Adamax([G([1])], { betas: [1, 0.5] })).toThrow('Adamax: invalid beta parameter at index 0: 1 (expected a number in [0, 1))');
  },
  'optim.Adamax#step': () =>
    // Element 0: the decayed max (0.5·2.2) beats the new |g| (0.6). torch: [0.79587302, -2.17622461]
    checkSteps((p) => new optim.Adamax([p], { lr: 0.1, betas: [0.5, 0.5], weightDecay: 0.1 }), (p, g, t, s) => {
      g += 0.1 * p;
      s.m = 0.5 * (s.m ?? 0) + 0.5 * g;
      s.u = Math.max(0.5 * (s.u ?? 0), Math.abs(g) + 1e-8);
      return p - ((0.1 / (1 - 0.5 ** t)) * s.m) / s.u;
    }, [[2, 1], [0.5, 3]]),
  'optim.NAdam': () => {
    expect(new optim.NAdam([G([1])]).paramGroups[0]).toMatchObject({ lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, momentumDecay: 4e-3 });
    expect(() => new optim.NAdam([G([1])], { momentumDecay: -1 })).toThrow('NAdam: invalid momentumDecay: -1');
  },
  'optim.NAdam#step': () =>
    // torch 1.13: [0.86851820, -2.22661235] (torch 2.x's mu_product_next drops one factor of mu)
    checkSteps((p) => new optim.NAdam([p], { lr: 0.1, betas: [0.5, 0.5], weightDecay: 0.1, momentumDecay: 0.5 }), (p, g, t, s) => {
      g += 0.1 * p;
      const mu = (k: number): number => 0.5 * (1 - 0.5 * 0.96 ** (k * 0.5));
      s.prod = (s.prod ?? 1) * mu(t);
      const prodNext = s.prod * mu(t) * mu(t + 1);
      s.m = 0.5 * (s.m ?? 0) + 0.5 * g;
      s.v = 0.5 * (s.v ?? 0) + 0.5 * g * g;
      const d = Math.sqrt(s.v / (1 - 0.5 ** t)) + 1e-8;
      return p - ((0.1 * (1 - mu(t))) / (1 - s.prod)) * (g / d) - ((0.1 * mu(t + 1)) / (1 - prodNext)) * (s.m / d);
    }),

  // ---- lr schedulers (sequences as torch 1.13's get_last_lr() gives them) ----
  'optim.lrScheduler.LRScheduler': () => {
    const opt = sgd(2);
    const s = new S.StepLR(opt, { stepSize: 1, gamma: 0.5 });
    expect(s).toBeInstanceOf(S.LRScheduler);
    expect(s.lastEpoch).toBe(0); // the constructor's step
    expect(s.baseLrs).toEqual([1, 2]);
    expect(opt.paramGroups.map((g) => g.initialLr)).toEqual([1, 2]); // torch's initial_lr
    expect(() => new S.StepLR(sgd(), { stepSize: 1, lastEpoch: 3 })).toThrow("StepLR: resuming at lastEpoch 3 needs initialLr in param group 0 (load the optimizer's stateDict first)");
  },
  'optim.lrScheduler.LRScheduler#step': () => {
    const opt = sgd(2);
    const a = new S.ExponentialLR(opt, { gamma: 0.5 });
    a.step();
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.5, 1]);
    expect(a.lastEpoch).toBe(1);
    const b = new S.StepLR(opt, { stepSize: 1, gamma: 0.1 }); // chainable: both act on the current lr
    a.step();
    b.step();
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.5 * 0.5 * 0.1, 1 * 0.5 * 0.1]);
  },
  'optim.lrScheduler.LRScheduler#getLastLr': () => {
    const opt = sgd(2);
    const s = new S.LinearLR(opt, { startFactor: 0.5, totalIters: 1 });
    expect(s.getLastLr()).toEqual([0.5, 1]);
    s.getLastLr()[0] = 7; // a copy
    s.step();
    expect(s.getLastLr()).toEqual([1, 2]);
    expect(s.getLastLr()).toEqual(opt.paramGroups.map((g) => g.lr));
  },
  'optim.lrScheduler.LRScheduler#stateDict': () => {
    const s = new S.StepLR(sgd(), { stepSize: 2, gamma: 0.5 });
    s.step();
    s.step();
    expect(s.stateDict()).toEqual({ lastEpoch: 2, baseLrs: [1], stepCount: 3, lastLr: [0.5] }); // torch's _step_count counts the constructor's step
  },
  'optim.lrScheduler.LRScheduler#loadStateDict': () => {
    const o1 = sgd();
    const s1 = new S.StepLR(o1, { stepSize: 2, gamma: 0.5 });
    for (let i = 0; i < 3; i++) s1.step(); // epoch 3: lr 0.5
    const o2 = sgd();
    const s2 = new S.StepLR(o2, { stepSize: 2, gamma: 0.5 });
    o2.loadStateDict(o1.stateDict()); // the lr itself lives in the optimizer's state, as in torch
    s2.loadStateDict(s1.stateDict());
    expect(s2.lastEpoch).toBe(3);
    expect(lrs(s2, 2)).toEqual([[0.5], [0.25], [0.25]]);
    expect(() => s2.loadStateDict({ ...s1.stateDict(), baseLrs: [1, 2] })).toThrow('StepLR.loadStateDict: baseLrs must hold one number per param group (1)');
    expect(s2.lastEpoch).toBe(5);
  },
  'optim.lrScheduler.LambdaLR': () => {
    const s = new S.LambdaLR(sgd(2), [(e) => 1 / (e + 1), (e) => 0.5 ** e]); // one function per group
    expect(lrs(s, 3)).toEqual([[1, 2], [0.5, 1], [1 / 3, 0.5], [0.25, 0.25]]);
    expect(() => new S.LambdaLR(sgd(2), [(e) => e])).toThrow('LambdaLR: expected 2 lrLambdas (one per param group), got 1');
  },
  'optim.lrScheduler.StepLR': () => expect(lrs(new S.StepLR(sgd(), { stepSize: 2, gamma: 0.5 }), 5)).toEqual([[1], [1], [0.5], [0.5], [0.25], [0.25]]),
  'optim.lrScheduler.ExponentialLR': () => expect(lrs(new S.ExponentialLR(sgd(), { gamma: 0.5 }), 3)).toEqual([[1], [0.5], [0.25], [0.125]]),
  'optim.lrScheduler.CosineAnnealingLR': () => {
    // etaMin + (1 - etaMin)·(1 + cos(π·e/4))/2, down to etaMin at tMax and up again after it.
    const want = Array.from({ length: 8 }, (_, e) => [0.1 + (0.9 * (1 + Math.cos((Math.PI * e) / 4))) / 2]);
    closeLrs(lrs(new S.CosineAnnealingLR(sgd(), { tMax: 4, etaMin: 0.1 }), 7), want);
    expect(want[4][0]).toBeCloseTo(0.1, 15);
  },
  'optim.lrScheduler.LinearLR': () => closeLrs(lrs(new S.LinearLR(sgd(), { startFactor: 0.25, endFactor: 1, totalIters: 3 }), 5), [[0.25], [0.5], [0.75], [1], [1], [1]]),
  'optim.lrScheduler.SequentialLR': () => {
    const opt = sgd();
    const warm = new S.LinearLR(opt, { startFactor: 0.5, totalIters: 2 });
    const decay = new S.ExponentialLR(opt, { gamma: 0.5 });
    const s = new S.SequentialLR(opt, { schedulers: [warm, decay], milestones: [2] });
    // Warm-up 0.5 -> 1 over epochs 0-2; at the milestone ExponentialLR restarts from its epoch 0.
    closeLrs(lrs(s, 5), [[0.5], [0.75], [1], [0.5], [0.25], [0.125]]);
    expect(() => new S.SequentialLR(opt, { schedulers: [warm, decay], milestones: [] })).toThrow('SequentialLR: expected 1 milestones (one fewer than the 2 schedulers), got 0');
  },
  'optim.lrScheduler.SequentialLR#step': () => {
    const opt = sgd();
    const s = new S.SequentialLR(opt, { schedulers: [new S.ExponentialLR(opt, { gamma: 0.1 }), new S.StepLR(opt, { stepSize: 1, gamma: 0.5 })], milestones: [1] });
    expect(s.lastEpoch).toBe(0);
    s.step();
    expect(s.lastEpoch).toBe(1);
    expect(opt.paramGroups[0].lr).toBe(1); // StepLR from its epoch 0: the initial lr, not 0.1
    s.step();
    expect(opt.paramGroups[0].lr).toBe(0.5);
  },
  'optim.lrScheduler.SequentialLR#getLastLr': () => {
    const opt = sgd(2);
    const s = new S.SequentialLR(opt, { schedulers: [new S.LinearLR(opt, { startFactor: 0.5, totalIters: 1 }), new S.ExponentialLR(opt, { gamma: 0.5 })], milestones: [3] });
    expect(s.getLastLr()).toEqual([0.5, 1]);
    s.step();
    expect(s.getLastLr()).toEqual([1, 2]);
    expect(s.getLastLr()).toEqual(opt.paramGroups.map((g) => g.lr));
  },
  'optim.lrScheduler.SequentialLR#stateDict': () => {
    const opt = sgd();
    const s = new S.SequentialLR(opt, { schedulers: [new S.LinearLR(opt, { startFactor: 0.5, totalIters: 2 }), new S.ExponentialLR(opt, { gamma: 0.5 })], milestones: [2] });
    for (let i = 0; i < 3; i++) s.step();
    // torch 1.13's state_dict() after the same three steps holds these numbers.
    expect(s.stateDict()).toEqual({
      lastEpoch: 3,
      lastLr: [0.5],
      schedulers: [
        { lastEpoch: 1, baseLrs: [1], stepCount: 2, lastLr: [0.75] },
        { lastEpoch: 1, baseLrs: [1], stepCount: 3, lastLr: [0.5] },
      ],
    });
  },
  'optim.lrScheduler.SequentialLR#loadStateDict': () => {
    const make = (): [wg.optim.SGD, InstanceType<typeof S.SequentialLR>] => {
      const opt = sgd();
      return [opt, new S.SequentialLR(opt, { schedulers: [new S.LinearLR(opt, { startFactor: 0.5, totalIters: 2 }), new S.ExponentialLR(opt, { gamma: 0.5 })], milestones: [2] })];
    };
    const [o1, s1] = make();
    s1.step(); // epoch 1 of the warm-up: 0.75
    const [o2, s2] = make();
    o2.loadStateDict(o1.stateDict());
    s2.loadStateDict(s1.stateDict());
    expect(lrs(s2, 3)).toEqual(lrs(s1, 3));
    expect(s2.getLastLr()).toEqual([0.25]);
    const bad = { ...s1.stateDict(), schedulers: [s1.stateDict().schedulers[0]] };
    expect(() => s2.loadStateDict(bad)).toThrow('SequentialLR.loadStateDict: expected 2 scheduler states');
  },
};
