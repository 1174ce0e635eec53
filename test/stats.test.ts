// cumsum, prod, var, std, logsumexp, norm, all, any on every backend: hand values, PyTorch's
// numbers (test/fixtures/mm-stats.json, also the N-D matmul and bmm cases), a float64 reference
// on awkward shapes (1, 3, 17, 65, 257 and over 1M elements), float64 gradchecks and refusals.
import { describe, expect, it } from 'vitest';
import * as wg from 'webgrad-gpu';
import type { Tensor } from 'webgrad-gpu';
import { backendsUnderTest, describeEachBackend } from './helpers/backends.js';
import { expectClose } from './helpers/close.js';
import { type FixtureCase, loadFixtures, num } from './helpers/fixture-cases.js';

const fixtures = loadFixtures<{ cases: FixtureCase[] }>('mm-stats.json');

// The same table as gen_mm_stats_fixtures.py's OPS.
type Args = { dim?: number; keepdim?: boolean; correction?: number; p?: number | 'Infinity' };
const OPS: Record<string, (x: Record<string, Tensor>, a: Args) => Tensor> = {
  matmul: (x) => x.a.matmul(x.b),
  bmm: (x) => wg.bmm(x.a, x.b),
  cumsum: (x, a) => x.x.cumsum(a.dim!),
  prod: (x, a) => x.x.prod(a.dim, a.keepdim),
  var: (x, a) => x.x.var(a.dim, { correction: a.correction ?? 1, keepdim: a.keepdim ?? false }),
  std: (x, a) => x.x.std(a.dim, { correction: a.correction ?? 1, keepdim: a.keepdim ?? false }),
  logsumexp: (x, a) => x.x.logsumexp(a.dim!, a.keepdim),
  norm: (x, a) => x.x.norm(a.p === undefined ? 2 : num(a.p), a.dim, a.keepdim),
  all: (x, a) => x.x.all(a.dim, a.keepdim),
  any: (x, a) => x.x.any(a.dim, a.keepdim),
};

const numel = (s: number[]): number => s.reduce((a, b) => a * b, 1);
const values = (n: number, seed: number, lo = -1, hi = 1): Float32Array =>
  Float32Array.from({ length: n }, (_, i) => Math.fround(lo + (hi - lo) * (0.5 + 0.5 * Math.sin(seed * 12.9898 + i * 78.233))));

/** The shape of a reduction of `shape` over `dim` (over all of it when null), keepdim false. */
const reduced = (shape: number[], dim: number | null): number[] => (dim === null ? [] : shape.filter((_, i) => i !== dim));

/** Lines of x along `dim` (all of x when null), for float64 references. */
function lines(x: ArrayLike<number>, shape: number[], dim: number | null): { idx: number[][] } {
  if (dim === null) return { idx: [Array.from({ length: x.length }, (_, i) => i)] };
  const outer = numel(shape.slice(0, dim));
  const size = shape[dim];
  const inner = numel(shape.slice(dim + 1));
  const idx: number[][] = [];
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) idx.push(Array.from({ length: size }, (_, j) => (o * size + j) * inner + i));
  return { idx };
}

const backends = await backendsUnderTest();

describeEachBackend(backends, 'PyTorch fixtures: N-D matmul and statistics', () => {
  for (const c of fixtures.cases) {
    it(c.name, async () => {
      const inputs: Record<string, Tensor> = {};
      for (const i of c.inputs) {
        const t = wg.tensor(Float32Array.from(i.data.map(num))).reshape(i.shape);
        inputs[i.name] = c.grads ? t.requiresGrad_() : t;
      }
      const out = OPS[c.op](inputs, c.args as Args);
      expect(out.shape).toEqual(c.output.shape);
      await expectClose(out, c.output.data.map(num), c.tol.atol, c.tol.rtol, c.output.shape);
      if (!c.grads) return;
      out.backward(wg.tensor(Float32Array.from(c.gradOutput!.map(num))).reshape(c.output.shape));
      // A gradient has its input's shape, as recorded in the fixture.
      for (const [name, g] of Object.entries(c.grads)) {
        await expectClose(inputs[name].grad!, g.map(num), c.tol.atol, c.tol.rtol, c.inputs.find((i) => i.name === name)!.shape);
      }
    });
  }
});

