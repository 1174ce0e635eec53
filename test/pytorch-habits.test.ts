// PyTorch habits that work as a PyTorch user expects: sizes as varargs or arrays, reductions
// over several dims, max(dim) with indices, dtype conveniences, printing, and loud traps.
import { inspect } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as wg from 'webgrad-gpu';
import { resetWarnings } from '../src/warn.js';
import { backendsUnderTest, describeEachBackend } from './helpers/backends.js';
import { expectClose } from './helpers/close.js';

const backends = await backendsUnderTest();
const arr = async (t: wg.Tensor): Promise<number[]> => Array.from(await t.toArray());

afterEach(() => vi.restoreAllMocks());

describeEachBackend(backends, 'shapes as varargs or arrays', () => {
  it('creation: randn(8, 5), zeros(2, 3, { dtype }), ones([2]), the like-functions', async () => {
    wg.manualSeed(1);
    const a = wg.randn(8, 5);
    wg.manualSeed(1);
    const b = wg.randn([8, 5]);
    expect(a.shape).toEqual([8, 5]);
    expect(await arr(a)).toEqual(await arr(b));
    const z = wg.zeros(2, 3, { dtype: 'int32' });
    expect([z.shape, z.dtype]).toEqual([[2, 3], 'int32']);
    expect(wg.ones([2], { requiresGrad: true }).requiresGrad).toBe(true);
    expect(wg.rand(4).shape).toEqual([4]);
    expect(wg.zeros([]).shape).toEqual([]);
    const f = wg.fullLike(z, 7);
    expect([f.dtype, await arr(f)]).toEqual(['int32', [7, 7, 7, 7, 7, 7]]);
    expect(wg.zerosLike(z, { dtype: 'float32' }).dtype).toBe('float32');
    expect(wg.onesLike(a, { requiresGrad: true }).requiresGrad).toBe(true);
    expect(wg.randnLike(a).shape).toEqual([8, 5]);
    expect(() => wg.zeros(2, '3' as never)).toThrow(/zeros: shape must be a number or an array of sizes, got \(2, string\): pass sizes as zeros\(2, 3\) or zeros\(\[2, 3\]\)/);
    expect(() => wg.randnLike(z)).toThrow(/randnLike: random tensors must be floating point/);
    expect(() => wg.zeros(2, { dtyp: 'int32' } as never)).toThrow(/zeros: unknown option 'dtyp'/);
  });

  it('reshape, view, expand and permute take varargs; permute has a backward', async () => {
    const x = wg.arange(24).float().requiresGrad_();
    expect(x.reshape(2, 3, 4).shape).toEqual([2, 3, 4]);
    expect(x.view(-1).shape).toEqual([24]);
    expect(x.view([4, -1]).shape).toEqual([4, 6]);
    const p = x.reshape(2, 3, 4).permute(2, 0, 1);
    expect(p.shape).toEqual([4, 2, 3]);
    // p[k, i, j] = x[i, j, k] = 12i + 4j + k
    expect(await arr(p.reshape(-1))).toEqual(Array.from({ length: 24 }, (_, n) => {
      const [k, i, j] = [Math.floor(n / 6), Math.floor(n / 3) % 2, n % 3];
      return 12 * i + 4 * j + k;
    }));
    p.mul(wg.arange(24).float().reshape(4, 2, 3)).sum().backward();
    // d/dx[i, j, k] = weight at p[k, i, j] = 6k + 3i + j
    expect(await arr(x.grad!)).toEqual(Array.from({ length: 24 }, (_, n) => 6 * (n % 4) + 3 * Math.floor(n / 12) + (Math.floor(n / 4) % 3)));
    expect(await arr(wg.permute(wg.tensor([[1, 2], [3, 4]]), [1, 0]))).toEqual([1, 3, 2, 4]);
    expect(wg.tensor([[1], [2]]).expand(2, 3).shape).toEqual([2, 3]);
    expect(wg.tensor([[1], [2]]).expand(4, -1, 3).shape).toEqual([4, 2, 3]);
    expect(() => x.reshape(2, [3, 4] as never)).toThrow(/reshape: sizes must be numbers or one array of numbers, as reshape\(8, 10\) or reshape\(\[8, 10\]\); got \(2, \[3,4\]\)/);
    expect(() => x.reshape(2, 12).permute(0)).toThrow(/permute: got 1 dims \[0\] for a tensor of shape \[2,12\]/);
    expect(() => x.reshape(2, 12).permute(1, -1)).toThrow(/permute: dims \[1,-1\] repeat a dim/);
  });

  it('sum and mean over several dims, with keepdim, and their gradients', async () => {
    const x = wg.arange(24).float().reshape(2, 3, 4).requiresGrad_();
    await expectClose(x.sum([1, 2]), [66, 210]);
    expect(x.sum([1, 2], true).shape).toEqual([2, 1, 1]);
    await expectClose(x.mean([0, 1]), [10, 11, 12, 13]);
    await expectClose(x.mean([-1, 0], true), [[[7.5], [11.5], [15.5]]]);
    await expectClose(x.sum([]), 276);
    x.mean([0, 2]).sum().backward();
    await expectClose(x.grad!, new Array(24).fill(1 / 8), 1e-6, 1e-5, x.shape);
    expect(() => x.sum([1, -2])).toThrow(/sum: dim -2 appears more than once in \[1,-2\]/);
    expect(() => wg.zeros(2, 2, { dtype: 'int32' }).mean([0, 1])).toThrow(/mean: expected a floating point tensor/);
  });
});

