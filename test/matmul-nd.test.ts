// N-D matmul with PyTorch's batch broadcasting, and bmm, forward and backward on every backend,
// against a naive float64 reference (a loop over the broadcast batch, every product summed in
// order). Tolerance for float32 results: atol 1e-4 + rtol 1e-4 per element; inputs are in
// [-1, 1] and k <= 257, so a float32 dot product is within ~k·2^-24·Σ|a·b| ≈ 2e-5 of the exact
// one (float32 accumulation on WebGPU; the CPU backend accumulates in float64).
import { expect, it } from 'vitest';
import * as wg from 'webgrad-gpu';
import { backendsUnderTest, describeEachBackend } from './helpers/backends.js';
import { expectClose } from './helpers/close.js';

const numel = (s: number[]): number => s.reduce((a, b) => a * b, 1);
const strides = (s: number[]): number[] => s.map((_, i) => numel(s.slice(i + 1)));

/** Deterministic values in [-1, 1] (no generator state touched). */
const values = (n: number, seed: number): Float32Array =>
  Float32Array.from({ length: n }, (_, i) => Math.fround(Math.sin(seed * 12.9898 + i * 78.233) * 0.999));

/**
 * out = a @ b for operands of rank >= 2 with broadcast batches; with `g` (out's gradient) also
 * dA and dB summed over broadcast batch dims.
 */
function reference(a: Float32Array, as: number[], b: Float32Array, bs: number[], g?: Float32Array) {
  const [m, k] = as.slice(-2);
  const n = bs[bs.length - 1];
  const ab = as.slice(0, -2);
  const bb = bs.slice(0, -2);
  const L = Math.max(ab.length, bb.length);
  const pa = [...Array(L - ab.length).fill(1), ...ab];
  const pb = [...Array(L - bb.length).fill(1), ...bb];
  const ob = pa.map((d, i) => Math.max(d, pb[i]));
  const out = new Float64Array(numel(ob) * m * n);
  const da = new Float64Array(a.length);
  const db = new Float64Array(b.length);
  const sa = strides(pa);
  const sb = strides(pb);
  for (let t = 0; t < numel(ob); t++) {
    let ia = 0;
    let ib = 0;
    let r = t;
    for (let d = L - 1; d >= 0; d--) {
      const i = r % ob[d];
      r = Math.floor(r / ob[d]);
      if (pa[d] !== 1) ia += i * sa[d];
      if (pb[d] !== 1) ib += i * sb[d];
    }
    const ao = ia * m * k;
    const bo = ib * k * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        const o = t * m * n + i * n + j;
        for (let p = 0; p < k; p++) {
          s += a[ao + i * k + p] * b[bo + p * n + j];
          if (g) {
            da[ao + i * k + p] += g[o] * b[bo + p * n + j];
            db[bo + p * n + j] += g[o] * a[ao + i * k + p];
          }
        }
        out[o] = s;
      }
    }
  }
  return { out, shape: [...ob, m, n], da, db };
}

const backends = await backendsUnderTest();

