import type { TypedArray } from '../dtype.js';

/**
 * The elementwise unary ops: one entry per op, and everything else is derived from this table —
 * the `UnaryOp` type, the CPU kernels, the WGSL `OP_*` constants and the shader's op switch
 * (src/backend/webgpu/op-header.ts), which values the derivative reads. Adding an op is one
 * entry here plus its method in src/ops/elementwise.ts (docs/architecture.md).
 *
 * CPU loops: each entry writes its own loop rather than handing a per-element function to one
 * shared loop. A shared loop's call site sees every op, stops inlining, and ran 2x slower
 * (exp 36 vs 19 ms, relu 18 vs 8 ms on 1M float32 elements). Every CPU kernel computes in
 * float64 and rounds once when it stores into the output array: for float32 that matches
 * PyTorch exactly for neg/abs/relu/sqrt and to within an ulp for the transcendental functions.
 *
 * WGSL: `wgsl` is an expression of `v: T` (and the exponent `P.p`); `wgslGrad` one of `g: T`
 * (the incoming gradient) and `s: T`, the saved value named by `gradReads`. T is f32, or i32
 * for the ops defined on int32, so every expression must compile for both. The helpers they
 * call (exp_, log_, ...) live in shaders/unary.wgsl, where NaN and Inf are spelled out because
 * WGSL promises nothing about them.
 */
export interface UnaryDef {
  /** What the derivative reads besides dy: the input x, the output y, or neither. */
  readonly gradReads: 'x' | 'y' | null;
  /**
   * Defined on int32 tensors too (for which parameters), with int32 results; the op layer
   * refuses the rest before any kernel runs.
   */
  readonly int: boolean | ((p: number) => boolean);
  /** y[i] = f(x[i]); `p` is the op's parameter (pow's exponent). */
  readonly cpu: (x: TypedArray, y: TypedArray, p: number) => void;
  /** dx[i] from s[i] (x or y, per gradReads; dy when neither) and dy[i]. */
  readonly cpuGrad: (s: TypedArray, dy: TypedArray, dx: TypedArray, p: number) => void;
  readonly wgsl: string;
  readonly wgslGrad: string;
}

