// Multi-tensor optimizer steps on WebGPU (Backend.optimizerStep with many updates, several
// parameters to a dispatch). Three checks:
//  - against the CPU backend: every kind and variant, eleven parameters of awkward sizes (1 to
//    4099 elements, more than one dispatch holds), each with its own values (lr, decay, step
//    count), three steps in one call each (tolerance at expectNear);
//  - bit for bit against the same updates run one per call (the single-parameter path), for
//    the backend call and for every optimizer with two param groups and parameters skipped in
//    some steps (so their step counts differ);
//  - the dispatches a call makes: ceil(updates / slots) per kind and variant.
import { afterAll, describe, expect, test } from 'vitest';
import * as wg from 'webgrad-gpu';
import type { Backend, OptimizerStepArgs, OptimizerUpdate, Storage } from '../src/backend/backend.js';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { slotsPerDispatch } from '../src/backend/webgpu/optim.js';
import { WebGPUBackend } from '../src/backend/webgpu/webgpu-backend.js';
import { getBackend } from '../src/runtime.js';
import { gpuBackendOrSkip } from './helpers/gpu.js';
import { randn } from './helpers/random.js';

const { backend: gpu, skip: gpuSkip } = await gpuBackendOrSkip();
const cpu = new CpuBackend();
afterAll(() => gpu?.destroy());

const SIZES = [1, 3, 17, 65, 257, 4099, 1, 3, 17, 65, 257];

/**
 * |gpu - cpu| <= 1e-5·|cpu| + 1e-6·max|cpu| over the tensor: float32 kernels against float64
 * arithmetic rounded at each store, where values near 0 can be sums of terms the size of the
 * tensor's largest (RMSprop's momentum buffer adds g/avg ~ ±10 into values of 1e-4). NaN and
 * ±Inf must match exactly (a centered RMSprop's sq - ga² goes negative on random state).
 */
function expectNear(got: ArrayLike<number>, want: ArrayLike<number>, label: string): void {
  let scale = 0;
  for (let e = 0; e < want.length; e++) if (Number.isFinite(want[e])) scale = Math.max(scale, Math.abs(want[e]));
  for (let e = 0; e < want.length; e++) {
    if (!Number.isFinite(want[e])) expect(got[e], `${label}[${e}]`).toBe(want[e]);
    else expect(Math.abs(got[e] - want[e]), `${label}[${e}]: ${got[e]} vs ${want[e]}`).toBeLessThanOrEqual(1e-5 * Math.abs(want[e]) + 1e-6 * scale);
  }
}

/** A kind and variant: its state count and parameter j's args at step t (each j its own values). */
interface Config {
  label: string;
  states: number;
  args: (t: number, j: number) => OptimizerStepArgs;
}

const lrOf = (j: number): number => 0.01 * (1 + (j % 4));
const wdOf = (j: number): number => (j % 3 === 0 ? 0 : 0.01 * j);
/** Parameter j's step count at call t: odd parameters started two steps earlier. */
const stepOf = (t: number, j: number): number => t + (j % 2) * 2;

