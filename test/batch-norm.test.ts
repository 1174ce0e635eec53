// Batch norm on every backend: nn.BatchNorm1d/2d over three training steps and an eval step
// against PyTorch 1.13 (test/fixtures/pool.json: outputs, input/weight/bias gradients, running
// statistics with momentum and with momentum null, num_batches_tracked), the functional form's
// modes and checks, state-dict names, and float64 gradchecks of the closed-form backward.
// Tolerance 1e-4 absolute and relative: float32 statistics over at most 60 elements per channel
// against torch's float64, then divided by σ (inputs have std 2).
import { describe, expect, it } from 'vitest';
import * as wg from 'webgrad-gpu';
import { backendsUnderTest, describeEachBackend } from './helpers/backends.js';
import { expectClose } from './helpers/close.js';
import { loadFixtures, type Num, num } from './helpers/fixture-cases.js';

const backends = await backendsUnderTest();
const F = wg.nn.functional;

interface Step {
  training: boolean;
  x: Num[];
  y: Num[];
  gradOutput: Num[];
  dx: Num[];
  dweight: Num[] | null;
  dbias: Num[] | null;
  runningMean: Num[];
  runningVar: Num[];
  numBatchesTracked: number;
}
interface BnCase {
  name: string;
  shape: number[];
  momentum: number | null;
  affine: boolean;
  weight: Num[] | null;
  bias: Num[] | null;
  steps: Step[];
}
const { batchNorm: cases } = loadFixtures<{ cases: unknown[]; batchNorm: BnCase[] }>('pool.json');
const T = (v: Num[], shape?: number[]): wg.Tensor => {
  const t = wg.tensor(v.map(num));
  return shape ? t.reshape(shape) : t;
};
const TOL = 1e-4;

describeEachBackend(backends, 'batch norm vs PyTorch 1.13', () => {
  for (const c of cases) {
    it(`${c.name}: 3 training steps, then eval`, async () => {
      const C = c.shape[1];
      const m = c.shape.length === 4 ? new wg.nn.BatchNorm2d(C, { momentum: c.momentum, affine: c.affine }) : new wg.nn.BatchNorm1d(C, { momentum: c.momentum, affine: c.affine });
      if (c.affine) m.loadStateDict({ ...m.stateDict(), weight: T(c.weight!), bias: T(c.bias!) });
      for (const [i, s] of c.steps.entries()) {
        if (!s.training) m.eval();
        m.zeroGrad();
        const x = T(s.x, c.shape);
        x.requiresGrad = true;
        const y = m.forward(x);
        await expectClose(y, s.y.map(num), TOL, TOL, c.shape);
        y.backward(T(s.gradOutput, c.shape));
        await expectClose(x.grad!, s.dx.map(num), TOL, TOL, c.shape);
        if (c.affine) {
          await expectClose(m.weight!.grad!, s.dweight!.map(num), TOL, TOL, [C]);
          await expectClose(m.bias!.grad!, s.dbias!.map(num), TOL, TOL, [C]);
        }
        await expectClose(m.runningMean!, s.runningMean.map(num), TOL, TOL, [C]);
        await expectClose(m.runningVar!, s.runningVar.map(num), TOL, TOL, [C]);
        expect(await m.numBatchesTracked!.item(), `step ${i}`).toBe(s.numBatchesTracked);
      }
    });
  }
});

