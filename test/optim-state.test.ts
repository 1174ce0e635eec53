// Optimizer state: stopping and resuming a run through wg.save/wg.load bit for bit (every
// optimizer, with an lr scheduler), what the file holds, loadStateDict's checks (a refused
// load changes nothing), addParamGroup, and option validation (NaN, out of range, unknown keys).
import { expect, it } from 'vitest';
import * as wg from 'webgrad-gpu';
import { readSafetensors } from '../src/data/safetensors.js';
import { backendsUnderTest, describeEachBackend } from './helpers/backends.js';

const { nn, optim } = wg;
const S = optim.lrScheduler;
const backends = await backendsUnderTest();

type Opt = wg.optim.Optimizer<object, wg.optim.ParamState>;
type Groups = { params: wg.Tensor[]; lr?: number; weightDecay?: number }[];

/** Every optimizer, with options that exercise every state buffer; biases in a second group. */
const OPTIMIZERS: Record<string, (groups: Groups) => Opt> = {
  SGD: (g) => new optim.SGD(g, { lr: 0.05, momentum: 0.9, nesterov: true }) as unknown as Opt,
  Adam: (g) => new optim.Adam(g, { lr: 0.02 }) as unknown as Opt,
  AdamW: (g) => new optim.AdamW(g, { lr: 0.02, amsgrad: true }) as unknown as Opt,
  RMSprop: (g) => new optim.RMSprop(g, { lr: 0.01, momentum: 0.5, centered: true }) as unknown as Opt,
  Adagrad: (g) => new optim.Adagrad(g, { lr: 0.05, lrDecay: 0.01, initialAccumulatorValue: 0.1 }) as unknown as Opt,
  Adadelta: (g) => new optim.Adadelta(g, { weightDecay: 0.01 }) as unknown as Opt,
  Adamax: (g) => new optim.Adamax(g, { lr: 0.02 }) as unknown as Opt,
  NAdam: (g) => new optim.NAdam(g, { lr: 0.02 }) as unknown as Opt,
};

function setup(make: (g: Groups) => Opt, seed: number) {
  wg.manualSeed(seed);
  const model = new nn.Sequential(new nn.Linear(3, 8), new nn.Tanh(), new nn.Linear(8, 1));
  const named = [...model.namedParameters()];
  const groups: Groups = [
    { params: named.filter(([n]) => n.endsWith('weight')).map(([, p]) => p) },
    { params: named.filter(([n]) => n.endsWith('bias')).map(([, p]) => p), weightDecay: 0 },
  ];
  const opt = make(groups);
  const sched = new S.ExponentialLR(opt, { gamma: 0.95 });
  return { model, opt, sched };
}

function train(s: ReturnType<typeof setup>, x: wg.Tensor, y: wg.Tensor, steps: number): void {
  for (let i = 0; i < steps; i++) {
    wg.scope(() => {
      s.opt.zeroGrad();
      nn.functional.mseLoss(s.model.forward(x), y).backward();
      s.opt.step();
      s.sched.step();
    });
  }
}

const values = async (m: wg.nn.Module) => Promise.all([...m.parameters()].map(async (p) => Array.from(await p.toArray())));