const sgd = (momentum: number, dampening: number, nesterov: boolean): Config => ({
  label: `sgd momentum=${momentum} dampening=${dampening} nesterov=${nesterov}`,
  states: momentum !== 0 ? 1 : 0,
  args: (t, j) => ({ kind: 'sgd', lr: lrOf(j), momentum, dampening, nesterov, weightDecay: wdOf(j), firstStep: t === 1 && j % 2 === 0 }),
});
const adamw = (amsgrad: boolean): Config => ({
  label: `adamw amsgrad=${amsgrad}`,
  states: amsgrad ? 3 : 2,
  args: (t, j) => {
    const [b1, b2, lr, s] = [0.9, 0.99 - 0.001 * j, lrOf(j), stepOf(t, j)];
    return { kind: 'adamw', lr, weightDecay: wdOf(j), beta1: b1, beta2: b2, eps: 1e-8, amsgrad, stepSize: lr / (1 - b1 ** s), bc2Sqrt: Math.sqrt(1 - b2 ** s) };
  },
});
const rmsprop = (momentum: number, centered: boolean): Config => ({
  label: `rmsprop momentum=${momentum} centered=${centered}`,
  states: 1 + (momentum > 0 ? 1 : 0) + (centered ? 1 : 0),
  args: (_t, j) => ({ kind: 'rmsprop', lr: lrOf(j), alpha: 0.9, eps: 1e-8, weightDecay: wdOf(j), momentum, centered }),
});
const CONFIGS: Config[] = [
  sgd(0, 0, false),
  sgd(0.9, 0, false),
  sgd(0.9, 0.1, false),
  sgd(0.9, 0, true),
  { label: 'adam', states: 2, args: (t, j) => ({ kind: 'adam', lr: lrOf(j), beta1: 0.8 + 0.01 * j, beta2: 0.999, eps: 1e-8, weightDecay: wdOf(j), step: stepOf(t, j) }) },
  adamw(false),
  adamw(true),
  rmsprop(0, false),
  rmsprop(0.9, false),
  rmsprop(0, true),
  rmsprop(0.5, true),
  { label: 'adagrad', states: 1, args: (t, j) => ({ kind: 'adagrad', clr: lrOf(j) / (1 + (stepOf(t, j) - 1) * 0.01), eps: 1e-10, weightDecay: wdOf(j) }) },
  { label: 'adadelta', states: 2, args: (_t, j) => ({ kind: 'adadelta', lr: 1 - 0.1 * (j % 3), rho: 0.9, eps: 1e-6, weightDecay: wdOf(j) }) },
  { label: 'adamax', states: 2, args: (t, j) => ({ kind: 'adamax', clr: lrOf(j) / (1 - 0.9 ** stepOf(t, j)), beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: wdOf(j) }) },
  {
    label: 'nadam',
    states: 2,
    args: (t, j) => {
      const s = stepOf(t, j);
      return { kind: 'nadam', beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: wdOf(j), biasCorrection2: 1 - 0.999 ** s, gradStep: (lrOf(j) * 0.1) / s, avgStep: (lrOf(j) * 0.9) / s };
    },
  },
];

/** One parameter's storages on one backend: param, and its state (non-negative, as reachable). */
interface Slot {
  param: Storage;
  state: Storage[];
}
function slots(be: Backend, cfg: Config): Slot[] {
  return SIZES.map((n, j) => ({
    param: be.upload(randn(n, 10 + j), 'float32'),
    state: Array.from({ length: cfg.states }, (_, i) => be.upload(randn(n, 100 * j + i).map((v) => Math.abs(v) * 0.1), 'float32')),
  }));
}
/** The updates of call t, on `be`, with gradients that are the same on every backend. */
function updates(be: Backend, cfg: Config, ps: Slot[], t: number): OptimizerUpdate[] {
  return ps.map((s, j) => ({ param: s.param, grad: be.upload(randn(SIZES[j], 1000 * t + j), 'float32'), state: s.state, args: cfg.args(t, j) }));
}
const everything = (ps: Slot[]): Storage[] => ps.flatMap((s) => [s.param, ...s.state]);

