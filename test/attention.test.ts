// nn.functional.scaledDotProductAttention on both backends: the fused path (the backend's
// attention kernel: WGSL on WebGPU, the float64-accumulating oracle on the CPU) against the
// composed reference (matmul, where, softmax: attentionComposed) on awkward shapes, values and
// all three gradients; masks (int32 = boolean, float = additive, broadcast, fully masked rows);
// refusals; float64 gradchecks of both paths on the CPU; PyTorch 2.x fixtures
// (test/fixtures/gen_attention_fixtures.py). Tolerances: fused and composed sum in different
// orders in float32: 2e-5 absolute + 2e-4 relative on values of order 1.
import { describe, expect, it } from 'vitest';
import * as wg from 'webgrad-gpu';
import { attentionComposed } from '../src/ops/attention.js';
import { backendsUnderTest, describeEachBackend } from './helpers/backends.js';
import { expectClose } from './helpers/close.js';
import { type FixtureCase, loadFixtures, num } from './helpers/fixture-cases.js';

const backends = await backendsUnderTest();
const F = wg.nn.functional;
const [ATOL, RTOL] = [2e-5, 2e-4];

type Opts = NonNullable<Parameters<typeof F.scaledDotProductAttention>[3]>;

/** Runs both paths on the same values with one output gradient; returns [fused, composed] of out, dq, dk, dv. */
async function bothPaths(qs: number[], ks: number[], vs: number[], opts: Opts = {}, seed = 1): Promise<wg.Tensor[][]> {
  wg.manualSeed(seed);
  const [q0, k0, v0] = [wg.randn(qs), wg.randn(ks), wg.randn(vs)];
  const runs: wg.Tensor[][] = [];
  for (const f of [F.scaledDotProductAttention, attentionComposed]) {
    const [q, k, v] = [q0, k0, v0].map((t) => t.detach().requiresGrad_(true));
    const out = f(q, k, v, opts);
    wg.manualSeed(seed + 100);
    out.backward(wg.randn(out.shape));
    runs.push([out, q.grad!, k.grad!, v.grad!]);
  }
  return runs;
}

async function expectSamePaths(qs: number[], ks: number[], vs: number[], opts: Opts = {}): Promise<void> {
  const [fused, composed] = await bothPaths(qs, ks, vs, opts);
  for (let i = 0; i < 4; i++) await expectClose(fused[i], composed[i], ATOL, RTOL);
}

