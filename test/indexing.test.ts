// indexSelect, gather, scatterAdd, indexAdd, oneHot, sort and topk: hand-computed values and
// every refusal on both backends, float64 gradchecks on the CPU backend. Values here are small
// integers or exact binary fractions, so both backends must match them exactly (atol 0).
import { beforeAll, describe, expect, it } from 'vitest';
import * as wg from 'webgrad-gpu';
import { backendsUnderTest, describeEachBackend } from './helpers/backends.js';
import { expectClose } from './helpers/close.js';
import { type FixtureCase, loadFixtures, num } from './helpers/fixture-cases.js';

const backends = await backendsUnderTest();
const i32 = { dtype: 'int32' } as const;
const exact = async (t: wg.Tensor, want: number[] | number[][] | number[][][], shape: number[]): Promise<void> => {
  expect(t.shape).toEqual(shape);
  await expectClose(t, want.flat(2), 0, 0, shape);
};

describeEachBackend(backends, 'indexing by hand', (backend) => {
  it('indexSelect with repeated indices, backward accumulates', async () => {
    const x = wg.tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
    const idx = wg.tensor([2, 0, 2, 2], i32);
    const y = x.indexSelect(1, idx);
    await exact(y, [[3, 1, 3, 3], [6, 4, 6, 6]], [2, 4]);
    y.backward(wg.tensor([[1, 2, 4, 8], [16, 32, 64, 128]]));
    await exact(x.grad!, [[2, 0, 13], [32, 0, 208]], [2, 3]);
    const z = x.indexSelect(-2, wg.tensor([1, 1], i32));
    await exact(z, [[4, 5, 6], [4, 5, 6]], [2, 3]);
  });

  it('gather along each dim with negative dim, backward accumulates', async () => {
    const x = wg.tensor([[1, 2], [3, 4]], { requiresGrad: true });
    const idx = wg.tensor([[0, 0], [1, 0]], i32);
    const y = x.gather(1, idx);
    await exact(y, [[1, 1], [4, 3]], [2, 2]);
    y.backward(wg.tensor([[1, 2], [4, 8]]));
    await exact(x.grad!, [[3, 0], [8, 4]], [2, 2]);
    // A smaller index than x off dim, along dim 0 (-2).
    const z = wg.tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9]]).gather(-2, wg.tensor([[2, 0], [1, 2]], i32));
    await exact(z, [[7, 2], [4, 8]], [2, 2]);
  });

  it('scatterAdd sums repeated indices onto self; backward is dy and gather(dy)', async () => {
    const x = wg.zeros([2, 3], { requiresGrad: true });
    const src = wg.tensor([[1, 2, 4, 8], [16, 32, 64, 128]], { requiresGrad: true });
    const idx = wg.tensor([[0, 1, 0, 2], [2, 2, 2, 0]], i32);
    const y = x.scatterAdd(1, idx, src);
    await exact(y, [[5, 2, 8], [128, 0, 112]], [2, 3]);
    y.backward(wg.tensor([[1, 2, 3], [4, 5, 6]]));
    await exact(x.grad!, [[1, 2, 3], [4, 5, 6]], [2, 3]);
    await exact(src.grad!, [[1, 2, 1, 3], [6, 6, 6, 4]], [2, 4]);
    const iy = wg.tensor([1, 2, 3], i32).scatterAdd(0, wg.tensor([0, 0], i32), wg.tensor([5, 6], i32));
    expect(iy.dtype).toBe('int32');
    await exact(iy, [12, 2, 3], [3]);
  });

  it('indexAdd with alpha and repeated indices; backward', async () => {
    const x = wg.ones([3, 2], { requiresGrad: true });
    const src = wg.tensor([[1, 2], [4, 8], [16, 32]], { requiresGrad: true });
    const y = x.indexAdd(0, wg.tensor([2, 0, 2], i32), src, { alpha: 2 });
    await exact(y, [[9, 17], [1, 1], [35, 69]], [3, 2]);
    y.backward(wg.tensor([[1, 2], [3, 4], [5, 6]]));
    await exact(x.grad!, [[1, 2], [3, 4], [5, 6]], [3, 2]);
    await exact(src.grad!, [[10, 12], [2, 4], [10, 12]], [3, 2]);
  });

  it('oneHot, with numClasses inferred from host-known bounds', async () => {
    const y = wg.oneHot(wg.tensor([[0, 2], [1, 0]], i32), 3);
    expect(y.dtype).toBe('int32');
    await exact(y, [[[1, 0, 0], [0, 0, 1]], [[0, 1, 0], [1, 0, 0]]], [2, 2, 3]);
    await exact(wg.nn.functional.oneHot(wg.tensor([1, 3], i32)), [[0, 1, 0, 0], [0, 0, 0, 1]], [2, 4]);
  });

  it('sort: stable ties, NaN as the largest, -0 equal to +0, descending', async () => {
    const x = wg.tensor([3, NaN, 1, 3, -0, -Infinity, 0, NaN, 1]);
    const a = x.sort();
    await exact(a.values, [-Infinity, -0, 0, 1, 1, 3, 3, NaN, NaN], [9]);
    await exact(a.indices, [5, 4, 6, 2, 8, 0, 3, 1, 7], [9]);
    const d = x.sort(0, { descending: true });
    await exact(d.values, [NaN, NaN, 3, 3, 1, 1, -0, 0, -Infinity], [9]);
    await exact(d.indices, [1, 7, 0, 3, 2, 8, 4, 6, 5], [9]);
    const m = wg.tensor([[2, 1], [0, 5], [1, 1]]).sort(0);
    await exact(m.indices, [[1, 0], [2, 2], [0, 1]], [3, 2]);
    const ints = wg.tensor([5, -7, 2147483647, -2147483648], i32).sort(0, { descending: true });
    await exact(ints.values, [2147483647, 5, -7, -2147483648], [4]);
  });

  it('topk: largest and smallest, ties, NaN first; values differentiable', async () => {
    const x = wg.tensor([[1, 5, 5, NaN, 2], [0, -1, 4, 4, 4]], { requiresGrad: true });
    const t = x.topk(3);
    await exact(t.values, [[NaN, 5, 5], [4, 4, 4]], [2, 3]);
    await exact(t.indices, [[3, 1, 2], [2, 3, 4]], [2, 3]);
    t.values.backward(wg.tensor([[1, 2, 4], [8, 16, 32]]));
    await exact(x.grad!, [[0, 2, 4, 1, 0], [0, 0, 8, 16, 32]], [2, 5]);
    const s = x.detach().topk(2, 1, { largest: false });
    await exact(s.values, [[1, 2], [-1, 0]], [2, 2]);
    await exact(s.indices, [[0, 4], [1, 0]], [2, 2]);
    await exact(x.detach().topk(0).values, [], [2, 0]);
  });

  it('refuses bad arguments before any GPU work, naming the op and shapes', () => {
    const x = wg.zeros([2, 3]);
    const f = wg.tensor([0, 1]);
    const idx = wg.tensor([0, 3], i32);
    expect(() => x.indexSelect(1, f)).toThrow(/indexSelect: expected an int32 index tensor, got float32/);
    expect(() => x.indexSelect(1, idx)).toThrow(/indexSelect: index of shape \[2\] ranges over \[0, 3\], out of bounds for dim 1 of size 3/);
    expect(() => x.indexSelect(0, wg.tensor([-1], i32))).toThrow(/out of bounds/);
    expect(() => x.indexSelect(2, wg.tensor([0], i32))).toThrow(/indexSelect: dim 2 is out of range/);
    expect(() => x.indexSelect(0, wg.tensor([[0]], i32))).toThrow(/expected a 1-D \(or 0-d\) index/);
    expect(() => x.gather(1, wg.tensor([0, 1], i32))).toThrow(/gather: index of shape \[2\] must have as many dims/);
    expect(() => x.gather(1, wg.tensor([[0], [1], [0]], i32))).toThrow(/gather: index of shape \[3,1\] is larger than the tensor of shape \[2,3\] in dim 0/);
    expect(() => x.gather(0, wg.tensor([[2]], i32))).toThrow(/gather: index of shape \[1,1\] ranges over \[2, 2\], out of bounds for dim 0 of size 2/);
    expect(() => x.scatterAdd(1, wg.tensor([[0]], i32), wg.zeros([1, 2]))).toThrow(/scatterAdd: src of shape \[1,2\] must have the index's shape \[1,1\]/);
    expect(() => x.scatterAdd(1, wg.tensor([[0]], i32), wg.zeros([1, 1], i32))).toThrow(/scatterAdd: src of dtype int32/);
    expect(() => x.indexAdd(0, wg.tensor([1], i32), wg.zeros([2, 3]))).toThrow(/indexAdd: src of shape \[2,3\] does not fit .* \(expected \[1,3\]\)/);
    expect(() => x.indexAdd(0, wg.tensor([1], i32), wg.zeros([1, 3]), { alhpa: 2 } as never)).toThrow(/indexAdd: unknown option 'alhpa'/);
    expect(() => wg.oneHot(idx, 3)).toThrow(/oneHot: indices of shape \[2\] range over \[0, 3\], outside \[0, 2\] for 3 classes/);
    expect(() => wg.oneHot(f, 3)).toThrow(/oneHot: expected an int32 index tensor/);
    expect(() => x.topk(4)).toThrow(/topk: k = 4 is out of range for dim 1 of size 3/);
    expect(() => x.topk(1, 0, { largets: true } as never)).toThrow(/topk: unknown option 'largets'/);
    expect(() => x.sort(0, { descending: 1 } as never)).toThrow(/sort: descending must be a boolean/);
    expect(() => x.sort(-3)).toThrow(/sort: dim -3 is out of range/);
    // A refused call changes nothing: x still has no graph.
    expect(x.gradFn).toBeNull();
  });

  if (backend === 'webgpu') {
    it('refuses indices computed on the device (bounds unknown without a readback), naming the fix', async () => {
      // [1, 2, 2] made by arithmetic on the device: valid, but its bounds are not on the host.
      const idx = wg.tensor([1, 2, 3], i32).sub(wg.tensor([0, 0, 1], i32));
      expect(idx.hostRange).toBeNull();
      const x = wg.tensor([10, 20, 30]);
      const fix = /the values of the index of shape \[3\] were computed on the webgpu device, so they cannot be checked against dim 0 of size 3 without a readback; make indices with wg.tensor/;
      expect(() => x.indexSelect(0, idx)).toThrow(fix);
      expect(() => x.gather(0, idx)).toThrow(/gather: the values of the index/);
      expect(() => x.scatterAdd(0, idx, x)).toThrow(/scatterAdd: the values of the index/);
      expect(() => x.indexAdd(0, idx, x)).toThrow(/indexAdd: the values of the index/);
      expect(() => wg.oneHot(idx, 3)).toThrow(/oneHot: the values of the index .* against 3 classes/);
      expect(() => wg.oneHot(idx)).toThrow(/oneHot: the values of the index .* against numClasses = -1/);
      // The fix it names works; sort/topk indices carry their bounds and need no fix.
      await exact(x.indexSelect(0, wg.tensor(await idx.toArray(), i32)), [20, 30, 30], [3]);
      await exact(x.gather(0, x.neg().sort().indices), [30, 20, 10], [3]);
    });
  }
});

