// API-surface rows for issue 11's joining, slicing and indexing ops: cat/stack/split/chunk/
// unbind, narrow/select/slice/repeat/flip/pad, indexSelect/gather/scatterAdd/indexAdd,
// topk/sort and oneHot. A function's row checks values, shapes, dtypes and refusals; the
// method's row the gradient. Expected values are PyTorch 1.13's.
import { expect } from 'vitest';
import * as wg from 'webgrad-gpu';
import { G, I, T, is, type Nested, type Run } from './helpers.js';

const F = wg.nn.functional;

/** Checks a list of tensors piece by piece (count, then each shape, dtype and values). */
async function pieces(ts: wg.Tensor[], want: Nested[], dtype: wg.DType = 'float32'): Promise<void> {
  expect(ts).toHaveLength(want.length);
  for (let i = 0; i < ts.length; i++) await is(ts[i], want[i], dtype);
}

/** 0..n-1 as float32 in `shape`. */
const range = (n: number, shape: number[]): wg.Tensor => wg.arange(n).float().reshape(shape);

export const OPS11_SHAPE: Record<string, Run> = {
  // ---- joining and splitting ----
  cat: async () => {
    await is(wg.cat([T([[1, 2]]), T([[3, 4], [5, 6]])]), [[1, 2], [3, 4], [5, 6]]);
    await is(wg.cat([T([[1], [2]]), T([[3, 4], [5, 6]])], -1), [[1, 3, 4], [2, 5, 6]]);
    await is(wg.cat([I([1]), T([0.5])]), [1, 0.5]); // promoted to float32
    await is(wg.cat([wg.zeros(0), T([[1]])]), [[1]]); // a [0] tensor is skipped, as torch 1.13
    expect(() => wg.cat([T([[1, 2]]), T([[3]])])).toThrow('cat: sizes of tensors must match except in dim 0: expected size 2 but got size 1 in dim 1 for tensor 1 (shapes [1,2], [1,1])');
    const a = G([1, 2]);
    const b = G([3]);
    wg.cat([a, b]).mul(T([1, 2, 3])).sum().backward();
    await is(a.grad!, [1, 2]);
    await is(b.grad!, [3]);
  },
  stack: async () => {
    await is(wg.stack([T([1, 2]), T([3, 4])]), [[1, 2], [3, 4]]);
    await is(wg.stack([T([1, 2]), T([3, 4])], -1), [[1, 3], [2, 4]]);
    await is(wg.stack([I(5), I(6)]), [5, 6], 'int32'); // 0-d tensors become a vector
    expect(() => wg.stack([T([1, 2]), T([1, 2, 3])])).toThrow('stack: expects each tensor to be of equal shape, but got [2] at entry 0 and [3] at entry 1');
    const a = G([1, 2]);
    wg.stack([a, a], 1).mul(T([[1, 2], [3, 4]])).sum().backward();
    await is(a.grad!, [3, 7]); // both uses accumulate
  },
  split: async () => {
    await pieces(wg.split(wg.arange(5), 2), [[0, 1], [2, 3], [4]], 'int32'); // the last piece smaller
    await pieces(wg.split(wg.arange(5), [1, 4]), [[0], [1, 2, 3, 4]], 'int32');
    await pieces(wg.split(wg.arange(6).reshape(2, 3), [2, 1], 1), [[[0, 1], [3, 4]], [[2], [5]]], 'int32');
    expect(() => wg.split(wg.arange(5), [1, 2])).toThrow('split: split sizes [1,2] add up to 3, but dim 0 of shape [5] has size 5');
  },
  'Tensor#split': async () => {
    const x = G([1, 2, 3, 4, 5]);
    const [a, , c] = x.split(2);
    a.mul(2).sum().add(c.sum()).backward();
    await is(x.grad!, [2, 2, 0, 0, 1]); // the unused piece gets zeros
    expect(range(6, [3, 2]).split([1, 2]).map((p) => p.shape)).toEqual([[1, 2], [2, 2]]);
  },
  chunk: async () => {
    await pieces(wg.chunk(wg.arange(5), 3), [[0, 1], [2, 3], [4]], 'int32'); // pieces of ceil(5/3) = 2
    await pieces(wg.chunk(wg.arange(6), 4), [[0, 1], [2, 3], [4, 5]], 'int32'); // fewer than asked, as torch
    expect(wg.chunk(wg.zeros(0), 2).map((p) => p.shape)).toEqual([[0], [0]]);
    expect(() => wg.chunk(wg.arange(4), 0)).toThrow('chunk: chunks must be a positive integer, got 0');
  },
  'Tensor#chunk': async () => {
    const x = G([[1, 2, 3], [4, 5, 6]]);
    const parts = x.chunk(2, 1);
    await pieces(parts, [[[1, 2], [4, 5]], [[3], [6]]]);
    parts[1].mul(10).sum().backward();
    await is(x.grad!, [[0, 0, 10], [0, 0, 10]]);
  },
  unbind: async () => {
    await pieces(wg.unbind(T([[1, 2], [3, 4]])), [[1, 2], [3, 4]]);
    await pieces(wg.unbind(wg.arange(6).reshape(2, 3), -1), [[0, 3], [1, 4], [2, 5]], 'int32');
    expect(() => wg.unbind(T(1))).toThrow('unbind: cannot be applied to a 0-dim tensor (shape [])');
  },
  'Tensor#unbind': async () => {
    const x = G([[1, 2], [3, 4]]);
    const [, col1] = x.unbind(1);
    await is(col1, [2, 4]);
    col1.mul(T([10, 20])).sum().backward();
    await is(x.grad!, [[0, 10], [0, 20]]);
  },

  // ---- views (copies) ----
  narrow: async () => {
    const x = wg.arange(10).reshape(2, 5);
    await is(wg.narrow(x, 1, 1, 3), [[1, 2, 3], [6, 7, 8]], 'int32');
    await is(wg.narrow(x, -1, -2, 2), [[3, 4], [8, 9]], 'int32'); // start from the end
    expect(wg.narrow(x, 0, 2, 0).shape).toEqual([0, 5]);
    expect(() => wg.narrow(x, 1, 3, 3)).toThrow('narrow: start (3) + length (3) exceeds the size 5 of dim 1 in shape [2,5]');
  },
  'Tensor#narrow': async () => {
    const x = G([1, 2, 3, 4]);
    x.narrow(0, 1, 2).mul(T([5, 6])).sum().backward();
    await is(x.grad!, [0, 5, 6, 0]);
  },
  select: async () => {
    const x = wg.arange(6).reshape(2, 3);
    await is(wg.select(x, 1, -1), [2, 5], 'int32');
    await is(wg.select(x, 0, 1), [3, 4, 5], 'int32');
    await is(wg.select(T([7, 8]), 0, 1), 8); // a 0-d result
    expect(() => wg.select(x, 0, 2)).toThrow('select: index 2 is out of range for dim 0 of size 2 in shape [2,3] (expected -2 <= index < 2)');
  },
  'Tensor#select': async () => {
    const x = G([[1, 2], [3, 4]]);
    x.select(1, 0).mul(T([2, 3])).sum().backward();
    await is(x.grad!, [[2, 0], [3, 0]]);
  },
  slice: async () => {
    const x = wg.arange(10);
    await is(wg.slice(x, 0, 1, 8, 3), [1, 4, 7], 'int32');
    await is(wg.slice(x, 0, -3), [7, 8, 9], 'int32');
    await is(wg.slice(x, 0, 5, 100), [5, 6, 7, 8, 9], 'int32'); // bounds clamp, as Python's
    expect(wg.slice(x, 0, 8, 2).shape).toEqual([0]);
    expect(() => wg.slice(x, 0, 0, 5, 0)).toThrow('slice: step must be a positive integer, got 0');
  },
  'Tensor#slice': async () => {
    const x = G([[1, 2, 3, 4], [5, 6, 7, 8]]);
    const y = x.slice(1, null, null, 2);
    await is(y, [[1, 3], [5, 7]]);
    y.mul(T([[1, 2], [3, 4]])).sum().backward();
    await is(x.grad!, [[1, 0, 2, 0], [3, 0, 4, 0]]);
  },
  repeat: async () => {
    await is(wg.repeat(T([[1, 2]]), 2, 1, 2), [[[1, 2, 1, 2]], [[1, 2, 1, 2]]]); // x viewed as [1, 1, 2]
    await is(wg.repeat(I([1, 2]), [2]), [1, 2, 1, 2], 'int32');
    expect(wg.repeat(T([1, 2]), 0).shape).toEqual([0]);
    expect(() => wg.repeat(T([[1]]), 2)).toThrow('repeat: the number of repeats (1) can not be smaller than the number of dims of the tensor of shape [1,1]');
  },
  'Tensor#repeat': async () => {
    const x = G([1, 2]);
    x.repeat(3).mul(T([1, 2, 3, 4, 5, 6])).sum().backward();
    await is(x.grad!, [9, 12]); // 1 + 3 + 5, 2 + 4 + 6
  },
  flip: async () => {
    const x = wg.arange(6).reshape(2, 3);
    await is(wg.flip(x, 1), [[2, 1, 0], [5, 4, 3]], 'int32');
    await is(wg.flip(x, [0, -1]), [[5, 4, 3], [2, 1, 0]], 'int32');
    expect(() => wg.flip(x, [1, -1])).toThrow('flip: dim -1 appears more than once in dims [1,-1]');
  },
  'Tensor#flip': async () => {
    const x = G([1, 2, 3]);
    x.flip(0).mul(T([1, 2, 3])).sum().backward();
    await is(x.grad!, [3, 2, 1]);
  },
  'nn.functional.pad': async () => {
    await is(F.pad(range(6, [2, 3]), [1, -1, 0, 1], { value: 9 }), [[9, 0, 1], [9, 3, 4], [9, 9, 9]]); // last dim first; negative crops
    await is(F.pad(I([1, 2]), [2, 0]), [0, 0, 1, 2], 'int32');
    const x = G([1, 2, 3]);
    F.pad(x, [1, -1]).mul(T([10, 20, 30])).sum().backward();
    await is(x.grad!, [20, 30, 0]); // the cropped element gets nothing
    expect(() => F.pad(T([1]), [1, 1], { mode: 'reflect' as 'constant' })).toThrow("pad: mode 'reflect' is not supported (only 'constant')");
    expect(() => F.pad(T([1]), [1, 1, 1])).toThrow('pad: the pad length must be even ([before, after] per dim), got 3 values [1,1,1]');
  },

  // ---- indexing ----
  indexSelect: async () => {
    const x = T([[1, 2, 3], [4, 5, 6]]);
    await is(wg.indexSelect(x, 1, I([2, 0, 2])), [[3, 1, 3], [6, 4, 6]]);
    await is(wg.indexSelect(x, 0, I([1])), [[4, 5, 6]]);
    expect(() => wg.indexSelect(x, 0, I([2]))).toThrow('indexSelect: index of shape [1] ranges over [2, 2], out of bounds for dim 0 of size 2 (tensor of shape [2,3]; expected indices in [0, 1])');
    expect(() => wg.indexSelect(x, 0, T([1]))).toThrow("indexSelect: expected an int32 index tensor, got float32 of shape [1]; convert with .to('int32')");
  },
  'Tensor#indexSelect': async () => {
    const x = G([1, 2, 3]);
    x.indexSelect(0, I([2, 0, 2])).sum().backward();
    await is(x.grad!, [1, 0, 2]); // repeated indices accumulate
  },
  gather: async () => {
    const x = T([[1, 2], [3, 4]]);
    await is(wg.gather(x, 1, I([[0, 0], [1, 0]])), [[1, 1], [4, 3]]); // torch's docs example
    await is(wg.gather(x, 0, I([[1, 0]])), [[3, 2]]); // index smaller than x off dim
    await is(wg.gather(I([5, 6, 7]), 0, I([2, 2])), [7, 7], 'int32');
    expect(() => wg.gather(x, 1, I([0, 1]))).toThrow('gather: index of shape [2] must have as many dims as the tensor of shape [2,2]');
  },
  'Tensor#gather': async () => {
    const x = G([[1, 2], [3, 4]]);
    x.gather(1, I([[0, 0], [1, 0]])).sum().backward();
    await is(x.grad!, [[2, 0], [1, 1]]);
  },
  scatterAdd: async () => {
    await is(wg.scatterAdd(wg.zeros([3]), 0, I([0, 2, 0]), T([1, 2, 3])), [4, 0, 2]); // repeated indices add up
    await is(wg.scatterAdd(wg.zeros([2, 3]), 1, I([[2, 2], [0, 1]]), T([[1, 2], [3, 4]])), [[0, 0, 3], [3, 4, 0]]);
    const x = T([1, 1]);
    wg.scatterAdd(x, 0, I([0]), T([5]));
    await is(x, [1, 1]); // a copy: x itself is unchanged
    expect(() => wg.scatterAdd(wg.zeros([3]), 0, I([0, 1, 2]), T([1, 2]))).toThrow("scatterAdd: src of shape [2] must have the index's shape [3]");
  },
  'Tensor#scatterAdd': async () => {
    const x = G([1, 1, 1]);
    const s = G([1, 2, 3]);
    const y = x.scatterAdd(0, I([0, 2, 0]), s);
    await is(y, [5, 1, 3]);
    y.mul(T([1, 2, 3])).sum().backward();
    await is(x.grad!, [1, 2, 3]);
    await is(s.grad!, [1, 3, 1]); // dy gathered at each index
  },
  indexAdd: async () => {
    const src = T([[1, 2], [3, 4], [5, 6]]);
    await is(wg.indexAdd(wg.ones([3, 2]), 0, I([0, 2, 0]), src), [[7, 9], [1, 1], [4, 5]]);
    await is(wg.indexAdd(wg.ones([3, 2]), 0, I([0, 2, 0]), src, { alpha: 2 }), [[13, 17], [1, 1], [7, 9]]);
    expect(() => wg.indexAdd(wg.ones([3]), 0, I([0]), T([1]), { beta: 1 } as wg.IndexAddOptions)).toThrow("indexAdd: unknown option 'beta' (accepted: alpha)");
    expect(() => wg.indexAdd(wg.ones([3, 2]), 0, I([0]), T([1, 2, 3]))).toThrow('indexAdd: src of shape [3] does not fit the tensor of shape [3,2] with 1 indices along dim 0 (expected [1,2])');
  },
  'Tensor#indexAdd': async () => {
    const x = G([0, 0, 0]);
    const s = G([1, 2]);
    const y = x.indexAdd(0, I([2, 2]), s, { alpha: 3 });
    await is(y, [0, 0, 9]);
    y.mul(T([1, 2, 3])).sum().backward();
    await is(x.grad!, [1, 2, 3]);
    await is(s.grad!, [9, 9]); // alpha · dy at the index
  },
  topk: async () => {
    const r = wg.topk(T([[1, 3, 2, 3]]), 2);
    await is(r.values, [[3, 3]]);
    await is(r.indices, [[1, 3]], 'int32'); // ties in the order of their positions
    expect(r.indices.hostRange).toEqual({ min: 0, max: 3 });
    const low = wg.topk(T([5, 1, 4]), 2, 0, { largest: false });
    await is(low.values, [1, 4]);
    await is(low.indices, [1, 2], 'int32');
    await is(wg.topk(T([1, NaN, 2]), 1).values, [NaN]); // NaN counts as the largest
    expect(() => wg.topk(T([1, 2, 3]), 5)).toThrow('topk: k = 5 is out of range for dim 0 of size 3 (tensor of shape [3]; expected 0 <= k <= 3)');
  },
  'Tensor#topk': async () => {
    const x = G([[1, 3], [2, 0]]);
    const { values, indices } = x.topk(1, 0);
    await is(values, [[2, 3]]);
    await is(indices, [[1, 0]], 'int32');
    values.mul(T([[10, 20]])).sum().backward();
    await is(x.grad!, [[0, 20], [10, 0]]);
  },
  sort: async () => {
    const up = wg.sort(T([3, NaN, 1, 3]));
    await is(up.values, [1, 3, 3, NaN]); // NaN last; stable
    await is(up.indices, [2, 0, 3, 1], 'int32');
    const down = wg.sort(T([3, NaN, 1, 3]), 0, { descending: true });
    await is(down.values, [NaN, 3, 3, 1]);
    await is(down.indices, [1, 0, 3, 2], 'int32'); // ties still in order
    await is(wg.sort(I([[2, 1], [0, 5]]), 0).values, [[0, 1], [2, 5]], 'int32');
    expect(() => wg.sort(T([1]), 0, { stable: true } as wg.SortOptions)).toThrow("sort: unknown option 'stable' (accepted: descending)");
  },
  'Tensor#sort': async () => {
    const x = G([3, 1, 2]);
    const { values } = x.sort();
    values.mul(T([1, 2, 3])).sum().backward();
    await is(x.grad!, [3, 1, 2]); // each weight back where its value came from
  },
  oneHot: async () => {
    await is(wg.oneHot(I([[0, 2], [1, 1]]), 3), [[[1, 0, 0], [0, 0, 1]], [[0, 1, 0], [0, 1, 0]]], 'int32');
    const inferred = wg.oneHot(I([0, 2]));
    await is(inferred, [[1, 0, 0], [0, 0, 1]], 'int32'); // numClasses = max + 1
    expect(inferred.hostRange).toEqual({ min: 0, max: 1 });
    expect(() => wg.oneHot(I([3]), 3)).toThrow('oneHot: indices of shape [1] range over [3, 3], outside [0, 2] for 3 classes');
    expect(() => wg.oneHot(T([1]), 3)).toThrow('oneHot: expected an int32 index tensor');
  },
  'nn.functional.oneHot': async () => {
    await is(F.oneHot(I(1), 4), [0, 1, 0, 0], 'int32'); // a 0-d index gives one row
    expect(F.oneHot(I([1, 0]), 5).shape).toEqual([2, 5]);
  },
};
