// Pooling (maxPool1d/2d, avgPool1d/2d, adaptiveAvgPool2d) on every backend: PyTorch 1.13's
// values and input gradients (test/fixtures/pool.json: stride, padding, dilation, ceilMode's
// last-window rule, countIncludePad, divisorOverride, unbatched inputs, ties and NaN), the
// modules, the argument checks, and float64 gradchecks on the CPU. Tolerance: 1e-5 absolute and
// relative (float32 sums of at most 12 terms against torch's float64).
import { describe, expect, it } from 'vitest';
import * as wg from 'webgrad-gpu';
import { backendsUnderTest, describeEachBackend } from './helpers/backends.js';
import { expectClose } from './helpers/close.js';
import { type FixtureCase, loadFixtures, num } from './helpers/fixture-cases.js';

const backends = await backendsUnderTest();
const F = wg.nn.functional;
type PoolArgs = { kernelSize: number | number[]; opts: Record<string, unknown> };
const { cases } = loadFixtures<{ cases: FixtureCase<PoolArgs>[] }>('pool.json');

function run(op: string, x: wg.Tensor, a: PoolArgs): wg.Tensor {
  switch (op) {
    case 'maxPool2d': return F.maxPool2d(x, a.kernelSize, a.opts);
    case 'maxPool1d': return F.maxPool1d(x, a.kernelSize, a.opts);
    case 'avgPool2d': return F.avgPool2d(x, a.kernelSize, a.opts);
    case 'avgPool1d': return F.avgPool1d(x, a.kernelSize, a.opts);
    case 'adaptiveAvgPool2d': return F.adaptiveAvgPool2d(x, a.kernelSize);
    default: throw new Error(op);
  }
}

describeEachBackend(backends, 'pooling vs PyTorch 1.13', () => {
  for (const c of cases) {
    it(`${c.op}: ${c.name}`, async () => {
      const inp = c.inputs[0];
      const x = wg.tensor(inp.data.map(num), { requiresGrad: true }).reshape(inp.shape);
      x.retainGrad();
      const y = run(c.op, x, c.args);
      expect(y.shape).toEqual(c.output.shape);
      await expectClose(y, c.output.data.map(num), c.tol.atol, c.tol.rtol, c.output.shape);
      y.backward(wg.tensor(c.gradOutput!.map(num)).reshape(c.output.shape));
      await expectClose(x.grad!, c.grads!.x.map(num), c.tol.atol, c.tol.rtol, inp.shape);
    });
  }
});

