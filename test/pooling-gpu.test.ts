// The pooling and batch-norm kernels on WebGPU against the CPU backend (the oracle), on seeded
// random inputs of awkward shapes (sizes 1, 3, 17, 65; planes not a multiple of the workgroup;
// stride 2 with padding, dilation, windows that tile the input (the tiled backward), ceilMode windows that hang over the end, 1-D as height 1),
// ties (small integers) and NaN. Tolerances: max pooling's values and indices are exact (both
// pick the same element); its gradient and average pooling sum a few float32 terms in the same
// order on the GPU and in float64 rounded once on the CPU: relative 2-norm error <= 1e-6. Batch
// norm: statistics are tree sums of up to 16,705 elements per channel in float32 against
// float64: <= 1e-5. (With 2 elements per channel dx is ~0 up to eps, all cancellation: not a relative test.)
import { afterAll, describe, expect, test } from 'vitest';
import type { AvgPoolArgs, ChannelLayout, PoolArgs, Storage } from '../src/backend/backend.js';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { mulberry32 } from '../src/data/batch.js';
import type { TypedArray } from '../src/dtype.js';
import { gpuBackendOrSkip } from './helpers/gpu.js';
import { relNormError } from './helpers/close.js';

const { backend: gpu } = await gpuBackendOrSkip();
const cpu = new CpuBackend();
afterAll(() => gpu?.destroy());

function randn(n: number, seed: number, ties = false, nanEvery = 0): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, (_, i) => {
    if (nanEvery > 0 && i % nanEvery === nanEvery - 1) return NaN;
    const v = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    return ties ? Math.round(v * 2) : v;
  });
}
type Both = { cpu: Storage; webgpu: Storage };
const up = (d: Float32Array | Int32Array): Both => {
  const dtype = d instanceof Int32Array ? 'int32' : 'float32';
  return { cpu: cpu.upload(d, dtype), webgpu: gpu!.upload(d, dtype) };
};
type B = CpuBackend | NonNullable<typeof gpu>;

async function same(run: (b: B, pick: (p: Both) => Storage) => Storage, label: string, tol = 0): Promise<void> {
  const c = await cpu.read(run(cpu, (p) => p.cpu));
  const g = await gpu!.read(run(gpu!, (p) => p.webgpu));
  expect(g.length, label).toBe(c.length);
  if (tol === 0) {
    const bad = Array.from(c).findIndex((v, i) => !Object.is(v, g[i]) && !(Number.isNaN(v) && Number.isNaN(g[i])));
    expect(bad, `${label}: first mismatch at ${bad} (${g[bad]} vs ${c[bad]})`).toBe(-1);
  } else {
    expect(relNormError(g as TypedArray, c as TypedArray), label).toBeLessThanOrEqual(tol);
  }
}

/** PyTorch's output size (the ops compute it; the kernels are handed it). */
function outSize(n: number, k: number, p: number, s: number, d: number, ceil: boolean): number {
  let o = Math.floor((n + 2 * p - d * (k - 1) - 1 + (ceil ? s - 1 : 0)) / s) + 1;
  if (ceil && (o - 1) * s >= n + p) o--;
  return o;
}

function windowCases(): PoolArgs[] {
  const out: PoolArgs[] = [];
  const geo: [number, number, number][] = [[1, 1, 1], [3, 17, 3], [2, 65, 17], [65, 3, 5], [7, 28, 28], [5, 6, 9]];
  const win: [number, number, number, number, boolean][] = [
    // k, s, p, d, ceil
    [1, 1, 0, 1, false], [2, 2, 0, 1, false], [3, 3, 0, 1, false], [3, 2, 1, 1, false], [3, 1, 1, 2, false], [2, 3, 1, 2, true], [3, 2, 0, 1, true], [5, 3, 2, 1, true],
  ];
  for (const [planes, inH, inW] of geo) {
    for (const [k, s, p, d, ceil] of win) {
      const kH = Math.min(k, inH);
      const pH = Math.min(p, Math.floor(kH / 2));
      const outH = outSize(inH, kH, pH, s, d, ceil);
      const outW = outSize(inW, k, p, s, d, ceil);
      if (outH < 1 || outW < 1) continue;
      out.push({ planes, inH, inW, outH, outW, kH, kW: k, sH: s, sW: s, pH, pW: p, dH: d, dW: d });
    }
  }
  return out;
}