describeEachBackend(backends, 'max(dim) and min(dim) give values and indices', () => {
  it('returns { values, indices } that also destructure, with the gradient at the index', async () => {
    const x = wg.tensor([[1, 5, 5], [7, 0, 2]], { requiresGrad: true });
    const r = x.max(1);
    await expectClose(r.values, [5, 7]);
    expect(await arr(r.indices)).toEqual([1, 0]);
    expect(r.indices.dtype).toBe('int32');
    const [values, indices] = x.min(0, true);
    await expectClose(values, [[1, 0, 2]]);
    expect(await arr(indices)).toEqual([0, 1, 1]);
    indices.dispose(); // the graph keeps its own reference
    r.values.sum().add(values.sum()).backward();
    // max along dim 1 picks (0, 1) and (1, 0); min along dim 0 picks (0, 0), (1, 1), (1, 2)
    await expectClose(x.grad!, [[1, 1, 0], [1, 1, 1]]);
    const whole = x.max();
    expect(whole).toBeInstanceOf(wg.Tensor);
    await expectClose(whole, 7);
    const fn = wg.max(x, 0);
    expect(await arr(fn.indices)).toEqual([1, 0, 0]);
    expect(() => x.max([0, 1] as never)).toThrow(/max: takes one dim and returns \{ values, indices \}; for the values over several dims use amax\(\[0,1\]\)/);
  });

  it('amax/amin: values only, over a dim, several or all; ties share the gradient', async () => {
    const x = wg.tensor([[1, 5, 5], [7, 0, 2]], { requiresGrad: true });
    await expectClose(x.amax(1), [5, 7]);
    await expectClose(x.amin([0, 1]), 0);
    await expectClose(x.amax(0, true), [[7, 5, 5]]);
    await expectClose(wg.amax(x), 7);
    x.amax(1).sum().backward();
    await expectClose(x.grad!, [[0, 0.5, 0.5], [1, 0, 0]]);
    await expectClose(wg.tensor([[1, NaN], [3, 4]]).amax(1), [NaN, 4]);
    expect(() => wg.zeros(0, 3).amax(0)).toThrow(/amax: cannot reduce an empty tensor of shape \[0,3\] along dim \[0\]/);
    expect(() => wg.zeros(0, 3).amax()).toThrow(/amax: cannot reduce an empty tensor of shape \[0,3\]: the operation has no identity/);
    expect(wg.zeros(0, 3).amax(1).shape).toEqual([0]);
  });
});

describeEachBackend(backends, 'dtype and shape conveniences', () => {
  it('float, int, long, T, mT, size, dim, nelement', async () => {
    const x = wg.tensor([[1.7, -2.5, 3]]);
    expect(x.int().dtype).toBe('int32');
    expect(await arr(x.long())).toEqual([1, -2, 3]);
    expect(x.int().float().dtype).toBe('float32');
    expect(x.T.shape).toEqual([3, 1]);
    expect(wg.zeros(2, 3, 4).T.shape).toEqual([4, 3, 2]);
    expect(wg.zeros(5, 2, 3).mT.shape).toEqual([5, 3, 2]);
    expect(await arr(wg.tensor([[1, 2], [3, 4]]).mT)).toEqual([1, 3, 2, 4]);
    expect(() => wg.zeros(3).mT).toThrow(/mT: expects a tensor with at least 2 dimensions/);
    expect(x.size()).toEqual([1, 3]);
    expect(x.size(-1)).toBe(3);
    expect(x.dim()).toBe(2);
    expect(x.nelement()).toBe(3);
    expect(x.numel).toBe(3);
    expect(() => x.size(2)).toThrow(/size: dim 2 is out of range/);
  });
});