describe.skipIf(gpu === null)(`multi-tensor optimizer steps on WebGPU${gpuSkip ? ` (${gpuSkip})` : ''}`, () => {
  test.each(CONFIGS)('$label: many parameters per call against the CPU backend', async (cfg) => {
    const [c, g] = [slots(cpu, cfg), slots(gpu!, cfg)];
    for (let t = 1; t <= 3; t++) {
      cpu.optimizerStep(updates(cpu, cfg, c, t));
      gpu!.optimizerStep(updates(gpu!, cfg, g, t));
    }
    const [ce, ge] = [everything(c), everything(g)];
    for (let i = 0; i < ce.length; i++) expectNear(await gpu!.read(ge[i]), await cpu.read(ce[i]), `${cfg.label} storage ${i}`);
  });

  test.each(CONFIGS)('$label: bit for bit the same as one parameter per call', async (cfg) => {
    const [one, many] = [slots(gpu!, cfg), slots(gpu!, cfg)];
    for (let t = 1; t <= 3; t++) {
      for (const u of updates(gpu!, cfg, one, t)) gpu!.optimizerStep([u]);
      gpu!.optimizerStep(updates(gpu!, cfg, many, t));
    }
    const [a, b] = [everything(one), everything(many)];
    for (let i = 0; i < a.length; i++) {
      const bitsOne = new Uint32Array(Float32Array.from(await gpu!.read(a[i])).buffer);
      const bitsMany = new Uint32Array(Float32Array.from(await gpu!.read(b[i])).buffer);
      expect(bitsMany, `${cfg.label} storage ${i}`).toEqual(bitsOne);
    }
  });

  test('dispatches: ceil(updates / slots) per kind and variant', () => {
    const be = gpu!;
    const limit = be.device.limits.maxStorageBuffersPerShaderStage;
    const count = (list: OptimizerUpdate[]): number => {
      const before = be.dispatchCount();
      be.optimizerStep(list);
      return be.dispatchCount() - before;
    };
    const adamwCfg = adamw(false);
    const nine = slots(be, adamwCfg).slice(0, 9);
    const kAdamW = slotsPerDispatch(adamwCfg.args(1, 0), limit);
    expect(kAdamW).toBe(Math.min(Math.floor(limit / 4), 7));   // 4 buffers, 9 words of uniform each
    expect(count(updates(be, adamwCfg, nine, 1).slice(0, 9))).toBe(Math.ceil(9 / kAdamW));
    // Three SGD variants in one call: plain, momentum, nesterov momentum dispatch apart.
    const variants = [sgd(0, 0, false), sgd(0.9, 0, false), sgd(0.9, 0, true)];
    const mixed = variants.flatMap((cfg) => updates(be, cfg, slots(be, cfg), 2));
    const want = variants.reduce((sum, cfg) => sum + Math.ceil(SIZES.length / slotsPerDispatch(cfg.args(2, 0), limit)), 0);
    expect(count(mixed)).toBe(want);
    expect(slotsPerDispatch(variants[0].args(1, 0), limit)).toBe(Math.min(Math.floor(limit / 2), 10));
    const empty = (): Storage => be.upload(new Float32Array(0), 'float32');
    expect(count([{ param: empty(), grad: empty(), state: [], args: variants[0].args(1, 0) }])).toBe(0);
  });

  test('updates sharing a storage run one per dispatch, in order, as one per call would', async () => {
    const cfg = sgd(0, 0, false);
    const fresh = (): Storage[] => [0, 1, 2].map((i) => gpu!.upload(randn(17, 50 + i), 'float32'));
    const [a, b] = [fresh(), fresh()];
    // The second update's gradient is the first's parameter: it must see the updated values.
    const list = ([x, y, z]: Storage[]): OptimizerUpdate[] => [
      { param: x, grad: y, state: [], args: cfg.args(1, 0) },
      { param: z, grad: x, state: [], args: cfg.args(1, 2) },
    ];
    for (const u of list(a)) gpu!.optimizerStep([u]);
    const before = gpu!.dispatchCount();
    gpu!.optimizerStep(list(b));
    expect(gpu!.dispatchCount() - before).toBe(2);
    for (const i of [0, 2]) expect(await gpu!.read(b[i])).toEqual(await gpu!.read(a[i]));
  });

  test('one bad update refuses the whole call before any dispatch', async () => {
    const cfg = adamw(false);
    const ps = slots(gpu!, cfg).slice(0, 3);
    const list = updates(gpu!, cfg, ps, 1);
    const before = await Promise.all(ps.map((s) => gpu!.read(s.param)));
    const d0 = gpu!.dispatchCount();
    const bad = [...list.slice(0, 2), { ...list[2], state: [ps[2].state[0]] }];
    expect(() => gpu!.optimizerStep(bad)).toThrow(/adamwStep: expected 2 state storages, got 1/);
    const aliased = [...list.slice(0, 2), { ...list[2], grad: ps[2].param }];
    expect(() => gpu!.optimizerStep(aliased)).toThrow(/must be different storages/);
    const short = [{ ...list[0], grad: gpu!.upload(new Float32Array(2), 'float32') }, ...list.slice(1)];
    expect(() => gpu!.optimizerStep(short)).toThrow(/must have as many elements/);
    expect(gpu!.dispatchCount()).toBe(d0);
    for (const [i, s] of ps.entries()) expect(await gpu!.read(s.param)).toEqual(before[i]);
  });
});