describeEachBackend(backends, 'scaledDotProductAttention: fused = composed', () => {
  it('awkward T, L != S, d = 1, 8, 16, 64', async () => {
    await expectSamePaths([1, 1, 1], [1, 1, 1], [1, 1, 1]);
    await expectSamePaths([2, 3, 8], [2, 17, 8], [2, 17, 8]);
    await expectSamePaths([2, 17, 16], [2, 3, 16], [2, 3, 8]);
    await expectSamePaths([1, 65, 16], [1, 65, 16], [1, 65, 16]);
    await expectSamePaths([1, 17, 64], [1, 33, 64], [1, 33, 64]);
  });

  it('batch and head dims broadcast (gradients summed back)', async () => {
    await expectSamePaths([2, 3, 5, 8], [2, 1, 6, 8], [1, 3, 6, 4]);
    await expectSamePaths([5, 8], [2, 6, 8], [2, 6, 8]);
  });

  it('causal, L = S, L > S and L < S', async () => {
    await expectSamePaths([2, 17, 8], [2, 17, 8], [2, 17, 8], { isCausal: true });
    await expectSamePaths([2, 65, 8], [2, 17, 8], [2, 17, 8], { isCausal: true });
    await expectSamePaths([2, 3, 8], [2, 17, 8], [2, 17, 8], { isCausal: true });
  });

  it('scale, additive and boolean masks, broadcast', async () => {
    await expectSamePaths([2, 5, 8], [2, 6, 8], [2, 6, 8], { scale: 0.3 });
    wg.manualSeed(7);
    await expectSamePaths([2, 5, 8], [2, 6, 8], [2, 6, 8], { attnMask: wg.randn([5, 6]) });
    await expectSamePaths([2, 3, 5, 8], [2, 3, 6, 8], [2, 3, 6, 8], { attnMask: wg.randn([2, 1, 5, 6]) });
    await expectSamePaths([2, 5, 8], [2, 6, 8], [2, 6, 8], { attnMask: wg.randn([6]) });
    const keep = wg.rand([2, 5, 6]).gt(0.4).to('int32');
    await expectSamePaths([2, 5, 8], [2, 6, 8], [2, 6, 8], { attnMask: keep });
  });

  it('a fully masked row gives 0 and gradient 0 on both paths', async () => {
    const mask = wg.tensor([[1, 1, 0], [0, 0, 0]], { dtype: 'int32' });
    const [fused, composed] = await bothPaths([2, 4], [3, 4], [3, 2], { attnMask: mask });
    for (const [out, dq] of [fused, composed]) {
      const o = Array.from(await out.toArray());
      expect(o.slice(2)).toEqual([0, 0]);
      expect(o.slice(0, 2).every((x) => x !== 0 && Number.isFinite(x))).toBe(true);
      expect(Array.from(await dq.toArray()).slice(4)).toEqual([0, 0, 0, 0]);
    }
    for (let i = 0; i < 4; i++) await expectClose(fused[i], composed[i], ATOL, RTOL);
    const minf = wg.tensor([[0, -Infinity, 0], [-Infinity, -Infinity, -Infinity]]);
    const [f2] = await bothPaths([2, 4], [3, 4], [3, 2], { attnMask: minf });
    expect(Array.from(await f2[0].toArray()).slice(2)).toEqual([0, 0]);
  });

  it('by hand: one query, two keys', async () => {
    // scores = [0, 1]·(1/√1) → p = [1, e]/(1 + e); out = p·v.
    const q = wg.tensor([[1]]);
    const k = wg.tensor([[0], [1]]);
    const v = wg.tensor([[10, 0], [0, 10]]);
    const e = Math.E;
    await expectClose(F.scaledDotProductAttention(q, k, v), [[10 / (1 + e), 10 * e / (1 + e)]], 1e-5, 1e-6);
    await expectClose(F.scaledDotProductAttention(q, k, v, { isCausal: true }), [[10, 0]], 1e-6, 0);
  });

  it('a mask that needs a gradient gets one (the composed path)', async () => {
    const m = wg.zeros([2, 3], { requiresGrad: true });
    const out = F.scaledDotProductAttention(wg.randn([2, 4]), wg.randn([3, 4]), wg.randn([3, 2]), { attnMask: m });
    out.sum().backward();
    expect(m.grad!.shape).toEqual([2, 3]);
    // Each row's softmax gradient sums to 0 over the keys.
    await expectClose(m.grad!.sum(1), [0, 0], 1e-5, 0);
  });

  it('reads a head split seen through transpose(1, 2) in place and writes its output (and gradients) as heads', async () => {
    // GPT's attention: q, k, v split off one [B, T, 3C] projection, viewed as [B, H, T, d]; the
    // output goes back through transpose(1, 2).reshape([B, T, C]). Fused and composed agree,
    // and the fused path copies nothing: no strided kernel forward or backward.
    for (const [B, T, H, d, causal] of [[2, 5, 3, 4, true], [1, 17, 2, 8, false], [3, 1, 4, 3, true]] as const) {
      const C = H * d;
      wg.manualSeed(7);
      const x0 = wg.randn([B, T, 3 * C]);
      const dy = wg.randn([B, T, C]);
      const run = (f: typeof F.scaledDotProductAttention) => {
        const x = x0.detach().requiresGrad_(true);
        const [q, k, v] = x.split(C, 2).map((t) => t.reshape([B, T, H, d]).transpose(1, 2));
        const y = f(q, k, v, { isCausal: causal }).transpose(1, 2).reshape([B, T, C]);
        y.backward(dy);
        return [y, x.grad!];
      };
      const composed = run(attentionComposed);
      let fused: wg.Tensor[] = [];
      const p = await wg.profile(() => (fused = run(F.scaledDotProductAttention))[0]);
      const names = p.kernels.map((k) => `${k.kernel} x${k.count}`).join(', ');
      expect(p.kernels.filter((k) => k.kernel.split(/[ :]/)[0] === 'strided'), names).toEqual([]);
      for (let i = 0; i < 2; i++) await expectClose(fused[i], composed[i], ATOL, RTOL);
    }
  });

  it('views it cannot read in place (columns strided, three batch strides) are copied first', async () => {
    wg.manualSeed(8);
    // [2, 3, 4, 5, 6].permute(0, 2, 1, 3, 4): three batch dims with strides that do not fold.
    const base = [wg.randn([2, 3, 4, 5, 6]), wg.randn([2, 3, 4, 7, 6]), wg.randn([2, 3, 4, 7, 6])];
    const views = base.map((t) => t.permute(0, 2, 1, 3, 4));
    const copies = views.map((t) => t.clone());
    await expectClose(F.scaledDotProductAttention(views[0], views[1], views[2]), F.scaledDotProductAttention(copies[0], copies[1], copies[2]), 0, 0);
    // Columns strided: q [3, 5, 4] seen through transpose(-1, -3) of [4, 5, 3].
    const q = wg.randn([4, 5, 3]).transpose(-1, -3);
    const k = wg.randn([3, 6, 4]);
    await expectClose(F.scaledDotProductAttention(q, k, k), F.scaledDotProductAttention(q.clone(), k, k), 0, 0);
  });

  it('refuses bad input before running', () => {
    const q = wg.randn([2, 3, 4]);
    const k = wg.randn([2, 5, 4]);
    const v = wg.randn([2, 5, 6]);
    const op = F.scaledDotProductAttention;
    expect(() => op(q, wg.randn([2, 5, 3]), v)).toThrow('scaledDotProductAttention: q and k must have the same last dim E, got q [2,3,4], k [2,5,3] and v [2,5,6] (4 != 3)');
    expect(() => op(q, k, wg.randn([2, 4, 6]))).toThrow('k and v must have the same number of keys S');
    expect(() => op(wg.randn([4]), k, v)).toThrow('expected q [..., L, E], k [..., S, E] and v [..., S, Ev]');
    expect(() => op(q, wg.randn([3, 5, 4]), v)).toThrow('scaledDotProductAttention');
    expect(() => op(q, k, v, { isCausal: true, attnMask: wg.zeros([3, 5]) })).toThrow('isCausal and attnMask cannot both be given');
    expect(() => op(q, k, v, { attnMask: wg.zeros([4, 5]) })).toThrow('attnMask of shape [4,5] does not broadcast to the scores\' shape [2,3,5]');
    expect(() => op(q, k, v, { attnMask: wg.zeros([3, 2, 3, 5]) })).toThrow('does not broadcast');
    expect(() => op(q, k, v, { scale: NaN })).toThrow('scale must be a finite number, got NaN');
    expect(() => op(q, k, v, { isCausal: 1 as unknown as boolean })).toThrow('isCausal must be a boolean');
    expect(() => op(q, k, v, { causal: true } as Opts)).toThrow("scaledDotProductAttention: unknown option 'causal' (accepted: attnMask, isCausal, scale)");
    expect(() => op(q.to('int32'), k, v)).toThrow('expected a floating point tensor');
  });
});