describeEachBackend(backends, 'batch norm by hand', () => {
  it('state dict names as PyTorch, num_batches_tracked a 0-d int32', () => {
    const m = new wg.nn.BatchNorm2d(3);
    const sd = m.stateDict();
    expect(Object.keys(sd)).toEqual(['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);
    expect(sd.num_batches_tracked.dtype).toBe('int32');
    expect(sd.num_batches_tracked.shape).toEqual([]);
    expect([...m.parameters()]).toHaveLength(2);
    expect(Object.keys(new wg.nn.BatchNorm1d(2, { affine: false, trackRunningStats: false }).stateDict())).toEqual([]);
  });

  it('without running statistics eval mode still normalises with the batch', async () => {
    const m = new wg.nn.BatchNorm1d(1, { affine: false, trackRunningStats: false }).eval();
    await expectClose(m.forward(wg.tensor([[1], [3]])), [-1, 1], 1e-4, 0, [2, 1]);
  });

  it('functional: training updates the running stats in place (unbiased variance); eval reads them', async () => {
    const rm = wg.zeros([2]);
    const rv = wg.ones([2]);
    const x = wg.tensor([[1, 10], [3, 20], [5, 30]]);
    const y = F.batchNorm(x, rm, rv, null, null, { training: true, momentum: 0.5 });
    const s = Math.sqrt(8 / 3 + 1e-5);
    await expectClose(y.select(1, 0), [-2 / s, 0, 2 / s], 1e-5, 1e-5, [3]);
    await expectClose(rm, [1.5, 10], 1e-6, 0, [2]); // 0.5·0 + 0.5·3, 0.5·20
    await expectClose(rv, [2.5, 50.5], 1e-5, 1e-6, [2]); // 0.5 + 0.5·4, 0.5 + 0.5·100
    const e = F.batchNorm(wg.tensor([[1.5, 10]]), rm, rv, wg.tensor([2, 1]), wg.tensor([1, -1]));
    await expectClose(e, [1, -1], 1e-6, 0, [1, 2]);
  });

  it('refuses bad arguments, naming the op and the shapes', () => {
    const x = wg.zeros([4, 3]);
    expect(() => F.batchNorm(x, wg.zeros([2]), wg.ones([2]))).toThrow(/batchNorm: runningMean of shape \[2\] does not match the 3 channels of input \[4,3\]/);
    expect(() => F.batchNorm(x, null, null)).toThrow(/eval mode \(training false\) needs runningMean and runningVar/);
    expect(() => F.batchNorm(wg.zeros([1, 3]), null, null, null, null, { training: true })).toThrow(/expected more than 1 value per channel when training, got input of shape \[1,3\]/);
    expect(() => F.batchNorm(x, null, null, null, null, { training: true, mom: 1 } as never)).toThrow(/unknown option 'mom'/);
    expect(() => F.batchNorm(wg.zeros([3]), null, null, null, null, { training: true })).toThrow(/expected an input of shape \[N, C\]/);
    expect(() => new wg.nn.BatchNorm2d(3).forward(x)).toThrow(/BatchNorm2d: expected a 4-D input, got shape \[4,3\]/);
    expect(() => new wg.nn.BatchNorm1d(0)).toThrow(/numFeatures must be a positive integer/);
    expect(() => new wg.nn.BatchNorm1d(2, { eps: 1e-3, momentm: 0.1 } as never)).toThrow(/unknown option 'momentm'/);
  });
});

describe('batch norm gradcheck (float64, CPU)', () => {
  const r = (shape: number[], seed: number): wg.Tensor => {
    wg.manualSeed(seed);
    return wg.randn(shape, { dtype: 'float64' });
  };
  const cases: [string, (x: wg.Tensor, w: wg.Tensor, b: wg.Tensor) => wg.Tensor, number[]][] = [
    ['training [N, C]', (x, w, b) => F.batchNorm(x, null, null, w, b, { training: true }), [5, 3]],
    ['training [N, C, L]', (x, w, b) => F.batchNorm(x, null, null, w, b, { training: true, eps: 1e-3 }), [3, 2, 5]],
    ['training [N, C, H, W], batch 1', (x, w, b) => F.batchNorm(x, null, null, w, b, { training: true }), [1, 2, 3, 3]],
    ['eval [N, C, H, W]', (x, w, b) => F.batchNorm(x, wg.tensor([0.5, -1], { dtype: 'float64' }), wg.tensor([2, 0.5], { dtype: 'float64' }), w, b), [2, 2, 3, 2]],
  ];
  it.each(cases)('%s', async (_name, fn, shape) => {
    await wg.init({ backend: 'cpu', verbose: false });
    const res = await wg.gradcheck(fn, [r(shape, 1), r([shape[1]], 2), r([shape[1]], 3)]);
    expect(res.ok, res.report).toBe(true);
    wg.destroy();
  });
});
