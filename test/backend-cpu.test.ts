import { describe, expect, it } from 'vitest';
import type { DType } from '../src/dtype.js';
import { typedArrayFor } from '../src/dtype.js';
import type { MatmulArgs, Storage } from '../src/backend/backend.js';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { contiguousStrides, numelOf, broadcastStrides } from '../src/shape.js';
import type { Shape } from '../src/shape.js';

const be = new CpuBackend();
const up = (xs: number[], dtype: DType = 'float32'): Storage => be.upload(typedArrayFor(dtype, xs), dtype);
const f64 = (xs: number[]) => up(xs, 'float64');
const i32 = (xs: number[]) => up(xs, 'int32');
const get = async (s: Storage): Promise<number[]> => Array.from(await be.read(s));
const fr = (xs: number[]) => xs.map(Math.fround);

/** Deterministic values in [-1, 1) so reference comparisons do not depend on Math.random. */
function seq(n: number, seed = 1): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s / 2147483648) * 2 - 1;
  });
}

function expectClose(got: number[], want: number[], tol = 1e-6): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const w = want[i];
    const g = got[i];
    if (Number.isNaN(w) || !Number.isFinite(w)) expect(g, `index ${i}`).toBe(w);
    else expect(Math.abs(g - w), `index ${i}: ${g} vs ${w}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(w)));
  }
}

describe('storage', () => {
  it('upload copies, read returns a copy', async () => {
    const src = new Float32Array([1, 2, 3]);
    const s = be.upload(src, 'float32');
    src[0] = 99;
    const a = await be.read(s);
    a[1] = 99;
    expect(await get(s)).toEqual([1, 2, 3]);
    expect(s.dtype).toBe('float32');
    expect(s.numel).toBe(3);
    expect(a).toBeInstanceOf(Float32Array);
  });

  it('full, fill and copy', async () => {
    const a = be.full(4, 'int32', 7);
    expect(await get(a)).toEqual([7, 7, 7, 7]);
    be.fill(a, -2);
    expect(await get(a)).toEqual([-2, -2, -2, -2]);
    const b = be.full(4, 'int32', 0);
    be.copy(i32([1, 2, 3, 4]), b);
    expect(await get(b)).toEqual([1, 2, 3, 4]);
    expect(await be.read(be.full(2, 'float64', 0.1))).toEqual(new Float64Array([0.1, 0.1]));
  });

  it('tracks bytes of live storages; release is idempotent and use-after-release throws', async () => {
    const b2 = new CpuBackend();
    const a = b2.full(10, 'float32', 0);
    const c = b2.full(3, 'float64', 0);
    expect(b2.memory()).toEqual({ bytesInUse: 64, poolBytes: 0, planBytes: 0 });
    b2.release(a);
    b2.release(a);
    expect(b2.memory().bytesInUse).toBe(24);
    expect(() => b2.unary('neg', a, 0)).toThrow(/released/);
    b2.release(c);
    expect(b2.memory().bytesInUse).toBe(0);
  });

  it('info, supports, flush, destroy', async () => {
    const b2 = new CpuBackend();
    expect(b2.info()).toEqual({ name: 'cpu' });
    expect(b2.name).toBe('cpu');
    expect(['float32', 'float64', 'int32'].every((d) => b2.supports(d as DType))).toBe(true);
    b2.flush();
    b2.destroy();
    expect(() => b2.full(1, 'float32', 0)).toThrow(/destroyed/);
  });

  it('cast truncates floats toward zero and rounds to float32', async () => {
    expect(await get(be.cast(up([-1.7, 1.7, 2.5, -0.5, 0]), 'int32'))).toEqual([-1, 1, 2, 0, 0]);
    expect(await get(be.cast(i32([3, -4]), 'float64'))).toEqual([3, -4]);
    expect(await get(be.cast(f64([0.1]), 'float32'))).toEqual([Math.fround(0.1)]);
    expect(be.cast(f64([1]), 'float32').dtype).toBe('float32');
  });
});

describe('unary', () => {
  const xs = [-2, -0.5, 0, 0.5, 3];
  it.each([
    ['neg', (v: number) => -v],
    ['exp', Math.exp],
    ['tanh', Math.tanh],
    ['abs', Math.abs],
    ['sigmoid', (v: number) => 1 / (1 + Math.exp(-v))],
    ['relu', (v: number) => Math.max(v, 0)],
  ] as const)('%s matches the formula', async (op, f) => {
    expectClose(await get(be.unary(op, up(xs), 0)), fr(xs.map(f)), 1e-7);
    expectClose(await get(be.unary(op, f64(xs), 0)), xs.map(f), 1e-15);
  });

  it('log and sqrt, with NaN below their domain', async () => {
    expect(await get(be.unary('log', f64([1, Math.E, 0, -1]), 0))).toEqual([0, 1, -Infinity, NaN]);
    expect(await get(be.unary('sqrt', up([4, 2, 0, -1]), 0))).toEqual([2, Math.fround(Math.SQRT2), 0, NaN]);
  });

  it('exp overflows to Infinity in float32; sigmoid saturates without NaN', async () => {
    expect(await get(be.unary('exp', up([89, 100, -200]), 0))).toEqual([Infinity, Infinity, 0]);
    expect(await get(be.unary('sigmoid', up([-1000, 1000, NaN]), 0))).toEqual([0, 1, NaN]);
  });

  it('relu passes NaN and maps 0 and negatives to 0', async () => {
    expect(await get(be.unary('relu', up([NaN, 0, -3, 2]), 0))).toEqual([NaN, 0, 0, 2]);
  });

  it('neg and abs on int32, wrapping like two\u2019s complement', async () => {
    const x = i32([-3, 0, 5, -2147483648]);
    expect(await get(be.unary('neg', x, 0))).toEqual([3, 0, -5, -2147483648]);
    expect(await get(be.unary('abs', x, 0))).toEqual([3, 0, 5, -2147483648]);
    expect(be.unary('neg', x, 0).dtype).toBe('int32');
  });

  it('pow, including C semantics for 1 and -1 to infinite powers', async () => {
    expect(await get(be.unary('pow', f64([-3, 0.5, 2]), 2))).toEqual([9, 0.25, 4]);
    expect(await get(be.unary('pow', f64([4, 2]), 0.5))).toEqual([2, Math.SQRT2]);
    expect(await get(be.unary('pow', f64([2, -2]), -1))).toEqual([0.5, -0.5]);
    expect(await get(be.unary('pow', f64([NaN, 0]), 0))).toEqual([1, 1]);
    expect(await get(be.unary('pow', f64([1, -1, 2, 0.5]), Infinity))).toEqual([1, 1, Infinity, 0]);
    expect(await get(be.unary('pow', f64([1, 2]), NaN))).toEqual([1, NaN]);
  });
});

describe('unaryGrad', () => {
  const xs = [-2, -0.5, 0.25, 0.5, 3];
  const dys = [0.3, -1, 2, 0.5, 1.5];
  const grad = async (op: Parameters<typeof be.unary>[0], x: number[], dy: number[], p = 0) => {
    const xs_ = f64(x);
    return get(be.unaryGrad(op, xs_, be.unary(op, xs_, p), f64(dy), p));
  };

  it('matches the derivative of each op', async () => {
    const cases: [Parameters<typeof be.unary>[0], (x: number) => number][] = [
      ['neg', () => -1],
      ['exp', Math.exp],
      ['tanh', (x) => 1 - Math.tanh(x) ** 2],
      ['sigmoid', (x) => Math.exp(-x) / (1 + Math.exp(-x)) ** 2],
      ['relu', (x) => (x > 0 ? 1 : 0)],
      ['abs', Math.sign],
    ];
    for (const [op, d] of cases) {
      expectClose(await grad(op, xs, dys), xs.map((x, i) => dys[i] * d(x)), 1e-14);
    }
    const pos = [0.25, 1, 4];
    expectClose(await grad('log', pos, [1, 2, 3]), [4, 2, 0.75], 1e-15);
    expectClose(await grad('sqrt', pos, [1, 2, 3]), [1, 1, 0.75], 1e-15);
    expectClose(await grad('pow', xs, dys, 3), xs.map((x, i) => dys[i] * 3 * x * x), 1e-14);
  });

  it('relu and abs have zero gradient at 0 (relu passes it at NaN, as torch 1.13); pow with exponent 0 has zero gradient', async () => {
    expect(await grad('relu', [0, -0, NaN], [1, 1, 1])).toEqual([0, 0, 1]);
    expect(await grad('abs', [0, 2, -2], [5, 5, 5])).toEqual([0, 5, -5]);
    expect(await grad('pow', [0, 2], [1, 1], 0)).toEqual([0, 0]);
  });

  it('reads only dy for neg, so x and y may be anything', async () => {
    const dummy = f64([NaN, NaN]);
    expect(await get(be.unaryGrad('neg', dummy, dummy, f64([1, -2]), 0))).toEqual([-1, 2]);
  });
});

describe('clamp', () => {
  it('clamps with bounds, infinite bounds and NaN', async () => {
    expect(await get(be.clamp(up([-2, 0, 0.5, 1, 3, NaN]), 0, 1))).toEqual([0, 0, 0.5, 1, 1, NaN]);
    expect(await get(be.clamp(up([-5, 5]), 0, Infinity))).toEqual([0, 5]);
    expect(await get(be.clamp(up([-5, 5]), -Infinity, 1))).toEqual([-5, 1]);
    // PyTorch: min > max sets everything to max.
    expect(await get(be.clamp(up([-5, 0.5, 5]), 2, 1))).toEqual([1, 1, 1]);
  });

  it('clampGrad passes the gradient on the closed interval and zeroes NaN', async () => {
    const dy = up([1, 2, 3, 4, 5, 6]);
    expect(await get(be.clampGrad(up([-1, 0, 0.5, 1, 2, NaN]), dy, 0, 1))).toEqual([0, 2, 3, 4, 0, 0]);
    expect(await get(be.clampGrad(up([-1e30, 1e30]), up([1, 1]), -Infinity, Infinity))).toEqual([1, 1]);
  });
});

/** Reference broadcasting binary op over multi-indices. */
function naiveBinary(f: (a: number, b: number) => number, a: number[], aShape: Shape, b: number[], bShape: Shape, out: Shape) {
  const as = broadcastStrides(aShape, out);
  const bs = broadcastStrides(bShape, out);
  const res: number[] = [];
  const idx = new Array(out.length).fill(0);
  for (let flat = 0; flat < numelOf(out); flat++) {
    let r = flat;
    for (let d = out.length - 1; d >= 0; d--) {
      idx[d] = r % out[d];
      r = Math.floor(r / out[d]);
    }
    const ai = idx.reduce((s, v, d) => s + v * as[d], 0);
    const bi = idx.reduce((s, v, d) => s + v * bs[d], 0);
    res.push(f(a[ai], b[bi]));
  }
  return res;
}

describe('binary', () => {
  const bin = (op: Parameters<typeof be.binary>[0], a: Storage, aShape: Shape, b: Storage, bShape: Shape, out: Shape, dt: DType = a.dtype) =>
    get(be.binary(op, a, b, out, broadcastStrides(aShape, out), broadcastStrides(bShape, out), dt));

  it('arithmetic on same shapes, float32 rounding', async () => {
    const a = up([1, 2, 3, 0.1]);
    const b = up([4, -5, 0, 0.2]);
    expect(await bin('add', a, [4], b, [4], [4])).toEqual(fr([5, -3, 3, Math.fround(0.1) + Math.fround(0.2)]));
    expect(await bin('sub', a, [4], b, [4], [4])).toEqual(fr([-3, 7, 3, Math.fround(0.1) - Math.fround(0.2)]));
    expect(await bin('mul', a, [4], b, [4], [4])).toEqual(fr([4, -10, 0, Math.fround(0.1) * Math.fround(0.2)]));
    expect(await bin('div', a, [4], b, [4], [4])).toEqual(fr([0.25, -0.4, Infinity, 0.5]));
  });

  it('broadcasts [2,3]+[3], [3,1]*[1,4], and a scalar, against a naive reference', async () => {
    const a = seq(6, 3);
    const b = seq(3, 4);
    expectClose(await bin('add', f64(a), [2, 3], f64(b), [3], [2, 3]), naiveBinary((x, y) => x + y, a, [2, 3], b, [3], [2, 3]), 0);
    const c = seq(3, 5);
    const d = seq(4, 6);
    expectClose(await bin('mul', f64(c), [3, 1], f64(d), [1, 4], [3, 4]), naiveBinary((x, y) => x * y, c, [3, 1], d, [1, 4], [3, 4]), 0);
    expectClose(await bin('sub', f64([10]), [], f64(a), [2, 3], [2, 3]), a.map((x) => 10 - x), 0);
    const e = seq(2 * 3 * 4, 7);
    const f = seq(2 * 4, 8);
    expectClose(
      await bin('div', f64(e), [2, 3, 4], f64(f), [2, 1, 4], [2, 3, 4]),
      naiveBinary((x, y) => x / y, e, [2, 3, 4], f, [2, 1, 4], [2, 3, 4]),
      0,
    );
    expect(await bin('add', f64([1]), [], f64([2]), [], [])).toEqual([3]);
    expect(await bin('add', f64([]), [0, 3], f64([1, 2, 3]), [3], [0, 3])).toEqual([]);
  });

  it('int32 arithmetic wraps and truncates', async () => {
    const a = i32([7, -7, 2147483647, 65536]);
    const b = i32([2, 2, 1, 65536]);
    expect(await bin('add', a, [4], b, [4], [4])).toEqual([9, -5, -2147483648, 131072]);
    expect(await bin('mul', a, [4], b, [4], [4])).toEqual([14, -14, 2147483647, 0]);
    expect(await bin('div', a, [4], b, [4], [4])).toEqual([3, -3, 2147483647, 1]);
    expect(await bin('div', i32([1]), [1], i32([0]), [1], [1])).toEqual([0]);
    expect(be.binary('sub', a, b, [4], [1], [1], 'int32').dtype).toBe('int32');
  });

  it('comparisons write 1/0 in outDtype; NaN compares false except ne', async () => {
    const a = up([1, 2, 3, NaN]);
    const b = up([2, 2, 2, NaN]);
    const cmp = (op: Parameters<typeof be.binary>[0], dt: DType) => bin(op, a, [4], b, [4], [4], dt);
    expect(await cmp('eq', 'float32')).toEqual([0, 1, 0, 0]);
    expect(await cmp('ne', 'int32')).toEqual([1, 0, 1, 1]);
    expect(await cmp('lt', 'float32')).toEqual([1, 0, 0, 0]);
    expect(await cmp('le', 'float32')).toEqual([1, 1, 0, 0]);
    expect(await cmp('gt', 'float64')).toEqual([0, 0, 1, 0]);
    expect(await cmp('ge', 'int32')).toEqual([0, 1, 1, 0]);
    expect(be.binary('lt', a, b, [4], [1], [1], 'int32').dtype).toBe('int32');
    expect(await bin('gt', i32([5, -1]), [2], i32([0]), [1], [2], 'float32')).toEqual([1, 0]);
  });
});

describe('broadcast walks over random shapes', () => {
  // Shapes mixing 1s, broadcast dims and mergeable runs exercise the dim coalescing.
  const shapes: [Shape, Shape][] = [
    [[2, 3, 4], [2, 3, 4]],
    [[2, 1, 4], [1, 3, 1]],
    [[1, 1, 5], [4, 1, 1]],
    [[3, 1, 2, 2], [1, 4, 2, 1]],
    [[1], [2, 1, 3]],
    [[5, 1, 1, 3], [5, 2, 7, 3]],
    [[2, 2, 1, 2], [1, 2, 3, 2]],
  ];
  it.each(shapes)('binary and sumTo for %j with %j', async (aShape, bShape) => {
    const n = Math.max(aShape.length, bShape.length);
    const pad = (s: Shape) => [...new Array(n - s.length).fill(1), ...s];
    const out = pad(aShape).map((d, i) => Math.max(d, pad(bShape)[i]));
    const a = seq(numelOf(aShape), 21);
    const b = seq(numelOf(bShape), 22);
    const got = await get(be.binary('sub', f64(a), f64(b), out, broadcastStrides(aShape, out), broadcastStrides(bShape, out), 'float64'));
    const want = naiveBinary((x, y) => x - y, a, aShape, b, bShape, out);
    expect(got).toEqual(want);
    // sumTo is the adjoint of broadcasting: Σ sumTo(g) * a == Σ g * broadcast(a).
    const g = seq(numelOf(out), 23);
    const red = await get(be.sumTo(f64(g), out, pad(aShape)));
    const bcast = naiveBinary((x) => x, a, aShape, [0], [], out);
    const lhs = red.reduce((acc, r, i) => acc + r * a[i], 0);
    const rhs = g.reduce((acc, r, i) => acc + r * bcast[i], 0);
    expect(lhs).toBeCloseTo(rhs, 12);
  });
});

describe('strided and sumTo', () => {
  it('transposes a [2,3]', async () => {
    expect(await get(be.strided(up([1, 2, 3, 4, 5, 6]), [3, 2], [1, 3], 0))).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it('expands with stride 0 and slices with an offset', async () => {
    expect(await get(be.strided(up([1, 2, 3]), [2, 3], [0, 1], 0))).toEqual([1, 2, 3, 1, 2, 3]);
    expect(await get(be.strided(up([1, 2]), [2, 3], [1, 0], 0))).toEqual([1, 1, 1, 2, 2, 2]);
    // x[1:3, 1] of a [4,3]
    expect(await get(be.strided(up([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), [2], [3], 4))).toEqual([4, 7]);
    // rank 0: one element at the offset
    expect(await get(be.strided(i32([5, 6, 7]), [], [], 2))).toEqual([7]);
    expect(await get(be.strided(up([1, 2]), [0, 2], [2, 1], 0))).toEqual([]);
  });

  it('permutes a rank-4 tensor like a naive gather', async () => {
    const shape = [2, 3, 4, 5];
    const x = seq(numelOf(shape), 9);
    const perm = [2, 0, 3, 1];
    const xs = contiguousStrides(shape);
    const outShape = perm.map((p) => shape[p]);
    const strides = perm.map((p) => xs[p]);
    const want: number[] = [];
    for (let a = 0; a < outShape[0]; a++)
      for (let b = 0; b < outShape[1]; b++)
        for (let c = 0; c < outShape[2]; c++)
          for (let d = 0; d < outShape[3]; d++) want.push(x[a * strides[0] + b * strides[1] + c * strides[2] + d * strides[3]]);
    expect(await get(be.strided(f64(x), outShape, strides, 0))).toEqual(want);
  });

  it('sumTo sums broadcast dims', async () => {
    const x = f64([1, 2, 3, 4, 5, 6]);
    expect(await get(be.sumTo(x, [2, 3], [1, 3]))).toEqual([5, 7, 9]);
    expect(await get(be.sumTo(x, [2, 3], [2, 1]))).toEqual([6, 15]);
    expect(await get(be.sumTo(x, [2, 3], [1, 1]))).toEqual([21]);
    expect(await get(be.sumTo(x, [2, 3], [2, 3]))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await get(be.sumTo(f64([]), [0, 3], [1, 3]))).toEqual([0, 0, 0]);
  });

  it('sumTo over [2,3,4] -> [1,3,1] matches a naive sum', async () => {
    const x = seq(24, 10);
    const want = [0, 0, 0];
    for (let a = 0; a < 2; a++) for (let b = 0; b < 3; b++) for (let c = 0; c < 4; c++) want[b] += x[a * 12 + b * 4 + c];
    expectClose(await get(be.sumTo(f64(x), [2, 3, 4], [1, 3, 1])), want, 1e-15);
    expect(be.sumTo(up(x), [2, 3, 4], [1, 3, 1]).dtype).toBe('float32');
  });
});

describe('reductions', () => {
  // x as [outer=2, size=3, inner=2]
  const x = [1, 8, 5, 2, 3, 6, -1, 0, 4, 4, 2, -7];
  const L = { outer: 2, size: 3, inner: 2 };

  it('sum, max, min along the middle axis', async () => {
    expect(await get(be.reduce('sum', up(x), L))).toEqual([9, 16, 5, -3]);
    expect(await get(be.reduce('max', up(x), L))).toEqual([5, 8, 4, 4]);
    expect(await get(be.reduce('min', up(x), L))).toEqual([1, 2, -1, -7]);
    expect(await get(be.reduce('sum', up(x), { outer: 1, size: 12, inner: 1 }))).toEqual([27]);
    expect(await get(be.reduce('max', i32(x), { outer: 4, size: 3, inner: 1 }))).toEqual([8, 6, 4, 4]);
  });

  it('max/min propagate NaN; sum of an empty axis is 0', async () => {
    const y = [1, NaN, 3, 2, 5, 0];
    expect(await get(be.reduce('max', up(y), { outer: 1, size: 6, inner: 1 }))).toEqual([NaN]);
    expect(await get(be.reduce('min', up(y), { outer: 3, size: 2, inner: 1 }))).toEqual([NaN, 2, 0]);
    expect(await get(be.reduce('max', up(y), { outer: 1, size: 2, inner: 3 }))).toEqual([2, NaN, 3]);
    expect(await get(be.reduce('max', up([NaN, 1, 0, 5]), { outer: 1, size: 2, inner: 2 }))).toEqual([NaN, 5]);
    expect(await get(be.reduce('sum', up([]), { outer: 2, size: 0, inner: 3 }))).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('argmax/argmin pick the first of ties', async () => {
    expect(await get(be.argReduce('argmax', up([1, 3, 3, 0]), { outer: 1, size: 4, inner: 1 }))).toEqual([1]);
    expect(await get(be.argReduce('argmin', up([1, 0, 3, 0]), { outer: 1, size: 4, inner: 1 }))).toEqual([1]);
    expect(await get(be.argReduce('argmax', up(x), L))).toEqual([1, 0, 1, 1]);
    expect(await get(be.argReduce('argmin', up(x), L))).toEqual([0, 1, 0, 2]);
    expect(be.argReduce('argmax', up(x), L).dtype).toBe('int32');
  });

  it('argmax/argmin treat the first NaN as the extreme', async () => {
    const y = up([1, NaN, 9, NaN, -9]);
    const row = { outer: 1, size: 5, inner: 1 };
    expect(await get(be.argReduce('argmax', y, row))).toEqual([1]);
    expect(await get(be.argReduce('argmin', y, row))).toEqual([1]);
    expect(await get(be.argReduce('argmax', up([NaN, 5, NaN]), { outer: 1, size: 3, inner: 1 }))).toEqual([0]);
    // columns of a [3,2]: [5, NaN, 7] and [NaN, 1, NaN]
    expect(await get(be.argReduce('argmax', up([5, NaN, NaN, 1, 7, NaN]), { outer: 1, size: 3, inner: 2 }))).toEqual([1, 0]);
  });

  it('scatterIndex places dy at the chosen index', async () => {
    const idx = i32([1, 0, 2, 2]);
    expect(await get(be.scatterIndex(up([10, 20, 30, 40]), idx, L))).toEqual([0, 20, 10, 0, 0, 0, 0, 0, 0, 0, 30, 40]);
    expect(await get(be.scatterIndex(up([3]), i32([2]), { outer: 1, size: 4, inner: 1 }))).toEqual([0, 0, 3, 0]);
  });
});

/** Reference: op(A[b]) · op(B[b]) by the definition, in float64. */
function naiveMatmul(a: number[], b: number[], x: MatmulArgs): number[] {
  const { batch, m, k, n, transA, transB, aBatchStride, bBatchStride } = x;
  const out: number[] = [];
  for (let t = 0; t < batch; t++)
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) {
          const av = a[t * aBatchStride + (transA ? p * m + i : i * k + p)];
          const bv = b[t * bBatchStride + (transB ? j * k + p : p * n + j)];
          s += av * bv;
        }
        out.push(s);
      }
  return out;
}

describe('matmul', () => {
  it('multiplies a hand-checked 2x3 by 3x2', async () => {
    const args = { batch: 1, m: 2, k: 3, n: 2, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
    expect(await get(be.matmul(up([1, 2, 3, 4, 5, 6]), up([7, 8, 9, 10, 11, 12]), args))).toEqual([58, 64, 139, 154]);
  });

  for (const transA of [false, true])
    for (const transB of [false, true])
      it(`matches the reference with transA=${transA} transB=${transB}, batched and broadcast`, async () => {
        const [m, k, n, batch] = [5, 7, 3, 4];
        for (const [sa, sb] of [
          [m * k, k * n],
          [0, k * n],
          [m * k, 0],
        ]) {
          const a = seq(sa === 0 ? m * k : batch * m * k, 11);
          const b = seq(sb === 0 ? k * n : batch * k * n, 12);
          const args = { batch, m, k, n, transA, transB, aBatchStride: sa, bBatchStride: sb };
          expectClose(await get(be.matmul(f64(a), f64(b), args)), naiveMatmul(a, b, args), 1e-14);
          const want32 = naiveMatmul(fr(a), fr(b), args).map(Math.fround);
          expect(await get(be.matmul(up(a), up(b), args))).toEqual(want32);
        }
      });

  it('k = 0 gives zeros; m = 0 gives an empty result', async () => {
    const args = { batch: 2, m: 2, k: 0, n: 3, transA: false, transB: true, aBatchStride: 0, bBatchStride: 0 };
    expect(await get(be.matmul(up([]), up([]), args))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(await get(be.matmul(up([]), up([1, 2]), { ...args, m: 0, k: 1, n: 2 }))).toEqual([]);
  });

  it('propagates NaN from 0 * Infinity', async () => {
    const args = { batch: 1, m: 1, k: 2, n: 1, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
    expect(await get(be.matmul(up([0, 1]), up([Infinity, 2]), args))).toEqual([NaN]);
  });

  it('784x128 by 128x10: forward and both backward products match the definition (the MLP layer shapes)', async () => {
    const x = seq(784 * 128, 13);
    const w = seq(128 * 10, 14);
    const fwd = { batch: 1, m: 784, k: 128, n: 10, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
    const y = await get(be.matmul(up(x), up(w), fwd));
    const dx = { ...fwd, k: 10, n: 128, transB: true }; // dX = dY · Wᵀ
    const dw = { ...fwd, m: 128, k: 784, n: 10, transA: true }; // dW = Xᵀ · dY
    // float32 sums of up to 784 terms in [-1, 1): blocked accumulation differs from the float64
    // definition by ~1e-6 relative; 1e-5 leaves margin without hiding a wrong index.
    // One expect per product: 110k per-element expects take seconds.
    const worst = (got: number[], want: number[]): number => {
      expect(got.length).toBe(want.length);
      return got.reduce((m, g, i) => Math.max(m, Math.abs(g - want[i]) / Math.max(1, Math.abs(want[i]))), 0);
    };
    expect(worst(y, naiveMatmul(fr(x), fr(w), fwd)), 'Y = X·W').toBeLessThanOrEqual(1e-5);
    expect(worst(await get(be.matmul(up(y), up(w), dx)), naiveMatmul(y, fr(w), dx)), 'dX = dY·Wᵀ').toBeLessThanOrEqual(1e-5);
    expect(worst(await get(be.matmul(up(x), up(y), dw)), naiveMatmul(fr(x), y, dw)), 'dW = Xᵀ·dY').toBeLessThanOrEqual(1e-5);
  });
});

describe('softmax family', () => {
  it('softmax rows sum to 1 and are stable for large logits', async () => {
    const x = [1, 2, 3, 1000, 1001, 1002];
    const y = await get(be.softmax(f64(x), { outer: 2, size: 3, inner: 1 }, false));
    const e = [1, Math.E, Math.E ** 2];
    const s = e[0] + e[1] + e[2];
    expectClose(y, [...e, ...e].map((v) => v / s), 1e-15);
    expect(y.slice(3).reduce((a, b) => a + b)).toBeCloseTo(1, 14);
  });

  it('softmax along a middle axis (inner > 1)', async () => {
    // [outer=1, size=2, inner=3]: columns (0,3), (1,4), (2,5)
    const x = [0, 1, 2, 0, 3, 2];
    const y = await get(be.softmax(f64(x), { outer: 1, size: 2, inner: 3 }, false));
    expectClose(y, [0.5, 1 / (1 + Math.exp(2)), 0.5, 0.5, 1 / (1 + Math.exp(-2)), 0.5], 1e-15);
  });

  it('logSoftmax equals log(softmax) and handles -Infinity and NaN', async () => {
    const x = seq(12, 15).map((v) => v * 5);
    const L = { outer: 2, size: 3, inner: 2 };
    const sm = await get(be.softmax(f64(x), L, false));
    expectClose(await get(be.softmax(f64(x), L, true)), sm.map(Math.log), 1e-13);
    expect(await get(be.softmax(f64([0, -Infinity]), { outer: 1, size: 2, inner: 1 }, false))).toEqual([1, 0]);
    expect(await get(be.softmax(f64([0, NaN, 1]), { outer: 1, size: 3, inner: 1 }, true))).toEqual([NaN, NaN, NaN]);
  });

  it('softmaxGrad matches the Jacobian-vector product', async () => {
    const L = { outer: 2, size: 3, inner: 2 };
    const x = seq(12, 16);
    const dy = seq(12, 17);
    const y = await get(be.softmax(f64(x), L, false));
    const want = new Array<number>(12);
    for (let o = 0; o < 2; o++)
      for (let i = 0; i < 2; i++) {
        const at = (j: number) => o * 6 + j * 2 + i;
        for (let j = 0; j < 3; j++) {
          let s = 0;
          for (let l = 0; l < 3; l++) s += dy[at(l)] * y[at(l)] * ((j === l ? 1 : 0) - y[at(j)]);
          want[at(j)] = s;
        }
      }
    expectClose(await get(be.softmaxGrad(f64(y), f64(dy), L, false)), want, 1e-14);
    const logY = y.map(Math.log);
    const wantLog = new Array<number>(12);
    for (let o = 0; o < 2; o++)
      for (let i = 0; i < 2; i++) {
        const at = (j: number) => o * 6 + j * 2 + i;
        const s = dy[at(0)] + dy[at(1)] + dy[at(2)];
        for (let j = 0; j < 3; j++) wantLog[at(j)] = dy[at(j)] - y[at(j)] * s;
      }
    expectClose(await get(be.softmaxGrad(f64(logY), f64(dy), L, true)), wantLog, 1e-14);
  });

  it('crossEntropy and its gradient match the direct formulas', async () => {
    const rows = 3;
    const classes = 4;
    const x = seq(rows * classes, 18).map((v) => v * 3);
    x[4] = 500; // a large logit, where a naive exp would overflow
    const t = [2, 0, 3];
    const dloss = [1, 0.5, -2];
    const lossWant: number[] = [];
    const gradWant: number[] = [];
    for (let r = 0; r < rows; r++) {
      const row = x.slice(r * classes, (r + 1) * classes);
      const mx = Math.max(...row);
      const lse = mx + Math.log(row.reduce((s, v) => s + Math.exp(v - mx), 0));
      lossWant.push(lse - row[t[r]]);
      row.forEach((v, c) => gradWant.push((Math.exp(v - lse) - (c === t[r] ? 1 : 0)) * dloss[r]));
    }
    expectClose(await get(be.crossEntropy(f64(x), i32(t), rows, classes)), lossWant, 1e-14);
    expectClose(await get(be.crossEntropyGrad(f64(x), i32(t), f64(dloss), rows, classes)), gradWant, 1e-14);
    const l32 = be.crossEntropy(up(x), i32(t), rows, classes);
    expect(l32.dtype).toBe('float32');
    expectClose(await get(l32), lossWant, 1e-6);
  });
});

describe('optimizers', () => {
  const p0 = [0.5, -1, 2];
  const grads = [
    [0.1, -0.2, 0.3],
    [0.4, 0.1, -0.5],
    [-0.3, 0.2, 0.05],
  ];

  /** torch.optim.SGD's update written out per element, in float64. */
  function sgdRef(lr: number, momentum: number, dampening: number, nesterov: boolean, wd: number) {
    const p = [...p0];
    const buf = [0, 0, 0];
    grads.forEach((g, step) => {
      for (let i = 0; i < 3; i++) {
        let d = g[i] + wd * p[i];
        if (momentum !== 0) {
          buf[i] = step === 0 ? d : momentum * buf[i] + (1 - dampening) * d;
          d = nesterov ? d + momentum * buf[i] : buf[i];
        }
        p[i] -= lr * d;
      }
    });
    return { p, buf };
  }

  it.each([
    [0.1, 0, 0, false, 0],
    [0.1, 0, 0, false, 0.01],
    [0.05, 0.9, 0, false, 0],
    [0.05, 0.9, 0.1, false, 0.02],
    [0.05, 0.9, 0, true, 0.01],
  ] as const)('SGD lr=%s momentum=%s dampening=%s nesterov=%s wd=%s', async (lr, momentum, dampening, nesterov, wd) => {
    const p = f64(p0);
    const buf = momentum === 0 ? null : be.full(3, 'float64', 0);
    grads.forEach((g, step) =>
      be.optimizerStep([{ param: p, grad: f64(g), state: buf ? [buf] : [], args: { kind: 'sgd', lr, momentum, dampening, nesterov, weightDecay: wd, firstStep: step === 0 } }]),
    );
    const want = sgdRef(lr, momentum, dampening, nesterov, wd);
    expectClose(await get(p), want.p, 1e-15);
    if (buf) expectClose(await get(buf), want.buf, 1e-15);
  });

  it('SGD first step hand-checked: buf = grad, p -= lr * grad', async () => {
    const p = up([1, 2]);
    const buf = be.full(2, 'float32', 123);
    be.optimizerStep([{ param: p, grad: up([0.5, -1]), state: [buf], args: { kind: 'sgd', lr: 0.1, momentum: 0.9, dampening: 0.5, nesterov: false, weightDecay: 0, firstStep: true } }]);
    expect(await get(buf)).toEqual([0.5, -1]);
    expect(await get(p)).toEqual(fr([0.95, 2.1]));
  });

  it.each([0, 0.1])('Adam with bias correction, weight decay %s, three steps', async (wd) => {
    const [lr, b1, b2, eps] = [0.01, 0.9, 0.999, 1e-8];
    const p = f64(p0);
    const m = be.full(3, 'float64', 0);
    const v = be.full(3, 'float64', 0);
    grads.forEach((g, i) => be.optimizerStep([{ param: p, grad: f64(g), state: [m, v], args: { kind: 'adam', lr, beta1: b1, beta2: b2, eps, weightDecay: wd, step: i + 1 } }]));
    const P = [...p0];
    const M = [0, 0, 0];
    const V = [0, 0, 0];
    grads.forEach((g, s) => {
      const t = s + 1;
      for (let i = 0; i < 3; i++) {
        const gi = g[i] + wd * P[i];
        M[i] = b1 * M[i] + (1 - b1) * gi;
        V[i] = b2 * V[i] + (1 - b2) * gi * gi;
        P[i] -= (lr * (M[i] / (1 - b1 ** t))) / (Math.sqrt(V[i] / (1 - b2 ** t)) + eps);
      }
    });
    expectClose(await get(p), P, 1e-13);
    expectClose(await get(m), M, 1e-13);
    expectClose(await get(v), V, 1e-13);
  });

  it('Adam first step moves each parameter by about lr against the gradient sign', async () => {
    const p = up([1, 1, 1]);
    const args = { kind: 'adam', lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, step: 1 } as const;
    be.optimizerStep([{ param: p, grad: up([3, -0.01, 0]), state: [be.full(3, 'float32', 0), be.full(3, 'float32', 0)], args }]);
    expectClose(await get(p), [0.9, 1.1, 1], 1e-6);
  });
});
