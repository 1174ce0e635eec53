// crossEntropy with labelSmoothing, class weights and ignoreIndex, on [N, C], [C] and
// [N, C, d1, ...] logits, through the public API on every backend: PyTorch's numbers
// (test/fixtures/cross-entropy.json, written by gen_cross_entropy_fixtures.py), the fused kernel
// kept for the plain case, stability, refused arguments, nn.CrossEntropyLoss, and float64
// gradchecks on the CPU backend.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as wg from 'webgrad-gpu';
import type { Tensor } from 'webgrad-gpu';
import { backendsUnderTest, describeEachBackend } from './helpers/backends.js';
import { expectClose } from './helpers/close.js';
import { settleGarbage } from './helpers/settle.js';

const backends = await backendsUnderTest();
const F = wg.nn.functional;

interface Case {
  name: string;
  logits: { shape: number[]; data: number[] };
  targets: { shape: number[]; data: number[] };
  opts: { reduction: 'mean' | 'sum' | 'none'; labelSmoothing?: number; weight?: number[]; ignoreIndex?: number };
  loss: { shape: number[]; data: number[] };
  proj: number[];
  grad: number[];
}
const fixtures = JSON.parse(readFileSync(new URL('./fixtures/cross-entropy.json', import.meta.url), 'utf8')) as { torch: string; cases: Case[] };

/**
 * float32 against torch's float64: logits up to ~±6, C <= 4 and at most 24 samples; the loss is
 * a sum of that many log-probabilities, each rounded at ~1e-7 relative.
 */
const ATOL = 1e-5;
const RTOL = 1e-4;

/** Backend methods that do work; none may run before an argument error. */
const WORK = ['upload', 'full', 'copy', 'fill', 'cast', 'strided', 'unary', 'binary', 'reduce', 'softmax', 'crossEntropy', 'matmul'] as const;

/** Counts the calls of each listed backend method while `fn` runs. */
function spyBackend<T>(fn: () => T): { result: T | null; error: unknown; calls: string[] } {
  const probe = wg.zeros([1]);
  const backend = probe.backend as unknown as Record<string, unknown>;
  probe.dispose();
  const calls: string[] = [];
  for (const name of WORK) {
    const orig = backend[name] as (...a: unknown[]) => unknown;
    backend[name] = (...args: unknown[]) => (calls.push(name), orig.apply(backend, args));
  }
  try {
    return { result: fn(), error: null, calls };
  } catch (error) {
    return { result: null, error, calls };
  } finally {
    for (const name of WORK) delete backend[name];
  }
}

function expectRefused(bad: () => unknown, op: string, message: RegExp): void {
  const live = wg.memory().liveTensors;
  const { error, calls } = spyBackend(bad);
  expect(error, 'expected a WebgradError').toBeInstanceOf(wg.WebgradError);
  expect((error as wg.WebgradError).op).toBe(op);
  expect((error as Error).message).toMatch(message);
  expect(calls, 'backend work before the error').toEqual([]);
  expect(wg.memory().liveTensors).toBe(live);
}