describeEachBackend(backends, 'pooling by hand', () => {
  it('maxPool2d: the first maximum of a tie gets the gradient; overlapping windows add up', async () => {
    const x = wg.tensor([[[[1, 3, 3], [3, 0, 2], [1, 1, 1]]]], { requiresGrad: true });
    const y = F.maxPool2d(x, 2, { stride: 1 });
    await expectClose(y, [3, 3, 3, 2], 0, 0, [1, 1, 2, 2]);
    y.sum().backward();
    await expectClose(x.grad!, [0, 2, 0, 1, 0, 1, 0, 0, 0], 0, 0, [1, 1, 3, 3]);
  });

  it('maxPool2d unbatched with padding: padding never wins, a window holding NaN is NaN', async () => {
    const y = F.maxPool2d(wg.tensor([[[-5, -6], [-7, NaN]]]), 2, { stride: 1, padding: 1 });
    await expectClose(y, [-5, -5, -6, -5, NaN, NaN, -7, NaN, NaN], 0, 0, [1, 3, 3]);
  });

  it('modules: MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, MaxPool1d, AvgPool1d', async () => {
    const x = wg.arange(0, 16, 1, { dtype: "float32" }).reshape([1, 1, 4, 4]);
    await expectClose(new wg.nn.MaxPool2d(2).forward(x), [5, 7, 13, 15], 0, 0, [1, 1, 2, 2]);
    await expectClose(new wg.nn.AvgPool2d(2, { stride: 2 }).forward(x), [2.5, 4.5, 10.5, 12.5], 1e-6, 0, [1, 1, 2, 2]);
    await expectClose(new wg.nn.AdaptiveAvgPool2d([1, null]).forward(x), [6, 7, 8, 9], 1e-6, 0, [1, 1, 1, 4]);
    const l = wg.arange(0, 6, 1, { dtype: "float32" }).reshape([1, 6]);
    await expectClose(new wg.nn.MaxPool1d(3).forward(l), [2, 5], 0, 0, [1, 2]);
    await expectClose(new wg.nn.AvgPool1d(2, { padding: 1, countIncludePad: false }).forward(l), [0, 1.5, 3.5, 5], 1e-6, 0, [1, 4]);
  });

  it('refuses bad arguments before any work, naming the op', () => {
    const x = wg.zeros([1, 1, 4, 4]);
    expect(() => F.maxPool2d(x, 2, { padding: 2 })).toThrow(/maxPool2d: padding \[2,2\] must be at most half of the kernel size/);
    expect(() => F.maxPool2d(x, 5)).toThrow(/output size is too small/);
    expect(() => F.maxPool2d(x, 0)).toThrow(/kernelSize must be a positive integer/);
    expect(() => F.maxPool2d(x, [2, 2, 2])).toThrow(/kernelSize must be/);
    expect(() => F.maxPool2d(wg.zeros([4, 4]), 2)).toThrow(/expected a 3-D \(unbatched\) or 4-D input, got shape \[4,4\]/);
    expect(() => F.maxPool2d(x, 2, { strides: 2 } as never)).toThrow(/unknown option 'strides'/);
    expect(() => F.avgPool2d(x, 2, { divisorOverride: 0 })).toThrow(/divisorOverride must be a nonzero integer/);
    expect(() => F.avgPool1d(wg.zeros([2, 3, 4, 5]), 2)).toThrow(/avgPool1d: expected a 2-D \(unbatched\) or 3-D input/);
    expect(() => F.adaptiveAvgPool2d(x, 0)).toThrow(/adaptiveAvgPool2d: outputSize must hold positive integers/);
    expect(() => F.maxPool2d(wg.zeros([1, 0, 4, 4]), 2)).toThrow(/non-zero sizes/);
    expect(() => F.maxPool2d(wg.zeros([1, 1, 4, 4], { dtype: 'int32' }), 2)).toThrow(/floating point/);
    expect(() => new wg.nn.MaxPool2d(2, { pad: 1 } as never)).toThrow(/unknown option 'pad'/);
  });

  it('ceilMode: the last window must start inside the input or the left padding', () => {
    // 5 with kernel 2, stride 2, padding 1, ceil: (5 + 2 - 2 + 1)/2 + 1 = 4 windows, but the
    // 4th would start at 6 - 1 = 5 >= 5 + 1? no: 3·2 = 6 >= 5 + 1, so 3.
    expect(F.maxPool1d(wg.zeros([1, 5]), 2, { stride: 2, padding: 1, ceilMode: true }).shape).toEqual([1, 3]);
    expect(F.maxPool1d(wg.zeros([1, 6]), 2, { stride: 2, padding: 1, ceilMode: true }).shape).toEqual([1, 4]);
    expect(F.avgPool2d(wg.zeros([1, 1, 5, 5]), 2, { ceilMode: true }).shape).toEqual([1, 1, 3, 3]);
  });
});

describe('pooling gradcheck (float64, CPU)', () => {
  const r = (shape: number[]): wg.Tensor => wg.randn(shape, { dtype: 'float64' });
  const cases: [string, (x: wg.Tensor) => wg.Tensor, number[]][] = [
    ['maxPool2d 3/2 pad 1 dilation [1,2] ceil', (x) => F.maxPool2d(x, 3, { stride: 2, padding: 1, dilation: [1, 2], ceilMode: true }), [2, 2, 7, 8]],
    ['maxPool2d overlapping, unbatched', (x) => F.maxPool2d(x, [2, 3], { stride: 1 }), [3, 5, 6]],
    ['maxPool1d', (x) => F.maxPool1d(x, 3, { stride: 2, padding: 1 }), [2, 3, 9]],
    ['avgPool2d ceil pad excl', (x) => F.avgPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }), [2, 2, 6, 7]],
    ['avgPool2d divisorOverride', (x) => F.avgPool2d(x, 2, { stride: 1, divisorOverride: 3 }), [1, 2, 4, 5]],
    ['avgPool1d', (x) => F.avgPool1d(x, 4, { stride: 3, padding: 2 }), [2, 2, 11]],
    ['adaptiveAvgPool2d 7x5 -> 3x2', (x) => F.adaptiveAvgPool2d(x, [3, 2]), [2, 2, 7, 5]],
  ];
  it.each(cases)('%s', async (_name, fn, shape) => {
    await wg.init({ backend: 'cpu', verbose: false });
    wg.manualSeed(3);
    const res = await wg.gradcheck(fn, [r(shape)]);
    expect(res.ok, res.report).toBe(true);
    wg.destroy();
  });
});