describeEachBackend(backends, 'optimizer stateDict: save, load, resume', () => {
  for (const [name, make] of Object.entries(OPTIMIZERS)) {
    it(`${name}: 6 steps, save, load into a fresh model and optimizer, 6 more = 12 straight, bit for bit`, async () => {
      wg.manualSeed(1);
      const x = wg.randn([16, 3]);
      const y = x.mm(wg.tensor([[1], [-2], [0.5]])).tanh();

      const straight = setup(make, 0);
      train(straight, x, y, 12);

      const first = setup(make, 0);
      train(first, x, y, 6);
      const bytes = await wg.save({ model: first.model.stateDict(), optimizer: first.opt.stateDict(), scheduler: first.sched.stateDict() });
      first.opt.dispose();

      const resumed = setup(make, 99); // different initial weights: the load must overwrite them
      const saved = await wg.load<{ model: Record<string, wg.Tensor>; optimizer: wg.optim.OptimizerStateDict; scheduler: wg.optim.lrScheduler.SchedulerStateDict }>(bytes);
      resumed.model.loadStateDict(saved.model);
      resumed.opt.loadStateDict(saved.optimizer);
      resumed.sched.loadStateDict(saved.scheduler);
      train(resumed, x, y, 6);

      expect(await values(resumed.model)).toEqual(await values(straight.model));
      const lrs = (o: Opt) => o.paramGroups.map((g) => (g as unknown as { lr: number }).lr);
      expect(lrs(resumed.opt)).toEqual(lrs(straight.opt));
      const a = resumed.opt.stateDict();
      const b = straight.opt.stateDict();
      expect(Object.keys(a.state)).toEqual(Object.keys(b.state));
      for (const [i, entry] of Object.entries(b.state)) {
        for (const [k, v] of Object.entries(entry)) {
          const w = a.state[i][k];
          if (typeof v === 'number') expect(w, `state[${i}].${k}`).toBe(v);
          else expect(Array.from(await (w as wg.Tensor).toArray()), `state[${i}].${k}`).toEqual(Array.from(await v.toArray()));
        }
      }
      straight.opt.dispose();
      resumed.opt.dispose();
    });
  }

  it("holds PyTorch's structure; the file is safetensors with the tree in its metadata", async () => {
    const { model, opt } = setup(OPTIMIZERS.AdamW, 0);
    const x = wg.randn([4, 3]);
    nn.functional.mseLoss(model.forward(x), wg.zeros([4, 1])).backward();
    opt.step();
    const sd = opt.stateDict();
    expect(sd.param_groups).toEqual([
      { lr: 0.02 * 1, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01, amsgrad: true, initialLr: 0.02, params: [0, 1] },
      { lr: 0.02, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: true, initialLr: 0.02, params: [2, 3] },
    ]);
    expect(Object.keys(sd.state)).toEqual(['0', '1', '2', '3']);
    expect(sd.state['0'].step).toBe(1);
    expect(Object.keys(sd.state['0']).sort()).toEqual(['expAvg', 'expAvgSq', 'maxExpAvgSq', 'step']);
    expect((sd.state['0'].expAvg as wg.Tensor).shape).toEqual([8, 3]);

    const { tensors, metadata } = await readSafetensors(await wg.save(sd));
    expect(Object.keys(tensors)).toContain('state.0.expAvg');
    expect(JSON.parse(metadata['webgrad.tree']).state['0']).toEqual({
      step: 1,
      expAvg: { $tensor: 'state.0.expAvg' },
      expAvgSq: { $tensor: 'state.0.expAvgSq' },
      maxExpAvgSq: { $tensor: 'state.0.maxExpAvgSq' },
    });
    // A flat record of tensors is written as before: no tree in the metadata.
    expect((await readSafetensors(await wg.save(model.stateDict()))).metadata['webgrad.tree']).toBeUndefined();
    opt.dispose();
  });
});

