// cat and split as one kernel for all pieces (catRows / splitRows, shaders/cat.wgsl): WebGPU
// against the CPU backend, bit for bit (the kernels only move 32-bit words; NaN, ±Inf, -0
// included), forward and backward, on the vec4 path (row widths that are multiples of 4), past
// 7 pieces (a second dispatch), with pieces that get no gradient, and int32; plus the dispatch
// counts the one-kernel design promises.
import { afterAll, describe, expect, it } from 'vitest';
import * as wg from 'webgrad-gpu';
import type { Tensor } from 'webgrad-gpu';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { mulberry32 } from '../src/data/batch.js';
import { createWebGPUBackend } from '../src/backend/webgpu/device.js';
import { withBackend } from '../src/runtime.js';
import { gpuBackendOrSkip } from './helpers/gpu.js';

const { backend: gpu, skip: gpuSkip } = await gpuBackendOrSkip();
const cpu = new CpuBackend();
// The kernels' grid comes from the adapter's profile (tuner-elementwise.ts): lavapipe's few
// looping groups, a GPU's one vec4 per invocation, and that capped by a small grid limit (each
// group then loops over several strides).
const gpuShaped = gpu ? await createWebGPUBackend({ profile: 'gpu' }) : null;
const gpuCapped = gpu ? await createWebGPUBackend({ profile: 'gpu', maxWorkgroupsPerDimension: 7 }) : null;
afterAll(() => [gpu, gpuShaped, gpuCapped].forEach((b) => b?.destroy()));

function values(n: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  const out = Float32Array.from({ length: n }, () => r() * 2 - 1);
  [NaN, Infinity, -Infinity, -0].forEach((v, k) => { if (k < n) out[Math.floor(r() * n)] = v; });
  return out;
}

const bits = (a: ArrayLike<number>): number[] => Array.from(new Uint32Array(Float32Array.from(a).buffer));

/** Outputs and input gradients (null where none) of `op` on inputs of `shapes` on one backend. */
async function run(backend: CpuBackend | NonNullable<typeof gpu>, shapes: number[][], op: (xs: Tensor[]) => Tensor[], grads: boolean[]) {
  return withBackend(backend, () =>
    wg.scope(async () => {
      const xs = shapes.map((s, i) => wg.tensor(values(s.reduce((a, b) => a * b, 1), 5 + i)).reshape(s).requiresGrad_());
      const outs = op(xs);
      const used = outs.filter((_, i) => grads[i] ?? true);
      wg.cat(used.map((o) => o.reshape([-1]))).backward(wg.tensor(values(used.reduce((s, o) => s + o.numel, 0), 99)));
      return {
        outs: await Promise.all(outs.map(async (o) => bits(await o.toArray()))),
        grads: await Promise.all(xs.map(async (x) => (x.grad ? bits(await x.grad.toArray()) : null))),
      };
    }));
}

describe.skipIf(gpuSkip)('cat and split kernels: WebGPU = CPU', () => {
  const cases: [string, number[][], (xs: Tensor[]) => Tensor[], boolean[]][] = [
    ['cat 4 along dim 1, widths of 4k', [[65, 16], [65, 4], [65, 256], [65, 8]], (xs) => [wg.cat(xs, 1)], []],
    ['cat 9 along dim -2 of 3-D (two dispatches)', Array.from({ length: 9 }, (_, i) => [3, 1 + (i % 3), 4]), (xs) => [wg.cat(xs, -2)], []],
    ['cat with an empty piece and a skipped [0]', [[17, 8], [17, 0], [0], [17, 12]], (xs) => [wg.cat(xs, 1)], []],
    ['split along dim 1 into 9 pieces, 3 without gradient', [[33, 36]], (xs) => xs[0].split(4, 1), [true, false, true, true, false, true, true, true, false]],
    ['chunk along dim 0 (buffer copies)', [[12, 17]], (xs) => xs[0].chunk(5, 0), []],
    ['unbind along the last dim of widths 1 (strided fallback)', [[5, 3, 7]], (xs) => xs[0].unbind(2), []],
    // Every case of the kernels' switch on the piece (one copy loop per case), at awkward row counts.
    ['cat 7 along dim -1 of [3, 17, 4k], k = 1..7 (every slot once)', Array.from({ length: 7 }, (_, k) => [3, 17, 4 * (k + 1)]), (xs) => [wg.cat(xs, -1)], []],
    ['split of [257, 4 + 8 + ... + 28] along dim -1 into 7 unequal pieces', [[257, 112]], (xs) => xs[0].split([4, 8, 12, 16, 20, 24, 28], -1), []],
    ['cat of one piece [257, 4] along dim 1', [[257, 4]], (xs) => [wg.cat(xs, 1)], []],
    ['cat 3 along dim 1 of [257, 20] (1285 vec4s a piece: many strides of the loop on lavapipe)', [[257, 20], [257, 20], [257, 4]], (xs) => [wg.cat(xs, 1)], []],
    ['cat 2 along dim 1 of one row, and [3, 1, 4] with [1, 1, 4] along dim 0 (copies)', [[1, 12], [1, 4]], (xs) => [wg.cat(xs, 1), wg.cat([xs[0].reshape([3, 1, 4]), xs[1].reshape([1, 1, 4])], 0)], []],
  ];
  for (const [name, shapes, op, grads] of cases) {
    it(name, async () => {
      const c = await run(cpu, shapes, op, grads);
      for (const [shape, be] of [['adapter', gpu], ['gpu grid', gpuShaped], ['gpu grid, limit 7', gpuCapped]] as const) {
        const g = await run(be!, shapes, op, grads);
        expect(g.outs, shape).toEqual(c.outs);
        expect(g.grads, shape).toEqual(c.grads);
      }
    });
  }

  it('int32 pieces', async () => {
    const go = async (b: CpuBackend | NonNullable<typeof gpu>) => withBackend(b, () => wg.scope(async () =>
      Array.from(await wg.cat([wg.arange(24).reshape(2, 12), wg.arange(8).reshape(2, 4).neg()], 1).toArray())));
    expect(await go(gpu!)).toEqual(await go(cpu));
  });

  it('one dispatch for up to 7 pieces, then one more per 7; split the same', async () => {
    const dispatches = async (fn: () => void): Promise<number> => withBackend(gpu!, async () => {
      const before = gpu!.stats.dispatches;
      wg.scope(fn);
      return gpu!.stats.dispatches - before;
    });
    const xs = await withBackend(gpu!, async () => Array.from({ length: 9 }, () => wg.randn([65, 16])));
    expect(await dispatches(() => void wg.cat(xs.slice(0, 7), 1))).toBe(1);
    expect(await dispatches(() => void wg.cat(xs, 1))).toBe(2);
    expect(await dispatches(() => void wg.cat(xs, 0))).toBe(0);
    const x = await withBackend(gpu!, async () => wg.randn([65, 64]));
    expect(await dispatches(() => void x.split(16, 1))).toBe(1);
    await withBackend(gpu!, async () => [...xs, x].forEach((t) => t.dispose()));
  });
});