// The optimizers themselves: two param groups with different options (lr, weight decay and the
// variant: amsgrad, momentum, nesterov, centered), eleven parameters, four steps in which some
// parameters have no gradient (so their step counts differ). WebGPU against the CPU backend,
// and WebGPU against itself with every backend call split into one call per parameter.
type Make = (groups: { params: wg.Tensor[] }[]) => { step(): void; stateDict(): wg.optim.OptimizerStateDict; dispose(): void };
const { optim } = wg;
const OPTIMIZERS: Record<string, Make> = {
  SGD: ([a, b]) => new optim.SGD([{ ...a, momentum: 0.9, nesterov: true, weightDecay: 0.01 }, { ...b, lr: 0.1 }], { lr: 0.05 }),
  'SGD dampening': ([a, b]) => new optim.SGD([{ ...a, momentum: 0.9, dampening: 0.1 }, { ...b, momentum: 0.5 }], { lr: 0.05 }),
  Adam: ([a, b]) => new optim.Adam([a, { ...b, lr: 3e-3, weightDecay: 0.1, betas: [0.8, 0.99] }], { lr: 1e-2 }),
  AdamW: ([a, b]) => new optim.AdamW([{ ...a, amsgrad: true, weightDecay: 0.1 }, { ...b, lr: 3e-3, weightDecay: 0 }], { lr: 1e-2 }),
  RMSprop: ([a, b]) => new optim.RMSprop([{ ...a, momentum: 0.9, centered: true }, { ...b, weightDecay: 0.01 }]),
  Adagrad: ([a, b]) => new optim.Adagrad([{ ...a, lrDecay: 0.01 }, { ...b, lr: 0.1, weightDecay: 0.01 }]),
  Adadelta: ([a, b]) => new optim.Adadelta([a, { ...b, lr: 0.5, weightDecay: 0.01 }]),
  Adamax: ([a, b]) => new optim.Adamax([a, { ...b, lr: 1e-2, weightDecay: 0.01 }]),
  NAdam: ([a, b]) => new optim.NAdam([a, { ...b, lr: 1e-2, weightDecay: 0.01 }]),
};

/** Four steps of `make` on the current backend; every parameter's and state tensor's values. */
async function train(make: Make): Promise<Float32Array[]> {
  const ps = SIZES.map((n, j) => wg.tensor(randn(n, 10 + j), { requiresGrad: true }));
  const opt = make([{ params: ps.slice(0, 6) }, { params: ps.slice(6) }]);
  for (let t = 1; t <= 4; t++) {
    ps.forEach((p, j) => (p.grad = (j + t) % 3 === 0 && t > 1 ? null : wg.tensor(randn(p.numel, 1000 * t + j))));
    opt.step();
  }
  const state = Object.values(opt.stateDict().state).flatMap((e) => Object.values(e).filter((v): v is wg.Tensor => v instanceof wg.Tensor));
  const out = await Promise.all([...ps, ...state].map(async (t) => Float32Array.from(await t.toArray() as ArrayLike<number>)));
  opt.dispose();
  return out;
}

describe.skipIf(gpu === null)(`optimizers step multi-tensor on WebGPU${gpuSkip ? ` (${gpuSkip})` : ''}`, () => {
  afterAll(() => wg.destroy());

  test.each(Object.entries(OPTIMIZERS))('%s: against the CPU backend, and bit for bit against one parameter per call', async (_name, make) => {
    await wg.init({ backend: 'cpu', verbose: false });
    const want = await train(make);
    wg.destroy();
    await wg.init({ backend: 'webgpu', verbose: false });
    const many = await train(make);
    const be = getBackend() as WebGPUBackend;
    be.optimizerStep = (list) => list.forEach((u) => WebGPUBackend.prototype.optimizerStep.call(be, [u]));
    const one = await train(make).finally(() => delete (be as Partial<WebGPUBackend>).optimizerStep);
    wg.destroy();
    expect(many.length).toBe(want.length);
    for (let i = 0; i < want.length; i++) {
      expectNear(many[i], want[i], `${_name} tensor ${i}`);
      expect(new Uint32Array(many[i].buffer), `tensor ${i}`).toEqual(new Uint32Array(one[i].buffer));
    }
  });
});
