// The fused layerNorm (one Backend kernel forward, one backward: shaders/layer_norm.wgsl on
// WebGPU, the float64-accumulating oracle src/backend/cpu/layer-norm.ts on the CPU) against
// the composed reference (layerNormComposed: mean, sub, square, mean, rsqrt, mul, add;
// autograd's backward) on awkward shapes: rows 1, 3, 17, 257 and cols 1, 3, 17, 64, 65, 257,
// 1025, with and without weight and bias, a two-dim normalizedShape, NaN and Inf rows, eps 0
// and large; float64 gradchecks on the CPU; the WebGPU kernels against the CPU's; the number
// of dispatches.
import { afterAll, describe, expect, it } from 'vitest';
import * as wg from 'webgrad-gpu';
import type { Storage } from '../src/backend/backend.js';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { colChunks, colThreads } from '../src/backend/webgpu/layer-norm.js';
import { layerNormComposed } from '../src/nn/layer-norm.js';
import { getBackend } from '../src/runtime.js';
import { backendsUnderTest, describeEachBackend } from './helpers/backends.js';
import { expectClose, relNormError } from './helpers/close.js';
import { gpuBackendOrSkip } from './helpers/gpu.js';
import { randn } from './helpers/random.js';

const backends = await backendsUnderTest();
const F = wg.nn.functional;
// Fused and composed round in different places in float32 (the CPU oracle accumulates in
// float64, the GPU kernel in float32 per row, the composed op per op): 2e-5 absolute + 2e-4
// relative on outputs and dx of order 1; the weight and bias gradients sum up to 257 rows
// (values up to ~30): 2e-4 absolute + 2e-4 relative.
const [ATOL, RTOL] = [2e-5, 2e-4];
const [PATOL, PRTOL] = [2e-4, 2e-4];

interface Case {
  lead: number[];
  shape: number[];
  affine?: 'both' | 'weight' | 'bias' | 'none';
  eps?: number;
  /** Row indices to poison: NaN at one element of the first, +Inf at one of the second. */
  poison?: [number, number];
}

/** Runs fused and composed on the same values and output gradient: [y, dx, dweight?, dbias?] of each. */
async function bothPaths(c: Case, seed = 1): Promise<(wg.Tensor | null)[][]> {
  const cols = c.shape.reduce((a, b) => a * b, 1);
  const rows = c.lead.reduce((a, b) => a * b, 1);
  const xd = randn(rows * cols, seed, 2);
  for (let i = 0; i < xd.length; i++) xd[i] += 0.5;
  if (c.poison) {
    xd[c.poison[0] * cols] = NaN;
    xd[c.poison[1] * cols + cols - 1] = Infinity;
  }
  const affine = c.affine ?? 'both';
  const wd = randn(cols, seed + 1);
  const bd = randn(cols, seed + 2);
  const dyd = randn(rows * cols, seed + 3);
  const runs: (wg.Tensor | null)[][] = [];
  for (const f of [F.layerNorm, layerNormComposed]) {
    const x = wg.tensor(xd).reshape([...c.lead, ...c.shape]).requiresGrad_(true);
    const w = affine === 'both' || affine === 'weight' ? wg.tensor(wd).reshape(c.shape).requiresGrad_(true) : null;
    const b = affine === 'both' || affine === 'bias' ? wg.tensor(bd).reshape(c.shape).requiresGrad_(true) : null;
    const y = f(x, c.shape, w, b, c.eps === undefined ? {} : { eps: c.eps });
    y.backward(wg.tensor(dyd).reshape(y.shape));
    runs.push([y, x.grad, w?.grad ?? null, b?.grad ?? null]);
  }
  return runs;
}

async function expectSamePaths(c: Case): Promise<void> {
  const [fused, composed] = await bothPaths(c);
  const names = ['y', 'dx', 'dweight', 'dbias'];
  for (let i = 0; i < 4; i++) {
    const [f, r] = [fused[i], composed[i]];
    expect(f === null, `${names[i]} ${JSON.stringify(c)}`).toBe(r === null);
    if (f === null || r === null) continue;
    expect(f.shape, names[i]).toEqual(r.shape);
    const [atol, rtol] = i < 2 ? [ATOL, RTOL] : [PATOL, PRTOL];
    await expectClose(f, r, atol, rtol);
  }
}

