// The op suite: values and gradients of every op, PyTorch's edge-case semantics included.
// It runs on the CPU backend and again on WebGPU (Dawn) when an adapter exists.
import { expect, it } from 'vitest';
import * as wg from 'webgrad-gpu';
import { backendsUnderTest, describeEachBackend } from './helpers/backends.js';
import { expectClose } from './helpers/close.js';

const backends = await backendsUnderTest();
// float32 kernels: transcendental functions differ between implementations in the last bits.
const TOL = 1e-5;

describeEachBackend(backends, 'creation', () => {
  it('builds tensors from nested arrays and typed arrays', async () => {
    const t = wg.tensor([[1, 2, 3], [4, 5, 6]]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.dtype).toBe('float32');
    expect(await t.tolist()).toEqual([[1, 2, 3], [4, 5, 6]]);
    const i = wg.tensor(new Int32Array([7, -8]));
    expect(i.dtype).toBe('int32');
    expect(Array.from(await i.toArray())).toEqual([7, -8]);
    expect(await wg.tensor(3.5).item()).toBe(3.5);
    expect(wg.tensor(3.5).shape).toEqual([]);
  });

  it('makes zeros, ones, full, arange, eye and *Like', async () => {
    await expectClose(wg.zeros([2, 2]), [[0, 0], [0, 0]]);
    await expectClose(wg.ones([3]), [1, 1, 1]);
    await expectClose(wg.full([2], 7), [7, 7]);
    const a = wg.arange(5);
    expect(a.dtype).toBe('int32');
    expect(Array.from(await a.toArray())).toEqual([0, 1, 2, 3, 4]);
    await expectClose(wg.arange(0, 1, 0.25), [0, 0.25, 0.5, 0.75]);
    await expectClose(wg.eye(2, 3), [[1, 0, 0], [0, 1, 0]]);
    const x = wg.tensor([[1, 2]]);
    expect(wg.zerosLike(x).shape).toEqual([1, 2]);
    await expectClose(wg.onesLike(x), [[1, 1]]);
  });

  it('draws the same random numbers for the same seed', async () => {
    wg.manualSeed(42);
    const a = await wg.randn([100]).toArray();
    const u = await wg.rand([100]).toArray();
    wg.manualSeed(42);
    expect(await wg.randn([100]).toArray()).toEqual(a);
    expect(await wg.rand([100]).toArray()).toEqual(u);
    const mean = Array.from(a).reduce((s, v) => s + v, 0) / a.length;
    expect(Math.abs(mean)).toBeLessThan(0.4);
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
  });
});

