import type { TypedArray } from '../../dtype.js';
import type { ReduceLayout } from '../../shape.js';
import type { ArgReduceOp, ReduceOp } from '../backend.js';
import { alloc, allocLike } from './storage.js';

// All kernels here view x as [outer, size, inner] and reduce the middle axis. They walk x in
// memory order, keeping one running value per inner position, so a reduction over a leading
// dim reads contiguous rows instead of striding by `inner`.

export function reduce(op: ReduceOp, x: TypedArray, { outer, size, inner }: ReduceLayout): TypedArray {
  const out = allocLike(x, outer * inner);
  if (op === 'sum') sumInto(x, outer, size, inner, out);
  else if (size > 0) extremeInto(op === 'max', x, outer, size, inner, out);
  return out;
}

/** Accumulates in float64 and rounds once per output; an empty sum is 0. */
function sumInto(x: TypedArray, outer: number, size: number, inner: number, out: TypedArray): void {
  if (inner === 1) {
    for (let o = 0; o < outer; o++) {
      let s = 0;
      for (let j = 0, xi = o * size; j < size; j++, xi++) s += x[xi];
      out[o] = s;
    }
    return;
  }
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    acc.fill(0);
    for (let j = 0, xi = o * size * inner; j < size; j++) {
      for (let i = 0; i < inner; i++, xi++) acc[i] += x[xi];
    }
    out.set(acc, o * inner);
  }
}

/** max/min that propagate NaN: once a NaN is taken, nothing compares greater or less than it. */
function extremeInto(isMax: boolean, x: TypedArray, outer: number, size: number, inner: number, out: TypedArray): void {
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    let xi = o * size * inner;
    for (let i = 0; i < inner; i++, xi++) acc[i] = x[xi];
    for (let j = 1; j < size; j++) {
      if (isMax) {
        for (let i = 0; i < inner; i++, xi++) {
          const v = x[xi];
          if (v > acc[i] || v !== v) acc[i] = v;
        }
      } else {
        for (let i = 0; i < inner; i++, xi++) {
          const v = x[xi];
          if (v < acc[i] || v !== v) acc[i] = v;
        }
      }
    }
    out.set(acc, o * inner);
  }
}

/**
 * int32 index of the first extreme element. Strict comparisons keep the first of ties; a NaN
 * beats any number and, once held, nothing replaces it, so the first NaN wins (PyTorch).
 */
export function argReduce(op: ArgReduceOp, x: TypedArray, { outer, size, inner }: ReduceLayout): TypedArray {
  const out = alloc('int32', outer * inner);
  if (size === 0) return out;
  const isMax = op === 'argmax';
  const best = new Float64Array(inner);
  const idx = new Int32Array(inner);
  for (let o = 0; o < outer; o++) {
    let xi = o * size * inner;
    for (let i = 0; i < inner; i++, xi++) best[i] = x[xi];
    idx.fill(0);
    for (let j = 1; j < size; j++) {
      if (isMax) {
        for (let i = 0; i < inner; i++, xi++) {
          const v = x[xi];
          const b = best[i];
          if (v > b || (v !== v && b === b)) {
            best[i] = v;
            idx[i] = j;
          }
        }
      } else {
        for (let i = 0; i < inner; i++, xi++) {
          const v = x[xi];
          const b = best[i];
          if (v < b || (v !== v && b === b)) {
            best[i] = v;
            idx[i] = j;
          }
        }
      }
    }
    out.set(idx, o * inner);
  }
  return out;
}

/** dx = 0 except dx[o, idx[o,i], i] = dy[o,i]: the backward of max/min along a dim. */
export function scatterIndex(dy: TypedArray, idx: TypedArray, { outer, size, inner }: ReduceLayout): TypedArray {
  const dx = allocLike(dy, outer * size * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const k = o * inner + i;
      dx[(o * size + idx[k]) * inner + i] = dy[k];
    }
  }
  return dx;
}
