// Joining and slicing on WebGPU against the CPU backend (the oracle), forward and backward, on
// awkward shapes (1, 3, 17, 65, 257) and one case over a million elements, plus what each costs
// in dispatches. These ops only move values, so GPU and CPU must agree exactly (NaN, ±Inf and
// -0 included), except repeat's backward, which sums (tolerance beside it).
import { afterAll, describe, expect, it } from 'vitest';
import * as wg from 'webgrad-gpu';
import type { Tensor } from 'webgrad-gpu';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { mulberry32 } from '../src/data/batch.js';
import { withBackend } from '../src/runtime.js';
import { gpuBackendOrSkip } from './helpers/gpu.js';
import { relNormError } from './helpers/close.js';

const { backend: gpu, skip: gpuSkip } = await gpuBackendOrSkip();
const cpu = new CpuBackend();
afterAll(() => gpu?.destroy());

const SPECIAL = [NaN, Infinity, -Infinity, -0];

/** Seeded normal values with a few NaN/±Inf/-0 mixed in: a copy must keep every bit. */
function values(n: number, seed: number, special = true): Float32Array {
  const r = mulberry32(seed);
  const out = Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()));
  for (let k = 0; special && k < Math.min(4, n); k++) out[Math.floor(r() * n)] = SPECIAL[k];
  return out;
}

/** Bit-for-bit equality (NaN payloads and -0 included), without a slow deep-equal of 1M items. */
function expectBits(a: Float32Array, b: Float32Array, label: string): void {
  expect(a.length, `${label}: length`).toBe(b.length);
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  let bad = -1;
  for (let i = 0; i < x.length && bad < 0; i++) if (x[i] !== y[i]) bad = i;
  expect(bad < 0 ? 'equal' : `${label}[${bad}]: ${a[bad]} vs ${b[bad]}`).toBe('equal');
}

interface Run {
  outs: Float32Array[];
  grads: Float32Array[];
}

/**
 * Runs `op` on inputs of `shapes` on one backend: the outputs, then backward of the outputs
 * joined by cat (flattened) with a seeded upstream gradient, and each input's gradient.
 */
async function run(backend: CpuBackend | NonNullable<typeof gpu>, shapes: number[][], op: (xs: Tensor[]) => Tensor | Tensor[], special: boolean): Promise<Run> {
  return withBackend(backend, () =>
    wg.scope(async () => {
      const xs = shapes.map((s, i) => wg.tensor(values(s.reduce((a, b) => a * b, 1), 17 + i, special)).reshape(s).requiresGrad_());
      const res = op(xs);
      const outs = Array.isArray(res) ? res : [res];
      const joined = wg.cat(outs.map((o) => o.reshape([-1])));
      joined.backward(wg.tensor(values(joined.numel, 5, special)));
      const got = { outs: await Promise.all(outs.map((o) => o.toArray() as Promise<Float32Array>)), grads: [] as Float32Array[] };
      for (const x of xs) {
        got.grads.push((await x.grad!.toArray()) as Float32Array);
        x.grad!.dispose();
      }
      return got;
    }),
  );
}

async function expectSame(shapes: number[][], op: (xs: Tensor[]) => Tensor | Tensor[], gradTol = 0): Promise<void> {
  // Sums (repeat's backward) round differently on each backend: finite inputs there.
  const c = await run(cpu, shapes, op, gradTol === 0);
  const g = await run(gpu!, shapes, op, gradTol === 0);
  expect(g.outs.length).toBe(c.outs.length);
  g.outs.forEach((o, k) => expectBits(o, c.outs[k], `output ${k}`));
  g.grads.forEach((d, k) => {
    if (gradTol === 0) expectBits(d, c.grads[k], `grad ${k}`);
    else expect(relNormError(d, c.grads[k]), `grad ${k}`).toBeLessThanOrEqual(gradTol);
  });
}