describeEachBackend(backends, 'elementwise', () => {
  it('computes unary ops', async () => {
    const x = wg.tensor([0.5, 1, 2]);
    await expectClose(x.neg(), [-0.5, -1, -2]);
    await expectClose(x.exp(), [Math.exp(0.5), Math.E, Math.exp(2)], 0, TOL);
    await expectClose(x.log(), [Math.log(0.5), 0, Math.log(2)], 1e-6, TOL);
    await expectClose(x.sqrt(), [Math.sqrt(0.5), 1, Math.SQRT2], 0, TOL);
    await expectClose(x.sigmoid(), [0.5, 1, 2].map((v) => 1 / (1 + Math.exp(-v))), 0, TOL);
    await expectClose(x.tanh(), [0.5, 1, 2].map(Math.tanh), 0, TOL);
    await expectClose(x.pow(3), [0.125, 1, 8], 0, TOL);
    await expectClose(wg.tensor([-2, 0, 3]).abs(), [2, 0, 3]);
    await expectClose(wg.tensor([-2, 0, 3]).relu(), [0, 0, 3]);
  });

  it('overflows exp to Infinity and keeps NaN through relu and clamp', async () => {
    await expectClose(wg.tensor([100, -200]).exp(), [Infinity, 0]);
    await expectClose(wg.tensor([NaN, -1, 1]).relu(), [NaN, 0, 1]);
    await expectClose(wg.tensor([NaN, -1, 5]).clamp(0, 2), [NaN, 0, 2]);
    await expectClose(wg.tensor([-Infinity, Infinity]).clamp(-1, 1), [-1, 1]);
  });

  it('clamps with either bound and passes the gradient at the bounds', async () => {
    const x = wg.tensor([-1, 0, 0.5, 1, 2], { requiresGrad: true });
    const y = x.clamp(0, 1);
    await expectClose(y, [0, 0, 0.5, 1, 1]);
    y.sum().backward();
    await expectClose(x.grad!, [0, 1, 1, 1, 0]);
    await expectClose(wg.tensor([-1, 3]).clamp(null, 2), [-1, 2]);
    await expectClose(wg.tensor([-1, 3]).clamp(0), [0, 3]);
  });

  it("gives relu'(0) = 0 but clamp(0)'(0) = 1, as PyTorch does", async () => {
    const a = wg.tensor([-1, 0, 2], { requiresGrad: true });
    a.relu().sum().backward();
    await expectClose(a.grad!, [0, 0, 1]);
    const b = wg.tensor([-1, 0, 2], { requiresGrad: true });
    b.clamp(0).sum().backward();
    await expectClose(b.grad!, [0, 1, 1]);
  });

  it('differentiates the unary ops', async () => {
    const vals = [0.3, 1.7];
    const cases: [string, (t: wg.Tensor) => wg.Tensor, (v: number) => number][] = [
      ['exp', (t) => t.exp(), Math.exp],
      ['log', (t) => t.log(), (v) => 1 / v],
      ['sqrt', (t) => t.sqrt(), (v) => 0.5 / Math.sqrt(v)],
      ['sigmoid', (t) => t.sigmoid(), (v) => Math.exp(-v) / (1 + Math.exp(-v)) ** 2],
      ['tanh', (t) => t.tanh(), (v) => 1 - Math.tanh(v) ** 2],
      ['pow', (t) => t.pow(2.5), (v) => 2.5 * v ** 1.5],
      ['neg', (t) => t.neg(), () => -1],
      ['abs', (t) => t.neg().abs(), () => 1],
    ];
    for (const [, f, d] of cases) {
      const x = wg.tensor(vals, { requiresGrad: true });
      f(x).sum().backward();
      await expectClose(x.grad!, vals.map(d), 1e-6, TOL);
    }
  });

  it('broadcasts binary ops and reduces gradients to each input shape', async () => {
    const a = wg.tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
    const b = wg.tensor([10, 20, 30], { requiresGrad: true });
    const c = wg.tensor([[2], [4]], { requiresGrad: true });
    await expectClose(a.add(b), [[11, 22, 33], [14, 25, 36]]);
    await expectClose(a.sub(c), [[-1, 0, 1], [0, 1, 2]]);
    await expectClose(a.mul(b), [[10, 40, 90], [40, 100, 180]]);
    await expectClose(a.div(c), [[0.5, 1, 1.5], [1, 1.25, 1.5]]);
    a.mul(b).div(c).sum().backward();
    expect(b.grad!.shape).toEqual([3]);
    expect(c.grad!.shape).toEqual([2, 1]);
    await expectClose(b.grad!, [1 / 2 + 4 / 4, 2 / 2 + 5 / 4, 3 / 2 + 6 / 4]);
    await expectClose(a.grad!, [[5, 10, 15], [2.5, 5, 7.5]]);
    await expectClose(c.grad!, [[-(10 + 40 + 90) / 4], [-(40 + 100 + 180) / 16]]);
  });

  it('takes numbers as operands and divides integers into floats', async () => {
    const x = wg.tensor([1, 2]);
    await expectClose(x.add(1), [2, 3]);
    await expectClose(x.sub(1, 2), [-1, 0]);
    await expectClose(x.mul(-2), [-2, -4]);
    const i = wg.tensor(new Int32Array([3, 4]));
    const q = i.div(2);
    expect(q.dtype).toBe('float32');
    await expectClose(q, [1.5, 2]);
    expect(i.add(1).dtype).toBe('int32');
    expect(i.add(0.5).dtype).toBe('float32');
  });

  it('compares elementwise into 0/1 floats', async () => {
    const x = wg.tensor([1, 2, 3]);
    await expectClose(x.eq(2), [0, 1, 0]);
    await expectClose(x.gt(wg.tensor([0, 2, 4])), [1, 0, 0]);
    await expectClose(x.le(2), [1, 1, 0]);
    await expectClose(wg.tensor(new Int32Array([1, 5])).eq(wg.tensor(new Int32Array([1, 4]))), [1, 0]);
  });
});

