import type { TypedArray } from '../dtype.js';
import { erf, INV_SQRT_2PI, roundHalfEven, SQRT1_2, SQRT_2_OVER_PI, TWO_OVER_SQRT_PI } from './math.js';

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
 * WGSL: `wgsl` is an expression of `v: T` and the op's parameter `p: f32` (pow's exponent, a
 * slope); `wgslGrad` one of `g: T` (the incoming gradient), `p` and `s: T`, the saved value
 * named by `gradReads`. T is f32, or i32 for the ops defined on int32, so every expression must
 * compile for both. The helpers they call (exp_, log_, ...) live in
 * shaders/elementwise_math.wgsl, where NaN and Inf are spelled out because WGSL promises nothing
 * about them; they read no uniform, so a generated chain kernel can give each op its own `p`.
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
    wgsl: 'pow_t(v, p)',
    wgslGrad: 'select(T(f32(g) * p * pow_(f32(s), p - 1.0)), T(0), p == 0.0)',
  },
  // ---- activations (issue 11). `p` is leakyRelu's negativeSlope, elu's alpha, softplus's
  // threshold. Formulas and NaN/Inf results are PyTorch 1.13's (test/fixtures/activations.json).
  gelu: {
    gradReads: 'x',
    int: false,
    // x·Φ(x) with Φ(x) = (1 + erf(x/√2))/2; gelu(-Inf) = -Inf·0 = NaN, as in torch.
    cpu: (x, y) => { for (let i = 0; i < x.length; i++) y[i] = 0.5 * x[i] * (1 + erf(x[i] * SQRT1_2)); },
    // Φ(x) + x·φ(x); NaN at ±Inf (Inf·0), as in torch.
    cpuGrad: (x, dy, dx) => {
      for (let i = 0; i < dy.length; i++) {
        const v = x[i];
        dx[i] = dy[i] * (0.5 * (1 + erf(v * SQRT1_2)) + v * INV_SQRT_2PI * Math.exp(-0.5 * v * v));
      }
    },
    wgsl: 'T(gelu_(f32(v)))',
    wgslGrad: 'T(gelu_grad_(f32(s), f32(g)))',
  },
  geluTanh: {
    gradReads: 'x',
    int: false,
    // gelu(x, { approximate: 'tanh' }): x/2·(1 + tanh(√(2/π)(x + 0.044715x³))).
    cpu: (x, y) => {
      for (let i = 0; i < x.length; i++) {
        const v = x[i];
        y[i] = 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v)));
      }
    },
    // torch's gelu_backward for 'tanh', term for term.
    cpuGrad: (x, dy, dx) => {
      for (let i = 0; i < dy.length; i++) {
        const v = x[i];
        const th = Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v));
        dx[i] = dy[i] * (0.5 * (1 + th) + 0.5 * v * (1 - th * th) * SQRT_2_OVER_PI * (1 + 3 * 0.044715 * v * v));
      }
    },
    wgsl: 'T(gelu_tanh_(f32(v)))',
    wgslGrad: 'T(gelu_tanh_grad_(f32(s), f32(g)))',
  },
  silu: {
    gradReads: 'x',
    int: false,
    // x·σ(x) as torch writes it, x/(1 + e^-x): silu(-Inf) = NaN.
    cpu: (x, y) => { for (let i = 0; i < x.length; i++) y[i] = x[i] / (1 + Math.exp(-x[i])); },
    cpuGrad: (x, dy, dx) => {
      for (let i = 0; i < dy.length; i++) {
        const v = x[i];
        const s = 1 / (1 + Math.exp(-v));
        dx[i] = dy[i] * s * (1 + v * (1 - s));
      }
    },
    wgsl: 'T(silu_(f32(v)))',
    wgslGrad: 'T(silu_grad_(f32(s), f32(g)))',
  },
  leakyRelu: {
    gradReads: 'x',
    int: false,
    // NaN: `x > 0` is false, so NaN·slope = NaN forward and dy·slope backward (torch).
    cpu: (x, y, p) => { for (let i = 0; i < x.length; i++) y[i] = x[i] > 0 ? x[i] : x[i] * p; },
    cpuGrad: (x, dy, dx, p) => { for (let i = 0; i < dy.length; i++) dx[i] = x[i] > 0 ? dy[i] : dy[i] * p; },
    wgsl: 'T(leaky_relu_(f32(v), p))',
    wgslGrad: 'T(leaky_relu_grad_(f32(s), f32(g), p))',
  },
  elu: {
    gradReads: 'x',
    int: false,
    // alpha·(e^x - 1) below 0 by expm1: torch's float32 exp(x) - 1 is off by 1e-8 absolute
    // near 0 (elu(-1e-5) = -1.001358e-5 against the true -9.99995e-6).
    cpu: (x, y, p) => { for (let i = 0; i < x.length; i++) y[i] = x[i] > 0 || x[i] !== x[i] ? x[i] : p * Math.expm1(x[i]); },
    // NaN x gives NaN: torch 1.13's vectorized elu_backward (any tensor of 8+ float64 or 32+
    // float32 elements) does; its scalar tail passes dy instead, so torch disagrees with itself.
    cpuGrad: (x, dy, dx, p) => { for (let i = 0; i < dy.length; i++) dx[i] = x[i] > 0 ? dy[i] : dy[i] * p * Math.exp(x[i]); },
    wgsl: 'T(elu_(f32(v), p))',
    wgslGrad: 'T(elu_grad_(f32(s), f32(g), p))',
  },
  softplus: {
    gradReads: 'x',
    int: false,
    // beta = 1: x above the threshold, else log(1 + e^x). The op layer applies beta around it.
    cpu: (x, y, p) => { for (let i = 0; i < x.length; i++) y[i] = x[i] > p ? x[i] : Math.log1p(Math.exp(x[i])); },
    // torch's softplus_backward: z/(z + 1) with z = e^x below the threshold.
    cpuGrad: (x, dy, dx, p) => {
      for (let i = 0; i < dy.length; i++) {
        const z = Math.exp(x[i]);
        dx[i] = x[i] > p ? dy[i] : (dy[i] * z) / (z + 1);
      }
    },
    wgsl: 'T(softplus_(f32(v), p))',
    wgslGrad: 'T(softplus_grad_(f32(s), f32(g), p))',
  },
  // ---- more elementwise math (issue 11)
  log1p: {
    gradReads: 'x',
    int: false,
    cpu: (x, y) => { for (let i = 0; i < x.length; i++) y[i] = Math.log1p(x[i]); },
    cpuGrad: (x, dy, dx) => { for (let i = 0; i < dy.length; i++) dx[i] = dy[i] / (1 + x[i]); },
    wgsl: 'T(log1p_(f32(v)))',
    wgslGrad: 'T(f32(g) / (1.0 + f32(s)))',
  },
  expm1: {
    gradReads: 'y',
    int: false,
    cpu: (x, y) => { for (let i = 0; i < x.length; i++) y[i] = Math.expm1(x[i]); },
    cpuGrad: (y, dy, dx) => { for (let i = 0; i < dy.length; i++) dx[i] = dy[i] * (y[i] + 1); },
    wgsl: 'T(expm1_(f32(v)))',
    wgslGrad: 'T(f32(g) * (f32(s) + 1.0))',
  },
  sin: {
    gradReads: 'x',
    int: false,
    cpu: (x, y) => { for (let i = 0; i < x.length; i++) y[i] = Math.sin(x[i]); },
    cpuGrad: (x, dy, dx) => { for (let i = 0; i < dy.length; i++) dx[i] = dy[i] * Math.cos(x[i]); },
    wgsl: 'T(sin_(f32(v)))',
    wgslGrad: 'T(f32(g) * cos_(f32(s)))',
  },
  cos: {
    gradReads: 'x',
    int: false,
    cpu: (x, y) => { for (let i = 0; i < x.length; i++) y[i] = Math.cos(x[i]); },
    cpuGrad: (x, dy, dx) => { for (let i = 0; i < dy.length; i++) dx[i] = -dy[i] * Math.sin(x[i]); },
    wgsl: 'T(cos_(f32(v)))',
    wgslGrad: 'T(-f32(g) * sin_(f32(s)))',
  },
  rsqrt: {
    gradReads: 'y',
    int: false,
    // 1/√-0 = -Inf, as in torch.
    cpu: (x, y) => { for (let i = 0; i < x.length; i++) y[i] = 1 / Math.sqrt(x[i]); },
    cpuGrad: (y, dy, dx) => { for (let i = 0; i < dy.length; i++) dx[i] = -0.5 * dy[i] * y[i] * y[i] * y[i]; },
    wgsl: 'T(rsqrt_(f32(v)))',
    wgslGrad: 'T(-0.5 * f32(g) * f32(s) * f32(s) * f32(s))',
  },
  erf: {
    gradReads: 'x',
    int: false,
    cpu: (x, y) => { for (let i = 0; i < x.length; i++) y[i] = erf(x[i]); },
    cpuGrad: (x, dy, dx) => { for (let i = 0; i < dy.length; i++) dx[i] = dy[i] * TWO_OVER_SQRT_PI * Math.exp(-x[i] * x[i]); },
    wgsl: 'T(erf_(f32(v)))',
    wgslGrad: 'T(f32(g) * 1.1283791671 * exp_(-f32(s) * f32(s)))',
  },
  reciprocal: {
    gradReads: 'y',
    int: false,
    cpu: (x, y) => { for (let i = 0; i < x.length; i++) y[i] = 1 / x[i]; },
    cpuGrad: (y, dy, dx) => { for (let i = 0; i < dy.length; i++) dx[i] = -dy[i] * y[i] * y[i]; },
    wgsl: 'T(reciprocal_(f32(v)))',
    wgslGrad: 'T(-f32(g) * f32(s) * f32(s))',
  },
  // sign, floor, ceil, round: piecewise constant, so the gradient is 0 (torch: zeros, even
  // where dy is NaN). On int32 they keep the dtype (floor/ceil/round are the identity).
  sign: {
    gradReads: null,
    int: true,
    // sign(NaN) = 0 and sign(-0) = +0, as in torch 1.13.
    cpu: (x, y) => { for (let i = 0; i < x.length; i++) y[i] = x[i] > 0 ? 1 : x[i] < 0 ? -1 : 0; },
    cpuGrad: (_s, _dy, dx) => dx.fill(0),
    wgsl: 'sign_t(v)',
    wgslGrad: 'T(0)',
  },
  floor: {
    gradReads: null,
    int: true,
    cpu: (x, y) => { for (let i = 0; i < x.length; i++) y[i] = Math.floor(x[i]); },
    cpuGrad: (_s, _dy, dx) => dx.fill(0),
    wgsl: 'floor_t(v)',
    wgslGrad: 'T(0)',
  },
  ceil: {
    gradReads: null,
    int: true,
    cpu: (x, y) => { for (let i = 0; i < x.length; i++) y[i] = Math.ceil(x[i]); },
    cpuGrad: (_s, _dy, dx) => dx.fill(0),
    wgsl: 'ceil_t(v)',
    wgslGrad: 'T(0)',
  },
  round: {
    gradReads: null,
    int: true,
    // Half to even, as torch.round: 0.5 -> 0, 1.5 -> 2, 2.5 -> 2, -0.5 -> -0.
    cpu: (x, y) => { for (let i = 0; i < x.length; i++) y[i] = roundHalfEven(x[i]); },
    cpuGrad: (_s, _dy, dx) => dx.fill(0),
    wgsl: 'round_t(v)',
    wgslGrad: 'T(0)',
  },
  logicalNot: {
    gradReads: null,
    // The op layer casts int32 to float32 first: the result is 0/1 in a float dtype, like the
    // comparisons (webgrad has no bool). NaN is true (nonzero), so its negation is 0.
    int: false,
    cpu: (x, y) => { for (let i = 0; i < x.length; i++) y[i] = x[i] === 0 ? 1 : 0; },
    cpuGrad: (_s, _dy, dx) => dx.fill(0),
    wgsl: 'select(T(0), T(1), !is_nan(v) && v == T(0))',
    wgslGrad: 'T(0)',
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