describe.skipIf(gpu === null)(`joining and slicing: WebGPU = CPU${gpuSkip ? ` (SKIPPED: ${gpuSkip})` : ''}`, () => {
  it('cat along each dim, stack', async () => {
    await expectSame([[17, 65], [3, 65], [257, 65], [1, 65]], (xs) => wg.cat(xs, 0));
    await expectSame([[65, 1], [65, 17], [65, 257]], (xs) => wg.cat(xs, 1));
    await expectSame([[3, 17, 5], [3, 1, 5], [3, 65, 5]], (xs) => wg.cat(xs, -2));
    await expectSame([[17, 3], [17, 3], [17, 3]], (xs) => wg.stack(xs, 1));
    await expectSame([[3, 65, 17], [3, 65, 17]], (xs) => wg.stack(xs, -1));
  });
  it('split, chunk, unbind (a gradient for every piece)', async () => {
    await expectSame([[257, 17]], ([x]) => x.split(65));
    await expectSame([[17, 257]], ([x]) => x.split([3, 1, 253], 1));
    await expectSame([[3, 65, 17]], ([x]) => x.chunk(5, -1));
    await expectSame([[3, 65, 17]], ([x]) => x.unbind(0));
    await expectSame([[3, 17, 65]], ([x]) => x.unbind(1));
  });
  it('split with gradients for some pieces only', async () => {
    await expectSame([[65, 17]], ([x]) => x.split(17).filter((_, i) => i % 2 === 1));
    await expectSame([[17, 3, 65]], ([x]) => x.unbind(2).slice(60));
  });
  it('narrow, select, slice', async () => {
    await expectSame([[257, 3]], ([x]) => x.narrow(0, -65, 17));
    await expectSame([[3, 257, 17]], ([x]) => x.narrow(1, 1, 255));
    await expectSame([[17, 65]], ([x]) => x.select(1, -1));
    await expectSame([[3, 17, 65]], ([x]) => x.select(0, 1));
    await expectSame([[257, 17]], ([x]) => x.slice(0, 1, -1, 3));
    await expectSame([[17, 257]], ([x]) => x.slice(1, -100, 65, 17));
    await expectSame([[3, 65, 17]], ([x]) => x.slice(2, 5, null, 4));
  });
  it('flip, pad', async () => {
    await expectSame([[65, 17, 3]], ([x]) => x.flip([0, 2]));
    await expectSame([[257]], ([x]) => x.flip(0));
    await expectSame([[3, 65, 17]], ([x]) => wg.nn.functional.pad(x, [2, -3, 1, 1], { value: 0.25 }));
    await expectSame([[17, 65]], ([x]) => wg.nn.functional.pad(x, [-1, -64, 3, 0]));
  });
  it('repeat (backward sums: 2-norm relative error <= 1e-6)', async () => {
    await expectSame([[17, 3]], ([x]) => x.repeat(3, 1, 65), 1e-6);
    await expectSame([[1, 257]], ([x]) => x.repeat(17, 1), 1e-6);
  });
  it('over a million elements', async () => {
    await expectSame([[1031, 600], [1031, 417]], (xs) => wg.cat(xs, 1));
    await expectSame([[1100, 1000]], ([x]) => x.slice(1, 3, null, 2));
  });
  it('int32 cat and slices', async () => {
    const ints = async (b: CpuBackend | NonNullable<typeof gpu>): Promise<number[]> =>
      withBackend(b, () =>
        wg.scope(async () => {
          const a = wg.arange(0, 65 * 17, 1, { dtype: 'int32' }).reshape([65, 17]);
          const b2 = wg.full([65, 3], -7, { dtype: 'int32' });
          return Array.from(await wg.cat([a, b2], 1).flip(0).slice(1, 2, null, 3).toArray());
        }),
      );
    expect(await ints(gpu!)).toEqual(await ints(cpu));
  });
});

describe.skipIf(gpu === null)(`joining and slicing: dispatches${gpuSkip ? ` (SKIPPED: ${gpuSkip})` : ''}`, () => {
  /** Dispatches recorded while `fn` runs on the GPU backend. */
  async function dispatches(fn: () => void): Promise<number> {
    return withBackend(gpu!, async () => {
      const before = gpu!.stats.dispatches;
      wg.scope(fn);
      return gpu!.stats.dispatches - before;
    });
  }
  const inputs = (k: number, shape: number[]): Tensor[] => Array.from({ length: k }, () => wg.randn(shape, { requiresGrad: true }));

  it('cat of k inputs: k dispatches along an inner dim, none along dim 0 (buffer copies)', async () => {
    const xs = await withBackend(gpu!, async () => inputs(4, [65, 17]));
    expect(await dispatches(() => void wg.cat(xs, 1))).toBe(4);
    expect(await dispatches(() => void wg.cat(xs, 0))).toBe(0);
    await withBackend(gpu!, async () => xs.forEach((x) => x.dispose()));
  });
  it('split backward is one cat of the gradients that arrived', async () => {
    const x = await withBackend(gpu!, async () => wg.randn([17, 65], { requiresGrad: true }));
    const n = await dispatches(() => {
      const parts = x.split(13, 1);
      wg.cat([parts[0], parts[2], parts[4]].map((p) => p.reshape([-1]))).backward(wg.ones([17 * 13 * 3]));
    });
    // split: 5 gathers; the test's cat along dim 0 and its backward: buffer copies; split's
    // backward: a cleared buffer (no dispatch) and one scatter per gradient that arrived.
    expect(n).toBe(5 + 3);
    await withBackend(gpu!, async () => {
      const g = await x.grad!.tolist() as number[][];
      expect(g[0].map((v) => (v === 1 ? 1 : 0)).join('')).toBe('1'.repeat(13) + '0'.repeat(13) + '1'.repeat(13) + '0'.repeat(13) + '1'.repeat(13));
      x.grad!.dispose();
      x.dispose();
    });
  });
});
