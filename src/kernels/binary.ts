import type { TypedArray } from '../dtype.js';

/**
 * The broadcasting binary ops, one entry each; the `BinaryOp` type, the CPU row kernels, the
 * WGSL `OP_*` constants and the shader's op switch are derived from it (like ./unary.ts).
 *
 * Arithmetic keeps the operands' dtype; a comparison writes 1 or 0 in the requested dtype and
 * follows IEEE: anything against NaN is false, except `ne`, which is true.
 *
 * CPU: a row kernel per op (one loop, no per-element call: see ./unary.ts for the measured
 * cost of sharing one), over a row of the broadcast output where each operand steps by a
 * fixed stride. Float arithmetic runs in float64 and rounds once on store, which for + - * /
 * of float32 operands is exactly IEEE float32 arithmetic. int32 arithmetic wraps like C.
 *
 * WGSL: `wgsl` is an expression of `x: T` and `y: T` (and `nan: bool`, true when either is
 * NaN); an arithmetic one is of type T, a comparison's is the bool written as 1 or 0.
 */
export interface BinaryDef {
  readonly kind: 'arith' | 'compare';
  readonly cpu: RowKernel;
  /** The int32 row kernel, where integer semantics differ from the float one. */
  readonly cpuInt?: RowKernel;
  readonly wgsl: string;
}

/** out[o + j] = a[ai + j·as] op b[bi + j·bs] for j < n. */
export type RowKernel = (a: TypedArray, ai: number, as: number, b: TypedArray, bi: number, bs: number, out: TypedArray, o: number, n: number) => void;

