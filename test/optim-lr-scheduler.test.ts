// optim.lrScheduler against torch.optim.lr_scheduler 1.13: each schedule's lrs (two param
// groups) before the first step and after each step, from test/fixtures/optim-trajectories.json
// (test/fixtures/gen_optim_fixtures.py builds the same schedulers). Host arithmetic only, so
// one backend is enough.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import * as wg from 'webgrad-gpu';
import { describeEachBackend } from './helpers/backends.js';

const { optim } = wg;
const S = optim.lrScheduler;
type Opt = InstanceType<typeof optim.SGD>;

const fixtures = JSON.parse(readFileSync(new URL('./fixtures/optim-trajectories.json', import.meta.url), 'utf8')) as {
  torch: string;
  schedulers: { name: string; lrs: number[][] }[];
};

/** The table of gen_optim_fixtures.py's sched_cases(), in webgrad's vocabulary. */
const CASES: Record<string, (o: Opt) => { step(): void; getLastLr(): number[] }> = {
  LambdaLR: (o) => new S.LambdaLR(o, (e) => 0.95 ** e),
  'LambdaLR per group': (o) => new S.LambdaLR(o, [(e) => 1 / (e + 1), (e) => Math.min(1.0, (e + 1) / 10)]),
  StepLR: (o) => new S.StepLR(o, { stepSize: 7, gamma: 0.5 }),
  ExponentialLR: (o) => new S.ExponentialLR(o, { gamma: 0.9 }),
  CosineAnnealingLR: (o) => new S.CosineAnnealingLR(o, { tMax: 10, etaMin: 0.001 }),
  LinearLR: (o) => new S.LinearLR(o, { startFactor: 0.25, totalIters: 8 }),
  'LinearLR decay': (o) => new S.LinearLR(o, { startFactor: 1.0, endFactor: 0.1, totalIters: 12 }),
  'SequentialLR warmup cosine': (o) =>
    new S.SequentialLR(o, {
      schedulers: [new S.LinearLR(o, { startFactor: 0.1, totalIters: 5 }), new S.CosineAnnealingLR(o, { tMax: 20, etaMin: 0.01 })],
      milestones: [5],
    }),
  'SequentialLR three': (o) =>
    new S.SequentialLR(o, {
      schedulers: [new S.ExponentialLR(o, { gamma: 0.8 }), new S.StepLR(o, { stepSize: 4, gamma: 0.5 }), new S.LambdaLR(o, (e) => 0.95 ** e)],
      milestones: [6, 20],
    }),
};

const sgd = (): Opt => new optim.SGD([{ params: [wg.zeros([2], { requiresGrad: true })] }, { params: [wg.zeros([2], { requiresGrad: true })], lr: 0.02 }], { lr: 0.1 });

it('the fixtures and the table name the same schedules', () => {
  expect(fixtures.schedulers.map((s) => s.name).sort()).toEqual(Object.keys(CASES).sort());
});

describeEachBackend(['cpu'], `lr schedulers against torch ${fixtures.torch}`, () => {
  for (const { name, lrs } of fixtures.schedulers) {
    it(`${name} sets torch's lrs at every step`, () => {
      const opt = sgd();
      const sched = CASES[name](opt);
      const got = [sched.getLastLr()];
      for (let i = 1; i < lrs.length; i++) {
        opt.step();
        sched.step();
        got.push(sched.getLastLr());
        expect(opt.paramGroups.map((g) => g.lr)).toEqual(got[i]);
      }
      // Same formulas in the same order; Math.cos and Python's math.cos differ in the last bit
      // at times (4 schedules; largest relative difference measured 3.7e-16, one ulp).
      got.forEach((row, i) => row.forEach((lr, g) => expect(Math.abs(lr - lrs[i][g]), `step ${i} group ${g}: ${lr} vs ${lrs[i][g]}`).toBeLessThanOrEqual(1e-15 * Math.abs(lrs[i][g]))));
    });
  }

  it('a scheduler resumes from its stateDict', () => {
    const run = (steps: number, from?: { opt: ReturnType<Opt['stateDict']>; sched: wg.optim.lrScheduler.SchedulerStateDict }) => {
      const opt = sgd();
      if (from) opt.loadStateDict(from.opt);
      const sched = new S.CosineAnnealingLR(opt, { tMax: 10, etaMin: 0.001, lastEpoch: from ? from.sched.lastEpoch : -1 });
      if (from) sched.loadStateDict(from.sched);
      for (let i = 0; i < steps; i++) sched.step();
      return { opt, sched };
    };
    const straight = run(12);
    const first = run(5);
    const resumed = run(7, { opt: first.opt.stateDict(), sched: first.sched.stateDict() });
    expect(resumed.sched.getLastLr()).toEqual(straight.sched.getLastLr());
  });

  it('refuses bad options with clear errors', () => {
    const o = sgd();
    expect(() => new S.StepLR(o, { stepSize: 0 })).toThrow(/StepLR: invalid stepSize: 0 \(expected an integer >= 1\)/);
    expect(() => new S.StepLR(o, { stepSize: 2, gamma: NaN })).toThrow(/invalid gamma: NaN/);
    expect(() => new S.StepLR(o, { stepSize: 2, gama: 0.5 } as never)).toThrow(/StepLR: unknown option 'gama'/);
    expect(() => new S.ExponentialLR(o, { gamma: -1 })).toThrow(/invalid gamma: -1/);
    expect(() => new S.CosineAnnealingLR(o, { tMax: 0 })).toThrow(/invalid tMax: 0/);
    expect(() => new S.LinearLR(o, { startFactor: 0 })).toThrow(/invalid startFactor: 0 \(expected a number in \(0, 1\]\)/);
    expect(() => new S.LinearLR(o, { endFactor: 1.5 })).toThrow(/invalid endFactor/);
    expect(() => new S.LambdaLR(o, [(e) => e])).toThrow(/expected 2 lrLambdas/);
    expect(() => new S.StepLR({} as never, { stepSize: 1 })).toThrow(/expected an optimizer/);
    const fresh = sgd();
    expect(() => new S.StepLR(fresh, { stepSize: 1, lastEpoch: 3 })).toThrow(/needs initialLr in param group 0/);
    const a = new S.LinearLR(o);
    expect(() => new S.SequentialLR(o, { schedulers: [a], milestones: [3] })).toThrow(/expected 0 milestones/);
    expect(() => new S.SequentialLR(o, { schedulers: [a, new S.StepLR(sgd(), { stepSize: 1 })], milestones: [3] })).toThrow(/different optimizer/);
  });
});