describe('indexing gradcheck (float64, CPU)', () => {
  beforeAll(async () => {
    await wg.init({ backend: 'cpu', verbose: false });
    wg.manualSeed(3);
  });
  const f64 = { dtype: 'float64' } as const;
  const ix = (v: number[] | number[][]): wg.Tensor => wg.tensor(v, i32);

  it('indexSelect, gather, scatterAdd, indexAdd with repeated indices', async () => {
    await wg.gradcheck((x) => x.indexSelect(1, ix([2, 0, 2])), [wg.randn([2, 3, 2], f64)]);
    await wg.gradcheck((x) => x.indexSelect(-1, ix([1, 1, 0, 1])), [wg.randn([3, 2], f64)]);
    await wg.gradcheck((x) => x.gather(0, ix([[1, 0], [1, 1], [0, 1]])), [wg.randn([2, 3], f64)]);
    await wg.gradcheck((x, s) => x.scatterAdd(1, ix([[0, 0, 2], [1, 1, 1]]), s), [wg.randn([2, 4], f64), wg.randn([2, 3], f64)]);
    await wg.gradcheck((x, s) => x.indexAdd(0, ix([2, 0, 2]), s, { alpha: -1.5 }), [wg.randn([3, 2], f64), wg.randn([3, 2], f64)]);
  });

  it('topk and sort values', async () => {
    const distinct = wg.tensor([[0.3, -1.2, 2.5, 0.9], [1.7, -0.4, -2.2, 0.1], [0.6, 1.1, -0.8, 2.0]], f64);
    await wg.gradcheck((x) => x.topk(2, 1).values, [distinct]);
    await wg.gradcheck((x) => x.topk(2, 0, { largest: false }).values, [distinct]);
    await wg.gradcheck((x) => x.sort(-1, { descending: true }).values, [distinct]);
  });
});

