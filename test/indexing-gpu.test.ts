// The indexing kernels (gather, scatterAdd, sortIndices) on WebGPU against the CPU backend (the
// oracle), on seeded random inputs of awkward shapes: repeated and out-of-range indices (both
// backends read 0 / skip them), sort lines around the 1024-element workgroup block and past it
// (the global-merge fallback), ties, NaN, -0, and cases over a million elements. Tolerances:
// gather and sort are exact (they move values); scatter-add sums the same values in the same
// (source) order, float32 on the GPU and float64 rounded once on the CPU: relative error in the
// 2-norm <= 1e-6 (float32 epsilon 6e-8 times the few terms per destination).
import { afterAll, describe, expect, test } from 'vitest';
import type { GatherArgs, ScatterArgs, Storage } from '../src/backend/backend.js';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { mulberry32 } from '../src/data/batch.js';
import type { TypedArray } from '../src/dtype.js';
import { contiguousStrides } from '../src/shape.js';
import { gpuBackendOrSkip } from './helpers/gpu.js';
import { relNormError } from './helpers/close.js';
import { randn } from './helpers/random.js';

const { backend: gpu, skip: gpuSkip } = await gpuBackendOrSkip();
const cpu = new CpuBackend();
afterAll(() => gpu?.destroy());

function randint(n: number, seed: number, lo: number, hi: number): Int32Array {
  const r = mulberry32(seed);
  return Int32Array.from({ length: n }, () => lo + Math.floor((hi - lo) * r()));
}
const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

type Both = { cpu: Storage; webgpu: Storage };
const up = (d: Float32Array | Int32Array): Both => {
  const dtype = d instanceof Int32Array ? 'int32' : 'float32';
  return { cpu: cpu.upload(d, dtype), webgpu: gpu!.upload(d, dtype) };
};

async function expectSame(run: (b: CpuBackend | NonNullable<typeof gpu>, pick: (p: Both) => Storage) => Storage, label: string, tol = 0): Promise<void> {
  const c = await cpu.read(run(cpu, (p) => p.cpu));
  const g = await gpu!.read(run(gpu!, (p) => p.webgpu));
  expect(g.length, label).toBe(c.length);
  if (tol === 0) {
    // Exact, NaN included (compare the bits' meaning, not NaN !== NaN).
    const bad = Array.from(c).findIndex((v, i) => !Object.is(v, g[i]) && !(Number.isNaN(v) && Number.isNaN(g[i])));
    expect(bad, `${label}: first mismatch at ${bad} (${g[bad]} vs ${c[bad]})`).toBe(-1);
  } else {
    expect(relNormError(g as TypedArray, c as TypedArray), label).toBeLessThanOrEqual(tol);
  }
}

