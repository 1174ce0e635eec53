// The fused optimizer kernels (Backend.optimizerStep): WebGPU against the CPU backend on
// seeded random parameters and gradients of awkward sizes, five steps of every option set,
// then NaN/±Inf gradients. Finite entries are compared elementwise within
// |gpu - cpu| <= 1e-5·|cpu| + 1e-6 (float32 kernels against float64 arithmetic rounded at
// each store); non-finite entries must match exactly (NaN where the CPU has NaN).
import { afterAll, describe, expect, test } from 'vitest';
import type { Backend, OptimizerStepArgs, Storage } from '../src/backend/backend.js';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { gpuBackendOrSkip } from './helpers/gpu.js';
import { randn } from './helpers/random.js';

const { backend: gpu, skip: gpuSkip } = await gpuBackendOrSkip();
const cpu = new CpuBackend();
afterAll(() => gpu?.destroy());

const SIZES = [1, 3, 17, 65, 257, 3000];

/** A step's arguments (the per-step scalars as the optimizers compute them) and its state count. */
interface Config {
  label: string;
  states: number;
  args: (step: number) => OptimizerStepArgs;
}

const adamw = (lr: number, weightDecay: number, amsgrad: boolean, [b1, b2] = [0.9, 0.999]): Config => ({
  label: `adamw lr=${lr} wd=${weightDecay} amsgrad=${amsgrad}`,
  states: amsgrad ? 3 : 2,
  args: (t) => ({ kind: 'adamw', lr, weightDecay, beta1: b1, beta2: b2, eps: 1e-8, amsgrad, stepSize: lr / (1 - b1 ** t), bc2Sqrt: Math.sqrt(1 - b2 ** t) }),
});
const rmsprop = (momentum: number, centered: boolean, weightDecay = 0): Config => ({
  label: `rmsprop momentum=${momentum} centered=${centered} wd=${weightDecay}`,
  states: 1 + (momentum > 0 ? 1 : 0) + (centered ? 1 : 0),
  args: () => ({ kind: 'rmsprop', lr: 0.01, alpha: 0.9, eps: 1e-8, weightDecay, momentum, centered }),
});
const CONFIGS: Config[] = [
  adamw(1e-3, 0.01, false),
  adamw(0.05, 0, true, [0.8, 0.99]),
  rmsprop(0, false),
  rmsprop(0.9, false, 0.01),
  rmsprop(0, true),
  rmsprop(0.5, true, 0.01),
  { label: 'adagrad', states: 1, args: (t) => ({ kind: 'adagrad', clr: 0.1 / (1 + (t - 1) * 0.01), eps: 1e-10, weightDecay: 0.01 }) },
  { label: 'adadelta', states: 2, args: () => ({ kind: 'adadelta', lr: 1, rho: 0.9, eps: 1e-6, weightDecay: 0.01 }) },
  { label: 'adamax', states: 2, args: (t) => ({ kind: 'adamax', clr: 2e-3 / (1 - 0.9 ** t), beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 }) },
  {
    label: 'nadam',
    states: 2,
    args: (t) => ({ kind: 'nadam', beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, biasCorrection2: 1 - 0.999 ** t, gradStep: 2e-3 * 0.1 / t, avgStep: 2e-3 * 0.9 / t }),
  },
];

type Pair = Record<'cpu' | 'webgpu', Storage>;
const up = (data: Float32Array): Pair => ({ cpu: cpu.upload(data, 'float32'), webgpu: gpu!.upload(data, 'float32') });

async function expectSame(s: Pair, label: string): Promise<void> {
  const c = await cpu.read(s.cpu);
  const g = await gpu!.read(s.webgpu);
  for (let i = 0; i < c.length; i++) {
    if (!Number.isFinite(c[i])) expect(g[i], `${label}[${i}]`).toBe(c[i]);
    else expect(Math.abs(g[i] - c[i]), `${label}[${i}]: ${g[i]} vs ${c[i]}`).toBeLessThanOrEqual(1e-5 * Math.abs(c[i]) + 1e-6);
  }
}

/** Runs `steps` steps of `cfg` on both backends with the gradients `grad(step)`; compares everything. */
async function run(cfg: Config, n: number, grad: (step: number) => Float32Array, steps: number, tag: string): Promise<void> {
  const p = up(randn(n, n));
  // Positive state start (Adagrad's initial accumulator, a warm second moment...) except
  // where zeros are the only valid start: any non-negative value is a reachable state.
  const state = Array.from({ length: cfg.states }, (_, i) => up(randn(n, 100 + i).map((v) => Math.abs(v) * 0.1)));
  for (let t = 1; t <= steps; t++) {
    const g = up(grad(t));
    for (const k of ['cpu', 'webgpu'] as const) {
      const be: Backend = k === 'cpu' ? cpu : gpu!;
      be.optimizerStep([{ param: p[k], grad: g[k], state: state.map((s) => s[k]), args: cfg.args(t) }]);
    }
  }
  await expectSame(p, `${cfg.label} n=${n} ${tag} param`);
  for (const [i, s] of state.entries()) await expectSame(s, `${cfg.label} n=${n} ${tag} state ${i}`);
}

describe.skipIf(gpu === null)(`fused optimizer kernels: WebGPU vs CPU${gpuSkip ? ` (${gpuSkip})` : ''}`, () => {
  test.each(CONFIGS)('$label on random gradients', async (cfg) => {
    for (const n of SIZES) await run(cfg, n, (t) => randn(n, 7 * n + t), 5, 'random');
  });

  test.each(CONFIGS)('$label with NaN and ±Inf in the gradient', async (cfg) => {
    const special = Float32Array.from([NaN, Infinity, -Infinity, 0, -0, 1e-30, 3e38, -3e38, 1, -1, 0.5]);
    await run(cfg, special.length, () => special, 2, 'special');
  });

  test('refuses state that aliases the parameter, and a wrong state count', () => {
    const p = gpu!.upload(new Float32Array(4), 'float32');
    const g = gpu!.upload(new Float32Array(4), 'float32');
    const args = CONFIGS[0].args(1);
    expect(() => gpu!.optimizerStep([{ param: p, grad: g, state: [p, g], args }])).toThrow(/must be different storages/);
    expect(() => gpu!.optimizerStep([{ param: p, grad: g, state: [gpu!.upload(new Float32Array(4), 'float32')], args }])).toThrow(/expected 2 state storages, got 1/);
  });
});
