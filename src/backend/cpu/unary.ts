import type { TypedArray } from '../../dtype.js';
import { UNARY, type UnaryOp } from '../../kernels/unary.js';
import { allocLike } from './storage.js';

/** y = op(x), by the op table's CPU loop (src/kernels/unary.ts). */
export function unary(op: UnaryOp, x: TypedArray, p: number): TypedArray {
  const y = allocLike(x);
  UNARY[op].cpu(x, y, p);
  return y;
}

/** dx for y = op(x); the table says which of x and y (or neither) the derivative reads. */
export function unaryGrad(op: UnaryOp, x: TypedArray, y: TypedArray, dy: TypedArray, p: number): TypedArray {
  const def = UNARY[op];
  const dx = allocLike(dy);
  def.cpuGrad(def.gradReads === 'x' ? x : def.gradReads === 'y' ? y : dy, dy, dx, p);
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