describe('scaledDotProductAttention gradients in float64 (CPU)', () => {
  const f64 = { dtype: 'float64' } as const;
  const inputs = (l: number, s: number, e: number, ev: number, b = 2) => [wg.randn([b, l, e], f64), wg.randn([b, s, e], f64), wg.randn([b, s, ev], f64)];
  const mask = () => wg.tensor([[1, 0, 1, 1], [0, 0, 0, 0], [1, 1, 0, 1]], { dtype: 'int32' });
  const additive = () => wg.tensor([[0.5, -1, 0, -Infinity], [0, 0.25, 2, 0], [-Infinity, 1, 0, 0]], f64);
  for (const [name, f] of [['fused (CPU kernel)', F.scaledDotProductAttention], ['composed', attentionComposed]] as const) {
    it(name, async () => {
      await wg.gradcheck((q, k, v) => f(q, k, v), inputs(3, 4, 5, 2));
      await wg.gradcheck((q, k, v) => f(q, k, v, { isCausal: true }), inputs(5, 3, 2, 3));
      await wg.gradcheck((q, k, v) => f(q, k, v, { attnMask: mask(), scale: 0.7 }), inputs(3, 4, 2, 2));
      await wg.gradcheck((q, k, v) => f(q, k, v, { attnMask: additive() }), inputs(3, 4, 3, 1));
      await wg.gradcheck((q, k, v) => f(q, k, v), [wg.randn([2, 1, 3, 2], f64), wg.randn([1, 3, 4, 2], f64), wg.randn([4, 2], f64)]);
    });
  }
});

type Fixture = FixtureCase<{ isCausal: boolean; scale?: number }>;
const fixtures = loadFixtures<{ cases: Fixture[] }>('attention.json').cases;

describeEachBackend(backends, 'scaledDotProductAttention against PyTorch 2.x (fixtures)', () => {
  for (const c of fixtures) {
    it(c.name, async () => {
      const t: Record<string, wg.Tensor> = {};
      for (const inp of c.inputs) {
        const int = inp.dtype === 'int32';
        const data = int ? Int32Array.from(inp.data.map(num)) : Float32Array.from(inp.data.map(num));
        t[inp.name] = wg.tensor(data, { dtype: inp.dtype }).reshape(inp.shape).requiresGrad_(!int && inp.name !== 'mask');
      }
      const out = F.scaledDotProductAttention(t.q, t.k, t.v, { attnMask: t.mask ?? null, isCausal: c.args.isCausal, scale: c.args.scale });
      expect(out.shape).toEqual(c.output.shape);
      await expectClose(out, c.output.data.map(num), c.tol.atol, c.tol.rtol, c.output.shape);
      out.backward(wg.tensor(Float32Array.from(c.gradOutput!.map(num))).reshape(c.output.shape));
      for (const n of ['q', 'k', 'v']) await expectClose(t[n].grad!, c.grads![n].map(num), c.tol.atol, c.tol.rtol, t[n].shape);
    });
  }
});
