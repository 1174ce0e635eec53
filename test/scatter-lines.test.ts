// The two scatter-add strategies of the WebGPU backend against the CPU backend (the oracle):
// the line walk (scatter_lines: one invocation per index line and tile of destinations, no
// sort; chosen when there are enough independent lines) and the sorted path (few long lines),
// both modes, vec4 and scalar rows, with a base, int32, repeated and out-of-range indices.
// Both sum each destination's sources in source order: float32 on the GPU, float64 rounded once
// on the CPU, so relative error in the 2-norm <= 1e-6; int32 exact.
import { afterAll, describe, expect, test } from 'vitest';
import type { ScatterArgs, Storage } from '../src/backend/backend.js';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { mulberry32 } from '../src/data/batch.js';
import type { TypedArray } from '../src/dtype.js';
import { gpuBackendOrSkip } from './helpers/gpu.js';
import { relNormError } from './helpers/close.js';

const { backend: gpu } = await gpuBackendOrSkip();
const cpu = new CpuBackend();
afterAll(() => gpu?.destroy());

const rand = (n: number, seed: number): Float32Array => {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
};
const randint = (n: number, seed: number, lo: number, hi: number): Int32Array => {
  const r = mulberry32(seed);
  return Int32Array.from({ length: n }, () => lo + Math.floor((hi - lo) * r()));
};
const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

async function expectSame(src: Float32Array | Int32Array, idx: Int32Array, base: Float32Array | Int32Array | null, args: ScatterArgs, label: string): Promise<void> {
  const dtype = src instanceof Int32Array ? 'int32' : 'float32';
  const on = async (b: CpuBackend | NonNullable<typeof gpu>): Promise<ArrayLike<number>> => {
    const s: Storage = b.upload(src, dtype);
    const i: Storage = b.upload(idx, 'int32');
    const bs: Storage | null = base ? b.upload(base, dtype) : null;
    return b.read(b.scatterAdd(bs, s, i, args));
  };
  const [c, g] = [await on(cpu), await on(gpu!)];
  expect(g.length, label).toBe(c.length);
  if (dtype === 'int32') expect(Array.from(g), label).toEqual(Array.from(c));
  else expect(relNormError(g as TypedArray, c as TypedArray), label).toBeLessThanOrEqual(1e-6);
}

describe.skipIf(!gpu)('scatter-add strategies: WebGPU = CPU', () => {
  test("'index' mode (indexAdd, indexSelect's backward)", async () => {
    let seed = 1;
    // [outer, size, inner] destinations, n indices; many columns walk lines, one column sorts.
    for (const [outer, size, inner, n] of [[1, 10_000, 256, 4096], [1, 1000, 257, 999], [3, 65, 17, 300], [1, 5000, 1, 4099], [2, 3, 8, 1025]]) {
      const idx = randint(n, seed++, -1, size + 1);
      const src = rand(outer * n * inner, seed++);
      const args: ScatterArgs = { mode: 'index', outer, size, inner, n };
      await expectSame(src, idx, null, args, `indexAdd [${outer},${n},${inner}] into [${outer},${size},${inner}]`);
      await expectSame(src, idx, rand(outer * size * inner, seed++), args, `... onto a base`);
    }
    const isrc = randint(3 * 300 * 8, seed++, -50, 50);
    await expectSame(isrc, randint(300, seed++, 0, 65), randint(3 * 65 * 8, seed++, -9, 9), { mode: 'index', outer: 3, size: 65, inner: 8, n: 300 }, 'int32 onto a base');
  }, 120_000);

  test("'gather' mode (scatterAdd, gather's backward)", async () => {
    let seed = 100;
    // outShape, idxShape (<= outShape in every dim), dim.
    const cases: [number[], number[], number][] = [
      [[1000, 256], [4096, 256], 0],   // 256 lines of 4096: the line walk
      [[65, 3], [300, 3], 0],          // 3 lines of 300: the sort
      [[5, 70, 4], [3, 200, 4], 1],    // smaller index in the other dims
      [[17, 40], [17, 33], 1],
      [[40, 6, 9], [33, 6, 9], 0],
    ];
    for (const [outShape, idxShape, dim] of cases) {
      const idx = randint(prod(idxShape), seed++, -1, outShape[dim] + 1);
      const src = rand(prod(idxShape), seed++);
      const args: ScatterArgs = { mode: 'gather', outShape, idxShape, dim };
      await expectSame(src, idx, null, args, `scatterAdd [${idxShape}] into [${outShape}] along ${dim}`);
      await expectSame(src, idx, rand(prod(outShape), seed++), args, `... onto a base`);
    }
  }, 120_000);
});