describe.skipIf(!gpu)('indexing kernels: WebGPU = CPU', () => {
  const sizes = [1, 2, 3, 17, 65, 257];

  test('gather as indexSelect and as gather, every dim, repeated and out-of-range indices', async () => {
    let seed = 1;
    for (const shape of [[1], [3, 17], [17, 3, 5], [2, 65, 3], [257, 4], [3, 17, 12]]) {
      for (let d = 0; d < shape.length; d++) {
        const x = up(randn(prod(shape), seed++));
        for (const n of [1, 3, 17, 65]) {
          // indexSelect: a 1-D index (a few out of range: read as 0 on both backends).
          const idx = up(randint(n, seed++, -1, shape[d] + 1));
          const outShape = shape.map((s, i) => (i === d ? n : s));
          const sel: GatherArgs = { outShape, xStrides: contiguousStrides(shape), idxStrides: shape.map((_, i) => (i === d ? 1 : 0)), dim: d, dimSize: shape[d] };
          await expectSame((b, p) => b.gather(p(x), p(idx), sel), `indexSelect [${shape}] dim ${d} n ${n}`);
          // gather: an index no larger than x off dim.
          const is = shape.map((s, i) => (i === d ? n : Math.max(1, s - (i % 2))));
          const gi = up(randint(prod(is), seed++, 0, shape[d]));
          const ga: GatherArgs = { outShape: is, xStrides: contiguousStrides(shape), idxStrides: contiguousStrides(is), dim: d, dimSize: shape[d] };
          await expectSame((b, p) => b.gather(p(x), p(gi), ga), `gather [${shape}] dim ${d} index [${is}]`);
        }
      }
    }
  });

  test('scatterAdd in both modes, with and without a base, float32 and int32', async () => {
    let seed = 100;
    for (const shape of [[1], [3, 17], [17, 3, 5], [2, 65, 3], [257, 2], [3, 8, 4]]) {
      for (let d = 0; d < shape.length; d++) {
        const [outer, size, inner] = [prod(shape.slice(0, d)), shape[d], prod(shape.slice(d + 1))];
        for (const n of sizes) {
          const idx = up(randint(n, seed++, -1, size + 1));
          const src = up(randn(outer * n * inner, seed++));
          const base = up(randn(outer * size * inner, seed++));
          const a: ScatterArgs = { mode: 'index', outer, size, inner, n };
          await expectSame((b, p) => b.scatterAdd(null, p(src), p(idx), a), `indexAdd [${shape}] dim ${d} n ${n}`, 1e-6);
          await expectSame((b, p) => b.scatterAdd(p(base), p(src), p(idx), a), `indexAdd+base [${shape}] dim ${d} n ${n}`, 1e-6);
          const isrc = up(randint(outer * n * inner, seed++, -1000, 1000));
          const ibase = up(randint(outer * size * inner, seed++, -1000, 1000));
          await expectSame((b, p) => b.scatterAdd(p(ibase), p(isrc), p(idx), a), `indexAdd int32 [${shape}] dim ${d} n ${n}`);
        }
        const is = shape.map((s, i) => (i === d ? 2 * s + 1 : Math.max(1, s - 1)));
        const gi = up(randint(prod(is), seed++, -1, size + 1));
        const gs = up(randn(prod(is), seed++));
        const ga: ScatterArgs = { mode: 'gather', outShape: shape, idxShape: is, dim: d };
        await expectSame((b, p) => b.scatterAdd(null, p(gs), p(gi), ga), `scatterAdd [${shape}] dim ${d} index [${is}]`, 1e-6);
      }
    }
  });

  test('sortIndices: lines around and past the workgroup block, ties, NaN, -0, descending, int32', async () => {
    let seed = 300;
    const special = [NaN, -0, 0, Infinity, -Infinity, 1, -1];
    for (const size of [...sizes, 1023, 1024, 1025, 3000]) {
      for (const [outer, inner] of [[1, 1], [3, 1], [2, 3]]) {
        const n = outer * size * inner;
        // Rounded values make ties; a sprinkle of specials makes NaN and signed zeros.
        const r = mulberry32(seed++);
        const vals = Float32Array.from(randn(n, seed++), (v) => (r() < 0.1 ? special[Math.floor(r() * special.length)] : Math.round(v * 4) / 4));
        const x = up(vals);
        const ints = up(randint(n, seed++, -5, 5));
        const layout = { outer, size, inner };
        for (const desc of [false, true]) {
          for (const k of [size, Math.ceil(size / 3)]) {
            await expectSame((b, p) => b.sortIndices(p(x), layout, k, desc), `sort ${outer}x${size}x${inner} k ${k} desc ${desc}`);
          }
          await expectSame((b, p) => b.sortIndices(p(ints), layout, size, desc), `sort int32 ${outer}x${size}x${inner} desc ${desc}`);
        }
      }
    }
  });

  // A line of 2^20 + 3 also sorts right, but takes ~10 s on lavapipe (2^21 padded pairs, 77
  // dispatches); a line of 70,000 takes the same path (7 stages of global merges) in ~0.5 s.
  test('long lines (global merges) and over a million elements', async () => {
    const r = mulberry32(9);
    const long = up(Float32Array.from({ length: 70_000 }, () => Math.floor(r() * 5000) / 8));
    await expectSame((b, p) => b.sortIndices(p(long), { outer: 1, size: 70_000, inner: 1 }, 70_000, false), 'sort one line of 70,000');
    await expectSame((b, p) => b.sortIndices(p(long), { outer: 1, size: 70_000, inner: 1 }, 10, true), 'top 10 of 70,000');
    const n = (1 << 20) + 3 * 64;
    const x = up(Float32Array.from({ length: n }, () => Math.floor(r() * 5000) / 8));
    await expectSame((b, p) => b.sortIndices(p(x), { outer: n / 64, size: 64, inner: 1 }, 5, true), 'top 5 of 16387 lines of 64');
    await expectSame((b, p) => b.sortIndices(p(x), { outer: 1, size: 64, inner: n / 64 }, 64, false), 'sort 64 along dim 0 of [64, 16387]');
    const idx = up(randint(4099, 10, 0, 1000));
    const src = up(randn(4099 * 257, 11));
    await expectSame((b, p) => b.scatterAdd(null, p(src), p(idx), { mode: 'index', outer: 1, size: 1000, inner: 257, n: 4099 }), 'indexAdd [4099, 257] into [1000, 257]', 1e-6);
    await expectSame((b, p) => b.gather(p(src), p(idx), { outShape: [4099, 257], xStrides: [257, 1], idxStrides: [1, 0], dim: 0, dimSize: 1000 }), 'indexSelect 4099 rows of 257');
    // gather's backward with an index of 1.05M elements: 257 index lines of 4099 (past the block).
    const gidx = up(randint(4099 * 257, 12, -1, 1001));
    await expectSame((b, p) => b.scatterAdd(null, p(src), p(gidx), { mode: 'gather', outShape: [1000, 257], idxShape: [4099, 257], dim: 0 }), 'scatterAdd [4099, 257] into [1000, 257] along dim 0', 1e-6);
  }, 120_000);

  test('embedding-sized: 4096 indices into a 10,000 x 256 table, forward and backward', async () => {
    const [rows, dim, n] = [10_000, 256, 4096];
    const table = up(randn(rows * dim, 21));
    const idx = up(randint(n, 22, 0, rows));
    const dy = up(randn(n * dim, 23));
    const sel: GatherArgs = { outShape: [n, dim], xStrides: [dim, 1], idxStrides: [1, 0], dim: 0, dimSize: rows };
    const back: ScatterArgs = { mode: 'index', outer: 1, size: rows, inner: dim, n };
    await gpu!.read(gpu!.gather(table.webgpu, idx.webgpu, sel)); // pipelines built outside the timing
    await gpu!.read(gpu!.scatterAdd(null, dy.webgpu, idx.webgpu, back));
    const t0 = performance.now();
    const out = gpu!.gather(table.webgpu, idx.webgpu, sel);
    const grad = gpu!.scatterAdd(null, dy.webgpu, idx.webgpu, back);
    await gpu!.read(grad);
    const ms = performance.now() - t0;
    console.log(`embedding 4096 x [10000, 256] indexSelect forward + backward on WebGPU: ${ms.toFixed(0)} ms`);
    // The same as gather(0, index expanded to [4096, 256]): 256 index lines of 4096 to sort.
    const full = up(Int32Array.from({ length: n * dim }, (_, e) => (idx.cpu as unknown as { data: Int32Array }).data[Math.floor(e / dim)]));
    const gBack: ScatterArgs = { mode: 'gather', outShape: [rows, dim], idxShape: [n, dim], dim: 0 };
    await gpu!.read(gpu!.scatterAdd(null, dy.webgpu, full.webgpu, gBack));
    const t1 = performance.now();
    await gpu!.read(gpu!.scatterAdd(null, dy.webgpu, full.webgpu, gBack));
    console.log(`embedding-sized gather backward (index [4096, 256] along dim 0) on WebGPU: ${(performance.now() - t1).toFixed(0)} ms`);
    await expectSame((b, p) => b.scatterAdd(null, p(dy), p(full), gBack), 'gather backward, embedding-sized', 1e-6);
    gpu!.release(out);
    await expectSame((b, p) => b.scatterAdd(null, p(dy), p(idx), back), 'embedding backward', 1e-6);
    expect(ms).toBeLessThan(20_000);
  }, 120_000);
});
