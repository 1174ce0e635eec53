// Every differentiable op against central finite differences in float64 on the CPU backend,
// over broadcasting shapes. Tolerance: gradcheck's default atol 1e-5 + rtol 1e-3 per entry
// (the finite-difference error with eps 1e-6 in float64 is ~1e-9 here).
import { beforeAll, describe, expect, it } from 'vitest';
import * as wg from 'webgrad-gpu';
import type { Tensor } from 'webgrad-gpu';

const f64 = { dtype: 'float64' } as const;
const randn = (shape: number[]): Tensor => wg.randn(shape, f64);
/** Inputs away from 0 and from each other, where |x|, relu, clamp and max are differentiable. */
const spread = (shape: number[], lo = 0.5): Tensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  const vals = Array.from({ length: n }, (_, i) => (i % 2 ? -1 : 1) * (lo + 0.37 * i + 0.01 * (i % 5)));
  return wg.tensor(Float64Array.from(vals), f64).reshape(shape);
};
const positive = (shape: number[]): Tensor => spread(shape).abs().add(0.2);

describe('gradcheck (float64, CPU)', () => {
  beforeAll(async () => {
    await wg.init({ backend: 'cpu', verbose: false });
    wg.manualSeed(7);
  });

  const binaryShapes: [number[], number[]][] = [
    [[3], [3]],
    [[2, 3], [3]],
    [[2, 1], [1, 4]],
    [[4, 1, 3], [2, 1]],
    [[], [2, 3]],
  ];
  for (const [sa, sb] of binaryShapes) {
    const name = `[${sa}] and [${sb}]`;
    it(`add, sub, mul, div broadcast ${name}`, async () => {
      await wg.gradcheck((a, b) => a.add(b), [randn(sa), randn(sb)]);
      await wg.gradcheck((a, b) => a.sub(b, 2), [randn(sa), randn(sb)]);
      await wg.gradcheck((a, b) => a.mul(b), [randn(sa), randn(sb)]);
      await wg.gradcheck((a, b) => a.div(b), [randn(sa), positive(sb)]);
    });
  }

  it('unary ops', async () => {
    await wg.gradcheck((x) => x.neg(), [randn([2, 3])]);
    await wg.gradcheck((x) => x.exp(), [randn([2, 3])]);
    await wg.gradcheck((x) => x.log(), [positive([2, 3])]);
    await wg.gradcheck((x) => x.sqrt(), [positive([2, 3])]);
    await wg.gradcheck((x) => x.abs(), [spread([2, 3])]);
    await wg.gradcheck((x) => x.sigmoid(), [randn([2, 3])]);
    await wg.gradcheck((x) => x.tanh(), [randn([2, 3])]);
    await wg.gradcheck((x) => x.relu(), [spread([2, 3])]);
    await wg.gradcheck((x) => x.pow(3), [randn([2, 3])]);
    await wg.gradcheck((x) => x.pow(-1.5), [positive([2, 3])]);
    await wg.gradcheck((x) => x.clamp(-0.9, 1.1), [spread([4, 3], 0.05)]);
    await wg.gradcheck((x) => x.clamp(0), [spread([5])]);
  });

  it('matmul family', async () => {
    await wg.gradcheck((a, b) => a.mm(b), [randn([3, 4]), randn([4, 2])]);
    await wg.gradcheck((a, b) => a.matmul(b), [randn([2, 3, 4]), randn([2, 4, 5])]);
    await wg.gradcheck((a, b) => a.matmul(b), [randn([2, 3, 4]), randn([4, 5])]);
    await wg.gradcheck((a, b) => a.matmul(b), [randn([3, 4]), randn([2, 4, 5])]);
    await wg.gradcheck((a, b) => a.matmul(b), [randn([4]), randn([4, 2])]);
    await wg.gradcheck((a, b) => a.matmul(b), [randn([4]), randn([4])]);
  });

  it('shape ops', async () => {
    await wg.gradcheck((x) => x.t(), [randn([2, 3])]);
    await wg.gradcheck((x) => x.transpose(0, 2), [randn([2, 3, 4])]);
    await wg.gradcheck((x) => x.reshape([3, 2]), [randn([2, 3])]);
    await wg.gradcheck((x) => x.expand([4, 2, 3]), [randn([2, 1])]);
    await wg.gradcheck((x) => x.unsqueeze(1).squeeze(1), [randn([2, 3])]);
    await wg.gradcheck((x) => x.clone().to('float64'), [randn([3])]);
  });

  it('reductions', async () => {
    await wg.gradcheck((x) => x.sum(), [randn([2, 3])]);
    await wg.gradcheck((x) => x.sum(1), [randn([2, 3, 4])]);
    await wg.gradcheck((x) => x.sum(0, true), [randn([2, 3])]);
    await wg.gradcheck((x) => x.mean(), [randn([2, 3])]);
    await wg.gradcheck((x) => x.mean(-1, true), [randn([2, 3, 4])]);
    await wg.gradcheck((x) => x.max(), [spread([2, 3])]);
    await wg.gradcheck((x) => x.min(), [spread([2, 3])]);
    await wg.gradcheck((x) => x.max(1).values, [spread([2, 3, 4])]);
    await wg.gradcheck((x) => x.min(0, true).values, [spread([3, 2])]);
  });

  it('softmax family', async () => {
    await wg.gradcheck((x) => x.softmax(1), [randn([3, 4])]);
    await wg.gradcheck((x) => x.softmax(0), [randn([3, 4])]);
    await wg.gradcheck((x) => x.logSoftmax(-1), [randn([2, 3, 4])]);
    await wg.gradcheck((x) => x.logSoftmax(1), [randn([2, 3, 4])]);
  });

  it('a composite graph with reuse', async () => {
    await wg.gradcheck((a, b) => a.mm(b).clamp(0).mul(a.sum(1, true)).exp().mean(0), [spread([3, 2], 0.1).mul(0.3), randn([2, 4])]);
  });

  it('reports the worst entry when a gradient is wrong', async () => {
    // relu at exactly 0: autograd says 0, a central difference says half the slope (0.5·v₀).
    const r = await wg.gradcheck((x) => x.relu(), [wg.tensor([0, 1], f64)], { raise: false });
    expect(r.ok).toBe(false);
    expect(r.worst).toMatchObject({ input: 0, index: 0, analytic: 0 });
    expect(Math.abs(r.worst!.numeric)).toBeGreaterThan(0.01);
    expect(r.report).toMatch(/gradcheck FAILED: worst entry is input 0\[0\]: analytic 0, numeric -?0\.\d+/);
    await expect(wg.gradcheck((x) => x.relu(), [wg.tensor([0, 1], f64)])).rejects.toThrow(/gradcheck FAILED/);
  });
});
