// transpose of the last two dims (transpose(-2, -1), t(), mT, a matrix's T) is a view sharing its
// input's storage: matmul reads it in place through its transpose flag (no copy kernel), every
// other op reads a contiguous copy made once; in-place writes on the base or the view behave as
// PyTorch's (the view sees the base's writes, the view's writes go through to the base, one
// shared version counter). Values are compared with the copying path (clone() of the view)
// and with hand-computed ones; float32 products of k <= 17 terms in [-1, 1]: atol 1e-5.
import { describe, expect, it } from 'vitest';
import * as wg from 'webgrad-gpu';
import { backendsUnderTest, describeEachBackend } from './helpers/backends.js';
import { expectClose } from './helpers/close.js';

const backends = await backendsUnderTest();

const values = (n: number, seed: number): number[] =>
  Array.from({ length: n }, (_, i) => Math.fround(Math.sin(seed * 12.9898 + i * 78.233) * 0.999));
const make = (shape: number[], seed: number, requiresGrad = false): wg.Tensor =>
  wg.tensor(values(shape.reduce((a, b) => a * b, 1), seed), { requiresGrad }).reshape(shape).detach().requiresGrad_(requiresGrad);

describeEachBackend(backends, 'transposed views', (backend) => {
  it('q.matmul(k.transpose(-2, -1)) equals the copying path, forward and backward, with no copy kernel', async () => {
    for (const [B, H, T, S, d] of [[2, 3, 5, 7, 4], [1, 1, 1, 3, 17], [3, 2, 17, 1, 3]]) {
      const q = make([B, H, T, d], 1, true);
      const k = make([B, H, S, d], 2, true);
      const dy = make([B, H, T, S], 3);
      const viaCopy = q.matmul(k.transpose(-2, -1).clone());
      viaCopy.backward(dy);
      const [gq, gk] = [await q.grad!.toArray(), await k.grad!.toArray()];
      q.grad = null;
      k.grad = null;
      const p = await wg.profile(() => {
        const y = q.matmul(k.transpose(-2, -1));
        y.backward(dy);
        return y;
      });
      const names = p.kernels.map((x) => `${x.kernel} x${x.count}`).join(', ');
      // The product and its two gradient products; nothing copies k or a gradient (the CPU
      // backend also lists one cast, which the copying path has too).
      const matmuls = p.kernels.filter((x) => x.kernel.startsWith('matmul'));
      expect(matmuls.reduce((s, x) => s + x.count, 0), names).toBe(3);
      expect(p.kernels.filter((x) => x.kernel.split(' ')[0] === 'strided'), names).toEqual([]);
      if (backend === 'webgpu') expect(p.kernels.length, names).toBe(matmuls.length);
      await expectClose(p.result, await viaCopy.toArray(), 1e-5, 1e-5, [B, H, T, S]);
      await expectClose(q.grad!, gq, 1e-5, 1e-5, [B, H, T, d]);
      await expectClose(k.grad!, gk, 1e-5, 1e-5, [B, H, S, d]);
    }
  });

  it('t(), mT, T and permute of the last two dims are views with the transposed values', async () => {
    const x = wg.tensor([[1, 2, 3], [4, 5, 6]]);
    for (const v of [x.t(), x.mT, x.T, x.permute(1, 0), x.transpose(0, 1), x.transpose(-1, -2)]) {
      expect(v.shape).toEqual([3, 2]);
      expect(await v.tolist()).toEqual([[1, 4], [2, 5], [3, 6]]);
    }
    // The view of a view is the base layout again; other ops read the contiguous copy.
    expect(await x.t().t().tolist()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(await x.t().add(1).tolist()).toEqual([[2, 5], [3, 6], [4, 7]]);
    expect(await x.t().reshape(-1).tolist()).toEqual([1, 4, 2, 5, 3, 6]);
    expect(await x.t().sum(1).tolist()).toEqual([5, 7, 9]);
    const y = wg.arange(24).reshape(2, 3, 4);
    expect(await y.permute(0, 2, 1).tolist()).toEqual(await y.transpose(1, 2).clone().tolist());
    expect(await y.mT.select(0, 1).tolist()).toEqual([[12, 16, 20], [13, 17, 21], [14, 18, 22], [15, 19, 23]]);
  });

  it('materializes the copy once for several readers, and again after an in-place write to the base', async () => {
    const x = make([65, 17], 4);
    const v = x.t();
    const copies = (p: wg.ProfileResult<unknown>): number => p.kernels.filter((k) => k.kernel.split(' ')[0] === 'strided').reduce((s, k) => s + k.count, 0);
    const p1 = await wg.profile(() => [v.exp(), v.sum(), v.add(1)]);
    expect(copies(p1), p1.kernels.map((k) => k.kernel).join()).toBe(1);
    const p2 = await wg.profile(() => [v.exp(), v.sum()]);
    expect(copies(p2), p2.kernels.map((k) => k.kernel).join()).toBe(0);
    x.mul_(2);
    const p3 = await wg.profile(() => v.clone());
    expect(copies(p3)).toBe(1);
    await expectClose(v, await x.t().clone().toArray(), 0, 0, [17, 65]);
  });

  it('in-place writes behave as PyTorch views: the view sees the base, the base sees the view', async () => {
    const x = wg.tensor([[1, 2, 3], [4, 5, 6]]);
    const v = x.t();
    expect(await v.tolist()).toEqual([[1, 4], [2, 5], [3, 6]]);
    x.add_(10);
    expect(await v.tolist()).toEqual([[11, 14], [12, 15], [13, 16]]);
    expect(v.version).toBe(x.version);
    v.mul_(wg.tensor([1, 2]));                // broadcast along the view's last dim
    expect(await x.tolist()).toEqual([[11, 12, 13], [28, 30, 32]]);
    v.fill_(1);
    expect(await x.tolist()).toEqual([[1, 1, 1], [1, 1, 1]]);
    v.copy_(wg.tensor([[1, 2], [3, 4], [5, 6]]));
    expect(await x.tolist()).toEqual([[1, 3, 5], [2, 4, 6]]);
    expect(v.version).toBe(x.version);
    // detach() shares the layout too.
    v.detach().sub_(1);
    expect(await x.tolist()).toEqual([[0, 2, 4], [1, 3, 5]]);
  });

  it('backward refuses a saved view whose base was written in place, as PyTorch', () => {
    const w = make([3, 4], 5, true);
    const y = w.mul(2);
    const z = make([4, 3], 6).mul(y.t());      // mul saves y.t() for backward
    wg.noGrad(() => y.add_(1));
    expect(() => z.sum().backward()).toThrow(/modified by an in-place operation/);
  });

  it('keeps the base storage alive for the view and frees each independently', async () => {
    const x = wg.tensor([[1, 2], [3, 4]]);
    const v = x.t();
    const u = v.t();
    x.dispose();
    expect(await v.tolist()).toEqual([[1, 3], [2, 4]]);
    v.dispose();
    expect(await u.tolist()).toEqual([[1, 2], [3, 4]]);
    expect(() => v.add(1)).toThrow(/after dispose/);
    u.dispose();
  });

  it('an optimizer step on a view parameter writes through, and a Parameter of a view is a copy', async () => {
    const base = wg.tensor([[1, 2, 3], [4, 5, 6]]);
    const wt = base.t().requiresGrad_();
    const opt = new wg.optim.SGD([wt], { lr: 0.5 });
    wt.matmul(wg.ones([2, 1])).sum().backward();  // d/dwt = ones
    opt.step();
    expect(await base.tolist()).toEqual([[0.5, 1.5, 2.5], [3.5, 4.5, 5.5]]);
    expect(await wt.tolist()).toEqual([[0.5, 3.5], [1.5, 4.5], [2.5, 5.5]]);
    const p = new wg.nn.Parameter(base.t());
    expect(await p.tolist()).toEqual([[0.5, 3.5], [1.5, 4.5], [2.5, 5.5]]);
    wg.noGrad(() => p.zero_());
    expect(await base.sum().item()).toBe(18);
  });


  it('any transpose or permute is a view: values, in-place writes both ways, views of views', async () => {
    // [2, 3, 4, 5] viewed as transpose(1, 2) (a head split) and permute(3, 1, 0, 2).
    const x = make([2, 3, 4, 5], 4);
    const xs = await x.toArray();
    const at = (i: number, j: number, k: number, l: number) => xs[((i * 3 + j) * 4 + k) * 5 + l];
    const h = x.transpose(1, 2);
    const p = x.permute(3, 1, 0, 2);
    expect(h.shape).toEqual([2, 4, 3, 5]);
    expect(p.shape).toEqual([5, 3, 2, 4]);
    const hv = await h.toArray();
    const pv = await p.toArray();
    for (const [i, j, k, l] of [[0, 0, 0, 0], [1, 2, 3, 4], [1, 0, 2, 3], [0, 2, 1, 1]]) {
      expect(hv[((i * 4 + k) * 3 + j) * 5 + l]).toBe(at(i, j, k, l));
      expect(pv[((l * 3 + j) * 2 + i) * 4 + k]).toBe(at(i, j, k, l));
    }
    // The view's write goes through to the base; the base's write is seen by both views.
    const v0 = x.version;
    wg.noGrad(() => h.mul_(2));
    expect(x.version).toBeGreaterThan(v0);
    await expectClose(x, wg.tensor(Array.from(xs, (v) => 2 * v)).reshape([2, 3, 4, 5]), 0);
    wg.noGrad(() => x.add_(1));
    await expectClose(p, x.clone().permute(3, 1, 0, 2).clone(), 0);
    await expectClose(h.transpose(1, 2), x, 0);
    // A view of a view composes; one that undoes the first reads the base values.
    await expectClose(p.permute(2, 1, 3, 0), x, 0);
    await expectClose(h.permute(0, 3, 2, 1), x.clone().transpose(1, 2).permute(0, 3, 2, 1).clone(), 0);
    // Another shape of a view is a copy (PyTorch's reshape): writing it leaves the base alone.
    const r = h.reshape([8, 15]);
    const before = await x.toArray();
    wg.noGrad(() => r.zero_());
    expect(Array.from(await x.toArray())).toEqual(Array.from(before));
  });

  it('permute and transpose backward permute the gradient back', async () => {
    const x = make([2, 3, 4], 5, true);
    const w = make([4, 2, 3], 6);
    x.permute(2, 0, 1).mul(w).sum().backward();
    await expectClose(x.grad!, w.permute(1, 2, 0), 0);
    x.grad = null;
    x.transpose(0, 2).mul(w.permute(0, 2, 1)).sum().backward();
    await expectClose(x.grad!, w.permute(1, 2, 0).transpose(0, 1).permute(1, 0, 2), 0);
    void backend;
  });
});

describe('transposed views: float64 gradients (finite differences)', () => {
  const f64 = { dtype: 'float64' } as const;
  it('through matmul of views and their other consumers', async () => {
    const cases: [string, (x: wg.Tensor, y: wg.Tensor) => wg.Tensor][] = [
      ['x @ y.mT times y.mT summed', (x, y) => x.matmul(y.mT).mul(y.mT.sum(1, true))],
      ['x.mT @ x, exp', (x) => x.mT.matmul(x.mT.mT).exp()],
      ['linear-like x @ w.t() of a 2-D slice', (x, y) => x.select(0, 0).matmul(y.select(1, 1).t())],
    ];
    for (const [name, f] of cases) {
      const r = await wg.gradcheck(f, [wg.randn([2, 3, 4], f64), wg.randn([2, 5, 4], f64)]);
      expect(r.ok, `${name}: ${r.report}`).toBe(true);
    }
  });
});