describeEachBackend(backends, 'matmul and shapes', () => {
  it('multiplies matrices and differentiates through transposed kernels', async () => {
    const a = wg.tensor([[1, 2], [3, 4], [5, 6]], { requiresGrad: true });
    const b = wg.tensor([[1, 0, 2], [0, 1, 3]], { requiresGrad: true });
    const c = a.mm(b);
    await expectClose(c, [[1, 2, 8], [3, 4, 18], [5, 6, 28]]);
    c.sum().backward();
    await expectClose(a.grad!, [[3, 4], [3, 4], [3, 4]]);
    await expectClose(b.grad!, [[9, 9, 9], [12, 12, 12]]);
  });

  it('handles batched, broadcast and vector matmul', async () => {
    const a = wg.tensor([[[1, 2]], [[3, 4]]], { requiresGrad: true }); // [2,1,2]
    const w = wg.tensor([[1], [10]], { requiresGrad: true }); // [2,1]
    const y = a.matmul(w);
    expect(y.shape).toEqual([2, 1, 1]);
    await expectClose(y, [[[21]], [[43]]]);
    y.sum().backward();
    await expectClose(w.grad!, [[4], [6]]);
    await expectClose(a.grad!, [[[1, 10]], [[1, 10]]]);
    const v = wg.tensor([1, 2]);
    expect(v.matmul(v).shape).toEqual([]);
    await expectClose(v.matmul(v), 5);
    await expectClose(wg.tensor([[1, 2], [3, 4]]).matmul(v), [5, 11]);
  });

  it('transposes, reshapes and shares storage in views', async () => {
    const x = wg.tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
    await expectClose(x.t(), [[1, 4], [2, 5], [3, 6]]);
    expect(x.t().shape).toEqual([3, 2]);
    await expectClose(x.reshape([3, -1]), [[1, 2], [3, 4], [5, 6]]);
    expect(x.reshape([-1]).shape).toEqual([6]);
    expect(x.unsqueeze(0).shape).toEqual([1, 2, 3]);
    expect(x.unsqueeze(0).squeeze().shape).toEqual([2, 3]);
    expect(wg.zeros([2, 3, 4]).transpose(0, 2).shape).toEqual([4, 3, 2]);
    x.t().mul(wg.tensor([[1, 2], [3, 4], [5, 6]])).sum().backward();
    await expectClose(x.grad!, [[1, 3, 5], [2, 4, 6]]);
    const base = wg.zeros([4]);
    const view = base.view([2, 2]);
    wg.noGrad(() => view.add_(1));
    await expectClose(base, [1, 1, 1, 1]);
    await expectClose(wg.tensor([1, 2]).expand([2, 2]), [[1, 2], [1, 2]]);
  });
});