describeEachBackend(backends, 'crossEntropy: labelSmoothing, weight, ignoreIndex, [N, C, d...]', () => {
  describe(`PyTorch ${fixtures.torch} fixtures`, () => {
    for (const c of fixtures.cases) {
      it(c.name, async () => {
        await settleGarbage();
        const live = wg.memory().liveTensors;
        await wg.scope(async () => {
          const x = wg.tensor(c.logits.data).reshape(c.logits.shape).requiresGrad_();
          const t = wg.tensor(c.targets.data, { dtype: 'int32' }).reshape(c.targets.shape);
          const { weight, ...rest } = c.opts;
          const loss = F.crossEntropy(x, t, { ...rest, ...(weight ? { weight: wg.tensor(weight) } : {}) });
          await expectClose(loss, c.loss.data, ATOL, RTOL, c.loss.shape);
          loss.mul(wg.tensor(c.proj).reshape(c.loss.shape)).sum().backward();
          await expectClose(x.grad!, c.grad, ATOL, RTOL, c.logits.shape); // a gradient has its input's shape
          x.grad?.dispose(); // kept past scopes, as every .grad
        });
        expect(wg.memory().liveTensors).toBe(live);
      });
    }
  });

  // Each test runs in a scope: tensors left to the garbage collector would be counted by the
  // next backend's live-tensor checks.
  describe('paths and values', () => {
    const x3 = (): Tensor => wg.arange(24).to('float32').mul(0.37).sin().mul(3).reshape([2, 3, 4]);
    const t3 = (): Tensor => wg.tensor([[0, 2, 1, 1], [2, 0, 0, 1]], { dtype: 'int32' });

    it('[N, C] and [N, C, d] without options run the fused kernel; options go through logSoftmax', () => {
      wg.scope(() => {
        const count = (fn: () => unknown): number => spyBackend(fn).calls.filter((c) => c === 'crossEntropy').length;
        const x2 = wg.tensor([[1, 2, 3], [0, -1, 5]]);
        const t2 = wg.tensor([2, 0], { dtype: 'int32' });
        expect(count(() => F.crossEntropy(x2, t2))).toBe(1);
        expect(count(() => F.crossEntropy(x3(), t3()))).toBe(1);
        expect(count(() => F.crossEntropy(x3(), t3(), { reduction: 'none' }))).toBe(1);
        expect(count(() => F.crossEntropy(x2, t2, { labelSmoothing: 0.1 }))).toBe(0);
        expect(count(() => F.crossEntropy(x3(), t3(), { ignoreIndex: 1 }))).toBe(0);
      });
    });

    it('[N, C, d] equals [N·d, C] with classes last, for every option', async () => {
      await wg.scope(async () => {
        const w = wg.tensor([0.5, 2, 1]);
        for (const opts of [{}, { labelSmoothing: 0.3 }, { weight: w, ignoreIndex: 1 }, { weight: w, labelSmoothing: 0.2, reduction: 'sum' as const }]) {
          const nd = F.crossEntropy(x3(), t3(), opts);
          const flat = F.crossEntropy(x3().permute(0, 2, 1).reshape([8, 3]), t3().reshape([8]), opts);
          await expectClose(nd, flat, 1e-6, 1e-5);
        }
        const none = F.crossEntropy(x3(), t3(), { reduction: 'none', labelSmoothing: 0.1 });
        expect([...none.shape]).toEqual([2, 4]);
      });
    });

    it('labelSmoothing by hand, stable at ±1000', async () => {
      await wg.scope(async () => {
        // log p = [0, -2000]: nll = 0, smooth = (0 + 2000) / 2, loss = 0.9·0 + 0.1·1000.
        const x = wg.tensor([[1000, -1000]]).requiresGrad_();
        const loss = F.crossEntropy(x, wg.tensor([0], { dtype: 'int32' }), { labelSmoothing: 0.1 });
        await expectClose(loss, 100, 1e-3, 1e-6);
        loss.backward();
        // d/dx = p - q with q = (1 - ε)·onehot + ε/C = [0.95, 0.05], p = [1, 0].
        await expectClose(x.grad!, [[0.05, -0.05]], 1e-6, 1e-5);
        x.grad?.dispose(); // kept past scopes, as every .grad
        // ε = 0 is the plain loss; ε = 1 ignores the target.
        const y = wg.tensor([[1, 2, 4]]);
        await expectClose(F.crossEntropy(y, wg.tensor([0], { dtype: 'int32' }), { labelSmoothing: 1 }),
          F.crossEntropy(y, wg.tensor([2], { dtype: 'int32' }), { labelSmoothing: 1 }), 1e-6, 1e-6);
        await expectClose(F.crossEntropy(y, wg.tensor([1], { dtype: 'int32' }), { labelSmoothing: 0 }),
          F.crossEntropy(y, wg.tensor([1], { dtype: 'int32' })), 1e-6, 1e-6);
      });
    });

    it('nn.CrossEntropyLoss takes labelSmoothing and [N, C, d] logits', async () => {
      await wg.scope(async () => {
        const m = new wg.nn.CrossEntropyLoss({ labelSmoothing: 0.25, weight: wg.tensor([1, 2, 3]) });
        await expectClose(m.forward(x3(), t3()), F.crossEntropy(x3(), t3(), { labelSmoothing: 0.25, weight: wg.tensor([1, 2, 3]) }), 1e-6, 1e-6);
        expect(Object.keys(m.stateDict())).toEqual(['weight']);
        m.weight?.dispose(); // a buffer is kept past scopes
        expect(() => new wg.nn.CrossEntropyLoss({ labelSmothing: 0.1 } as never)).toThrow(/labelSmothing/);
      });
    });
  });

  describe('refused before any work', () => {
    const x = (): Tensor => wg.zeros([2, 3, 4]);
    const t = (): Tensor => wg.zeros([2, 4], { dtype: 'int32' });
    it('options', () => {
      wg.scope(() => {
        const [a, b, w4] = [x(), t(), wg.ones([4])];
        expectRefused(() => F.crossEntropy(a, b, { labelSmothing: 0.1 } as never), 'crossEntropy', /labelSmothing/);
        for (const eps of [-0.1, 1.5, Number.NaN, '0.1']) {
          expectRefused(() => F.crossEntropy(a, b, { labelSmoothing: eps as number }), 'crossEntropy', /labelSmoothing must be a number in \[0, 1\]/);
        }
        expectRefused(() => F.crossEntropy(a, b, { ignoreIndex: 0.5 }), 'crossEntropy', /ignoreIndex must be an integer/);
        expectRefused(() => F.crossEntropy(a, b, { weight: w4 }), 'crossEntropy', /weight must have shape \[3\]/);
      });
    });
    it('shapes, dtypes and target values of [N, C, d] logits', () => {
      wg.scope(() => {
        const [a, t23, f24] = [x(), wg.zeros([2, 3], { dtype: 'int32' }), wg.zeros([2, 4])];
        expectRefused(() => F.crossEntropy(a, t23), 'crossEntropy', /targets of shape \[2, ?3\] do not match logits of shape \[2, ?3, ?4\] \(expected \[2, ?4\]\)/);
        expectRefused(() => F.crossEntropy(a, f24), 'crossEntropy', /int32/);
        const bad = wg.tensor([[0, 1, 2, 3], [0, 0, 0, 0]], { dtype: 'int32' });
        expectRefused(() => F.crossEntropy(a, bad), 'crossEntropy', /class indices in \[0, 2\]/);
        expectRefused(() => F.crossEntropy(a, bad, { labelSmoothing: 0.1 }), 'crossEntropy', /class indices in \[0, 2\]/);
        // The ignored index is allowed among the targets.
        expect(() => F.crossEntropy(a, bad, { ignoreIndex: 3 })).not.toThrow();
      });
    });
  });
});