// ---- PyTorch fixtures (test/fixtures/gen_indexing_fixtures.py, torch 1.13), on every backend ----

interface Fixture extends FixtureCase<{ dim?: number; k?: number; largest?: boolean; descending?: boolean; alpha?: number; numClasses?: number }> {
  op: 'indexSelect' | 'gather' | 'scatterAdd' | 'indexAdd' | 'topk' | 'sort' | 'oneHot';
  indices?: number[];
  stableIndices?: boolean;
}
const fixtures = loadFixtures<{ cases: Fixture[] }>('indexing.json').cases;

describeEachBackend(backends, 'indexing against PyTorch 1.13', () => {
  for (const c of fixtures) {
    it(c.name, async () => {
      const t: Record<string, wg.Tensor> = {};
      for (const inp of c.inputs) {
        const data = inp.dtype === 'int32' ? Int32Array.from(inp.data.map(num)) : Float32Array.from(inp.data.map(num));
        t[inp.name] = wg.tensor(data, { dtype: inp.dtype }).reshape(inp.shape).requiresGrad_(inp.dtype === 'float32' && c.grads?.[inp.name] !== undefined);
      }
      const a = c.args;
      let out: wg.Tensor;
      let indices: wg.Tensor | null = null;
      switch (c.op) {
        case 'indexSelect': out = t.x.indexSelect(a.dim!, t.index); break;
        case 'gather': out = t.x.gather(a.dim!, t.index); break;
        case 'scatterAdd': out = t.x.scatterAdd(a.dim!, t.index, t.src); break;
        case 'indexAdd': out = t.x.indexAdd(a.dim!, t.index, t.src, a.alpha === undefined ? undefined : { alpha: a.alpha }); break;
        case 'topk': ({ values: out, indices } = t.x.topk(a.k!, a.dim ?? -1, a.largest === undefined ? undefined : { largest: a.largest })); break;
        case 'sort': ({ values: out, indices } = t.x.sort(a.dim ?? -1, a.descending === undefined ? undefined : { descending: a.descending })); break;
        case 'oneHot': out = wg.oneHot(t.index, a.numClasses); break;
      }
      expect(out.shape).toEqual(c.output.shape);
      await expectClose(out, c.output.data.map(num), c.tol.atol, c.tol.rtol, c.output.shape);
      if (indices && c.indices) {
        if (c.stableIndices) await expectClose(indices, c.indices, 0, 0, c.output.shape);
        else {
          // torch ordered some ties differently; webgrad's must still point at the values.
          const picked = await t.x.detach().gather(a.dim ?? -1, indices).toArray();
          const want = c.output.data.map(num);
          picked.forEach((v, i) => expect(Object.is(v, want[i]) || v === want[i] || (Number.isNaN(v) && Number.isNaN(want[i]))).toBe(true));
        }
      }
      // Gradients follow the indices, so they are compared where torch's indices are the stable ones.
      if (c.gradOutput && c.grads && c.stableIndices !== false) {
        out.backward(wg.tensor(Float32Array.from(c.gradOutput.map(num))).reshape(out.shape));
        for (const [name, g] of Object.entries(c.grads)) {
          // A gradient has its input's shape (the fixture records the input's).
          const shape = c.inputs.find((i) => i.name === name)!.shape;
          await expectClose(t[name].grad!, g.map(num), c.tol.atol, c.tol.rtol, shape);
        }
      }
    });
  }
});