describeEachBackend(backends, 'printing', (backend) => {
  it('toString and console.log show shape, dtype, backend, grad state; values on the host', async () => {
    const x = wg.tensor([0.5, -1.25, 3]);
    const y = wg.tensor([1, 2], { requiresGrad: true }).mul(2);
    if (backend === 'cpu') {
      expect(String(x)).toBe('tensor([ 0.5000, -1.2500,  3.0000], shape=[3], dtype=float32, backend=cpu)');
      expect(inspect(y)).toBe('tensor([2., 4.], shape=[2], dtype=float32, backend=cpu, gradFn=mul)');
    } else {
      expect(String(x)).toBe('Tensor(shape=[3], dtype=float32, backend=webgpu, values on the device: await t.print() shows them)');
      expect(inspect(y)).toMatch(/^Tensor\(shape=\[2\], dtype=float32, backend=webgpu, gradFn=mul, /);
    }
    expect(await wg.format(x)).toBe(`tensor([ 0.5000, -1.2500,  3.0000], shape=[3], dtype=float32, backend=${backend})`);
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    await y.print();
    expect(log).toHaveBeenCalledWith(`tensor([2., 4.], shape=[2], dtype=float32, backend=${backend}, gradFn=mul)`);
  });

  it("summarises large tensors as PyTorch does (torch 1.13's own output for these)", async () => {
    const body = (s: string): string => s.slice(0, s.indexOf(', shape='));
    const big = wg.arange(2000).float().reshape(40, 50).div(7);
    expect(body(await big.format()) + ')').toBe(
      'tensor([[0.0000e+00, 1.4286e-01, 2.8571e-01,  ..., 6.7143e+00, 6.8571e+00,\n         7.0000e+00],\n        [7.1429e+00, 7.2857e+00, 7.4286e+00,  ..., 1.3857e+01, 1.4000e+01,\n         1.4143e+01],\n        [1.4286e+01, 1.4429e+01, 1.4571e+01,  ..., 2.1000e+01, 2.1143e+01,\n         2.1286e+01],\n        ...,\n        [2.6429e+02, 2.6443e+02, 2.6457e+02,  ..., 2.7100e+02, 2.7114e+02,\n         2.7129e+02],\n        [2.7143e+02, 2.7157e+02, 2.7171e+02,  ..., 2.7814e+02, 2.7829e+02,\n         2.7843e+02],\n        [2.7857e+02, 2.7871e+02, 2.7886e+02,  ..., 2.8529e+02, 2.8543e+02,\n         2.8557e+02]])',
    );
    expect(body(await wg.arange(1200).float().format()) + ')').toBe('tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.1970e+03, 1.1980e+03,\n        1.1990e+03])');
    expect(body(await wg.tensor([NaN, 1.5, Infinity]).format()) + ')').toBe('tensor([   nan, 1.5000,    inf])');
    expect(body(await wg.tensor(3.5).format()) + ')').toBe('tensor(3.5000)');
    expect(body(await wg.arange(30).reshape(2, 3, 5).format()) + ')').toBe(
      'tensor([[[ 0,  1,  2,  3,  4],\n         [ 5,  6,  7,  8,  9],\n         [10, 11, 12, 13, 14]],\n\n        [[15, 16, 17, 18, 19],\n         [20, 21, 22, 23, 24],\n         [25, 26, 27, 28, 29]]])',
    );
  });
});

describeEachBackend(backends, 'silent traps made loud', (backend) => {
  it('reading .grad of a non-leaf without retainGrad() warns once', () => {
    resetWarnings();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const x = wg.tensor([1, 2], { requiresGrad: true });
    const h = x.mul(3);
    h.sum().backward();
    expect(h.grad).toBeNull();
    expect(h.grad).toBeNull();
    expect(x.grad).not.toBeNull();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toMatch(/\.grad of a non-leaf tensor \(shape=\[2\], dtype=float32, gradFn=mul\) was read.*retainGrad\(\)/);
    const k = x.mul(2).retainGrad();
    k.sum().backward();
    expect(k.grad).not.toBeNull();
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('an async scope that is not awaited is reported', async () => {
    resetWarnings();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const p = wg.scope(async () => wg.ones(2).sum().item());
    await new Promise((r) => setTimeout(r, 5));
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toMatch(/scope\(async \(\) => \.\.\.\) returned a promise that was not awaited/);
    await p;
    resetWarnings();
    warn.mockClear();
    expect(await wg.scope(async () => wg.ones(2).sum().item())).toBe(2);
    await Promise.all([wg.scope(async () => 1)]);
    await new Promise((r) => setTimeout(r, 5));
    expect(warn).not.toHaveBeenCalled();
  });

  it('a readback still pending at destroy() names the tensor and the call', async () => {
    const t = wg.ones(3, 4).mul(2).sum();
    const pending = t.item();
    wg.destroy();
    if (backend === 'webgpu') {
      await expect(pending).rejects.toThrow(/item: item\(\) of a tensor \(shape=\[\], dtype=float32\) could not complete: destroy\(\) released the webgpu device first/);
    } else {
      expect(await pending).toBe(24); // the CPU backend's values are already on the host
    }
    await wg.init({ backend, verbose: false });
  });
});

/** x's element at `idx` for a contiguous `shape`. */
const at = (data: ArrayLike<number>, shape: number[], idx: number[]): number => idx.reduce((o, i, d) => o * shape[d] + i, 0);
/** Every index of `shape`, row-major. */
function* indices(shape: number[]): Generator<number[]> {
  const n = shape.reduce((a, b) => a * b, 1);
  for (let k = 0; k < n; k++) {
    const idx: number[] = [];
    let r = k;
    for (let d = shape.length - 1; d >= 0; d--) {
      idx[d] = r % shape[d];
      r = Math.floor(r / shape[d]);
    }
    yield idx;
  }
}

describeEachBackend(backends, 'permute and multi-dim reductions on awkward shapes, against a host reference', () => {
  // Shapes of sizes 1, 3, 17, 65, 257: odd strides and partial workgroups on the GPU.
  const cases: [number[], number[], number[]][] = [
    [[3, 17, 65], [2, 0, 1], [0, 2]],
    [[1, 257, 3], [1, 2, 0], [1]],
    [[17, 1, 3, 5], [3, 1, 0, 2], [0, 1, 3]],
    [[65, 17], [1, 0], [0, 1]],
  ];
  for (const [shape, perm, dims] of cases) {
    it(`shape [${shape}]: permute(${perm}), sum/amax/amin over [${dims}]`, async () => {
      wg.manualSeed(shape.length * 100 + shape[0]);
      const x = wg.randn(shape);
      const data = await x.toArray();
      const outShape = perm.map((d) => shape[d]);
      const want = Float32Array.from(indices(outShape), (o) => data[at(data, shape, perm.map((_, d) => o[perm.indexOf(d)]))]);
      expect(Array.from(await x.permute(perm).toArray())).toEqual(Array.from(want)); // a gather: exact
      const kept = shape.map((s, d) => (dims.includes(d) ? 1 : s));
      const sums = new Float64Array(kept.reduce((a, b) => a * b, 1));
      const maxs = new Float64Array(sums.length).fill(-Infinity);
      const mins = new Float64Array(sums.length).fill(Infinity);
      for (const idx of indices(shape)) {
        const v = data[at(data, shape, idx)];
        const o = at(sums, kept, idx.map((i, d) => (dims.includes(d) ? 0 : i)));
        sums[o] += v;
        maxs[o] = Math.max(maxs[o], v);
        mins[o] = Math.min(mins[o], v);
      }
      // float32 sums of up to 1105 terms of size ~1: tolerance 1e-4 absolute
      const reducedShape = shape.filter((_, d) => !dims.includes(d));
      await expectClose(x.sum(dims, true), sums, 1e-4, 1e-5, kept);
      expect(x.sum(dims).shape).toEqual(reducedShape);
      await expectClose(x.amax(dims, true), maxs, 0, 0, kept);
      await expectClose(x.amin(dims), mins, 0, 0, reducedShape);
    });
  }
});

// gradcheck runs `fn` on its own float64 CPU backend.
describe('gradients of the new forms against finite differences (float64, CPU)', () => {
  // Distinct values, so max/min have no ties and are differentiable.
  const spread = (n: number): number[] => Array.from({ length: n }, (_, i) => ((i * 37) % n) * 0.13 - 1.1);
  it('permute, T, mT, multi-dim sum and mean', async () => {
    await wg.gradcheck((x) => x.reshape(2, 3, 4).permute(2, 0, 1).mul(x.reshape(4, 2, 3)), [spread(24)]);
    await wg.gradcheck((x) => x.reshape(2, 3, 4).T.sum([0, 2]), [spread(24)]);
    await wg.gradcheck((x) => x.reshape(2, 3, 4).mT.mean([1, -1], true), [spread(24)]);
  });
  it('max(dim).values, amax/amin over several dims', async () => {
    await wg.gradcheck((x) => x.reshape(3, 5).max(1).values, [spread(15)]);
    await wg.gradcheck((x) => x.reshape(3, 5, 1).amax([0, 1]), [spread(15)]);
    await wg.gradcheck((x) => x.reshape(3, 5).amin(0, true), [spread(15)]);
  });
});