describeEachBackend(backends, 'statistics on awkward shapes against float64', (backend) => {
  // float32 results of float32 inputs in [-1, 1]: cumsum/var/norm within 1e-4 relative (at most
  // 257 terms, or chunks of 64 on WebGPU), logsumexp within 1e-5 absolute.
  const shapes: [number[], number | null][] = [[[1], 0], [[3], null], [[17, 3], 0], [[3, 65], 1], [[2, 257], -1], [[65, 1, 17], 0], [[5, 17, 3], 1]];
  for (const [shape, d] of shapes) {
    const dim = d === null ? null : d < 0 ? d + shape.length : d;
    const x = values(numel(shape), shape.length + shape[0]);
    const L = lines(x, shape, dim);
    const red = reduced(shape, dim);
    it(`[${shape}] along ${d}`, async () => {
      const t = wg.tensor(x).reshape(shape);
      if (dim !== null) {
        const cs = new Float64Array(x.length);
        for (const line of L.idx) line.reduce((s, i) => (cs[i] = s + x[i]), 0);
        await expectClose(t.cumsum(dim), cs, 1e-5, 1e-4, shape);
      }
      const mean = L.idx.map((l) => l.reduce((s, i) => s + x[i], 0) / l.length);
      const v = L.idx.map((l, k) => l.reduce((s, i) => s + (x[i] - mean[k]) ** 2, 0) / (l.length - 1));
      await expectClose(t.var(dim), v, 1e-5, 1e-4, red);
      await expectClose(t.std(dim, { correction: 0 }), L.idx.map((l, k) => Math.sqrt(l.reduce((s, i) => s + (x[i] - mean[k]) ** 2, 0) / l.length)), 1e-5, 1e-4, red);
      await expectClose(t.mul(500).logsumexp(dim ?? 0), L.idx.map((l) => {
        const m = Math.max(...l.map((i) => 500 * x[i]));
        return m + Math.log(l.reduce((s, i) => s + Math.exp(500 * x[i] - m), 0));
      }), 1e-3, 1e-6, reduced(shape, dim ?? 0));
      await expectClose(t.norm(2, dim), L.idx.map((l) => Math.sqrt(l.reduce((s, i) => s + x[i] ** 2, 0))), 1e-5, 1e-4, red);
      await expectClose(t.norm(3, dim), L.idx.map((l) => Math.cbrt(l.reduce((s, i) => s + Math.abs(x[i]) ** 3, 0))), 1e-5, 1e-4, red);
      await expectClose(t.norm(Infinity, dim), L.idx.map((l) => Math.max(...l.map((i) => Math.abs(x[i])))), 0, 0, red);
      // Products of values in [0.9, 1.1] stay in range over 257 terms.
      const px = values(x.length, 7, 0.9, 1.1);
      await expectClose(wg.tensor(px).reshape(shape).prod(dim), L.idx.map((l) => l.reduce((s, i) => s * px[i], 1)), 1e-6, 1e-4, red);
      await expectClose(t.gt(-0.9).all(dim), L.idx.map((l) => (l.every((i) => x[i] > -0.9) ? 1 : 0)), 0, 0, red);
      await expectClose(t.gt(0.9).any(dim), L.idx.map((l) => (l.some((i) => x[i] > 0.9) ? 1 : 0)), 0, 0, red);
    });
  }

  it('cumsum backward is the reverse cumsum; prod backward with zeros', async () => {
    const x = wg.tensor([[1, 2, 3], [4, 5, 6]]).requiresGrad_();
    x.cumsum(1).backward(wg.tensor([[1, 1, 1], [1, 2, 3]]));
    await expectClose(x.grad!, [[3, 2, 1], [6, 5, 3]]);
    const p = wg.tensor([[2, 0, 3], [0, 4, 0], [1, 2, 3]]).requiresGrad_();
    p.prod(1).sum().backward();
    await expectClose(p.grad!, [[0, 6, 0], [0, 0, 0], [6, 3, 2]]);
    expect(wg.tensor([[1, 2], [3, 4]], { dtype: 'int32' }).cumsum(0).dtype).toBe('int32');
    await expectClose(wg.tensor([[1, 2], [3, 4]], { dtype: 'int32' }).cumsum(0), [[1, 2], [4, 6]]);
    await expectClose(wg.zeros([0, 3]).prod(0), [1, 1, 1]);
    await expectClose(wg.zeros([2, 0]).all(1), [1, 1]);
    await expectClose(wg.zeros([2, 0]).any(1), [0, 0]);
  });

  it('logsumexp is stable at ±1000 and gives ±inf on infinite rows', async () => {
    const x = wg.tensor([[1000, 1000], [-1000, -1000], [-Infinity, -Infinity], [Infinity, 0]]);
    await expectClose(x.logsumexp(1), [1000 + Math.LN2, -1000 + Math.LN2, -Infinity, Infinity], 1e-3, 0);
  });

  it('refuses bad arguments before any work', () => {
    const x = wg.zeros([2, 3]);
    const empty = wg.zeros([0]);
    const ints = wg.zeros([2], { dtype: 'int32' });
    const before = wg.memory().liveTensors;
    expect(() => x.cumsum(2)).toThrow(/cumsum: dim 2 is out of range/);
    expect(() => x.var(0, { correction: 1, unbiased: true } as never)).toThrow(/var: unknown option 'unbiased'/);
    expect(() => x.std(0, { keepdim: 1 } as never)).toThrow(/std: keepdim must be a boolean/);
    expect(() => x.norm(0)).toThrow(/norm: p must be a positive number/);
    expect(() => x.norm(-1, 0)).toThrow(wg.WebgradError);
    expect(() => x.logsumexp(undefined as never)).toThrow(/logsumexp: dim must be a number/);
    expect(() => empty.norm(Infinity)).toThrow(/norm: the infinity norm of an empty tensor/);
    expect(() => ints.var()).toThrow(/var: expected a floating point tensor/);
    expect(wg.memory().liveTensors).toBe(before);
  });

  if (backend === 'webgpu') {
    it('over 1M elements: cumsum along a row, var and norm of all', async () => {
      const n = (1 << 20) + 17;
      const x = values(n, 3, 0, 1);
      const t = wg.tensor(x).reshape([1, n]);
      const got = await t.cumsum(1).toArray();
      // Float32 prefixes up to ~5e5 (spacing 0.03 there); the chunked scan rounds each prefix at
      // most 64 + 16385 times. Measured on lavapipe: worst error 2.1e-6 of the prefix; bound 1e-5.
      let s = 0;
      let worst = 0;
      for (let i = 0; i < n; i++) {
        s += x[i];
        worst = Math.max(worst, Math.abs(got[i] - s) / Math.max(1, s));
      }
      expect(worst).toBeLessThan(1e-5);
      let m = 0;
      for (let i = 0; i < n; i++) m += x[i];
      m /= n;
      let v = 0;
      for (let i = 0; i < n; i++) v += (x[i] - m) ** 2;
      await expectClose(t.var(), v / (n - 1), 0, 1e-4);
      let sq = 0;
      for (let i = 0; i < n; i++) sq += x[i] ** 2;
      await expectClose(t.norm(), Math.sqrt(sq), 0, 1e-4);
    });
  }
});