describe.skipIf(!gpu)('pooling kernels: WebGPU = CPU', () => {
  test('maxPool forward (values, indices) and backward; ties and NaN', async () => {
    let seed = 1;
    for (const a of windowCases()) {
      for (const [ties, nan] of [[false, 0], [true, 0], [false, 7]] as const) {
        const x = up(randn(a.planes * a.inH * a.inW, seed++, ties, nan));
        const label = `${JSON.stringify(a)} ties=${ties} nan=${nan}`;
        await same((b, p) => b.maxPool(p(x), a, false)[0], `${label} values`);
        await same((b, p) => b.maxPool(p(x), a, true)[1]!, `${label} indices`);
        const dy = up(randn(a.planes * a.outH * a.outW, seed++));
        const idx = up(new Int32Array(await cpu.read(cpu.maxPool(x.cpu, a, true)[1]!)));
        await same((b, p) => b.maxPoolGrad(p(dy), p(idx), a), `${label} grad`, 1e-6);
      }
    }
  });

  test('avgPool forward and backward: countIncludePad, divisorOverride, adaptive', async () => {
    let seed = 1000;
    for (const w of windowCases().filter((c) => c.dH === 1)) {
      for (const [countIncludePad, divisor] of [[true, 0], [false, 0], [true, 3]] as const) {
        const a: AvgPoolArgs = { ...w, adaptive: false, countIncludePad, divisor };
        const x = up(randn(a.planes * a.inH * a.inW, seed++));
        const dy = up(randn(a.planes * a.outH * a.outW, seed++));
        const label = JSON.stringify(a);
        await same((b, p) => b.avgPool(p(x), a), `${label} forward`, 1e-6);
        await same((b, p) => b.avgPoolGrad(p(dy), a), `${label} grad`, 1e-6);
      }
    }
    for (const [planes, inH, inW, outH, outW] of [[1, 1, 1, 1, 1], [3, 17, 5, 3, 2], [2, 7, 65, 5, 17], [4, 4, 3, 7, 6], [65, 9, 9, 1, 1]]) {
      const a: AvgPoolArgs = { planes, inH, inW, outH, outW, kH: 1, kW: 1, sH: 1, sW: 1, pH: 0, pW: 0, dH: 1, dW: 1, adaptive: true, countIncludePad: false, divisor: 0 };
      const x = up(randn(planes * inH * inW, seed++));
      const dy = up(randn(planes * outH * outW, seed++));
      await same((b, p) => b.avgPool(p(x), a), `adaptive ${JSON.stringify(a)} forward`, 1e-6);
      await same((b, p) => b.avgPoolGrad(p(dy), a), `adaptive ${JSON.stringify(a)} grad`, 1e-6);
    }
  });

  test('batch norm: statistics, forward, gradient sums and input gradient', async () => {
    let seed = 5000;
    const layouts: ChannelLayout[] = [
      { outer: 1, size: 1, inner: 5 }, { outer: 3, size: 17, inner: 1 }, { outer: 2, size: 3, inner: 65 },
      { outer: 65, size: 2, inner: 257 }, { outer: 64, size: 16, inner: 17 }, { outer: 5, size: 257, inner: 3 },
      // inner % 4 == 0: the vec4 forward and input gradient.
      { outer: 4, size: 3, inner: 28 }, { outer: 1, size: 17, inner: 4 }, { outer: 9, size: 2, inner: 196 },
    ];
    for (const l of layouts) {
      const n = l.outer * l.size * l.inner;
      // An offset mean: the two-pass variance keeps its digits.
      const x = up(randn(n, seed++).map((v) => 3 * v + 100));
      const dy = up(randn(n, seed++));
      const w = up(randn(l.size, seed++));
      const bias = up(randn(l.size, seed++));
      const label = JSON.stringify(l);
      await same((b, p) => b.batchNormStats(p(x), l), `${label} stats`, 1e-5);
      const stats = await cpu.read(cpu.batchNormStats(x.cpu, l));
      const mean = up(Float32Array.from(stats.subarray(0, l.size)));
      const variance = up(Float32Array.from(stats.subarray(l.size)));
      for (const affine of [true, false]) {
        await same((b, p) => b.batchNormForward(p(x), p(mean), p(variance), affine ? p(w) : null, affine ? p(bias) : null, l, 1e-5), `${label} forward`, 1e-5);
      }
      await same((b, p) => b.batchNormGradSums(p(x), p(dy), p(mean), p(variance), l, 1e-5), `${label} grad sums`, 1e-5);
      const sums = up(Float32Array.from(await cpu.read(cpu.batchNormGradSums(x.cpu, dy.cpu, mean.cpu, variance.cpu, l, 1e-5))));
      await same((b, p) => b.batchNormInputGrad(p(x), p(dy), p(mean), p(variance), p(w), p(sums), l, 1e-5), `${label} input grad`, 1e-5);
      await same((b, p) => b.batchNormInputGrad(p(x), p(dy), p(mean), p(variance), null, null, l, 1e-5), `${label} input grad eval`, 1e-5);
    }
  });
});