export const BINARY = {
  add: {
    kind: 'arith',
    cpu: (a, ai, as, b, bi, bs, out, o, n) => { for (let j = 0; j < n; j++, ai += as, bi += bs) out[o + j] = a[ai] + b[bi]; },
    wgsl: 'x + y',
  },
  sub: {
    kind: 'arith',
    cpu: (a, ai, as, b, bi, bs, out, o, n) => { for (let j = 0; j < n; j++, ai += as, bi += bs) out[o + j] = a[ai] - b[bi]; },
    wgsl: 'x - y',
  },
  mul: {
    kind: 'arith',
    cpu: (a, ai, as, b, bi, bs, out, o, n) => { for (let j = 0; j < n; j++, ai += as, bi += bs) out[o + j] = a[ai] * b[bi]; },
    // a*b of two int32s can pass 2^53 and lose the low bits that wrapping keeps.
    cpuInt: (a, ai, as, b, bi, bs, out, o, n) => { for (let j = 0; j < n; j++, ai += as, bi += bs) out[o + j] = Math.imul(a[ai], b[bi]); },
    wgsl: 'x * y',
  },
  div: {
    kind: 'arith',
    cpu: (a, ai, as, b, bi, bs, out, o, n) => { for (let j = 0; j < n; j++, ai += as, bi += bs) out[o + j] = a[ai] / b[bi]; },
    // Truncates toward zero; by zero it gives ±Infinity or NaN, which an Int32Array stores as
    // 0. (The op layer casts to float first for PyTorch's true division: this is internal.)
    cpuInt: (a, ai, as, b, bi, bs, out, o, n) => { for (let j = 0; j < n; j++, ai += as, bi += bs) out[o + j] = Math.trunc(a[ai] / b[bi]); },
    wgsl: 'div_(x, y)',
  },
  eq: {
    kind: 'compare',
    cpu: (a, ai, as, b, bi, bs, out, o, n) => { for (let j = 0; j < n; j++, ai += as, bi += bs) out[o + j] = a[ai] === b[bi] ? 1 : 0; },
    wgsl: '!nan && x == y',
  },
  ne: {
    kind: 'compare',
    cpu: (a, ai, as, b, bi, bs, out, o, n) => { for (let j = 0; j < n; j++, ai += as, bi += bs) out[o + j] = a[ai] !== b[bi] ? 1 : 0; },
    wgsl: 'nan || x != y',
  },
  lt: {
    kind: 'compare',
    cpu: (a, ai, as, b, bi, bs, out, o, n) => { for (let j = 0; j < n; j++, ai += as, bi += bs) out[o + j] = a[ai] < b[bi] ? 1 : 0; },
    wgsl: '!nan && x < y',
  },
  le: {
    kind: 'compare',
    cpu: (a, ai, as, b, bi, bs, out, o, n) => { for (let j = 0; j < n; j++, ai += as, bi += bs) out[o + j] = a[ai] <= b[bi] ? 1 : 0; },
    wgsl: '!nan && x <= y',
  },
  gt: {
    kind: 'compare',
    cpu: (a, ai, as, b, bi, bs, out, o, n) => { for (let j = 0; j < n; j++, ai += as, bi += bs) out[o + j] = a[ai] > b[bi] ? 1 : 0; },
    wgsl: '!nan && x > y',
  },
  ge: {
    kind: 'compare',
    cpu: (a, ai, as, b, bi, bs, out, o, n) => { for (let j = 0; j < n; j++, ai += as, bi += bs) out[o + j] = a[ai] >= b[bi] ? 1 : 0; },
    wgsl: '!nan && x >= y',
  },
  // ---- issue 11. logicalAnd/logicalOr: 1 or 0 like the comparisons; any nonzero (NaN too)
  // is true. maximum/minimum propagate NaN and, on a tie of ±0, return the left operand as
  // torch's (a < b ? b : a) does; their gradients compose the comparisons (src/ops/binary.ts).
  logicalAnd: {
    kind: 'compare',
    cpu: (a, ai, as, b, bi, bs, out, o, n) => { for (let j = 0; j < n; j++, ai += as, bi += bs) out[o + j] = a[ai] !== 0 && b[bi] !== 0 ? 1 : 0; },
    wgsl: '(x != T(0) || is_nan(x)) && (y != T(0) || is_nan(y))',
  },
  logicalOr: {
    kind: 'compare',
    cpu: (a, ai, as, b, bi, bs, out, o, n) => { for (let j = 0; j < n; j++, ai += as, bi += bs) out[o + j] = a[ai] !== 0 || b[bi] !== 0 ? 1 : 0; },
    wgsl: 'nan || x != T(0) || y != T(0)',
  },
  maximum: {
    kind: 'arith',
    cpu: (a, ai, as, b, bi, bs, out, o, n) => {
      for (let j = 0; j < n; j++, ai += as, bi += bs) {
        const x = a[ai];
        const y = b[bi];
        out[o + j] = x !== x || y !== y ? NaN : x < y ? y : x;
      }
    },
    // NaN as the NaN operand itself (select, not arithmetic: WGSL promises nothing of NaN + x).
    wgsl: 'select(select(x, y, x < y), select(y, x, is_nan(x)), nan)',
  },
  minimum: {
    kind: 'arith',
    cpu: (a, ai, as, b, bi, bs, out, o, n) => {
      for (let j = 0; j < n; j++, ai += as, bi += bs) {
        const x = a[ai];
        const y = b[bi];
        out[o + j] = x !== x || y !== y ? NaN : y < x ? y : x;
      }
    },
    wgsl: 'select(select(x, y, y < x), select(y, x, is_nan(x)), nan)',
  },
} satisfies Record<string, BinaryDef>;

/** The name of an elementwise binary kernel: the arithmetic ops and the comparisons. */
export type BinaryOp = keyof typeof BINARY;
export const BINARY_OPS = Object.keys(BINARY) as BinaryOp[];
/** The arithmetic binary ops (add, sub, mul, div), whose result has the promoted dtype (div: float). */
export type ArithOp = { [K in BinaryOp]: (typeof BINARY)[K]['kind'] extends 'arith' ? K : never }[BinaryOp];
/** The comparisons ('eq', 'ne', 'lt', 'le', 'gt', 'ge'), whose result is float32 1 or 0. */
export type CompareOp = Exclude<BinaryOp, ArithOp>;