describe('statistics gradcheck (float64, CPU)', () => {
  const f64 = { dtype: 'float64' } as const;
  const spread = (shape: number[]): Tensor =>
    wg.tensor(Float64Array.from({ length: numel(shape) }, (_, i) => (i % 2 ? -1 : 1) * (0.5 + 0.37 * i + 0.01 * (i % 5)))).reshape(shape);
  const cases: [string, (x: Tensor) => Tensor, () => Tensor][] = [
    ['cumsum dim 1', (x) => x.cumsum(1), () => wg.randn([3, 5], f64)],
    ['cumsum of cumsum dim 0', (x) => x.cumsum(0).cumsum(0), () => wg.randn([4, 2], f64)],
    ['prod dim 1 (a zero)', (x) => x.prod(1), () => wg.tensor(Float64Array.from([1.5, 0, -2, 0.5, 2, 3])).reshape([2, 3])],
    ['prod of all', (x) => x.prod(), () => wg.randn([5], f64)],
    ['var dim 0', (x) => x.var(0), () => wg.randn([4, 3], f64)],
    ['var of all, correction 0', (x) => x.var(null, { correction: 0 }), () => wg.randn([2, 3], f64)],
    ['std dim 1 keepdim', (x) => x.std(1, { keepdim: true }), () => wg.randn([3, 4], f64)],
    ['logsumexp dim 1', (x) => x.logsumexp(1), () => wg.randn([3, 4], f64)],
    ['norm 2 dim 1', (x) => x.norm(2, 1), () => wg.randn([3, 4], f64)],
    ['norm 3 of all', (x) => x.norm(3), () => spread([2, 3])],
    ['norm 1 dim 0', (x) => x.norm(1, 0), () => spread([2, 3])],
    ['norm inf dim 1', (x) => x.norm(Infinity, 1), () => spread([2, 3])],
    ['norm 1.5 of all', (x) => x.norm(1.5), () => spread([4])],
  ];
  it.each(cases)('%s', async (_, fn, make) => {
    await wg.init({ backend: 'cpu', verbose: false });
    wg.manualSeed(3);
    const r = await wg.gradcheck(fn, [make().to('float64')]);
    expect(r.ok, r.report).toBe(true);
    wg.destroy();
  });
});