describe('gradcheck (float64, CPU)', () => {
  beforeAll(async () => {
    await wg.init({ backend: 'cpu', verbose: false });
    wg.manualSeed(7);
  });
  const r = (shape: number[]): Tensor => wg.randn(shape, { dtype: 'float64' });
  const ints = (data: number[], shape: number[]): Tensor => wg.tensor(data, { dtype: 'int32' }).reshape(shape);
  // Targets and weights are made inside each fn: gradcheck runs it on its own CPU backend.
  const w = (): Tensor => wg.tensor([0.5, 2, 1.5], { dtype: 'float64' });

  it('[N, C]: labelSmoothing with weight and ignoreIndex, each reduction', async () => {
    const t = (): Tensor => ints([0, 2, 1, 2, 1], [5]);
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      await wg.gradcheck((x) => F.crossEntropy(x, t(), { labelSmoothing: 0.2, weight: w(), ignoreIndex: 1, reduction }), [r([5, 3])]);
      await wg.gradcheck((x) => F.crossEntropy(x, t(), { labelSmoothing: 0.2, reduction }), [r([5, 3])]);
    }
  });
  it('[N, C, d] and [N, C, d1, d2]: the fused path and the smoothed path', async () => {
    const t = (): Tensor => ints([0, 2, 1, 1, 2, 0], [2, 3]);
    await wg.gradcheck((x) => F.crossEntropy(x, t()), [r([2, 3, 3])]);
    await wg.gradcheck((x) => F.crossEntropy(x, t(), { reduction: 'none' }), [r([2, 3, 3])]);
    await wg.gradcheck((x) => F.crossEntropy(x, t(), { labelSmoothing: 0.1, weight: w(), ignoreIndex: 2 }), [r([2, 3, 3])]);
    const t4 = (): Tensor => ints([0, 2, 1, 1, 2, 0, 1, 1], [2, 2, 2]);
    await wg.gradcheck((x) => F.crossEntropy(x, t4(), { labelSmoothing: 0.3, reduction: 'sum' }), [r([2, 3, 2, 2])]);
  });
  it('[C] unbatched with labelSmoothing', async () => {
    await wg.gradcheck((x) => F.crossEntropy(x, ints([1], []), { labelSmoothing: 0.4, weight: w(), reduction: 'none' }), [r([3])]);
  });
});