describeEachBackend(['cpu'], 'loadStateDict checks', () => {
  const make = () => {
    const a = wg.tensor([1, 2], { requiresGrad: true });
    const b = wg.tensor([[3]], { requiresGrad: true });
    const opt = new optim.Adam([{ params: [a] }, { params: [b], lr: 0.1 }], { lr: 0.01 });
    a.grad = wg.tensor([1, 1]);
    b.grad = wg.tensor([[1]]);
    opt.step();
    return { a, b, opt };
  };

  it('refuses a dict that does not fit, and changes nothing', async () => {
    const { opt } = make();
    const good = make().opt.stateDict();
    const before = JSON.stringify(opt.paramGroups.map(({ params: _, ...h }) => h));
    const m0 = Array.from(await (opt.stateDict().state['0'].expAvg as wg.Tensor).toArray());
    const bad = (f: (d: wg.optim.OptimizerStateDict) => void): wg.optim.OptimizerStateDict => {
      const d = make().opt.stateDict();
      d.param_groups[0].lr = 0.5; // would change, were the load accepted
      f(d);
      return d;
    };
    const cases: [wg.optim.OptimizerStateDict, RegExp][] = [
      [bad((d) => d.param_groups.pop()), /Adam.loadStateDict: the dict has 1 parameter groups, the optimizer 2/],
      [bad((d) => d.param_groups[1].params.push(7)), /param_groups\[1\] has 2 parameters, the optimizer's group 1 has 1/],
      [bad((d) => (d.state['1'].expAvg = wg.zeros([2]))), /state\[1\].expAvg has shape \[2\], its parameter \[1,1\]/],
      [bad((d) => delete d.state['0'].step), /state\[0\] has no 'step'/],
      [bad((d) => (d.state['0'].momentum = 3)), /state\[0\] has an unknown entry 'momentum'/],
      [bad((d) => (d.state['5'] = { step: 1 })), /state has an entry for parameter 5, which no param group lists/],
      [bad((d) => (d.param_groups[0].betas = [1, 0.9])), /Adam: invalid beta parameter at index 0: 1/],
      [bad((d) => (d.param_groups[0].weight_decay = 0)), /unknown option 'weight_decay'/],
      [bad((d) => (d.state['0'].step = NaN)), /state\[0\].step must be a finite number/],
    ];
    for (const [d, msg] of cases) expect(() => opt.loadStateDict(d), String(msg)).toThrow(msg);
    expect(JSON.stringify(opt.paramGroups.map(({ params: _, ...h }) => h))).toBe(before);
    expect(Array.from(await (opt.stateDict().state['0'].expAvg as wg.Tensor).toArray())).toEqual(m0);
    opt.loadStateDict(good); // and a fitting one loads
  });

  it('addParamGroup adds parameters with their own options', async () => {
    const { opt } = make();
    const c = wg.tensor([5], { requiresGrad: true });
    opt.addParamGroup({ params: [c], lr: 1, betas: [0, 0] });
    expect(opt.paramGroups[2]).toMatchObject({ lr: 1, betas: [0, 0], eps: 1e-8 });
    c.grad = wg.tensor([2]);
    opt.step();
    await expect(c.toArray()).resolves.toEqual(Float32Array.of(4)); // betas 0: p -= lr·sign(g)
    expect(() => opt.addParamGroup({ params: [c] })).toThrow(/appears more than once/);
    expect(() => opt.addParamGroup({ params: [wg.zeros([1], { requiresGrad: true })], lr: -1 })).toThrow(/invalid learning rate: -1/);
    expect(() => opt.addParamGroup({ params: [wg.zeros([1], { requiresGrad: true })], lrr: 1 } as never)).toThrow(/unknown option 'lrr'/);
    expect(opt.paramGroups.length).toBe(3);
  });
});

describeEachBackend(['cpu'], 'optimizer option validation', () => {
  const p = () => [wg.zeros([2], { requiresGrad: true })];
  it('refuses NaN, negative and out-of-range values, naming the option', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => new optim.AdamW(p(), { lr: NaN }), /AdamW: invalid learning rate: NaN \(expected a finite number >= 0\)/],
      [() => new optim.AdamW(p(), { weightDecay: -0.1 }), /AdamW: invalid weightDecay: -0.1/],
      [() => new optim.AdamW(p(), { betas: [0.9, 1] }), /AdamW: invalid beta parameter at index 1: 1 \(expected a number in \[0, 1\)\)/],
      [() => new optim.AdamW(p(), { amsgrad: 1 as never }), /AdamW: amsgrad must be a boolean, got 1/],
      [() => new optim.RMSprop(p(), { alpha: 1.5 }), /RMSprop: invalid alpha: 1.5 \(expected a number in \[0, 1\]\)/],
      [() => new optim.RMSprop(p(), { momentum: -1 }), /RMSprop: invalid momentum: -1/],
      [() => new optim.RMSprop(p(), { eps: Infinity }), /RMSprop: invalid eps: Infinity/],
      [() => new optim.RMSprop(p(), { centered: 'yes' as never }), /RMSprop: centered must be a boolean/],
      [() => new optim.Adagrad(p(), { lrDecay: -1 }), /Adagrad: invalid lrDecay: -1/],
      [() => new optim.Adagrad(p(), { initialAccumulatorValue: NaN }), /Adagrad: invalid initialAccumulatorValue: NaN/],
      [() => new optim.Adadelta(p(), { rho: 1.1 }), /Adadelta: invalid rho: 1.1/],
      [() => new optim.Adadelta(p(), { lr: -1 }), /Adadelta: invalid learning rate: -1/],
      [() => new optim.Adamax(p(), { betas: [-0.1, 0.9] }), /Adamax: invalid beta parameter at index 0: -0.1/],
      [() => new optim.Adamax(p(), { betas: 0.9 as never }), /Adamax: betas must be a pair/],
      [() => new optim.NAdam(p(), { momentumDecay: NaN }), /NAdam: invalid momentumDecay: NaN/],
      [() => new optim.NAdam(p(), { weightDecay: -1 }), /NAdam: invalid weightDecay: -1/],
    ];
    for (const [f, msg] of cases) expect(f, String(msg)).toThrow(msg);
  });

  it('refuses unknown option keys by name, on every optimizer and in groups', () => {
    expect(() => new optim.SGD(p(), { lr: 0.1, weight_decay: 0.1 } as never)).toThrow(/SGD: unknown option 'weight_decay' \(accepted: lr, momentum, dampening, nesterov, weightDecay\)/);
    expect(() => new optim.Adam(p(), { lr: 0.1, amsgrad: true } as never)).toThrow(/Adam: unknown option 'amsgrad'/);
    for (const O of [optim.AdamW, optim.RMSprop, optim.Adagrad, optim.Adadelta, optim.Adamax, optim.NAdam]) {
      expect(() => new O(p(), { lrr: 0.1 } as never)).toThrow(new RegExp(`${O.name}: unknown option 'lrr'`));
    }
    expect(() => new optim.AdamW([{ params: p(), weight_decay: 0 } as never])).toThrow(/AdamW \(param group 0\): unknown option 'weight_decay'/);
    expect(() => new optim.Adam(p(), { lr: undefined })).not.toThrow(); // undefined keeps the default
    const opt = new optim.Adam(p());
    expect(() => opt.zeroGrad({ setToNone: 1 } as never)).toThrow(/zeroGrad: setToNone must be a boolean/);
    expect(() => opt.zeroGrad({ set_to_none: true } as never)).toThrow(/zeroGrad: unknown option 'set_to_none'/);
  });

  it('a gradient that does not match its parameter refuses the whole step', async () => {
    const a = wg.tensor([1, 2], { requiresGrad: true });
    const b = wg.tensor([3, 4], { requiresGrad: true });
    const opt = new optim.RMSprop([a, b]);
    a.grad = wg.tensor([1, 1]);
    b.grad = wg.tensor([1, 1, 1]);
    expect(() => opt.step()).toThrow(/RMSprop: the gradient of parameter 1 of group 0 \(shape \[3\], float32\) does not match it \(shape \[2\], float32\)/);
    await expect(a.toArray()).resolves.toEqual(Float32Array.of(1, 2));
    expect(opt.stateDict().state).toEqual({});
  });

  it('zeroGrad sets gradients to null by default (PyTorch 2.x), to zeros with setToNone: false', async () => {
    const [a] = p();
    const opt = new optim.NAdam([a]);
    a.grad = wg.tensor([1, 2]);
    opt.zeroGrad({ setToNone: false });
    await expect(a.grad!.toArray()).resolves.toEqual(Float32Array.of(0, 0));
    opt.zeroGrad();
    expect(a.grad).toBeNull();
  });
});
