// Every WebGPU kernel against the CPU backend (the oracle) on seeded random inputs of awkward
// shapes, plus NaN/Inf edge cases and the host layer's promises (batching, no hidden
// readbacks, limits, pooling). Each test states its tolerance: the relative error in the
// 2-norm over finite entries (non-finite entries must match exactly), or exact for int32.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Backend, BinaryOp, MatmulArgs, Storage, UnaryOp } from '../src/backend/backend.js';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { mulberry32 } from '../src/data/batch.js';
import type { DType, TypedArray } from '../src/dtype.js';
import { WebgradError } from '../src/errors.js';
import { broadcastShapes, broadcastStrides, type ReduceLayout } from '../src/shape.js';
import { createWebGPUBackend, type WebGPUBackend } from '../src/backend/webgpu/device.js';
import { setFusion } from '../src/backend/webgpu/fusion.js';
import { getBackend } from '../src/runtime.js';
import * as wg from 'webgrad-gpu';
import { gpuBackendOrSkip } from './helpers/gpu.js';
import { randn } from './helpers/random.js';

const { backend: gpu, skip: gpuSkip } = await gpuBackendOrSkip();
const cpu = new CpuBackend();
/** The size sweep's inputs change every run; the seed is in every label (SWEEP_SEED=<n> replays). */
const SWEEP_SEED = process.env.SWEEP_SEED ? Number(process.env.SWEEP_SEED) : Math.floor(Math.random() * 1e6);

afterAll(() => gpu?.destroy());

// ---- data ----

function uniform(n: number, seed: number, lo: number, hi: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
}

function randint(n: number, seed: number, lo: number, hi: number): Int32Array {
  const r = mulberry32(seed);
  return Int32Array.from({ length: n }, () => lo + Math.floor((hi - lo) * r()));
}

const SPECIAL = Float32Array.from([
  NaN, Infinity, -Infinity, 0, -0, 1, -1, 0.5, -0.5, 2, -2, 3, 10, -10, 20, -20, 88, 89, -89, -100,
  -110, 1e-30, -1e-30, 3e38, -3e38, 1e-3, -1e-3, 7.25, -7.25,
]);

/** One tensor's storage on each backend, indexed by backend name. */
type Pair = Record<'cpu' | 'webgpu', Storage>;

function up(data: Float32Array | Int32Array, dtype: DType = data instanceof Int32Array ? 'int32' : 'float32'): Pair {
  return { cpu: cpu.upload(data, dtype), webgpu: gpu!.upload(data, dtype) };
}

// ---- comparison ----

function expectMatch(g: TypedArray, c: TypedArray, tol: number, label: string): void {
  expect(g.length, `${label}: length`).toBe(c.length);
  expect(g.constructor, `${label}: dtype`).toBe(c.constructor);
  if (c instanceof Int32Array) {
    expect(Array.from(g), label).toEqual(Array.from(c));
    return;
  }
  let num = 0;
  let den = 0;
  for (let i = 0; i < c.length; i++) {
    const cv = c[i];
    const gv = g[i];
    if (!Number.isFinite(cv)) {
      if (Number.isNaN(cv)) expect(gv, `${label}[${i}] should be NaN`).toBeNaN();
      else expect(gv, `${label}[${i}]`).toBe(cv);
      continue;
    }
    expect(Number.isFinite(gv), `${label}[${i}]: GPU ${gv} vs CPU ${cv}`).toBe(true);
    num += (gv - cv) ** 2;
    den += cv ** 2;
  }
  const err = Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
  expect(err, `${label}: relative error`).toBeLessThanOrEqual(tol);
}

/** Elementwise |g - c| <= atol + rtol*|c| (for special values, where a norm would hide errors). */
function expectEach(g: TypedArray, c: TypedArray, rtol: number, atol: number, label: string): void {
  expect(g.length).toBe(c.length);
  for (let i = 0; i < c.length; i++) {
    const cv = c[i];
    const gv = g[i];
    if (Number.isNaN(cv)) expect(gv, `${label}[${i}] should be NaN`).toBeNaN();
    else if (!Number.isFinite(cv)) expect(gv, `${label}[${i}]`).toBe(cv);
    else expect(Math.abs(gv - cv), `${label}[${i}]: GPU ${gv} vs CPU ${cv}`).toBeLessThanOrEqual(atol + rtol * Math.abs(cv));
  }
}

/** Runs `f` on both backends and compares what it returns (or, for in-place ops, the storage it names). */
async function same(f: (be: Backend, k: 'cpu' | 'webgpu') => Storage, tol: number, label: string): Promise<void> {
  const c = await cpu.read(f(cpu, 'cpu'));
  const g = await gpu!.read(f(gpu!, 'webgpu'));
  expectMatch(g, c, tol, label);
}

async function sameEach(f: (be: Backend, k: 'cpu' | 'webgpu') => Storage, rtol: number, atol: number, label: string): Promise<void> {
  const c = await cpu.read(f(cpu, 'cpu'));
  const g = await gpu!.read(f(gpu!, 'webgpu'));
  expectEach(g, c, rtol, atol, label);
}

const SIZES = [1, 3, 17, 65, 257, 3000];
const UNARY: UnaryOp[] = ['neg', 'exp', 'log', 'sqrt', 'sigmoid', 'tanh', 'relu', 'abs', 'pow'];

