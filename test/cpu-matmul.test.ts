// The CPU matmul kernel (src/backend/cpu/matmul.ts) against a naive reference: all transpose
// combinations, batched and broadcast, awkward shapes around the micro-tile and k-block edges,
// empty sums, and IEEE propagation. The kernel accumulates every output in float64 in k order
// and rounds once, so it must match the naive in-order float64 loop exactly (float64), and that
// loop on the float32 inputs rounded once (float32): equality here, not a tolerance.
import { describe, expect, it } from 'vitest';
import type { MatmulArgs } from '../src/backend/backend.js';
import { matmul } from '../src/backend/cpu/matmul.js';

type Arr = Float32Array | Float64Array;

function seq(n: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s / 2147483648) * 2 - 1;
  });
}

/** out[t,i,j] = Σ_p op(A)[i,p] * op(B)[p,j], float64, p in order. */
function naive(a: ArrayLike<number>, b: ArrayLike<number>, args: MatmulArgs): Float64Array {
  const { batch, m, k, n, transA, transB, aBatchStride, bBatchStride } = args;
  const out = new Float64Array(batch * m * n);
  for (let t = 0; t < batch; t++)
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) {
          const av = a[t * aBatchStride + (transA ? p * m + i : i * k + p)];
          const bv = b[t * bBatchStride + (transB ? j * k + p : p * n + j)];
          s += av * bv;
        }
        out[t * m * n + i * n + j] = s;
      }
  return out;
}

const mk = (m: number, k: number, n: number, transA: boolean, transB: boolean, extra: Partial<MatmulArgs> = {}): MatmulArgs => ({
  batch: 1,
  m,
  k,
  n,
  transA,
  transB,
  aBatchStride: 0,
  bBatchStride: 0,
  ...extra,
});

/** Exact comparison that reports the first differing index (NaN equals NaN). */
function expectSame(got: Arr, want: ArrayLike<number>): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i]) && !(got[i] === 0 && want[i] === 0)) {
      expect(got[i], `index ${i}`).toBe(want[i]);
    }
  }
}

function check(args: MatmulArgs, seed: number): void {
  const { batch, m, k, n, aBatchStride, bBatchStride } = args;
  const aLen = aBatchStride === 0 ? m * k : batch * m * k;
  const bLen = bBatchStride === 0 ? k * n : batch * k * n;
  const a64 = new Float64Array(seq(aLen, seed));
  const b64 = new Float64Array(seq(bLen, seed + 1));
  const got64 = matmul(a64, b64, args);
  expect(got64).toBeInstanceOf(Float64Array);
  expectSame(got64 as Arr, naive(a64, b64, args));
  const a32 = new Float32Array(a64);
  const b32 = new Float32Array(b64);
  const got32 = matmul(a32, b32, args);
  expect(got32).toBeInstanceOf(Float32Array);
  expectSame(got32 as Arr, new Float32Array(naive(a32, b32, args)));
}

const combos: [boolean, boolean][] = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
];

describe('cpu matmul kernel', () => {
  for (const [transA, transB] of combos) {
    const tag = `transA=${transA} transB=${transB}`;

    it(`awkward shapes match the in-order float64 reference exactly (${tag})`, () => {
      const shapes: [number, number, number][] = [
        [1, 1, 1],
        [1, 17, 3],
        [3, 17, 1],
        [3, 3, 3],
        [4, 4, 4],
        [5, 7, 3],
        [17, 3, 65],
        [65, 17, 17],
        [17, 65, 5],
        [1, 257, 65],
        [65, 257, 1],
        [64, 300, 33], // k crosses a k block with a short tail
        [257, 65, 257],
        [6, 600, 9], // several k blocks, partial tiles on both axes
      ];
      let seed = 1;
      for (const [m, k, n] of shapes) check(mk(m, k, n, transA, transB), (seed += 2));
    });

    it(`batched, A broadcast and B broadcast (${tag})`, () => {
      for (const [m, k, n] of [
        [5, 7, 3],
        [17, 33, 9],
        [8, 520, 12], // k blocks with broadcast operands: repacked per batch
      ] as [number, number, number][]) {
        const batch = 3;
        check(mk(m, k, n, transA, transB, { batch, aBatchStride: m * k, bBatchStride: k * n }), 5);
        check(mk(m, k, n, transA, transB, { batch, aBatchStride: 0, bBatchStride: k * n }), 7);
        check(mk(m, k, n, transA, transB, { batch, aBatchStride: m * k, bBatchStride: 0 }), 9);
        check(mk(m, k, n, transA, transB, { batch, aBatchStride: 0, bBatchStride: 0 }), 11);
      }
    });

    it(`k = 0 gives zeros and m = 0 or n = 0 gives empty (${tag})`, () => {
      expectSame(matmul(new Float32Array(0), new Float32Array(0), mk(5, 0, 6, transA, transB, { batch: 2 })) as Arr, new Float32Array(60));
      expect(matmul(new Float32Array(0), new Float32Array(12), mk(0, 3, 4, transA, transB)).length).toBe(0);
      expect(matmul(new Float32Array(12), new Float32Array(0), mk(4, 3, 0, transA, transB)).length).toBe(0);
    });

    it(`0 * Inf and NaN propagate, and only into their own row or column (${tag})`, () => {
      for (const [m, k, n] of [
        [1, 2, 1],
        [9, 5, 7],
      ] as [number, number, number][]) {
        const args = mk(m, k, n, transA, transB);
        // op(A) is all zero but op(A)[1 % m, *] holds a NaN; op(B)[*, 2 % n] holds +Inf at p = 0.
        const a = new Float64Array(m * k);
        const b = new Float64Array(seq(k * n, 3));
        const iN = 1 % m;
        a[transA ? 1 * m + iN : iN * k + 1] = NaN;
        const jI = 2 % n;
        b[transB ? jI * k + 0 : 0 * n + jI] = Infinity;
        const want = naive(a, b, args);
        expectSame(matmul(a, b, args) as Arr, want);
        expectSame(matmul(new Float32Array(a), new Float32Array(b), args) as Arr, new Float32Array(want));
        // Every entry of column jI is NaN (0 * Inf), as is row iN; nothing else is.
        for (let i = 0; i < m; i++)
          for (let j = 0; j < n; j++) expect(Number.isNaN(want[i * n + j])).toBe(i === iN || j === jI);
      }
    });
  }

  it('stale scratch from a larger product does not leak into a smaller one', () => {
    check(mk(70, 300, 70, false, false), 21);
    check(mk(5, 6, 7, true, false), 23);
    check(mk(9, 3, 13, false, true), 25);
  });

  it('a product whose scratch is too big to keep still works, and so does the next one', () => {
    check(mk(1030, 2, 1030, false, true), 27); // 1032 * 1032 float64 accumulators: not cached
    check(mk(40, 50, 60, true, true), 29);
  });

  it('float32 results stay within 1e-6 relative of the float64 product of the same inputs', () => {
    const [m, k, n] = [33, 777, 21];
    const a = new Float32Array(seq(m * k, 31).map((v) => v + 0.25)); // positive-leaning sums
    const b = new Float32Array(seq(k * n, 32).map((v) => v + 0.25));
    const args = mk(m, k, n, false, true);
    const got = matmul(a, b, args);
    const want = naive(a, b, args);
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(1e-6 * Math.abs(want[i]) + 1e-30);
  });
});