describeEachBackend(backends, 'layerNorm: fused = composed', () => {
  it('rows 1, 3, 17, 257 by cols 1, 3, 17, 64, 65, 257, 1025 (y and all three gradients)', async () => {
    for (const rows of [1, 3, 17, 257]) {
      for (const cols of [1, 3, 17, 64, 65, 257, 1025]) {
        if (rows * cols > 70000) continue;
        await expectSamePaths({ lead: [rows], shape: [cols] });
      }
    }
    await expectSamePaths({ lead: [65], shape: [1025] });
  });

  it('without weight and bias, with only one of them', async () => {
    for (const affine of ['none', 'weight', 'bias'] as const) {
      await expectSamePaths({ lead: [17], shape: [65], affine });
      await expectSamePaths({ lead: [3], shape: [1025], affine });
    }
  });

  it('a two-dim normalizedShape and several leading dims', async () => {
    await expectSamePaths({ lead: [3, 5], shape: [4, 17] });
    await expectSamePaths({ lead: [2], shape: [3, 65], affine: 'weight' });
    await expectSamePaths({ lead: [], shape: [5, 13] });
  });

  it('NaN and Inf rows come out NaN, the other rows untouched (as composed)', async () => {
    await expectSamePaths({ lead: [17], shape: [65], poison: [2, 5] });
    await expectSamePaths({ lead: [5], shape: [1025], poison: [0, 4] });
    const [[y]] = await bothPaths({ lead: [3], shape: [17], poison: [0, 1] });
    const v = await y!.toArray();
    expect(v.slice(0, 34).every(Number.isNaN)).toBe(true);
    expect(v.slice(34).every(Number.isFinite)).toBe(true);
  });

  it('eps: 0 on a constant row of 1 (1/√0: y NaN, as composed), large', async () => {
    await expectSamePaths({ lead: [3], shape: [17], eps: 0 });
    await expectSamePaths({ lead: [3], shape: [17], eps: 10 });
    const x = wg.tensor([[1.5], [2]]);
    await expectClose(F.layerNorm(x, 1, null, null, { eps: 0 }), layerNormComposed(x, 1, null, null, { eps: 0 }));
    await expectClose(F.layerNorm(x, 1), [[0], [0]]);
  });

  it('only the parameter gradients asked for (x without grad)', async () => {
    const x = wg.randn([5, 17]);
    const w = wg.randn([17]).requiresGrad_(true);
    const b = wg.randn([17]);
    F.layerNorm(x, 17, w, b).sum().backward();
    const w2 = w.detach().requiresGrad_(true);
    layerNormComposed(x, 17, w2, b).sum().backward();
    expect(b.grad).toBeNull();
    await expectClose(w.grad!, w2.grad!, PATOL, PRTOL);
  });

  it('bad input is refused before any work, as before', () => {
    const x = wg.randn([3, 4]);
    expect(() => F.layerNorm(x, 5)).toThrow(/layerNorm.*normalizedShape/);
    expect(() => F.layerNorm(x, 4, wg.ones([5]))).toThrow(/weight of shape \[5\]/);
  });
});

describe('layerNorm: float64 gradcheck on the CPU', () => {
  it('x, weight and bias; a two-dim normalizedShape', async () => {
    await wg.init({ backend: 'cpu', verbose: false });
    try {
      const r = await wg.gradcheck((x, w, b) => F.layerNorm(x, [5], w, b), [wg.randn([3, 5]), wg.randn([5]), wg.randn([5])]);
      expect(r.ok).toBe(true);
      const r2 = await wg.gradcheck((x, w) => F.layerNorm(x, [2, 3], w, null, { eps: 0.1 }), [wg.randn([4, 2, 3]), wg.randn([2, 3])]);
      expect(r2.ok).toBe(true);
      const r3 = await wg.gradcheck((x) => F.layerNorm(x, 1), [wg.randn([3, 1])]);
      expect(r3.ok).toBe(true);
    } finally {
      wg.destroy();
    }
  });
});

describe('layerNorm column chunks', () => {
  it('cover every row once, at least 64 rows a chunk unless there are fewer', () => {
    for (const [rows, cols, threads] of [[1, 1, 1024], [257, 1, 1024], [2048, 64, 1024], [2048, 64, 16384], [65, 1025, 16384], [100000, 3, 1024]]) {
      const { chunks, chunkRows } = colChunks(rows, cols, threads);
      expect(chunks * chunkRows).toBeGreaterThanOrEqual(rows);
      expect((chunks - 1) * chunkRows).toBeLessThan(rows);
      expect(chunks === 1 || chunkRows >= 64).toBe(true);
    }
    expect(colChunks(2048, 64, 16384)).toEqual({ chunks: 32, chunkRows: 64 });
    expect(colChunks(2048, 64, colThreads('cpu-emulated'))).toEqual({ chunks: 1, chunkRows: 2048 });
    expect(colChunks(3000, 3, colThreads('cpu-emulated')).chunks).toBeGreaterThan(1);
  });
});

