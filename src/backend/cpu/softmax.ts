import type { TypedArray } from '../../dtype.js';
import type { ReduceLayout } from '../../shape.js';
import { allocLike } from './storage.js';

// The softmax family works on one "line" at a time: the `size` elements at
// base, base + inner, ... for each (outer, inner) position. The usual case is the last dim
// (inner = 1), where a line is contiguous. Sums and exps run in float64; each output is rounded
// once on store.

/** Stable softmax / logSoftmax: subtracting the line's max keeps exp from overflowing. */
export function softmax(x: TypedArray, { outer, size, inner }: ReduceLayout, log: boolean): TypedArray {
  const y = allocLike(x);
  const e = new Float64Array(size);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * size * inner + i;
      // NaN-propagating max: a NaN anywhere makes the whole line NaN, as in PyTorch.
      let max = -Infinity;
      for (let j = 0, xi = base; j < size; j++, xi += inner) {
        const v = x[xi];
        if (v > max || v !== v) max = v;
      }
      let sum = 0;
      for (let j = 0, xi = base; j < size; j++, xi += inner) {
        const t = Math.exp(x[xi] - max);
        e[j] = t;
        sum += t;
      }
      if (log) {
        const lse = Math.log(sum);
        for (let j = 0, xi = base; j < size; j++, xi += inner) y[xi] = x[xi] - max - lse;
      } else {
        for (let j = 0, xi = base; j < size; j++, xi += inner) y[xi] = e[j] / sum;
      }
    }
  }
  return y;
}

/** From the saved output y: softmax dx = y*(dy - Σdy*y); logSoftmax dx = dy - exp(y)*Σdy. */
export function softmaxGrad(y: TypedArray, dy: TypedArray, { outer, size, inner }: ReduceLayout, log: boolean): TypedArray {
  const dx = allocLike(dy);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * size * inner + i;
      let s = 0;
      if (log) {
        for (let j = 0, k = base; j < size; j++, k += inner) s += dy[k];
        for (let j = 0, k = base; j < size; j++, k += inner) dx[k] = dy[k] - Math.exp(y[k]) * s;
      } else {
        for (let j = 0, k = base; j < size; j++, k += inner) s += dy[k] * y[k];
        for (let j = 0, k = base; j < size; j++, k += inner) dx[k] = y[k] * (dy[k] - s);
      }
    }
  }
  return dx;
}

/** Max and log Σ exp(x - max) of row r of [rows, classes], the two halves of its logsumexp. */
function rowStats(x: TypedArray, r: number, classes: number): [max: number, logSum: number] {
  const base = r * classes;
  let max = -Infinity;
  for (let c = 0; c < classes; c++) {
    const v = x[base + c];
    if (v > max || v !== v) max = v;
  }
  let sum = 0;
  for (let c = 0; c < classes; c++) sum += Math.exp(x[base + c] - max);
  return [max, Math.log(sum)];
}

/** Per-row loss logsumexp(x) - x[target], i.e. -logSoftmax(x)[target], in the logits' dtype. */
export function crossEntropy(logits: TypedArray, targets: TypedArray, rows: number, classes: number): TypedArray {
  const loss = allocLike(logits, rows);
  for (let r = 0; r < rows; r++) {
    const [max, logSum] = rowStats(logits, r, classes);
    loss[r] = -(logits[r * classes + targets[r]] - max - logSum);
  }
  return loss;
}

/** dlogits = (softmax(x) - onehot(target)) * dloss[row], in one pass per row. */
export function crossEntropyGrad(
  logits: TypedArray,
  targets: TypedArray,
  dloss: TypedArray,
  rows: number,
  classes: number,
): TypedArray {
  const dx = allocLike(logits, rows * classes);
  for (let r = 0; r < rows; r++) {
    const [max, logSum] = rowStats(logits, r, classes);
    const base = r * classes;
    const t = targets[r];
    const g = dloss[r];
    for (let c = 0; c < classes; c++) {
      const p = Math.exp(logits[base + c] - max - logSum);
      dx[base + c] = (c === t ? p - 1 : p) * g;
    }
  }
  return dx;
}
