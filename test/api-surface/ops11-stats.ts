// API-surface rows for issue 11's batched matmul, statistics and random sampling: bmm,
// cumsum/prod/var/std/logsumexp/norm/all/any and randint/randperm/bernoulli/multinomial. A
// function's row checks values, dtypes, options and refusals; the method's row the gradient
// (against PyTorch 1.13). Random rows check shape, dtype, range, frequencies loose enough for
// any seed, and that manualSeed replays the same draws, never one exact draw.
import { expect } from 'vitest';
import * as wg from 'webgrad-gpu';
import { G, I, M23, T, is, type Run } from './helpers.js';

/** The values of `t` as a plain array. */
const values = async (t: wg.Tensor): Promise<number[]> => Array.from(await t.toArray());

/** `draw()` twice under the same seed: the same values, and (returned) the first draw. */
async function replays(seed: number, draw: () => wg.Tensor): Promise<wg.Tensor> {
  wg.manualSeed(seed);
  const first = draw();
  wg.manualSeed(seed);
  expect(await values(draw())).toEqual(await values(first));
  return first;
}

export const OPS11_STATS: Record<string, Run> = {
  // ---- batched matmul ----
  bmm: async () => {
    const a = T([[[1, 2]], [[3, 4]]]); // [2, 1, 2]
    const b = T([[[1], [1]], [[2], [0]]]); // [2, 2, 1]
    await is(wg.bmm(a, b), [[[3]], [[6]]]);
    await is(wg.bmm(b, a), [[[1, 2], [1, 2]], [[6, 8], [0, 0]]]);
    expect(() => wg.bmm(a, T([[[1], [1]]]))).toThrow('bmm: batch sizes of shapes [2,1,2] and [1,2,1] differ (2 != 1)');
    expect(() => wg.bmm(a, a)).toThrow('bmm: shapes [2,1,2] and [2,1,2] cannot be multiplied (2 != 1)');
    expect(() => wg.bmm(T([[1]]), T([[1]]))).toThrow('bmm: expected 3-D tensors, got shapes [1,1] and [1,1]'); // no broadcasting, as torch.bmm
  },
  'Tensor#bmm': async () => {
    const a = G([[[1, 2]], [[0, 1]]]);
    const b = G([[[3], [4]], [[5], [6]]]);
    const y = a.bmm(b);
    await is(y, [[[11]], [[6]]]);
    y.sum().backward();
    await is(a.grad!, [[[3, 4]], [[5, 6]]]); // dy · bᵀ per batch
    await is(b.grad!, [[[1], [2]], [[0], [1]]]); // aᵀ · dy per batch
  },

  // ---- statistics ----
  cumsum: async () => {
    const x = T([[1, 2, 3], [4, 5, 6]]);
    await is(wg.cumsum(x, 1), [[1, 3, 6], [4, 9, 15]]);
    await is(wg.cumsum(x, 0), [[1, 2, 3], [5, 7, 9]]);
    await is(wg.cumsum(I([1, -2, 3]), -1), [1, -1, 2], 'int32');
    expect(() => wg.cumsum(x, 2)).toThrow(/cumsum: dim 2 is out of range/);
  },
  'Tensor#cumsum': async () => {
    const x = G([1, 2, 3]);
    x.cumsum(0).mul(T([1, 2, 3])).sum().backward();
    await is(x.grad!, [6, 5, 3]); // the reverse cumsum of dy
  },
  prod: async () => {
    await is(wg.prod(M23()), -720);
    await is(wg.prod(M23(), 1), [-6, 120]);
    await is(wg.prod(M23(), 0, true), [[-4, -10, -18]]);
    await is(wg.prod(I([2, 3, 4])), 24, 'int32');
    await is(wg.prod(wg.zeros([2, 0]), 1), [1, 1]); // the empty product
  },
  'Tensor#prod': async () => {
    const grad = async (v: number[]): Promise<wg.Tensor> => {
      const x = G(v);
      x.prod().backward();
      return x.grad!;
    };
    await is(await grad([2, 3, 4]), [12, 8, 6]);
    await is(await grad([2, 0, 3]), [0, 6, 0]); // one zero: only it gets a gradient
    await is(await grad([0, 2, 0]), [0, 0, 0]); // two zeros: none does
  },
  var: async () => {
    const x = T([[1, 2, 3], [4, 5, 6]]);
    await is(wg.var(x), 3.5); // Bessel's correction by default
    await is(wg.var(x, 1), [1, 1]);
    await is(wg.var(x, 1, { correction: 0 }), [2 / 3, 2 / 3]);
    await is(wg.var(x, 0, { keepdim: true }), [[4.5, 4.5, 4.5]]);
    await is(wg.var(T([5])), NaN); // 0 / (1 - 1), as torch
    expect(() => wg.var(I([1, 2]))).toThrow('var: expected a floating point tensor, got int32 of shape [2]');
    expect(() => wg.var(x, 0, { unbiased: true } as wg.VarOptions)).toThrow("var: unknown option 'unbiased' (accepted: correction, keepdim)");
  },
  'Tensor#var': async () => {
    const x = G([1, 2, 3, 4]);
    x.var().backward();
    await is(x.grad!, [-1, -1 / 3, 1 / 3, 1]); // 2(x - mean)/(n - 1)
  },
  std: async () => {
    const x = T([[1, 2], [3, 4]]);
    await is(wg.std(x), Math.sqrt(5 / 3));
    await is(wg.std(x, 1), [Math.SQRT1_2, Math.SQRT1_2]);
    await is(wg.std(T([1, 3]), 0, { correction: 0, keepdim: true }), [1]);
    expect(() => wg.std(I([1, 2]))).toThrow('std: expected a floating point tensor, got int32 of shape [2]');
  },
  'Tensor#std': async () => {
    const x = G([[1, 2], [3, 4]]);
    x.std().backward();
    const s = Math.sqrt(5 / 3);
    await is(x.grad!, [[-1.5, -0.5], [0.5, 1.5]].map((r) => r.map((d) => d / (3 * s)))); // (x - mean)/((n - 1)·std)
    const c = G([2, 2, 2]);
    c.std().backward();
    await is(c.grad!, [0, 0, 0]); // 0 where std is 0, not NaN
  },
  logsumexp: async () => {
    await is(wg.logsumexp(T([[0, Math.log(3)], [1000, 1000]]), 1), [Math.log(4), 1000 + Math.LN2], 'float32', 1e-4); // finite at 1000
    await is(wg.logsumexp(T([[1, 2], [3, 4]]), 0, true), [[3 + Math.log1p(Math.exp(-2)), 4 + Math.log1p(Math.exp(-2))]], 'float32', 1e-5);
    await is(wg.logsumexp(T([[-Infinity, -Infinity], [Infinity, 1]]), 1), [-Infinity, Infinity]); // not NaN
    expect(() => wg.logsumexp(T([1]), undefined as unknown as number)).toThrow('logsumexp: dim must be a number, got nothing');
  },
  'Tensor#logsumexp': async () => {
    const x = G([0, Math.log(3)]);
    x.logsumexp(0).backward();
    await is(x.grad!, [0.25, 0.75]); // softmax(x)
  },
  norm: async () => {
    await is(wg.norm(T([3, -4])), 5);
    await is(wg.norm(T([3, -4]), 1), 7);
    await is(wg.norm(T([3, -4]), Infinity), 4);
    await is(wg.norm(T([3, -4]), 3), Math.cbrt(91), 'float32', 1e-5);
    await is(wg.norm(T([[3, 4], [6, 8]]), 2, 1), [5, 10]);
    await is(wg.norm(T([[3, 4], [6, 8]]), 1, 0, true), [[9, 12]]);
    expect(() => wg.norm(T([1]), 0)).toThrow('norm: p must be a positive number or Infinity, got 0');
  },
  'Tensor#norm': async () => {
    const grad = async (v: number[], p: number): Promise<wg.Tensor> => {
      const x = G(v);
      x.norm(p).backward();
      return x.grad!;
    };
    await is(await grad([3, -4], 2), [0.6, -0.8]); // x / norm
    await is(await grad([0, 0], 2), [0, 0]); // 0 at the zero vector, not NaN
    await is(await grad([1, -3, 3], Infinity), [0, -0.5, 0.5]); // shared by the tied maxima
    await is(await grad([1, -2], 1), [1, -1]); // sign(x)
  },
  all: async () => {
    await is(wg.all(T([1, NaN, -2])), 1); // NaN is nonzero
    await is(wg.all(T([[1, 0], [1, 1]]), 1), [0, 1]);
    await is(wg.all(T([[1, 0], [1, 1]]), 0, true), [[1, 0]]);
    await is(wg.all(wg.zeros([0])), 1); // vacuously true
  },
  'Tensor#all': async () => {
    await is(I([[1, 2], [0, 3]]).all(0), [0, 1]); // float32 even for int32 input
    await is(I([[1, 2], [0, 3]]).all(), 0);
  },
  any: async () => {
    await is(wg.any(T([0, 0])), 0);
    await is(wg.any(T([[0, 0], [0, 2]]), 1, true), [[0], [1]]);
    await is(wg.any(wg.zeros([2, 0]), 1), [0, 0]);
  },
  'Tensor#any': async () => {
    await is(I([[0, 0], [0, -1]]).any(1), [0, 1]);
    await is(T([NaN, 0]).any(), 1);
  },

  // ---- random sampling ----
  randint: async () => {
    const x = await replays(1, () => wg.randint(3, 7, [2, 50]));
    expect([x.shape, x.dtype]).toEqual([[2, 50], 'int32']);
    const v = await values(x);
    expect(new Set(v)).toEqual(new Set([3, 4, 5, 6])); // [low, high), every value drawn in 100 tries
    expect(x.hostRange).toEqual({ min: 3, max: 6 });
    const y = wg.randint(5, [3]); // randint(high, shape)
    expect(y.shape).toEqual([3]);
    expect((await values(y)).every((n) => n >= 0 && n < 5)).toBe(true);
    expect(() => wg.randint(3, 3, [1])).toThrow('randint: low must be less than high, got low = 3 and high = 3');
  },
  randperm: async () => {
    const p = await replays(2, () => wg.randperm(10));
    expect([p.shape, p.dtype]).toEqual([[10], 'int32']);
    expect((await values(p)).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(p.hostRange).toEqual({ min: 0, max: 9 });
    expect(wg.randperm(0).shape).toEqual([0]);
    expect(() => wg.randperm(-1)).toThrow('randperm: n must be a non-negative integer, got -1');
  },
  bernoulli: async (ctx) => {
    await is(wg.bernoulli(T([[0, 1], [1, 0]])), [[0, 1], [1, 0]]); // p = 0 never, p = 1 always
    const x = await replays(3, () => wg.bernoulli(wg.full([2000], 0.25)));
    expect([x.shape, x.dtype]).toEqual([[2000], 'float32']);
    const v = await values(x);
    expect(v.every((b) => b === 0 || b === 1)).toBe(true);
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    expect(Math.abs(mean - 0.25)).toBeLessThan(0.05); // 5 standard deviations (0.0097)
    expect(wg.bernoulli(G([0.5])).requiresGrad).toBe(false); // not differentiable
    expect(() => wg.bernoulli(I([1]))).toThrow('bernoulli: expected a floating point tensor, got int32 of shape [1]');
    // Checked where the values are on the host; on WebGPU it would need a readback.
    if (ctx.backend === 'cpu') expect(() => wg.bernoulli(T([2]))).toThrow('bernoulli: probabilities must be in [0, 1], got 2 at index 0 of shape [1]');
  },
  multinomial: async (ctx) => {
    await is(wg.multinomial(T([0, 1, 0]), 3, { replacement: true }), [1, 1, 1], 'int32'); // only category 1 has weight
    await is(wg.multinomial(T([[0, 0, 1], [5, 0, 0]]), 1), [[2], [0]], 'int32'); // one distribution per row
    const two = await replays(4, () => wg.multinomial(T([0, 1, 1, 0]), 2));
    expect((await values(two)).sort()).toEqual([1, 2]); // without replacement: distinct
    const many = await replays(5, () => wg.multinomial(T([1, 3]), 2000, { replacement: true }));
    expect(many.shape).toEqual([2000]);
    const freq = (await values(many)).filter((c) => c === 1).length / 2000;
    expect(Math.abs(freq - 0.75)).toBeLessThan(0.05); // weights 1:3; 5 standard deviations (0.0097)
    expect(() => wg.multinomial(T([1, 1, 1]), 4)).toThrow('multinomial: cannot draw 4 samples without replacement from 3 categories');
    expect(() => wg.multinomial(T([[[1]]]), 1)).toThrow('multinomial: probs must be 1-D or 2-D, got shape [1,1,1]');
    if (ctx.backend === 'cpu') expect(() => wg.multinomial(T([1, 0]), 2)).toThrow('multinomial: row 0 of probs (shape [2]) has 1 nonzero weights, too few for 2 samples without replacement');
  },
};