// The WebGPU kernels against the CPU oracle, at the Backend level. The GPU sums in float32, the
// CPU in float64: relative 2-norm error <= 3e-6 on y/mean/rstd/dx, 1e-5 on the column sums of
// up to 2048 rows.
const { backend: gpu, skip: gpuSkip } = await gpuBackendOrSkip();
const cpu = new CpuBackend();
afterAll(() => gpu?.destroy());

describe.skipIf(gpuSkip !== null)(`layerNorm kernels: WebGPU = CPU${gpuSkip ? ` (SKIPPED: ${gpuSkip})` : ''}`, () => {
  async function compare(rows: number, cols: number, affine: boolean, seed: number): Promise<void> {
    const xd = randn(rows * cols, seed, 3);
    const wd = randn(cols, seed + 1);
    const bd = randn(cols, seed + 2);
    const dyd = randn(rows * cols, seed + 3);
    const run = async (b: CpuBackend | NonNullable<typeof gpu>): Promise<Float32Array[]> => {
      const x = b.upload(xd, 'float32');
      const w = affine ? b.upload(wd, 'float32') : null;
      const bias = affine ? b.upload(bd, 'float32') : null;
      const r = b.layerNorm(x, w, bias, rows, cols, 1e-5);
      const g = b.layerNormBackward(b.upload(dyd, 'float32'), x, r.mean, r.rstd, w, rows, cols, true);
      const all: Storage[] = [r.y, r.mean, r.rstd, g.dx, g.dweight!, g.dbias!];
      return Promise.all(all.map(async (s) => (await b.read(s)) as Float32Array));
    };
    const want = await run(cpu);
    const got = await run(gpu!);
    want.forEach((w, i) => {
      const label = `${['y', 'mean', 'rstd', 'dx', 'dweight', 'dbias'][i]} [${rows}, ${cols}] affine ${affine}`;
      expect(got[i].length, label).toBe(w.length);
      expect(relNormError(got[i], w), label).toBeLessThanOrEqual(i < 4 ? 3e-6 : 1e-5);
    });
  }

  it('awkward shapes, both row kernels (workgroup and invocation per row), one and several column chunks', async () => {
    let seed = 10;
    for (const rows of [1, 3, 17, 257]) {
      for (const cols of [1, 3, 17, 64, 65, 257, 1025]) await compare(rows, cols, (rows + cols) % 2 === 0, seed++);
    }
    await compare(2048, 64, true, seed++);
    await compare(3000, 1, false, seed++);
    await compare(3000, 3, true, seed++);   // several column chunks on every adapter kind
  });

  it('one dispatch forward; backward: dx, then the column sums in one (one chunk) or two (3000 rows of 3: several chunks)', async () => {
    const count = (f: () => void): number => {
      const before = gpu!.dispatchCount();
      f();
      return gpu!.dispatchCount() - before;
    };
    for (const [rows, cols, sums] of [[17, 65, 1], [3000, 3, 2], [3, 1025, 1]] as const) {
      const x = gpu!.upload(randn(rows * cols, 1), 'float32');
      const w = gpu!.upload(randn(cols, 2), 'float32');
      const d0 = gpu!.dispatchCount();
      const r = gpu!.layerNorm(x, w, w, rows, cols, 1e-5);
      expect(gpu!.dispatchCount() - d0, `forward [${rows}, ${cols}]`).toBe(1);
      expect(count(() => gpu!.layerNormBackward(x, x, r.mean, r.rstd, w, rows, cols, true)), `backward [${rows}, ${cols}]`).toBe(1 + sums);
      expect(count(() => gpu!.layerNormBackward(x, x, r.mean, r.rstd, w, rows, cols, false))).toBe(1);
    }
  });
});

describeEachBackend(backends, 'nn.LayerNorm through the op', (backend) => {
  it('forward is one dispatch on WebGPU', () => {
    const ln = new wg.nn.LayerNorm(64);
    const x = wg.randn([2048, 64]);
    const b = getBackend();
    b.flush();
    const before = b.dispatchCount();
    ln.forward(x);
    b.flush();
    expect(b.dispatchCount() - before).toBe(backend === 'webgpu' ? 1 : 0);
  });
});