describe.skipIf(gpu === null)(`WebGPU backend vs CPU backend${gpuSkip ? ` (SKIPPED: ${gpuSkip})` : ''}`, () => {
  describe('elementwise', () => {
    // Tolerance 1e-5: one float32 rounding (or a few ulps for the transcendental builtins).
    test.each(UNARY)('unary %s on random inputs', async (op) => {
      for (const n of SIZES) {
        const raw = randn(n, n + 1, 3);
        const data = op === 'log' || op === 'sqrt' ? raw.map((v) => Math.abs(v) + 0.01) : raw;
        const x = up(data);
        const ps = op === 'pow' ? [2, 3, 0, 1, -1, 0.5, 1.7, -2.5] : [0];
        for (const p of ps) {
          const xs = op === 'pow' && !Number.isInteger(p) ? up(data.map(Math.abs)) : x;
          await same((be, k) => be.unary(op, xs[k], p), 1e-5, `${op}(p=${p}) n=${n}`);
        }
      }
    });

    // NaN/Inf/overflow/-0 exactly as the CPU; finite values within 1e-5 relative each.
    test.each(UNARY)('unary %s on special values', async (op) => {
      const x = up(SPECIAL);
      for (const p of op === 'pow' ? [2, 3, 0, -1, 0.5, 1.5, -2, Infinity, -Infinity, NaN] : [0]) {
        await sameEach((be, k) => be.unary(op, x[k], p), 1e-5, 1e-37, `${op}(p=${p})`);
      }
    });

    // Gradients: dy * f'(x) in float32, 1e-5 relative (two roundings more than the CPU).
    test.each(UNARY)('unaryGrad %s', async (op) => {
      for (const n of [1, 17, 257, 3000]) {
        const raw = randn(n, 7 * n, 2);
        const data = op === 'log' || op === 'sqrt' || op === 'pow' ? raw.map((v) => Math.abs(v) + 0.05) : raw;
        if (op === 'relu' || op === 'abs') data[0] = 0;
        for (const p of op === 'pow' ? [2, 3, 0, -1, 0.5, 1.7] : [0]) {
          const xc = cpu.upload(data, 'float32');
          const yData = await cpu.read(cpu.unary(op, xc, p));
          const x = up(data);
          const y = up(yData as Float32Array);
          const dy = up(randn(n, n + 3));
          await same((be, k) => be.unaryGrad(op, x[k], y[k], dy[k], p), 1e-5, `${op}' (p=${p}) n=${n}`);
        }
      }
    });

    test('unaryGrad with special values (relu/abs masks, NaN dy)', async () => {
      const x = up(SPECIAL);
      const dy = up(Float32Array.from(SPECIAL, (_, i) => (i % 5 === 0 ? NaN : i - 10)));
      for (const op of ['relu', 'abs', 'neg', 'exp', 'log'] as UnaryOp[]) {
        await sameEach((be, k) => be.unaryGrad(op, x[k], x[k], dy[k], 0), 1e-5, 1e-37, `${op}'`);
      }
    });

    test('unary on int32: neg, abs, relu, pow 2 (wrapping like the CPU)', async () => {
      const x = up(Int32Array.from([0, 1, -1, 7, -7, 2147483647, -2147483648, 46341, -3]));
      for (const op of ['neg', 'abs', 'relu'] as UnaryOp[]) await same((be, k) => be.unary(op, x[k], 0), 0, `int32 ${op}`);
      // Squares below 2^53 only: the CPU squares in float64, so beyond that its wrap is inexact.
      const s = up(Int32Array.from([0, 1, -1, 7, -7, 46341, -65536, 94906265, -3]));
      await same((be, k) => be.unary('pow', s[k], 2), 0, 'int32 pow 2');
      expect(() => gpu!.unary('exp', x.webgpu, 0)).toThrow(WebgradError);
    });

    // clamp: exact (a select); clampGrad: exact mask, bounds inclusive, NaN x gives 0.
    test('clamp and clampGrad', async () => {
      const data = Float32Array.from([...SPECIAL, ...randn(300, 5, 2)]);
      data[40] = -1; // exactly on the bound
      const x = up(data);
      const dy = up(randn(data.length, 9));
      const bounds: [number, number][] = [[-1, 1], [0, Infinity], [-Infinity, 0.5], [-Infinity, Infinity], [2, -2], [0.1, 0.3]];
      for (const [lo, hi] of bounds) {
        await same((be, k) => be.clamp(x[k], lo, hi), 0, `clamp(${lo}, ${hi})`);
        await same((be, k) => be.clampGrad(x[k], dy[k], lo, hi), 0, `clampGrad(${lo}, ${hi})`);
      }
      const xi = up(randint(500, 3, -100, 100));
      const dyi = up(randint(500, 4, -5, 5));
      for (const [lo, hi] of [[-10, 10], [0.5, 20.5], [-Infinity, 3], [5, -5]] as [number, number][]) {
        await same((be, k) => be.clamp(xi[k], lo, hi), 0, `int32 clamp(${lo}, ${hi})`);
        await same((be, k) => be.clampGrad(xi[k], dyi[k], lo, hi), 0, `int32 clampGrad(${lo}, ${hi})`);
      }
    });

    const SHAPES: [number[], number[]][] = [
      [[1], [1]],
      [[3], [3]],
      [[257], [1]],
      [[17, 65], [65]],
      [[17, 65], [17, 1]],
      [[3, 1, 5], [1, 4, 1]],
      [[2, 3, 1, 4, 1], [1, 3, 5, 1, 2]],
      [[1000, 3], [1000, 1]],
      [[2, 1, 3, 1, 2, 1, 2], [1, 2, 1, 3, 1, 2, 1]],
      // Rows of whole vec4s (binary.wgsl's row kernels): both read as vec4s, one a value per
      // row (either side), over many grid passes, and rank 3; then rows the vec4 kernels must
      // not take (b broadcast along both dims; a's rows not 4-aligned after merging).
      [[65, 8], [8]],
      [[700, 12], [700, 1]],
      [[300, 1], [300, 16]],
      [[3, 5, 12], [5, 12]],
      [[5, 1, 4], [1, 3, 1]],
      [[9, 4], [1, 1]],
    ];
    const ARITH: BinaryOp[] = ['add', 'sub', 'mul', 'div'];
    const CMP: BinaryOp[] = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'];

    // Arithmetic: one float32 rounding each, exact up to the CPU's double-then-round: 1e-6.
    test('binary float32 with broadcasting', async () => {
      for (const [sa, sb] of SHAPES) {
        const out = broadcastShapes('test', sa, sb);
        const na = sa.reduce((x, y) => x * y, 1);
        const nb = sb.reduce((x, y) => x * y, 1);
        // Rounded to quarters so that comparisons see ties.
        const a = up(randn(na, na, 3).map((v) => Math.round(v * 4) / 4));
        const b = up(randn(nb, nb + 1, 3).map((v) => Math.round(v * 4) / 4 || 0.25));
        const as = broadcastStrides(sa, out);
        const bs = broadcastStrides(sb, out);
        for (const op of ARITH) await same((be, k) => be.binary(op, a[k], b[k], out, as, bs, 'float32'), 1e-6, `${op} ${sa}|${sb}`);
        for (const op of CMP) {
          await same((be, k) => be.binary(op, a[k], b[k], out, as, bs, 'int32'), 0, `${op} ${sa}|${sb}`);
          await same((be, k) => be.binary(op, a[k], b[k], out, as, bs, 'float32'), 0, `${op}->f32 ${sa}|${sb}`);
        }
      }
    });

    test('binary with transposed operands (permuted strides)', async () => {
      const a = up(randn(17 * 65, 1));
      const b = up(randn(65 * 17, 2));
      // out [17, 65]: a read transposed from a [65, 17] buffer, b contiguous.
      await same((be, k) => be.binary('mul', a[k], b[k], [17, 65], [1, 17], [65, 1], 'float32'), 1e-6, 'mul aT*b');
    });

    test('binary special values: NaN comparisons, Inf arithmetic, division by zero', async () => {
      const n = SPECIAL.length;
      const a = up(SPECIAL);
      const bData = Float32Array.from({ length: n }, (_, i) => SPECIAL[(i * 7) % n]);
      bData[3] = 0;
      bData[5] = -0;
      const b = up(bData);
      for (const op of [...ARITH, ...CMP]) {
        const dt = CMP.includes(op) ? 'int32' : 'float32';
        await sameEach((be, k) => be.binary(op, a[k], b[k], [n], [1], [1], dt), 1e-6, 0, op);
      }
    });

    test('binary int32: wrapping, truncating division, division by zero', async () => {
      const a = up(Int32Array.from([7, -7, 7, -7, 5, 0, 2147483647, -2147483648, -2147483648, 100000, 3, -9]));
      const b = up(Int32Array.from([2, 2, -2, -2, 0, 0, 1, -1, 1, 100000, 3, 4]));
      for (const op of [...ARITH, ...CMP]) {
        await same((be, k) => be.binary(op, a[k], b[k], [12], [1], [1], 'int32'), 0, `int32 ${op}`);
      }
      const r1 = up(randint(17 * 65, 11, -1000, 1000));
      const r2 = up(randint(65, 12, -3, 4));
      await same((be, k) => be.binary('div', r1[k], r2[k], [17, 65], [65, 1], [0, 1], 'int32'), 0, 'int32 div broadcast');
      await same((be, k) => be.binary('mul', r1[k], r2[k], [17, 65], [65, 1], [0, 1], 'int32'), 0, 'int32 mul broadcast');
    });
  });

  // Two chained arithmetic ops of at most CHAIN_MAX_ELEMS (4096) elements run as one binary2
  // dispatch that writes both results (elementwise.ts). Same float32 arithmetic as the
  // separate kernels: 1e-6 like the binary tests, exact for int32.
  describe('chained binary ops (binary2)', () => {
    const ARITH: BinaryOp[] = ['add', 'sub', 'mul', 'div'];
    const g = (): WebGPUBackend => gpu!;

    /** t = op1(a, b) with b broadcast as given, then op2(t, c) (or op2(c, t)), c contiguous. */
    async function chain(
      op1: BinaryOp, op2: BinaryOp, left: boolean, a: Pair, b: Pair, c: Pair,
      shape: number[], bStrides: number[], dtype: DType, tol: number, label: string,
    ): Promise<number> {
      const strides = broadcastStrides(shape, shape);
      let dispatches = 0;
      const run = (be: Backend, k: 'cpu' | 'webgpu'): [Storage, Storage] => {
        const before = k === 'webgpu' ? g().stats.dispatches : 0;
        const t = be.binary(op1, a[k], b[k], shape, strides, bStrides, dtype);
        const out = left ? be.binary(op2, t, c[k], shape, strides, strides, dtype) : be.binary(op2, c[k], t, shape, strides, strides, dtype);
        if (k === 'webgpu') {
          g().flush();
          dispatches = g().stats.dispatches - before;
        }
        return [t, out];
      };
      const [ct, co] = run(cpu, 'cpu');
      const [gt, go] = run(g(), 'webgpu');
      const check = async (x: Storage, y: Storage, what: string): Promise<void> => {
        const want = await cpu.read(x);
        const got = await g().read(y);
        if (tol === 0) expectMatch(got, want, 0, `${label} ${what}`);
        else expectEach(got, want, tol, 0, `${label} ${what}`);
      };
      await check(ct, gt, 't');
      await check(co, go, 'out');
      for (const s of [ct, co]) cpu.release(s);
      for (const s of [gt, go]) g().release(s);
      return dispatches;
    }

    test('every pair of add/sub/mul/div, both sides, scalar / row / no broadcast, one dispatch', async () => {
      for (const [shape, bShape] of [[[70], []], [[3], [3]], [[17, 65], [65]], [[1], [1]]] as [number[], number[]][]) {
        const n = shape.reduce((x, y) => x * y, 1);
        const nb = bShape.reduce((x, y) => x * y, 1);
        const a = up(randn(n, n, 3));
        const b = up(randn(nb, nb + 1, 3).map((v) => v || 0.5));
        const c = up(randn(n, n + 2, 3));
        const bStrides = broadcastStrides(bShape, shape);
        for (const op1 of ARITH) {
          for (const op2 of ARITH) {
            for (const left of [true, false]) {
              const d = await chain(op1, op2, left, a, b, c, shape, bStrides, 'float32', 1e-6, `${op1}+${op2} ${left ? 't,c' : 'c,t'} [${shape}]|[${bShape}]`);
              expect(d, `${op1}+${op2} [${shape}]: dispatches`).toBe(1);
            }
          }
        }
      }
    });

    test('sizes around CHAIN_MAX_ELEMS: 4095 and 4096 fuse, 4097 runs the two vec4 kernels', async () => {
      for (const [n, want] of [[4095, 1], [4096, 1], [4097, 2]] as const) {
        const a = up(randn(n, 1));
        const b = up(Float32Array.of(1e-4));
        const c = up(randn(n, 2));
        // The tutorial's SGD update, w - g * lr.
        const d = await chain('mul', 'sub', false, a, b, c, [n], [0], 'float32', 1e-6, `sgd ${n}`);
        expect(d, `dispatches at ${n}`).toBe(want);
      }
    });

    test('NaN, Inf, division by zero and int32 wrapping go through the chain unchanged', async () => {
      const n = SPECIAL.length;
      const a = up(SPECIAL);
      const bData = Float32Array.from({ length: n }, (_, i) => SPECIAL[(i * 7) % n]);
      bData[3] = 0;
      bData[5] = -0;
      const b = up(bData);
      const c = up(Float32Array.from({ length: n }, (_, i) => SPECIAL[(i * 5 + 3) % n]));
      for (const [op1, op2] of [['div', 'sub'], ['mul', 'div'], ['sub', 'mul'], ['add', 'div']] as const) {
        for (const left of [true, false]) await chain(op1, op2, left, a, b, c, [n], [1], 'float32', 1e-6, `special ${op1}+${op2}`);
      }
      const ia = up(Int32Array.from([7, -7, 2147483647, -2147483648, 100000, 3, -9, 0]));
      const ib = up(Int32Array.from([2, -2, 1, -1, 100000, 0, 4, 0]));
      const ic = up(Int32Array.from([3, 0, 1, 1, -7, 5, 2, -1]));
      for (const op1 of ARITH) {
        for (const op2 of ARITH) await chain(op1, op2, false, ia, ib, ic, [8], [1], 'int32', 0, `int32 ${op1}+${op2}`);
      }
    });

    // unary_pre: a contiguous float32 add/sub/mul, then a unary op of its result. Tolerances
    // of the unary tests: 1e-5 relative each, NaN/Inf/-0 exactly (the sum itself: 1e-6).
    test('add/sub/mul then any unary op is one dispatch (unary_pre), special values included', async () => {
      const n = SPECIAL.length;
      const a = up(SPECIAL);
      const b = up(Float32Array.from({ length: n }, (_, i) => SPECIAL[(i * 7) % n]));
      const ra = up(randn(70, 1, 2));
      const rb = up(randn(70, 2, 2));
      for (const pre of ['add', 'sub', 'mul'] as const) {
        for (const op of UNARY) {
          for (const p of op === 'pow' ? [2, 3, 0.5, -1] : [0]) {
            for (const [x, y, len] of [[a, b, n], [ra, rb, 70]] as const) {
              const run = (be: Backend, k: 'cpu' | 'webgpu'): [Storage, Storage] => {
                const t = be.binary(pre, x[k], y[k], [len], [1], [1], 'float32');
                return [t, be.unary(op, t, p)];
              };
              const [ct, co] = run(cpu, 'cpu');
              g().flush();
              const before = g().stats.dispatches;
              const [gt, go] = run(g(), 'webgpu');
              g().flush();
              const tag = `${pre}+${op}(p=${p}) n=${len}`;
              expect(g().stats.dispatches - before, `${tag}: dispatches`).toBe(1);
              expectEach(await g().read(gt), await cpu.read(ct), 1e-6, 0, `${tag} t`);
              expectEach(await g().read(go), await cpu.read(co), 1e-5, 1e-37, `${tag} out`);
              for (const st of [gt, go]) g().release(st);
            }
          }
        }
      }
    });

    test('no unary_pre for div, int32, a broadcast operand or more than 4096 elements', async () => {
      const cases: [BinaryOp, Pair, Pair, number[], number[], number][] = [
        ['div', up(randn(70, 1)), up(randn(70, 2)), [70], [1], 2],
        ['sub', up(randint(70, 1, -9, 9)), up(randint(70, 2, -9, 9)), [70], [1], 2],
        ['mul', up(randn(70, 3)), up(randn(1, 4)), [70], [0], 2],
        ['sub', up(randn(5000, 5)), up(randn(5000, 6)), [5000], [1], 2],
      ];
      for (const [pre, x, y, shape, bStrides, want] of cases) {
        const run = (be: Backend, k: 'cpu' | 'webgpu'): Storage => be.unary('neg', be.binary(pre, x[k], y[k], shape, [1], bStrides, x[k].dtype), 0);
        const c = await cpu.read(run(cpu, 'cpu'));
        g().flush();
        const before = g().stats.dispatches;
        const out = run(g(), 'webgpu');
        g().flush();
        expect(g().stats.dispatches - before, `${pre} ${x.cpu.dtype} [${shape}]: dispatches`).toBe(want);
        expectMatch(await g().read(out), c, 1e-6, `${pre} then neg`);
      }
    });

    test('a held op is encoded before any other command: in-place writes, reads, self-use', async () => {
      const be = g();
      const x = be.upload(Float32Array.of(1, 2, 3), 'float32');
      const two = be.full(1, 'float32', 2);
      const t = be.binary('mul', x, two, [3], [1], [0], 'float32'); // held
      be.fill(x, 0); // a clear: t must still see x's old values
      const u = be.binary('add', t, t, [3], [1], [1], 'float32'); // reads t twice: not fused
      const y = be.binary('sub', x, t, [3], [1], [1], 'float32');
      expect(Array.from(await be.read(u))).toEqual([4, 8, 12]);
      expect(Array.from(await be.read(y))).toEqual([-2, -4, -6]);
      expect(Array.from(await be.read(t))).toEqual([2, 4, 6]);
      const v = be.binary('mul', x, two, [3], [1], [0], 'float32'); // held, then read directly
      expect(Array.from(await be.read(v))).toEqual([0, 0, 0]);
      be.release(be.binary('add', y, two, [3], [1], [0], 'float32')); // held, output released
      const z = be.binary('sub', y, two, [3], [1], [0], 'float32'); // encodes it first
      expect(Array.from(await be.read(z))).toEqual([-4, -6, -8]);
      for (const s of [x, two, t, u, y, v, z]) be.release(s);
    });
  });

  describe('data movement', () => {
    test('cast float32 <-> int32 (truncation, NaN/Inf -> 0, wrapping)', async () => {
      const f = up(Float32Array.from([...SPECIAL, 2.5, -2.5, 2147483520, -2147483648, 3e9, -3e9, 1e10, 16777217]));
      await same((be, k) => be.cast(f[k], 'int32'), 0, 'f32 -> i32');
      const i = up(Int32Array.from([0, 1, -1, 16777217, -16777217, 2147483647, -2147483648, 123456789]));
      await same((be, k) => be.cast(i[k], 'float32'), 0, 'i32 -> f32');
      await same((be, k) => be.cast(f[k], 'float32'), 0, 'f32 -> f32');
    });

    test('full, fill, copy', async () => {
      for (const [n, dt, v] of [[1, 'float32', 0], [257, 'float32', -1.5], [3000, 'int32', 7], [65, 'int32', -3.7], [5, 'float32', NaN], [17, 'float32', -0]] as [number, DType, number][]) {
        await same((be) => be.full(n, dt, v), 0, `full ${n} ${dt} ${v}`);
        const p = up(dt === 'int32' ? randint(n, 1, -9, 9) : randn(n, 1));
        await same((be, k) => (be.fill(p[k], v), p[k]), 0, `fill ${n} ${dt} ${v}`);
      }
      const src = up(randn(1000, 4));
      const dst = up(randn(1000, 5));
      await same((be, k) => (be.copy(src[k], dst[k]), dst[k]), 0, 'copy');
    });

    test('strided gather: transpose, expand, slice, negative strides', async () => {
      const x = up(randn(4 * 5 * 6, 3));
      const cases: [number[], number[], number][] = [
        [[6, 5, 4], [1, 6, 30], 0], // full permute
        [[4, 6, 5], [30, 1, 6], 0], // swap last two
        [[3, 4, 5, 6], [0, 30, 6, 1], 0], // expand a new dim
        [[4, 5, 6], [30, 6, 1], 0], // identity (a copy)
        [[2, 5, 3], [30, 6, 2], 31], // slice with steps and offset
        [[5, 6], [6, 1], 30], // one contiguous run (buffer copy path)
        [[1], [1], 17], // single element
        [[6], [-1], 5], // reversed
        [[4, 5], [30, 0], 2], // stride 0 inside
        [[0, 3], [3, 1], 0], // empty
      ];
      for (const [shape, strides, off] of cases) {
        await same((be, k) => be.strided(x[k], shape, strides, off), 0, `strided ${shape} ${strides} +${off}`);
      }
      const xi = up(randint(24, 2, -50, 50));
      await same((be, k) => be.strided(xi[k], [4, 6], [1, 4], 0), 0, 'int32 transpose');
    });

    // Each invocation steps its coordinates by the grid's stride with carries (coords.wgsl):
    // 20,790 elements take several passes of the grid, each pass carrying through every dim.
    test('strided gather over many grid passes: permute, reverse, step, expand', async () => {
      const x = up(randn(70 * 33 * 9, 4));   // [70, 33, 9], contiguous
      const cases: [number[], number[], number][] = [
        [[9, 33, 70], [1, 9, 297], 0], // full permute
        [[70, 33, 9], [-297, 9, -1], 69 * 297 + 8], // dims 0 and 2 reversed
        [[35, 11, 9], [594, 27, 1], 0], // steps of 2 and 3
        [[3, 70, 2, 33, 9], [0, 297, 0, 9, 1], 0], // two new broadcast dims
      ];
      for (const [shape, strides, off] of cases) {
        await same((be, k) => be.strided(x[k], shape, strides, off), 0, `strided ${shape} ${strides} +${off}`);
      }
      // Innermost runs contiguous and 4-aligned go as vec4s (a head split); others stay scalar.
      const h = up(randn(5 * 33 * 3 * 16, 5));   // [5, 33, 3, 16]
      const heads: [number[], number[], number][] = [
        [[5, 3, 33, 16], [1584, 16, 48, 1], 0], // transpose(1, 2): vec4
        [[5, 3, 33, 8], [1584, 16, 48, 1], 4], // the second half of each row: vec4 from offset 4
        [[5, 3, 33, 8], [1584, 16, 48, 1], 2], // offset 2: not 4-aligned, scalar
        [[5, 3, 33, 6], [1584, 16, 48, 1], 0], // rows of 6: scalar
      ];
      for (const [shape, strides, off] of heads) {
        await same((be, k) => be.strided(h[k], shape, strides, off), 0, `strided ${shape} ${strides} +${off}`);
      }
    });

    // Sums in float32 against the CPU's float64 accumulation: 1e-5.
    test('sumTo (broadcast gradients), reduction-shaped and interleaved', async () => {
      const cases: [number[], number[]][] = [
        [[3, 4], [1, 4]],
        [[3, 4], [3, 1]],
        [[5], [1]],
        [[1000, 3], [1, 3]],
        [[4, 1, 3], [1, 1, 3]],
        [[2, 3, 4], [1, 3, 1]],
        [[2, 3, 4, 5], [2, 1, 4, 1]],
        [[3, 17, 65], [1, 17, 1]],
        [[7, 9], [7, 9]],
        [[2, 3, 4], [1, 1, 1]],
      ];
      for (const [xs, os] of cases) {
        const n = xs.reduce((a, b) => a * b, 1);
        const x = up(randn(n, n));
        await same((be, k) => be.sumTo(x[k], xs, os), 1e-5, `sumTo ${xs} -> ${os}`);
        const xi = up(randint(n, n, -100, 100));
        await same((be, k) => be.sumTo(xi[k], xs, os), 0, `int32 sumTo ${xs} -> ${os}`);
      }
    });
  });

  describe('reductions', () => {
    const LAYOUTS: ReduceLayout[] = [
      { outer: 1, size: 1, inner: 1 },
      { outer: 1, size: 17, inner: 1 },
      { outer: 3, size: 65, inner: 1 },
      { outer: 4, size: 257, inner: 3 },
      { outer: 1, size: 1000, inner: 3 },
      { outer: 2, size: 3, inner: 257 },
      { outer: 5, size: 1, inner: 7 },
      { outer: 1, size: 70001, inner: 1 },
      { outer: 2, size: 5000, inner: 2 },
    ];

    // float32 tree sums against float64 sequential sums: 1e-5. max/min/argmax/argmin: exact.
    test('reduce sum/max/min and argmax/argmin, float32 and int32', async () => {
      for (const l of LAYOUTS) {
        const n = l.outer * l.size * l.inner;
        // Quarters make ties likely, so the first-index rule is exercised.
        const x = up(randn(n, n, 2).map((v) => Math.round(v * 4) / 4));
        const xi = up(randint(n, n, -20, 20));
        const tag = `${l.outer}x${l.size}x${l.inner}`;
        await same((be, k) => be.reduce('sum', x[k], l), 1e-5, `sum ${tag}`);
        await same((be, k) => be.reduce('sum', xi[k], l), 0, `int32 sum ${tag}`);
        for (const op of ['max', 'min'] as const) {
          await same((be, k) => be.reduce(op, x[k], l), 0, `${op} ${tag}`);
          await same((be, k) => be.reduce(op, xi[k], l), 0, `int32 ${op} ${tag}`);
        }
        for (const op of ['argmax', 'argmin'] as const) {
          await same((be, k) => be.argReduce(op, x[k], l), 0, `${op} ${tag}`);
          await same((be, k) => be.argReduce(op, xi[k], l), 0, `int32 ${op} ${tag}`);
        }
      }
    });

    test('reductions with NaN and Inf (NaN propagates, first NaN wins the arg)', async () => {
      const data = randn(4 * 300, 1);
      data[5] = NaN;
      data[7] = NaN;
      data[300 + 10] = Infinity;
      data[300 + 20] = Infinity;
      data[600 + 3] = -Infinity;
      data.fill(-Infinity, 900, 1200);
      const x = up(data);
      const l = { outer: 4, size: 300, inner: 1 };
      for (const op of ['sum', 'max', 'min'] as const) await same((be, k) => be.reduce(op, x[k], l), 1e-5, op);
      for (const op of ['argmax', 'argmin'] as const) await same((be, k) => be.argReduce(op, x[k], l), 0, op);
      const lc = { outer: 2, size: 200, inner: 3 };
      for (const op of ['argmax', 'argmin'] as const) await same((be, k) => be.argReduce(op, x[k], lc), 0, `${op} cols`);
    });

    test('empty sum is 0', async () => {
      const x = up(new Float32Array(0));
      await same((be, k) => be.reduce('sum', x[k], { outer: 3, size: 0, inner: 2 }), 0, 'sum of nothing');
    });

    test('a 16M-element sum runs as many workgroups over several passes', async () => {
      const n = 1 << 24;
      const data = uniform(n, 42, 0, 1);
      const x = up(data);
      const before = gpu!.stats.dispatches;
      const g = gpu!.reduce('sum', x.webgpu, { outer: 1, size: n, inner: 1 });
      expect(gpu!.stats.dispatches - before, 'passes').toBeGreaterThanOrEqual(2);
      const c = await cpu.read(cpu.reduce('sum', x.cpu, { outer: 1, size: n, inner: 1 }));
      expectMatch(await gpu!.read(g), c, 1e-5, 'sum 16M');
      const am = await gpu!.read(gpu!.argReduce('argmax', x.webgpu, { outer: 1, size: n, inner: 1 }));
      expect(am[0]).toBe((await cpu.read(cpu.argReduce('argmax', x.cpu, { outer: 1, size: n, inner: 1 })))[0]);
      gpu!.release(x.webgpu);
    });

    // A second backend capped at 7 workgroups per dimension, so that every launcher's grid
    // folds into 2-D (or, for matmul, splits its batch) at sizes lavapipe runs quickly.
    test('grids over the per-dimension limit fold into 2-D', async () => {
      const small = (await createWebGPUBackend({ maxWorkgroupsPerDimension: 7 }))!;
      try {
        const both = (data: Float32Array | Int32Array): Pair => {
          const dt = data instanceof Int32Array ? 'int32' : 'float32';
          return { cpu: cpu.upload(data, dt), webgpu: small.upload(data, dt) };
        };
        const cmp = async (f: (be: Backend, k: 'cpu' | 'webgpu') => Storage, tol: number, label: string) => {
          const c = await cpu.read(f(cpu, 'cpu'));
          expectMatch(await small.read(f(small, 'webgpu')), c, tol, label);
        };
        const n = 20000;
        const x = both(randn(n, 1));
        const y = both(randn(n, 2));
        await cmp((be, k) => be.binary('add', x[k], y[k], [n], [1], [1], 'float32'), 0, 'add');
        await cmp((be, k) => be.unary('exp', x[k], 0), 1e-5, 'exp');
        await cmp((be, k) => be.strided(x[k], [100, 200], [1, 100], 0), 0, 'transpose');
        await cmp((be, k) => be.reduce('max', x[k], { outer: 20, size: 1000, inner: 1 }), 0, 'max rows');
        await cmp((be, k) => be.argReduce('argmin', x[k], { outer: 1, size: n, inner: 1 }), 0, 'argmin');
        await cmp((be, k) => be.reduce('sum', x[k], { outer: 20, size: 10, inner: 100 }), 1e-5, 'sum cols');
        await cmp((be, k) => be.sumTo(x[k], [10, 20, 10, 10], [1, 20, 1, 10]), 1e-5, 'sumTo general');
        await cmp((be, k) => be.softmax(x[k], { outer: 20, size: 1000, inner: 1 }, false), 1e-5, 'softmax rows');
        const t = both(randint(20, 1, 0, 1000));
        await cmp((be, k) => be.crossEntropy(x[k], t[k], 20, 1000), 1e-5, 'crossEntropy rows');
        const mm: MatmulArgs = { batch: 20, m: 10, k: 10, n: 10, transA: false, transB: true, aBatchStride: 100, bBatchStride: 0 };
        await cmp((be, k) => be.matmul(x[k], y[k], mm), 1e-5, 'matmul batch 20');
      } finally {
        small.destroy();
      }
    });

    test('scatterIndex', async () => {
      for (const l of [{ outer: 3, size: 5, inner: 4 }, { outer: 17, size: 65, inner: 1 }, { outer: 1, size: 1, inner: 3 }]) {
        const x = up(randn(l.outer * l.size * l.inner, 8));
        const idx = up((await cpu.read(cpu.argReduce('argmax', x.cpu, l))) as Int32Array);
        const dy = up(randn(l.outer * l.inner, 2));
        await same((be, k) => be.scatterIndex(dy[k], idx[k], l), 0, `scatterIndex ${l.outer}x${l.size}x${l.inner}`);
      }
    });
  });

  // Both kernel profiles run here: lavapipe is detected as 'cpu-emulated' (direct loads, up to
  // 8x8 outputs per invocation); a second backend forced to 'gpu' runs the workgroup-tiled form.
  describe.each(['auto', 'gpu'] as const)('matmul (profile %s)', (profile) => {
    let be: WebGPUBackend;
    beforeAll(async () => {
      be = profile === 'auto' ? gpu! : (await createWebGPUBackend({ profile: 'gpu' }))!;
    });
    afterAll(() => {
      if (profile !== 'auto') be.destroy();
    });
    const upTo = (data: Float32Array | Int32Array): Pair => {
      const dt = data instanceof Int32Array ? 'int32' : 'float32';
      return { cpu: cpu.upload(data, dt), webgpu: be.upload(data, dt) };
    };
    const cmp = async (f: (b: Backend, k: 'cpu' | 'webgpu') => Storage, tol: number, label: string): Promise<void> => {
      const c = await cpu.read(f(cpu, 'cpu'));
      expectMatch(await be.read(f(be, 'webgpu')), c, tol, label);
    };
    const SHAPES: [number, number, number][] = [
      [1, 1, 1], [3, 17, 65], [65, 257, 3], [1000, 3, 7], [17, 1, 33], [64, 64, 64], [130, 65, 129], [1, 300, 1], [2, 50, 300],
    ];
    // A clamp or clamp gradient right after a float32 product runs as the product's epilogue
    // (matmulEpilogue): one dispatch for both, both results written. Tolerance: the product's,
    // 1e-5 relative norm; NaN and Inf positions exactly.
    test('clamp and clampGrad of a product join it as one dispatch (NaN, Inf, bounds, lo > hi)', async () => {
      const BOUNDS: [number, number][] = [[0, Infinity], [-0.5, 0.5], [1, -1], [-Infinity, 0.25]];
      const CASES: [number, number, number, boolean, boolean, number][] = [
        [233, 10, 7, false, false, 1], [7, 233, 10, true, false, 1], [233, 10, 7, false, true, 1],
        [1, 1, 1, false, false, 1], [65, 257, 3, true, true, 1], [130, 65, 129, false, false, 1], [17, 9, 33, false, false, 3],
      ];
      for (const [m, k, n, transA, transB, batch] of CASES) {
        const aData = randn(batch * m * k, m + k);
        aData[0] = NaN;
        aData[aData.length - 1] = Infinity;
        const a = upTo(aData);
        const b = upTo(randn(k * n, k + n));
        const xData = randn(batch * m * n, m * n, 0.7);
        for (let i = 0; i < xData.length; i += 5) xData[i] = [0, 0.5, -0.5, 1, -1, NaN, Infinity, 0.25][(i / 5) % 8];
        const x = upTo(xData);
        const args: MatmulArgs = { batch, m, k, n, transA, transB, aBatchStride: m * k, bBatchStride: 0 };
        for (const [lo, hi] of BOUNDS) {
          const tag = `[${batch}x${m},${k},${n}] tA=${transA} tB=${transB} [${lo}, ${hi}]`;
          for (const grad of [false, true]) {
            const run = (bk: Backend, key: 'cpu' | 'webgpu'): [Storage, Storage] => {
              const p = bk.matmul(a[key], b[key], args);
              return [p, grad ? bk.clampGrad(x[key], p, lo, hi) : bk.clamp(p, lo, hi)];
            };
            const [cp, cy] = run(cpu, 'cpu');
            be.flush();
            const before = be.stats.dispatches;
            const [gp, gy] = run(be, 'webgpu');
            be.flush();
            expect(be.stats.dispatches - before, `${tag} grad=${grad}: dispatches`).toBe(1);
            expectMatch(await be.read(gp), await cpu.read(cp), 1e-5, `${tag} product`);
            expectMatch(await be.read(gy), await cpu.read(cy), 1e-5, `${tag} ${grad ? 'clampGrad' : 'clamp'}`);
            for (const st of [gp, gy]) be.release(st);
          }
        }
      }
    });

    test('no epilogue where it does not apply: int32, clampGrad with x the product, a command between', async () => {
      const ai = upTo(randint(12, 1, -5, 5));
      const bi = upTo(randint(12, 2, -5, 5));
      const args: MatmulArgs = { batch: 1, m: 3, k: 4, n: 3, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
      await cmp((bk, key) => bk.clamp(bk.matmul(ai[key], bi[key], args), -3, 4), 0, 'int32 product clamped');
      const a = upTo(randn(12, 3));
      const b = upTo(randn(12, 4));
      await cmp((bk, key) => {
        const p = bk.matmul(a[key], b[key], args);
        return bk.clampGrad(p, p, -0.5, 0.5);
      }, 1e-5, 'clampGrad(p, p)');
      await cmp((bk, key) => {
        const p = bk.matmul(a[key], b[key], args);
        bk.fill(a[key], 0); // encodes the product first; the clamp runs on its own
        return bk.clamp(p, 0, Infinity);
      }, 1e-5, 'clamp after a fill');
    });

    // A row vector added to or subtracted from a float32 product (nn.Linear's bias) runs as
    // the product's epilogue: one dispatch, both results written. The sum is one float32
    // rounding of the same product, so it equals the unfused pair (setFusion(false)) exactly,
    // NaN and Inf included; against the CPU's float64 product, 1e-5 relative norm as above.
    test('a bias row added to a product joins it as one dispatch (either order, sub, batches, NaN/Inf)', async () => {
      const CASES: [number, number, number, boolean, boolean, number][] = [
        [1, 1, 1, false, false, 1], [3, 17, 65, false, false, 1], [65, 257, 3, true, false, 1], [257, 3, 17, false, true, 1],
        [17, 65, 257, true, true, 1], [1, 3, 257, false, true, 1], [17, 9, 33, false, false, 3], [3, 65, 17, false, true, 4],
        [20, 7, 36, false, false, 1], [36, 5, 68, true, false, 2], [6, 5, 6, false, false, 1],
      ];
      const bits = (v: TypedArray): Uint32Array => {
        const u = new Uint32Array(Float32Array.from(v).buffer);
        return u.map((x) => ((x & 0x7fffffff) > 0x7f800000 ? 0x7fc00000 : x)); // any NaN as one
      };
      for (const [m, k, n, transA, transB, batch] of CASES) {
        const a = upTo(randn(batch * m * k, m + k));
        const b = upTo(randn(k * n, k + n));
        const biasData = randn(n, n + 1);
        for (let i = 1; i < n; i += 4) biasData[i] = [NaN, Infinity, -Infinity, 0][(i >> 2) % 4]!;
        const bias = upTo(biasData);
        const args: MatmulArgs = { batch, m, k, n, transA, transB, aBatchStride: m * k, bBatchStride: 0 };
        const outShape = batch > 1 ? [batch, m, n] : [m, n];
        const pStrides = batch > 1 ? [m * n, n, 1] : [n, 1];
        const vStrides = batch > 1 ? [0, 0, 1] : [0, 1];
        // Every order and op on one shape; elsewhere one each, in turn (each combination is a
        // pipeline to compile, seconds apiece on lavapipe).
        const forms = ([['add', true], ['add', false], ['sub', true], ['sub', false]] as const)
          .filter((_, i) => (m === 3 && k === 17) || i === CASES.findIndex((c) => c[0] === m && c[1] === k) % 4);
        for (const [op, left] of forms) {
          {
            const tag = `[${batch}x${m},${k},${n}] tA=${transA} tB=${transB} ${left ? `p ${op} bias` : `bias ${op} p`}`;
            const run = (bk: Backend, key: 'cpu' | 'webgpu'): [Storage, Storage] => {
              const p = bk.matmul(a[key], b[key], args);
              const y = left
                ? bk.binary(op, p, bias[key], outShape, pStrides, vStrides, 'float32')
                : bk.binary(op, bias[key], p, outShape, vStrides, pStrides, 'float32');
              return [p, y];
            };
            const [cp, cy] = run(cpu, 'cpu');
            be.flush();
            const before = be.stats.dispatches;
            const [gp, gy] = run(be, 'webgpu');
            be.flush();
            expect(be.stats.dispatches - before, `${tag}: dispatches`).toBe(1);
            setFusion(false);
            let up: [Storage, Storage];
            try {
              up = run(be, 'webgpu');
            } finally {
              setFusion(true);
            }
            const [gpv, gyv] = [await be.read(gp), await be.read(gy)];
            expectMatch(gpv, await cpu.read(cp), 1e-5, `${tag} product`);
            expectMatch(gyv, await cpu.read(cy), 1e-5, `${tag} result`);
            expect(bits(gpv), `${tag} product = unfused`).toEqual(bits(await be.read(up[0])));
            expect(bits(gyv), `${tag} result = unfused`).toEqual(bits(await be.read(up[1])));
            for (const st of [gp, gy, ...up]) be.release(st);
          }
        }
      }
    });

    test('no bias epilogue where it does not apply: column vector, full operand, transposed product, p + p, int32, a command between', async () => {
      const [m, k, n] = [6, 5, 6]; // square, so a column vector indexed as a row one would read in bounds
      const a = upTo(randn(m * k, 11));
      const b = upTo(randn(k * n, 12));
      const col = upTo(randn(m, 13));
      const full = upTo(randn(m * n, 14));
      const args: MatmulArgs = { batch: 1, m, k, n, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
      const cases: [string, number, (bk: Backend, key: 'cpu' | 'webgpu', p: Storage) => Storage][] = [
        ['column vector', 2, (bk, key, p) => bk.binary('add', p, col[key], [m, n], [n, 1], [1, 0], 'float32')],
        ['full-size operand', 2, (bk, key, p) => bk.binary('add', full[key], p, [m, n], [n, 1], [n, 1], 'float32')],
        ['transposed product', 2, (bk, key, p) => bk.binary('add', p, col[key], [n, m], [1, n], [0, 1], 'float32')],
        ['p + p', 2, (bk, _key, p) => bk.binary('add', p, p, [m, n], [n, 1], [0, 1], 'float32')],
        ['mul', 2, (bk, key, p) => bk.binary('mul', p, col[key], [m, n], [n, 1], [0, 1], 'float32')],
        ['a fill between', 2, (bk, key, p) => {
          bk.fill(full[key], 0.5); // an upload: records the product first; the add runs on its own
          return bk.binary('add', p, col[key], [m, n], [n, 1], [0, 1], 'float32');
        }],
      ];
      for (const [label, dispatches, f] of cases) {
        const c = await cpu.read(f(cpu, 'cpu', cpu.matmul(a.cpu, b.cpu, args)));
        be.flush();
        const before = be.stats.dispatches;
        const g = f(be, 'webgpu', be.matmul(a.webgpu, b.webgpu, args));
        be.flush();
        expect(be.stats.dispatches - before, `${label}: dispatches`).toBe(dispatches);
        expectMatch(await be.read(g), c, 1e-5, label);
      }
      const ai = upTo(randint(m * k, 1, -5, 5));
      const bi = upTo(randint(k * n, 2, -5, 5));
      const vi = upTo(randint(n, 3, -5, 5));
      await cmp((bk, key) => bk.binary('add', bk.matmul(ai[key], bi[key], args), vi[key], [m, n], [n, 1], [0, 1], 'int32'), 0, 'int32 product + bias');
    });

    // float32 accumulation over k <= 300 against float64: 1e-5 relative norm.
    test.each([[false, false], [true, false], [false, true], [true, true]])('2-D, transA=%s transB=%s', async (transA, transB) => {
      for (const [m, k, n] of SHAPES) {
        const a = upTo(randn(m * k, m + k));
        const b = upTo(randn(k * n, k + n));
        const args: MatmulArgs = { batch: 1, m, k, n, transA, transB, aBatchStride: 0, bBatchStride: 0 };
        await cmp((x, s) => x.matmul(a[s], b[s], args), 1e-5, `mm ${m}x${k}x${n}`);
      }
    });

    // vec4 reads (matmul.wgsl VEC_A/VEC_B, CPU-emulated adapters): A stored [k, m] and B stored
    // [k, n] with m, n multiples of 4 (groups past the edge, several workgroups), batched with
    // strides that allow them and one that does not. Tolerance as above.
    test('vec4 reads along m (transA) and n: edges, batches, strides', async () => {
      for (const [m, k, n] of [[4, 1, 4], [12, 3, 36], [68, 17, 4], [260, 5, 68], [3, 17, 20], [36, 65, 17]]) {
        for (const transA of [false, true]) {
          const a = upTo(randn(m * k, m + k));
          const b = upTo(randn(k * n, k + n));
          const args: MatmulArgs = { batch: 1, m, k, n, transA, transB: false, aBatchStride: 0, bBatchStride: 0 };
          await cmp((x, s) => x.matmul(a[s], b[s], args), 1e-5, `mm ${m}x${k}x${n} transA=${transA}`);
        }
      }
      const [batch, m, k, n] = [3, 20, 7, 12];
      const a = upTo(randn(batch * (m * k + 1), 5));
      const b = upTo(randn(batch * (k * n + 1), 6));
      for (const [as, bs] of [[m * k, k * n], [0, k * n], [m * k + 1, k * n + 1]]) {
        const args: MatmulArgs = { batch, m, k, n, transA: true, transB: false, aBatchStride: as, bBatchStride: bs };
        await cmp((x, s) => x.matmul(a[s], b[s], args), 1e-5, `bmm strides ${as}, ${bs}`);
      }
    });

    test('batched, with broadcast (stride 0) operands, and int32', async () => {
      const [batch, m, k, n] = [3, 17, 33, 9];
      const a = upTo(randn(batch * m * k, 1));
      const b = upTo(randn(batch * k * n, 2));
      const b1 = upTo(randn(k * n, 3));
      const cases: MatmulArgs[] = [
        { batch, m, k, n, transA: false, transB: false, aBatchStride: m * k, bBatchStride: k * n },
        { batch, m, k, n, transA: true, transB: false, aBatchStride: m * k, bBatchStride: k * n },
        { batch, m, k, n, transA: false, transB: true, aBatchStride: m * k, bBatchStride: k * n },
      ];
      for (const args of cases) await cmp((x, s) => x.matmul(a[s], b[s], args), 1e-5, `bmm ${JSON.stringify(args)}`);
      const bc = { batch, m, k, n, transA: false, transB: false, aBatchStride: m * k, bBatchStride: 0 };
      await cmp((x, s) => x.matmul(a[s], b1[s], bc), 1e-5, 'bmm broadcast B');
      const ai = upTo(randint(batch * m * k, 4, -9, 9));
      const bi = upTo(randint(k * n, 5, -9, 9));
      await cmp((x, s) => x.matmul(ai[s], bi[s], bc), 0, 'int32 bmm');
    });

    test('0 * Inf makes NaN; k = 0 gives zeros', async () => {
      const a = upTo(Float32Array.from([0, 1, 2, 3]));
      const b = upTo(Float32Array.from([Infinity, 1, 1, 1]));
      const args = { batch: 1, m: 2, k: 2, n: 2, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
      await cmp((x, s) => x.matmul(a[s], b[s], args), 0, 'inf');
      const e = upTo(new Float32Array(0));
      await cmp((x, s) => x.matmul(e[s], e[s], { ...args, m: 3, k: 0 }), 0, 'k=0');
    });
  });

  // The vec4 kernels (elementwise, `rows4` reductions, softmax rows4/cols4) and their tails,
  // under both grid profiles: lavapipe is 'cpu-emulated' (few narrow grid-stride workgroups,
  // an invocation per softmax line); a second backend forced to 'gpu' runs the wide shapes.
  // Special values sit at the ends of each size, so they land in the partial last vec4.
  describe.each(['auto', 'gpu'] as const)('vec4 kernels and their tails (profile %s)', (profile) => {
    let be: WebGPUBackend;
    beforeAll(async () => {
      be = profile === 'auto' ? gpu! : (await createWebGPUBackend({ profile: 'gpu' }))!;
    });
    afterAll(() => {
      if (profile !== 'auto') be.destroy();
    });
    const upTo = (data: Float32Array | Int32Array): Pair => {
      const dt = data instanceof Int32Array ? 'int32' : 'float32';
      return { cpu: cpu.upload(data, dt), webgpu: be.upload(data, dt) };
    };
    /** expectMatch's rule (non-finite exact, finite by relative 2-norm) with one expect, for big outputs. */
    const cmp = async (f: (b: Backend, k: 'cpu' | 'webgpu') => Storage, tol: number, label: string): Promise<void> => {
      const c = await cpu.read(f(cpu, 'cpu'));
      const g = await be.read(f(be, 'webgpu'));
      expect(g.length, `${label}: length`).toBe(c.length);
      expect(g.constructor, `${label}: dtype`).toBe(c.constructor);
      let num = 0;
      let den = 0;
      let bad = -1;
      for (let i = 0; i < c.length && bad < 0; i++) {
        if (Number.isFinite(c[i])) {
          if (!Number.isFinite(g[i])) bad = i;
          num += (g[i] - c[i]) ** 2;
          den += c[i] ** 2;
        } else if (!Object.is(g[i], c[i]) && !(Number.isNaN(g[i]) && Number.isNaN(c[i]))) bad = i;
      }
      expect(bad < 0 ? 'ok' : `[${bad}]: GPU ${g[bad]} vs CPU ${c[bad]}`, label).toBe('ok');
      expect(Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30), `${label}: relative error`).toBeLessThanOrEqual(tol);
    };
    /** n values: random, with NaN, Inf, -Inf, -0 and overflow inputs in the last four. */
    const withSpecials = (n: number, seed: number): Float32Array => {
      const d = randn(n, seed, 3);
      const tail = [NaN, Infinity, -Infinity, -0, 100, -200];
      for (let i = 0; i < Math.min(n, 4); i++) d[n - 1 - i] = tail[(seed + i) % tail.length];
      return d;
    };
    const TAIL_SIZES = [1, 3, 4, 17, 65, 257, 1024, 4099];

    test('unary, unaryGrad, clamp, clampGrad, contiguous binary', async () => {
      for (const n of TAIL_SIZES) {
        const x = upTo(withSpecials(n, n));
        const pos = upTo(withSpecials(n, n + 1).map((v) => Math.abs(v) + 0.01));
        const dy = upTo(withSpecials(n, n + 2));
        for (const op of ['exp', 'sigmoid', 'tanh', 'relu', 'neg', 'abs'] as UnaryOp[]) {
          await cmp((b, k) => b.unary(op, x[k], 0), 1e-5, `${op} n=${n}`);
          await cmp((b, k) => b.unaryGrad(op, x[k], x[k], dy[k], 0), 1e-5, `${op}' n=${n}`);
        }
        await cmp((b, k) => b.unary('log', pos[k], 0), 1e-5, `log n=${n}`);
        await cmp((b, k) => b.unary('pow', x[k], 3), 1e-5, `pow 3 n=${n}`);
        await cmp((b, k) => b.clamp(x[k], 0, Infinity), 0, `clamp(0) n=${n}`);
        await cmp((b, k) => b.clampGrad(x[k], dy[k], -1, 1), 0, `clampGrad n=${n}`);
        for (const op of ['add', 'mul', 'div'] as BinaryOp[]) {
          await cmp((b, k) => b.binary(op, x[k], dy[k], [n], [1], [1], 'float32'), 1e-6, `${op} n=${n}`);
        }
        await cmp((b, k) => b.binary('lt', x[k], dy[k], [n], [1], [1], 'int32'), 0, `lt n=${n}`);
        const xi = upTo(randint(n, n, -50, 50));
        const yi = upTo(randint(n, n + 1, -5, 5));
        await cmp((b, k) => b.unary('abs', xi[k], 0), 0, `int32 abs n=${n}`);
        await cmp((b, k) => b.clamp(xi[k], -10, 10), 0, `int32 clamp n=${n}`);
        await cmp((b, k) => b.binary('div', xi[k], yi[k], [n], [1], [1], 'int32'), 0, `int32 div n=${n}`);
      }
    });

    test('reductions: vec4 rows, aligned and single unaligned lines, NaN first-index rule', async () => {
      const layouts: ReduceLayout[] = [
        { outer: 1, size: 513, inner: 1 },
        { outer: 1, size: 4099, inner: 1 },
        { outer: 4, size: 1024, inner: 1 },
        { outer: 3, size: 2050, inner: 1 },   // size % 4 != 0 with several lines: scalar rows
        { outer: 1, size: 70003, inner: 1 },
      ];
      for (const l of layouts) {
        const n = l.outer * l.size;
        const d = randn(n, n, 2).map((v) => Math.round(v * 4) / 4);
        d[n - 1] = NaN;   // in the last (partial) vec4
        d[n - 2] = NaN;
        d[Math.floor(n / 2)] = Infinity;
        const x = upTo(d);
        const clean = upTo(d.map((v) => (Number.isNaN(v) ? 1.5 : v)));
        const xi = upTo(randint(n, n, -20, 20));
        const tag = `${l.outer}x${l.size}`;
        for (const op of ['sum', 'max', 'min'] as const) {
          await cmp((b, k) => b.reduce(op, x[k], l), 1e-5, `${op} ${tag}`);
          await cmp((b, k) => b.reduce(op, clean[k], l), op === 'sum' ? 1e-5 : 0, `${op} ${tag} (no NaN)`);
          await cmp((b, k) => b.reduce(op, xi[k], l), 0, `int32 ${op} ${tag}`);
        }
        for (const op of ['argmax', 'argmin'] as const) {
          await cmp((b, k) => b.argReduce(op, x[k], l), 0, `${op} ${tag}`);
          await cmp((b, k) => b.argReduce(op, clean[k], l), 0, `${op} ${tag} (no NaN)`);
        }
      }
    });

    test('softmax and its gradient: rows4, cols4, unaligned lines, NaN/Inf lines', async () => {
      const layouts: ReduceLayout[] = [
        { outer: 300, size: 1000, inner: 1 },   // many lines: an invocation per line on lavapipe
        { outer: 3, size: 1000, inner: 1 },     // few long lines: a workgroup per line
        { outer: 3, size: 1002, inner: 1 },     // size % 4 != 0: scalar kernels
        { outer: 260, size: 998, inner: 1 },
        { outer: 5, size: 8, inner: 1 },
      ];
      for (const l of layouts) {
        const n = l.outer * l.size;
        const d = randn(n, n, 4);
        d[l.size + 1] = NaN;             // line 1 is all NaN
        d[2 * l.size - 1] = Infinity;    // line 1 also has +Inf (still NaN: the CPU's order)
        if (l.outer > 2) d.fill(-Infinity, 2 * l.size, 3 * l.size);   // line 2: all -Inf
        const x = upTo(d);
        const dy = upTo(randn(n, n + 1));
        for (const log of [false, true]) {
          const tag = `${log ? 'log' : ''}softmax ${l.outer}x${l.size}`;
          await cmp((b, k) => b.softmax(x[k], l, log), 1e-5, tag);
          const y = upTo((await cpu.read(cpu.softmax(x.cpu, l, log))) as Float32Array);
          await cmp((b, k) => b.softmaxGrad(y[k], dy[k], l, log), 1e-5, `${tag} backward`);
        }
      }
    });

    test('16M + 3 elements: exp, clampGrad and sum end in a partial vec4', async () => {
      const n = (1 << 24) + 3;
      const d = uniform(n, 7, -2, 2);
      d[n - 1] = NaN;
      d[n - 2] = 100;
      const x = upTo(d);
      const dy = upTo(uniform(n, 8, -1, 1));
      await cmp((b, k) => b.unary('exp', x[k], 0), 1e-5, 'exp 16M+3');
      await cmp((b, k) => b.clampGrad(x[k], dy[k], 0, Infinity), 0, 'clampGrad 16M+3');
      d[n - 1] = 0.5;
      const y = upTo(d);
      await cmp((b, k) => b.reduce('sum', y[k], { outer: 1, size: n, inner: 1 }), 1e-5, 'sum 16M+3');
      for (const p of [x, dy, y]) be.release(p.webgpu);
    });
  });

  describe('softmax family', () => {
    const LAYOUTS: ReduceLayout[] = [
      { outer: 7, size: 10, inner: 1 },
      { outer: 3, size: 300, inner: 1 },
      { outer: 2, size: 5, inner: 7 },
      { outer: 1, size: 1, inner: 1 },
      { outer: 2, size: 1000, inner: 1 },
    ];
    // exp/log in float32 against float64: 1e-5.
    test('softmax / logSoftmax forward and backward', async () => {
      for (const l of LAYOUTS) {
        const n = l.outer * l.size * l.inner;
        const x = up(randn(n, n, 4));
        const dy = up(randn(n, n + 1));
        for (const log of [false, true]) {
          const tag = `${log ? 'log' : ''}softmax ${l.outer}x${l.size}x${l.inner}`;
          await same((be, k) => be.softmax(x[k], l, log), 1e-5, tag);
          const y = up((await cpu.read(cpu.softmax(x.cpu, l, log))) as Float32Array);
          await same((be, k) => be.softmaxGrad(y[k], dy[k], l, log), 1e-5, `${tag} backward`);
        }
      }
    });

    test('softmax with NaN, Inf and -Inf lines', async () => {
      const data = Float32Array.from([1, 2, NaN, 4, 1, 2, 3, Infinity, -Infinity, -Infinity, -Infinity, -Infinity, 1, -Infinity, 1, 0]);
      const x = up(data);
      for (const log of [false, true]) {
        await sameEach((be, k) => be.softmax(x[k], { outer: 4, size: 4, inner: 1 }, log), 1e-5, 1e-7, `${log}`);
      }
    });

    test('crossEntropy forward and fused backward', async () => {
      for (const [rows, classes] of [[17, 10], [5, 300], [1, 1], [65, 3]]) {
        const x = up(randn(rows * classes, rows, 3));
        const t = up(randint(rows, classes, 0, classes));
        const dl = up(randn(rows, 4));
        await same((be, k) => be.crossEntropy(x[k], t[k], rows, classes), 1e-5, `ce ${rows}x${classes}`);
        await same((be, k) => be.crossEntropyGrad(x[k], t[k], dl[k], rows, classes), 1e-5, `ce' ${rows}x${classes}`);
      }
    });
  });

  describe('optimizers (in place)', () => {
    // A few float32 steps against float64 arithmetic rounded at each store: 1e-6.
    test('optimizerStep sgd: plain, momentum, dampening, nesterov, weight decay', async () => {
      const n = 1000;
      const configs = [
        { lr: 0.1, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 },
        { lr: 0.05, momentum: 0.9, dampening: 0.1, nesterov: false, weightDecay: 0.01 },
        { lr: 0.05, momentum: 0.9, dampening: 0, nesterov: true, weightDecay: 0 },
      ];
      for (const cfg of configs) {
        const p = up(randn(n, 1));
        const buf = cfg.momentum ? up(new Float32Array(n)) : null;
        for (let step = 0; step < 3; step++) {
          const g = up(randn(n, 10 + step));
          for (const k of ['cpu', 'webgpu'] as const) {
            const be: Backend = k === 'cpu' ? cpu : gpu!;
            be.optimizerStep([{ param: p[k], grad: g[k], state: buf ? [buf[k]] : [], args: { kind: 'sgd', ...cfg, firstStep: step === 0 } }]);
          }
        }
        await same((_, k) => p[k], 1e-6, `sgd param ${JSON.stringify(cfg)}`);
        if (buf) await same((_, k) => buf[k], 1e-6, `sgd buf ${JSON.stringify(cfg)}`);
      }
    });

    test('optimizerStep adam with and without weight decay', async () => {
      const n = 1000;
      for (const weightDecay of [0, 0.01]) {
        const p = up(randn(n, 2));
        const m = up(new Float32Array(n));
        const v = up(new Float32Array(n));
        for (let step = 1; step <= 3; step++) {
          const g = up(randn(n, 20 + step));
          for (const k of ['cpu', 'webgpu'] as const) {
            const be: Backend = k === 'cpu' ? cpu : gpu!;
            const args = { kind: 'adam', lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay, step } as const;
            be.optimizerStep([{ param: p[k], grad: g[k], state: [m[k], v[k]], args }]);
          }
        }
        for (const [name, s] of [['param', p], ['m', m], ['v', v]] as const) await same((_, k) => s[k], 1e-6, `adam ${name} wd=${weightDecay}`);
      }
    });
  });

  // Sizes from one element to past 1M: every kernel path the tuner picks by size (scalar and
  // vec4 tails, one or several workgroups per row, split reductions, large tiled matmuls) sees
  // fresh inputs each run. The seed is random per run and in every label; SWEEP_SEED=<n> replays.
  describe(`size sweep up to >1M elements (seed ${SWEEP_SEED})`, () => {
    /** expectMatch's rule (relative 2-norm error, non-finite entries exactly) with one expect per call: 1M expects take ~20 s. */
    const sameOn = async (be: Backend, f: (b: Backend, k: 'cpu' | 'webgpu') => Storage, tol: number, label: string): Promise<void> => {
      const c = await cpu.read(f(cpu, 'cpu'));
      const g = await be.read(f(be, 'webgpu'));
      expect([g.length, g.constructor.name], label).toEqual([c.length, c.constructor.name]);
      let num = 0;
      let den = 0;
      let bad = -1;
      for (let i = 0; i < c.length; i++) {
        const [cv, gv] = [c[i], g[i]];
        if (!Number.isFinite(cv) || !Number.isFinite(gv)) {
          if (bad < 0 && !Object.is(cv, gv) && !(Number.isNaN(cv) && Number.isNaN(gv))) bad = i;
          continue;
        }
        num += (gv - cv) ** 2;
        den += cv ** 2;
      }
      expect(bad < 0 ? null : `[${bad}]: GPU ${g[bad]} vs CPU ${c[bad]}`, `${label}: a non-finite entry differs`).toBeNull();
      expect(Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30), `${label}: relative error`).toBeLessThanOrEqual(tol);
    };
    const same = (f: (b: Backend, k: 'cpu' | 'webgpu') => Storage, tol: number, label: string): Promise<void> => sameOn(gpu!, f, tol, label);
    const SWEEP = [1, 3, 17, 65, 257, 4097, 65_537, (1 << 20) + 3];
    // float32 kernels against the CPU's float32 results: elementwise 1e-6 relative norm
    // (both round once per element; exp/tanh differ by an ulp or two).
    test('elementwise: unary, broadcast binary and a gradient at every size', async () => {
      for (const [i, n] of SWEEP.entries()) {
        const seed = SWEEP_SEED + i;
        const x = up(randn(n, seed));
        const tag = `n=${n} seed ${seed}`;
        await same((be, k) => be.unary('tanh', x[k], 0), 1e-6, `tanh ${tag}`);
        await same((be, k) => be.unary('exp', x[k], 0), 1e-6, `exp ${tag}`);
        const dy = up(randn(n, seed + 1));
        await same((be, k) => be.unaryGrad('relu', x[k], x[k], dy[k], 0), 0, `relu grad ${tag}`);
        // [rows, 17] - [17]: a broadcast operand with stride 0 on the rows.
        const rows = Math.max(1, Math.floor(n / 17));
        const a = up(randn(rows * 17, seed + 2));
        const b = up(randn(17, seed + 3));
        await same((be, k) => be.binary('sub', a[k], b[k], [rows, 17], [17, 1], [0, 1], 'float32'), 1e-6, `sub [${rows},17]-[17] ${tag}`);
        await same((be, k) => be.binary('mul', b[k], a[k], [rows, 17], [0, 1], [17, 1], 'float32'), 1e-6, `mul [17]*[${rows},17] ${tag}`);
      }
    });

    // Sums of uniform [0, 1) values (well conditioned: no cancellation), float32 trees against
    // the CPU's: 1e-5 relative norm; max/argmax exact.
    test('reductions: full, along rows and along columns, past 1M elements', async () => {
      const layouts: ReduceLayout[] = [
        ...SWEEP.map((n) => ({ outer: 1, size: n, inner: 1 })),
        { outer: 1031, size: 1029, inner: 1 },
        { outer: 1, size: 1031, inner: 1029 },
        { outer: 3, size: 349_527, inner: 1 },
      ];
      for (const [i, l] of layouts.entries()) {
        const seed = SWEEP_SEED + 100 + i;
        const n = l.outer * l.size * l.inner;
        const x = up(uniform(n, seed, 0, 1));
        const tag = `${l.outer}x${l.size}x${l.inner} seed ${seed}`;
        await same((be, k) => be.reduce('sum', x[k], l), 1e-5, `sum ${tag}`);
        await same((be, k) => be.reduce('max', x[k], l), 0, `max ${tag}`);
        await same((be, k) => be.argReduce('argmin', x[k], l), 0, `argmin ${tag}`);
      }
    });

    // Products of k <= 257 randn terms in float32: 1e-5 relative norm, as the matmul suite. Both
    // kernel profiles: 'auto' (here lavapipe's fat-invocation kernels) and 'gpu' (the tiled
    // workgroup-memory kernels a real GPU gets), so the tiled paths see large shapes too.
    test.each(['auto', 'gpu'] as const)('matmul (profile %s): small to an output of 1,060,899 elements, plain and transposed', async (profile) => {
      const be = profile === 'auto' ? gpu! : (await createWebGPUBackend({ profile: 'gpu' }))!;
      const pair = (data: Float32Array): Pair => ({ cpu: cpu.upload(data, 'float32'), webgpu: be.upload(data, 'float32') });
      const shapes: [number, number, number, boolean, boolean][] = [
        [1, 1, 1, false, false], [3, 17, 65, true, false], [65, 257, 17, false, true], [257, 65, 257, true, true], [1031, 64, 1029, false, false],
        [1029, 33, 1031, false, true],
      ];
      for (const [i, [m, k, n, transA, transB]] of shapes.entries()) {
        const seed = SWEEP_SEED + 200 + i;
        const a = pair(randn(m * k, seed));
        const b = pair(randn(k * n, seed + 1));
        const args = { batch: 1, m, k, n, transA, transB, aBatchStride: 0, bBatchStride: 0 };
        await sameOn(be, (b_, kk) => b_.matmul(a[kk], b[kk], args), 1e-5, `matmul ${m}x${k}x${n} tA=${transA} tB=${transB} ${profile} seed ${seed}`);
      }
      if (profile !== 'auto') be.destroy();
    });

    // exp and log in float32 against float64: 1e-5, as the softmax suite.
    test('softmax and logSoftmax over 1029 rows of 1031', async () => {
      const l = { outer: 1029, size: 1031, inner: 1 };
      const seed = SWEEP_SEED + 300;
      const x = up(randn(l.outer * l.size, seed, 3));
      for (const log of [false, true]) await same((be, k) => be.softmax(x[k], l, log), 1e-5, `${log ? 'log' : ''}softmax seed ${seed}`);
    });
  });

  describe('host layer', () => {
    test('a training step records work without a single readback', async () => {
      const g = gpu!;
      const x = g.upload(randn(64 * 32, 1), 'float32');
      const w = g.upload(randn(32 * 10, 2), 'float32');
      const t = g.upload(randint(64, 3, 0, 10), 'int32');
      const mm = (a: Storage, b: Storage, args: Partial<MatmulArgs> & { m: number; k: number; n: number }): Storage =>
        g.matmul(a, b, { batch: 1, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0, ...args });
      const before = g.stats.readbacks;
      for (let step = 0; step < 5; step++) {
        const h = g.clamp(mm(x, w, { m: 64, k: 32, n: 10 }), 0, Infinity);
        const loss = g.crossEntropy(h, t, 64, 10);
        const ones = g.full(64, 'float32', 1 / 64);
        const dh = g.crossEntropyGrad(h, t, ones, 64, 10);
        const dz = g.clampGrad(h, dh, 0, Infinity);
        const dw = mm(x, dz, { m: 32, k: 64, n: 10, transA: true });
        const args = { kind: 'sgd', lr: 0.1, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, firstStep: step === 0 } as const;
        g.optimizerStep([{ param: w, grad: dw, state: [], args }]);
        for (const s of [h, loss, ones, dh, dz, dw]) g.release(s);
      }
      g.flush();
      expect(g.stats.readbacks - before, 'mapAsync calls').toBe(0);
      await g.read(w);
      expect(g.stats.readbacks - before).toBe(1);
    });

    test('hundreds of dispatches batch into few submits and stay ordered', async () => {
      const g = gpu!;
      const one = g.full(1000, 'float32', 1);
      let acc = g.full(1000, 'float32', 0);
      const submits = g.stats.submits;
      for (let i = 0; i < 300; i++) {
        const next = g.binary('add', acc, one, [1000], [1], [1], 'float32');
        g.release(acc); // released while still referenced by recorded work: reuse must wait
        acc = next;
      }
      expect(g.stats.submits - submits).toBeLessThanOrEqual(Math.ceil(300 / 64));
      const r = await g.read(acc);
      expect(Array.from(new Set(r))).toEqual([300]);
    });

    test('full(): small sizes are uploaded (no dispatch), large ones filled; both exact', async () => {
      const g = gpu!;
      // 4096 elements is FULL_UPLOAD_MAX_BYTES (16 KiB): the last size uploaded.
      for (const [n, dispatches] of [[1, 0], [3, 0], [17, 0], [4096, 0], [4097, 1], [70000, 1]] as const) {
        for (const [dtype, value] of [['float32', 0.1], ['float32', -0], ['float32', NaN], ['int32', -7], ['int32', 2.9]] as const) {
          const before = g.stats.dispatches;
          const s = g.full(n, dtype, value);
          expect(g.stats.dispatches - before, `dispatches for full(${n})`).toBe(dispatches);
          const got = await g.read(s);
          const want = (dtype === 'int32' ? new Int32Array(n) : new Float32Array(n)).fill(value);
          expect(Array.from(got).every((v, i) => Object.is(v, want[i])), `full(${n}, ${dtype}, ${value})`).toBe(true);
          g.release(s);
        }
      }
    });

    test('an uploaded full() reusing a buffer that recorded work still reads is ordered after it', async () => {
      const g = gpu!;
      const a = g.full(64, 'float32', 3);
      const sq = g.binary('mul', a, a, [64], [1], [1], 'float32'); // recorded, not submitted
      g.release(a); // pending until the submit: full() below must not get its buffer early
      const b = g.full(64, 'float32', 5);
      const sum = g.binary('add', sq, b, [64], [1], [1], 'float32');
      expect(Array.from(new Set(await g.read(sum)))).toEqual([14]);
      for (const s of [sq, b, sum]) g.release(s);
    });

    test('released buffers are pooled and reused', async () => {
      const g = gpu!;
      const a = g.full(5000, 'float32', 1);
      await g.read(a);
      g.release(a);
      const created = g.stats.buffersCreated;
      const pooled = g.memory().poolBytes;
      expect(pooled).toBeGreaterThan(0);
      const b = g.full(5000, 'float32', 2);
      expect(g.stats.buffersCreated).toBe(created);
      expect(Array.from(new Set(await g.read(b)))).toEqual([2]);
      g.release(b);
    });

    test('clear errors: limits, released storage, float64', () => {
      const g = gpu!;
      const limit = g.info().limits!.maxStorageBufferBindingSize;
      expect(() => g.full(Math.floor(limit / 4) + 1, 'float32', 0)).toThrow(/maxStorageBufferBindingSize/);
      const s = g.full(4, 'float32', 0);
      g.release(s);
      expect(() => g.unary('neg', s, 0)).toThrow(/released/);
      expect(g.supports('float64')).toBe(false);
      expect(() => g.upload(new Float64Array(2), 'float64')).toThrow(WebgradError);
      expect(() => g.unary('neg', cpu.full(2, 'float32', 0), 0)).toThrow(/another backend/);
    });

    test('a lost device makes every later call throw a clear error', async () => {
      const other = (await createWebGPUBackend())!;
      const s = other.full(4, 'float32', 1);
      other.device.destroy(); // what a driver reset looks like from here
      await other.device.lost;
      expect(() => other.unary('neg', s, 0)).toThrow(/device was lost/);
      await expect(other.read(s)).rejects.toThrow(/device was lost/);
      other.destroy();
      expect(() => other.full(1, 'float32', 0)).toThrow(/destroyed/);
    });
  });
});

// The bias epilogue through the tensor API: nn.Linear (x·wᵀ, the weight read transposed) and a
// batched matmul plus a bias, in either order. Fused and unfused (setFusion(false)) run the same
// float32 product and one rounding of the add, so they agree exactly (NaN and Inf positions
// included), backward too; eager forward saves one dispatch per bias add.
describe.skipIf(gpu === null)('bias epilogue through the tensor API', () => {
  beforeAll(async () => {
    await wg.init({ backend: 'webgpu', verbose: false });
  });
  afterAll(() => wg.destroy());
  const t = (shape: number[], seed: number): wg.Tensor => wg.tensor(randn(shape.reduce((p, q) => p * q, 1), seed)).reshape(shape);
  /** Values and eager dispatches of `f`, with fusion on and off. */
  const both = async (f: () => wg.Tensor[]): Promise<{ on: TypedArray[]; off: TypedArray[]; saved: number }> => {
    const run = async (on: boolean): Promise<[TypedArray[], number]> => {
      setFusion(on);
      try {
        const be = getBackend();
        be.flush();
        const d0 = be.dispatchCount();
        const ys = f();
        be.flush();
        const d = be.dispatchCount() - d0;
        return [await Promise.all(ys.map((y) => y.toArray())), d];
      } finally {
        setFusion(true);
      }
    };
    const [off, dOff] = await run(false);
    const [on, dOn] = await run(true);
    return { on, off, saved: dOff - dOn };
  };
  const same = (r: { on: TypedArray[]; off: TypedArray[] }, label: string): void => {
    r.on.forEach((v, i) => expect(Array.from(v), `${label} #${i}`).toEqual(Array.from(r.off[i]!)));
  };

  test('nn.Linear forward: one dispatch fewer, equal to unfused; backward equal', async () => {
    for (const [m, inF, outF] of [[1, 1, 1], [3, 17, 65], [17, 65, 3], [65, 3, 257], [257, 17, 17]] as const) {
      const fc = new wg.nn.Linear(inF, outF);
      const x = t([m, inF], m + inF);
      const fwd = await both(() => [fc.forward(x)]);
      expect(fwd.saved, `Linear(${inF}, ${outF}) x[${m}]: dispatches saved`).toBe(1);
      same(fwd, `Linear(${inF}, ${outF}) x[${m}]`);
      const bwd = await both(() => {
        fc.zeroGrad();
        const xg = x.detach().requiresGrad_();
        fc.forward(xg).square().sum().backward();
        return [xg.grad!, fc.weight.grad!, fc.bias!.grad!];
      });
      same(bwd, `Linear(${inF}, ${outF}) x[${m}] backward`);
    }
  });

  test('batched matmul plus a bias (either order, NaN/Inf in the bias, transposed weight), and a bias that must not fuse', async () => {
    const [B, m, k, n] = [3, 17, 9, 65];
    const x = t([B, m, k], 1);
    const w = t([k, n], 2);
    const wt = t([n, k], 3);
    const bData = randn(n, 4);
    bData[0] = NaN;
    bData[5] = Infinity;
    bData[9] = -Infinity;
    const b = wg.tensor(bData);
    const col = t([m, 1], 5);
    for (const [label, f, saved] of [
      ['x@w + b', () => x.matmul(w).add(b), 1],
      ['b + x@w', () => b.add(x.matmul(w)), 1],
      ['x@wt.t() - b', () => x.matmul(wt.t()).sub(b), 1],
      ['b - x@w', () => b.sub(x.matmul(w)), 1],
      ['x@w + column', () => x.matmul(w).add(col), 0],
      ['x@w + x@w', () => { const p = x.matmul(w); return p.add(p); }, 0],
    ] as const) {
      const r = await both(() => [f()]);
      expect(r.saved, `${label}: dispatches saved`).toBe(saved);
      same(r, label);
    }
  });
});
