// The fused attention kernels (shaders/attention.wgsl) on WebGPU against the CPU backend's
// kernel (the oracle), forward (output and logsumexp) and backward (dq, dk, dv), on seeded
// random inputs of awkward shapes: T = 1, 3, 17, 65 (inside, at and past the 64-row workgroup
// and the 16/32-row key blocks), L != S both ways, head dims 1, 8, 16, 64 and 128 (the kernel's
// limit, where blocks shrink to 16 keys), causal with L != S, a shared and a per-matrix
// additive mask with -Infinity entries and fully masked rows (output 0, lse -Infinity,
// gradient 0). Tolerance: the GPU sums in float32 in the same order each run, the CPU in
// float64; relative 2-norm error <= 2e-5 covers float32 dot products of up to 128 terms and
// sums of up to 65 probabilities.
import { afterAll, describe, expect, test } from 'vitest';
import type { AttentionArgs, Storage } from '../src/backend/backend.js';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { mulberry32 } from '../src/data/batch.js';
import { gpuBackendOrSkip } from './helpers/gpu.js';
import { relNormError } from './helpers/close.js';
import { randn } from './helpers/random.js';
import { contiguousLayouts } from '../src/shape.js';

const { backend: gpu, skip: gpuSkip } = await gpuBackendOrSkip();
const cpu = new CpuBackend();
afterAll(() => gpu?.destroy());

interface Case {
  batch: number;
  l: number;
  s: number;
  e: number;
  ev: number;
  causal?: boolean;
  /** 'shared': one [l, s] mask; 'per': one per matrix; both with some -Infinity entries. */
  mask?: 'shared' | 'per';
  /** Mask out every key of query row 0 (needs a mask). */
  deadRow?: boolean;
}

function maskData(c: Case, seed: number): Float32Array | null {
  if (!c.mask) return null;
  const n = (c.mask === 'shared' ? 1 : c.batch) * c.l * c.s;
  const r = mulberry32(seed);
  const m = Float32Array.from({ length: n }, () => (r() < 0.25 ? -Infinity : r() - 0.5));
  if (c.deadRow) {
    const mats = c.mask === 'shared' ? 1 : c.batch;
    for (let b = 0; b < mats; b++) m.fill(-Infinity, b * c.l * c.s, b * c.l * c.s + c.s);
  }
  return m;
}

async function compare(c: Case, seed: number): Promise<number[]> {
  const args: AttentionArgs = {
    batch: c.batch, l: c.l, s: c.s, e: c.e, ev: c.ev, scale: 1 / Math.sqrt(c.e), causal: c.causal ?? false,
    maskBatchStride: c.mask === 'per' ? c.l * c.s : 0, layouts: contiguousLayouts(c.l, c.s, c.e, c.ev),
  };
  const inputs = [randn(c.batch * c.l * c.e, seed), randn(c.batch * c.s * c.e, seed + 1), randn(c.batch * c.s * c.ev, seed + 2)];
  const dout = randn(c.batch * c.l * c.ev, seed + 3);
  const mask = maskData(c, seed + 4);
  const run = async (b: CpuBackend | NonNullable<typeof gpu>): Promise<Float32Array[]> => {
    const [q, k, v] = inputs.map((d) => b.upload(d, 'float32'));
    const m = mask ? b.upload(mask, 'float32') : null;
    const { out, lse } = b.attention(q, k, v, m, args);
    const g = b.attentionBackward(q, k, v, m, out, lse, b.upload(dout, 'float32'), args);
    const all: Storage[] = [out, lse, g.dq, g.dk, g.dv];
    return Promise.all(all.map(async (s) => (await b.read(s)) as Float32Array));
  };
  const want = await run(cpu);
  const got = await run(gpu!);
  const label = JSON.stringify(c);
  return want.map((w, i) => {
    const g = got[i];
    expect(g.length, label).toBe(w.length);
    // -Infinity logsumexps (dead rows) must match exactly; compare the finite rest by norm.
    const dead = Array.from(w).map((x, j) => (x === -Infinity) !== (g[j] === -Infinity));
    expect(dead.indexOf(true), `${label}: output ${i}: -Infinity in one backend only`).toBe(-1);
    const fin = (a: Float32Array) => a.map((x) => (x === -Infinity ? 0 : x));
    expect(g.every((x) => !Number.isNaN(x)), `${label}: output ${i} has NaN`).toBe(true);
    return relNormError(fin(g), fin(w));
  });
}

describe.skipIf(!gpu)(`attention kernels: WebGPU = CPU${gpuSkip ? ` (SKIPPED: ${gpuSkip})` : ''}`, () => {
  const TOL = 2e-5;
  const cases: Case[] = [
    { batch: 1, l: 1, s: 1, e: 1, ev: 1 },
    { batch: 3, l: 3, s: 17, e: 8, ev: 8 },
    { batch: 2, l: 17, s: 3, e: 16, ev: 8 },
    { batch: 2, l: 65, s: 65, e: 16, ev: 16 },
    { batch: 1, l: 17, s: 65, e: 64, ev: 64 },
    { batch: 1, l: 33, s: 17, e: 128, ev: 128 },
    { batch: 2, l: 17, s: 65, e: 8, ev: 3, causal: true },
    { batch: 2, l: 65, s: 17, e: 8, ev: 8, causal: true },
    { batch: 2, l: 1, s: 3, e: 8, ev: 8, causal: true },
    { batch: 3, l: 17, s: 33, e: 8, ev: 8, mask: 'shared', deadRow: true },
    { batch: 3, l: 65, s: 17, e: 16, ev: 16, mask: 'per', deadRow: true },
  ];
  test.each(cases)('%j', async (c) => {
    const errs = await compare(c, 11 + c.l + c.s);
    errs.forEach((err, i) => expect(err, `${['out', 'lse', 'dq', 'dk', 'dv'][i]} of ${JSON.stringify(c)}`).toBeLessThanOrEqual(TOL));
  });

  test('a dead row gives output 0 and no gradient on the GPU', async () => {
    const c: Case = { batch: 1, l: 2, s: 3, e: 4, ev: 2, mask: 'shared', deadRow: true };
    const args: AttentionArgs = { batch: 1, l: 2, s: 3, e: 4, ev: 2, scale: 0.5, causal: false, maskBatchStride: 0, layouts: contiguousLayouts(2, 3, 4, 2) };
    const up = (d: Float32Array) => gpu!.upload(d, 'float32');
    const [q, k, v] = [randn(8, 1), randn(12, 2), randn(6, 3)].map(up);
    const m = up(maskData(c, 5)!);
    const { out, lse } = gpu!.attention(q, k, v, m, args);
    const g = gpu!.attentionBackward(q, k, v, m, out, lse, up(Float32Array.from([1, 1, 1, 1])), args);
    expect(Array.from(await gpu!.read(out)).slice(0, 2)).toEqual([0, 0]);
    expect((await gpu!.read(lse))[0]).toBe(-Infinity);
    expect(Array.from(await gpu!.read(g.dq)).slice(0, 4)).toEqual([0, 0, 0, 0]);
  });
});