describeEachBackend(backends, 'matmul N-D', (backend) => {
  const cases: [number[], number[]][] = [
    [[2, 3, 4, 5], [2, 3, 5, 6]],        // full [B,H] batch: one batch of B·H
    [[3, 17, 5], [5, 3]],                 // [B,T,C] @ [C,D]: folded into one product
    [[17, 5], [3, 5, 4]],                 // [T,C] @ [B,C,D]: A broadcast (stride 0)
    [[2, 1, 3, 4], [1, 3, 4, 2]],         // [B,1] against [1,H]: two batch levels
    [[2, 1, 3, 3, 4], [1, 5, 1, 4, 2]],   // three runs: expanded first
    [[1, 1, 3, 4], [4, 5]],
    [[1, 65, 1], [3, 1, 1, 17]],
    [[4, 1, 3, 17, 65], [2, 1, 65, 3]],
    // 70000 batches over two levels: more than one WebGPU grid deep (65535), split in dispatches.
    [[35000, 1, 1, 2], [1, 2, 2, 1]],
  ];
  for (const [as, bs] of cases) {
    it(`[${as}] @ [${bs}] and its gradients`, async () => {
      const av = values(numel(as), 1);
      const bv = values(numel(bs), 2);
      const ref = reference(av, as, bv, bs);
      const gv = values(ref.out.length, 3);
      const want = reference(av, as, bv, bs, gv);
      const a = wg.tensor(av).reshape(as).requiresGrad_();
      const b = wg.tensor(bv).reshape(bs).requiresGrad_();
      const y = a.matmul(b);
      expect(y.shape).toEqual(ref.shape);
      await expectClose(y, ref.out, 1e-4, 1e-4, ref.shape);
      y.backward(wg.tensor(gv).reshape(ref.shape));
      await expectClose(a.grad!, want.da, 1e-4, 1e-4, as);
      await expectClose(b.grad!, want.db, 1e-4, 1e-4, bs);
    });
  }

  it('1-D operands as PyTorch: vector @ N-D and N-D @ vector', async () => {
    const v = wg.tensor([1, 2, 3]);
    const m = wg.arange(24).reshape([2, 4, 3]).to('float32');
    expect(m.matmul(v).shape).toEqual([2, 4]);
    await expectClose(m.matmul(v), [[8, 26, 44, 62], [80, 98, 116, 134]]);
    const mt = wg.arange(24).reshape([2, 3, 4]).to('float32');
    expect(v.matmul(mt).shape).toEqual([2, 4]);
    await expectClose(v.matmul(mt), [[32, 38, 44, 50], [104, 110, 116, 122]]);
    await expectClose(v.matmul(v), 14); // 0-d, as torch.matmul of two vectors
  });

  it('attention shapes: q @ k.transpose(-2, -1) and its gradients', async () => {
    const [B, H, T, d] = [2, 3, 17, 5];
    const q = wg.tensor(values(B * H * T * d, 4)).reshape([B, H, T, d]).requiresGrad_();
    const k = wg.tensor(values(B * H * T * d, 5)).reshape([B, H, T, d]).requiresGrad_();
    const s = q.matmul(k.transpose(-2, -1));
    expect(s.shape).toEqual([B, H, T, T]);
    const kt = await k.transpose(-2, -1).toArray();
    const ref = reference(await q.toArray() as Float32Array, [B, H, T, d], Float32Array.from(kt), [B, H, d, T]);
    await expectClose(s, ref.out, 1e-4, 1e-4, ref.shape);
    s.sum().backward();
    expect(q.grad!.shape).toEqual([B, H, T, d]);
    expect(k.grad!.shape).toEqual([B, H, T, d]);
  });

  it('bmm: 3-D, equal batches, and PyTorch refusals', async () => {
    const a = wg.tensor(values(3 * 2 * 4, 6)).reshape([3, 2, 4]);
    const b = wg.tensor(values(3 * 4 * 5, 7)).reshape([3, 4, 5]);
    await expectClose(wg.bmm(a, b), await a.matmul(b).toArray(), 1e-6, 1e-6, [3, 2, 5]);
    expect(a.bmm(b).shape).toEqual([3, 2, 5]);
    expect(() => wg.bmm(a, wg.zeros([1, 4, 5]))).toThrow(/bmm: batch sizes of shapes \[3,2,4\] and \[1,4,5\] differ/);
    expect(() => wg.bmm(a, wg.zeros([4, 5]))).toThrow(/bmm: expected 3-D tensors/);
    expect(() => wg.bmm(a, wg.zeros([3, 5, 5]))).toThrow(/bmm: .*cannot be multiplied \(4 != 5\)/);
  });

  it('refuses batch dims that do not broadcast, naming both shapes, before any work', () => {
    const a = wg.zeros([2, 3, 4, 5]);
    const b = wg.zeros([4, 5, 6]);
    const c = wg.zeros([3, 6, 2]);
    const m = wg.zeros([2, 3]);
    const s = wg.zeros([]);
    const before = wg.memory().liveTensors;
    expect(() => a.matmul(b)).toThrow(wg.WebgradError);
    expect(() => a.matmul(b)).toThrow(/matmul: batch dims of shapes \[2,3,4,5\] and \[4,5,6\] cannot be broadcast \(batch dim -1: 3 vs 4\)/);
    expect(() => a.matmul(c)).toThrow(/matmul: shapes \[2,3,4,5\] and \[3,6,2\] cannot be multiplied \(5 != 6\)/);
    expect(() => m.matmul(s)).toThrow(/matmul: both arguments need at least 1 dimension/);
    expect(wg.memory().liveTensors).toBe(before);
  });

  if (backend === 'webgpu') {
    it('a product over 1M output elements matches the CPU backend', async () => {
      // [8, 4, 257, 129] @ [129, 257]: 2.1M outputs, k = 129.
      const as = [8, 4, 257, 129];
      const av = values(numel(as), 8);
      const bv = values(129 * 257, 9);
      const y = await wg.tensor(av).reshape(as).matmul(wg.tensor(bv).reshape([129, 257])).toArray();
      const ref = reference(av, as, bv, [129, 257]);
      let worst = 0;
      for (let i = 0; i < ref.out.length; i++) worst = Math.max(worst, Math.abs(y[i] - ref.out[i]));
      expect(worst).toBeLessThan(1e-4);
    });
  }
});

describeEachBackend(['cpu'], 'matmul N-D gradcheck (float64)', () => {
  const f64 = { dtype: 'float64' } as const;
  const cases: [number[], number[]][] = [
    [[2, 3, 2, 3], [2, 3, 3, 2]],
    [[2, 3, 2], [2, 4]],
    [[3, 2], [2, 2, 4]],
    [[2, 1, 2, 3], [1, 3, 3, 2]],
    [[2, 1, 3, 2, 3], [1, 2, 1, 3, 1]],
    [[3], [2, 3, 2]],
    [[2, 2, 3], [3]],
  ];
  for (const [as, bs] of cases) {
    it(`[${as}] @ [${bs}]`, async () => {
      const r = await wg.gradcheck((a, b) => a.matmul(b), [wg.randn(as, f64), wg.randn(bs, f64)]);
      expect(r.ok, r.report).toBe(true);
    });
  }
});