describeEachBackend(backends, 'reductions and softmax', () => {
  it('sums and averages over all elements or one dim', async () => {
    const x = wg.tensor([[1, 2, 3], [4, 5, 6]]);
    await expectClose(x.sum(), 21);
    await expectClose(x.sum(0), [5, 7, 9]);
    await expectClose(x.sum(1, true), [[6], [15]]);
    expect(x.sum(1, true).shape).toEqual([2, 1]);
    await expectClose(x.mean(), 3.5);
    await expectClose(x.mean(-1), [2, 5]);
    expect(x.sum().shape).toEqual([]);
  });

  it('returns NaN for the mean of an empty tensor and 0 for its sum', async () => {
    await expectClose(wg.zeros([0]).mean(), NaN);
    await expectClose(wg.zeros([0]).sum(), 0);
    await expectClose(wg.zeros([2, 0]).sum(1), [0, 0]);
  });

  it('propagates gradients of sum and mean as broadcasts', async () => {
    const x = wg.tensor([[1, 2], [3, 4]], { requiresGrad: true });
    x.sum(0).mul(wg.tensor([1, 10])).sum().backward();
    await expectClose(x.grad!, [[1, 10], [1, 10]]);
    const y = wg.tensor([[1, 2], [3, 4]], { requiresGrad: true });
    y.mean().backward();
    await expectClose(y.grad!, [[0.25, 0.25], [0.25, 0.25]]);
  });

  it('finds max/min, splits full-reduction ties and picks the first index along a dim', async () => {
    const x = wg.tensor([[1, 3, 3], [2, 0, 2]], { requiresGrad: true });
    await expectClose(x.max(), 3);
    await expectClose(x.min(), 0);
    x.max().backward();
    await expectClose(x.grad!, [[0, 0.5, 0.5], [0, 0, 0]]);
    const y = wg.tensor([[1, 3, 3], [2, 0, 2]], { requiresGrad: true });
    const m = y.max(1);
    await expectClose(m.values, [3, 2]);
    expect(Array.from(await m.indices.toArray())).toEqual([1, 0]);
    m.values.sum().backward();
    await expectClose(y.grad!, [[0, 1, 0], [1, 0, 0]]);
    await expectClose(wg.tensor([[1, 3, 3], [2, 0, 2]]).min(0, true).values, [[1, 0, 2]]);
  });

  it('propagates NaN through max/min and treats NaN as the argmax', async () => {
    await expectClose(wg.tensor([1, NaN, 3]).max(), NaN);
    await expectClose(wg.tensor([[1, NaN], [4, 3]]).max(1).values, [NaN, 4]);
    await expectClose(wg.tensor([1, NaN, 3]).min(), NaN);
    expect(Array.from(await wg.tensor([1, NaN, 3]).argmax().toArray())).toEqual([1]);
  });

  it('takes argmax/argmin as int32 with the first extreme index', async () => {
    const x = wg.tensor([[1, 5, 5], [7, 0, 7]]);
    const a = x.argmax(1);
    expect(a.dtype).toBe('int32');
    expect(Array.from(await a.toArray())).toEqual([1, 0]);
    expect(Array.from(await x.argmin(1).toArray())).toEqual([0, 1]);
    expect(Array.from(await x.argmax().toArray())).toEqual([3]);
    expect(x.argmax(0, true).shape).toEqual([1, 3]);
  });

  it('computes softmax and logSoftmax along a dim, stable for large logits', async () => {
    const x = wg.tensor([[1, 2, 3], [1000, 1000, -1000]]);
    const e = [Math.exp(-2), Math.exp(-1), 1];
    const s = e.reduce((a, b) => a + b);
    await expectClose(x.softmax(1), [e.map((v) => v / s), [0.5, 0.5, 0]], 1e-6, TOL);
    await expectClose(x.logSoftmax(-1), [e.map((v) => Math.log(v / s)), [-Math.LN2, -Math.LN2, -2000 - Math.LN2]], 1e-5, TOL);
    await expectClose(wg.tensor([[1, 1], [3, 3]]).softmax(0), [[Math.exp(-2) / (1 + Math.exp(-2)), Math.exp(-2) / (1 + Math.exp(-2))], [1 / (1 + Math.exp(-2)), 1 / (1 + Math.exp(-2))]], 1e-6, TOL);
  });

  it('differentiates softmax and logSoftmax', async () => {
    const x = wg.tensor([[0.1, 0.2, 0.7]], { requiresGrad: true });
    const w = wg.tensor([[1, 2, 3]]);
    x.softmax(1).mul(w).sum().backward();
    const p = [0.1, 0.2, 0.7].map(Math.exp);
    const z = p.reduce((a, b) => a + b);
    const sm = p.map((v) => v / z);
    const dot = sm.reduce((a, v, i) => a + v * (i + 1), 0);
    await expectClose(x.grad!, [sm.map((v, i) => v * (i + 1 - dot))], 1e-6, TOL);
    const y = wg.tensor([[0.1, 0.2, 0.7]], { requiresGrad: true });
    y.logSoftmax(1).mul(w).sum().backward();
    await expectClose(y.grad!, [sm.map((v, i) => i + 1 - 6 * v)], 1e-6, TOL);
  });
});
