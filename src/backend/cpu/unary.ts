import type { TypedArray } from '../../dtype.js';
import type { UnaryOp } from '../backend.js';
import { allocLike } from './storage.js';

// Every kernel here computes in float64 and rounds once when storing into the output array.
// For float32 inputs that matches PyTorch exactly for neg/abs/relu/clamp/sqrt (float64 has
// enough bits that the double rounding is harmless) and to within an ulp for the
// transcendental functions.

export function unary(op: UnaryOp, x: TypedArray, p: number): TypedArray {
  const n = x.length;
  const y = allocLike(x);
  switch (op) {
    case 'neg':
      // int32: storing 2^31 wraps to -2^31, the two's-complement result PyTorch gives.
      for (let i = 0; i < n; i++) y[i] = -x[i];
      break;
    case 'exp':
      for (let i = 0; i < n; i++) y[i] = Math.exp(x[i]);
      break;
    case 'log':
      for (let i = 0; i < n; i++) y[i] = Math.log(x[i]);
      break;
    case 'sqrt':
      for (let i = 0; i < n; i++) y[i] = Math.sqrt(x[i]);
      break;
    case 'sigmoid':
      // Two branches so exp never overflows: 1/(1+e^-v) for v >= 0, e^v/(1+e^v) below.
      for (let i = 0; i < n; i++) {
        const v = x[i];
        if (v >= 0) {
          y[i] = 1 / (1 + Math.exp(-v));
        } else {
          const e = Math.exp(v);
          y[i] = e / (1 + e);
        }
      }
      break;
    case 'tanh':
      for (let i = 0; i < n; i++) y[i] = Math.tanh(x[i]);
      break;
    case 'relu':
      // NaN passes through (PyTorch); `v > 0` alone would turn it into 0.
      for (let i = 0; i < n; i++) {
        const v = x[i];
        y[i] = v > 0 || v !== v ? v : 0;
      }
      break;
    case 'abs':
      for (let i = 0; i < n; i++) y[i] = Math.abs(x[i]);
      break;
    case 'pow':
      powInto(x, p, y);
      break;
  }
  return y;
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

/** dx for y = op(x); see Backend.unaryGrad for which of x and y each op reads. */
export function unaryGrad(op: UnaryOp, x: TypedArray, y: TypedArray, dy: TypedArray, p: number): TypedArray {
  const n = dy.length;
  const dx = allocLike(dy);
  switch (op) {
    case 'neg':
      for (let i = 0; i < n; i++) dx[i] = -dy[i];
      break;
    case 'exp':
      for (let i = 0; i < n; i++) dx[i] = dy[i] * y[i];
      break;
    case 'log':
      for (let i = 0; i < n; i++) dx[i] = dy[i] / x[i];
      break;
    case 'sqrt':
      for (let i = 0; i < n; i++) dx[i] = dy[i] / (2 * y[i]);
      break;
    case 'sigmoid':
      for (let i = 0; i < n; i++) dx[i] = dy[i] * (1 - y[i]) * y[i];
      break;
    case 'tanh':
      for (let i = 0; i < n; i++) dx[i] = dy[i] * (1 - y[i] * y[i]);
      break;
    case 'relu':
      // A select, not a product (PyTorch's threshold_backward): x <= 0 gives 0 even if dy is
      // NaN, and NaN x passes dy (NaN <= 0 is false; torch 1.13 fixture).
      for (let i = 0; i < n; i++) dx[i] = x[i] <= 0 ? 0 : dy[i];
      break;
    case 'abs':
      // dy * sign(x) with sign(0) = sign(NaN) = 0, a product as in PyTorch.
      for (let i = 0; i < n; i++) {
        const v = x[i];
        dx[i] = dy[i] * (v > 0 ? 1 : v < 0 ? -1 : 0);
      }
      break;
    case 'pow':
      // PyTorch masks exponent 0 to a zero gradient (else 0 * x^-1 is NaN at x = 0).
      if (p !== 0) {
        for (let i = 0; i < n; i++) dx[i] = dy[i] * p * Math.pow(x[i], p - 1);
      }
      break;
  }
  return dx;
}

/** min/max may be ±Infinity. Applied as min(max(x, lo), hi) like PyTorch, so lo > hi gives hi. */
export function clamp(x: TypedArray, lo: number, hi: number): TypedArray {
  const n = x.length;
  const y = allocLike(x);
  for (let i = 0; i < n; i++) {
    // Comparisons with NaN are false, so NaN falls through both and stays NaN.
    let v = x[i];
    if (v < lo) v = lo;
    if (v > hi) v = hi;
    y[i] = v;
  }
  return y;
}

/** The gradient passes on the closed interval [lo, hi]; NaN x fails both tests and gets 0. */
export function clampGrad(x: TypedArray, dy: TypedArray, lo: number, hi: number): TypedArray {
  const n = x.length;
  const dx = allocLike(dy);
  for (let i = 0; i < n; i++) {
    const v = x[i];
    dx[i] = v >= lo && v <= hi ? dy[i] : 0;
  }
  return dx;
}