export const UNARY = {
  neg: {
    gradReads: null,
    int: true,
    // int32: storing 2^31 wraps to -2^31, the two's-complement result PyTorch gives.
    cpu: (x, y) => { for (let i = 0; i < x.length; i++) y[i] = -x[i]; },
    cpuGrad: (_s, dy, dx) => { for (let i = 0; i < dy.length; i++) dx[i] = -dy[i]; },
    wgsl: '-v',
    wgslGrad: '-g',
  },
  exp: {
    gradReads: 'y',
    int: false,
    cpu: (x, y) => { for (let i = 0; i < x.length; i++) y[i] = Math.exp(x[i]); },
    cpuGrad: (y, dy, dx) => { for (let i = 0; i < dy.length; i++) dx[i] = dy[i] * y[i]; },
    wgsl: 'T(exp_(f32(v)))',
    wgslGrad: 'g * s',
  },
  log: {
    gradReads: 'x',
    int: false,
    cpu: (x, y) => { for (let i = 0; i < x.length; i++) y[i] = Math.log(x[i]); },
    cpuGrad: (x, dy, dx) => { for (let i = 0; i < dy.length; i++) dx[i] = dy[i] / x[i]; },
    wgsl: 'T(log_(f32(v)))',
    wgslGrad: 'g / s',
  },
  sqrt: {
    gradReads: 'y',
    int: false,
    cpu: (x, y) => { for (let i = 0; i < x.length; i++) y[i] = Math.sqrt(x[i]); },
    cpuGrad: (y, dy, dx) => { for (let i = 0; i < dy.length; i++) dx[i] = dy[i] / (2 * y[i]); },
    wgsl: 'T(sqrt_(f32(v)))',
    wgslGrad: 'g / (T(2) * s)',
  },
  sigmoid: {
    gradReads: 'y',
    int: false,
    // Two branches so exp never overflows: 1/(1+e^-v) for v >= 0, e^v/(1+e^v) below.
    cpu: (x, y) => {
      for (let i = 0; i < x.length; i++) {
        const v = x[i];
        if (v >= 0) y[i] = 1 / (1 + Math.exp(-v));
        else {
          const e = Math.exp(v);
          y[i] = e / (1 + e);
        }
      }
    },
    cpuGrad: (y, dy, dx) => { for (let i = 0; i < dy.length; i++) dx[i] = dy[i] * (1 - y[i]) * y[i]; },
    wgsl: 'T(sigmoid_(f32(v)))',
    wgslGrad: 'g * (T(1) - s) * s',
  },
  tanh: {
    gradReads: 'y',
    int: false,
    cpu: (x, y) => { for (let i = 0; i < x.length; i++) y[i] = Math.tanh(x[i]); },
    cpuGrad: (y, dy, dx) => { for (let i = 0; i < dy.length; i++) dx[i] = dy[i] * (1 - y[i] * y[i]); },
    wgsl: 'T(tanh_(f32(v)))',
    wgslGrad: 'g * (T(1) - s * s)',
  },
  relu: {
    gradReads: 'x',
    int: true,
    // NaN passes through (PyTorch); `v > 0` alone would turn it into 0.
    cpu: (x, y) => {
      for (let i = 0; i < x.length; i++) {
        const v = x[i];
        y[i] = v > 0 || v !== v ? v : 0;
      }
    },
    // A select, not a product (PyTorch's threshold_backward): x <= 0 gives 0 even if dy is
    // NaN, and NaN x passes dy (NaN <= 0 is false; torch 1.13 fixture).
    cpuGrad: (x, dy, dx) => { for (let i = 0; i < dy.length; i++) dx[i] = x[i] <= 0 ? 0 : dy[i]; },
    wgsl: 'select(T(0), v, v > T(0) || is_nan(v))',
    wgslGrad: 'select(T(0), g, s > T(0) || is_nan(s))',
  },
  abs: {
    gradReads: 'x',
    int: true,
    cpu: (x, y) => { for (let i = 0; i < x.length; i++) y[i] = Math.abs(x[i]); },
    // dy * sign(x) with sign(0) = sign(NaN) = 0, a product as in PyTorch.
    cpuGrad: (x, dy, dx) => {
      for (let i = 0; i < dy.length; i++) {
        const v = x[i];
        dx[i] = dy[i] * (v > 0 ? 1 : v < 0 ? -1 : 0);
      }
    },
    wgsl: 'abs_(v)',
    wgslGrad: 'g * select(select(T(0), T(-1), s < T(0)), T(1), s > T(0))',
  },
  pow: {
    gradReads: 'x',
    // The square only: an int32 tensor to another power would give a float in PyTorch.
    int: (p) => p === 2,
    cpu: (x, y, p) => powInto(x, p, y),
    // PyTorch masks exponent 0 to a zero gradient (else 0 * x^-1 is NaN at x = 0).
    cpuGrad: (x, dy, dx, p) => {
      if (p !== 0) for (let i = 0; i < dy.length; i++) dx[i] = dy[i] * p * Math.pow(x[i], p - 1);
    },
    wgsl: 'pow_t(v)',
    wgslGrad: 'select(T(f32(g) * P.p * pow_(f32(s), P.p - 1.0)), T(0), P.p == 0.0)',
  },
} satisfies Record<string, UnaryDef>;

export type UnaryOp = keyof typeof UNARY;
export const UNARY_OPS = Object.keys(UNARY) as UnaryOp[];

/** Whether `op` with parameter `p` is defined on int32 tensors. */
export function unaryOnInt(op: UnaryOp, p: number): boolean {
  const int: UnaryDef['int'] = UNARY[op].int;
  return typeof int === 'function' ? int(p) : int;
}

function powInto(x: TypedArray, p: number, y: TypedArray): void {
  const n = x.length;
  if (p === 2) {
    // The common square: exact in float64, so one rounding like PyTorch's float32 x*x.
    for (let i = 0; i < n; i++) y[i] = x[i] * x[i];
  } else if (Number.isFinite(p)) {
    for (let i = 0; i < n; i++) y[i] = Math.pow(x[i], p);
  } else {
    for (let i = 0; i < n; i++) y[i] = powC(x[i], p);
  }
}

/**
 * C's pow (what PyTorch calls) where JavaScript's differs, which is only for a non-finite
 * exponent: C gives pow(1, y) = 1 for every y and pow(-1, ±Inf) = 1; Math.pow gives NaN.
 */
function powC(v: number, p: number): number {
  if (v === 1 || (v === -1 && p === p)) return 1;
  return Math.pow(v, p);
}
