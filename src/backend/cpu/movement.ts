import type { DType, TypedArray } from '../../dtype.js';
import type { Shape } from '../../shape.js';
import { contiguousStrides, numelOf, sumToStrides } from '../../shape.js';
import { RowWalk } from './indexing.js';
import { alloc, allocLike } from './storage.js';

/**
 * Numeric conversion. TypedArray.set converts element by element with the same rules as a
 * store: to int32 truncates toward zero (NaN becomes 0, out-of-range wraps, where PyTorch's
 * result is undefined anyway); to float32 rounds to nearest.
 */
export function cast(x: TypedArray, dtype: DType): TypedArray {
  const y = alloc(dtype, x.length);
  y.set(x);
  return y;
}

/** out[i0..ir] = x[offset + Σ i_d * strides[d]]: transpose, expand and slice in one gather. */
export function strided(x: TypedArray, outShape: Shape, strides: readonly number[], offset: number): TypedArray {
  const walk = new RowWalk(outShape, strides, new Array<number>(outShape.length).fill(0), offset);
  const out = allocLike(x, walk.rows * walk.rowLen);
  const n = walk.rowLen;
  const step = walk.aStep;
  for (let r = 0, o = 0; r < walk.rows; r++, o += n) {
    if (step === 1) {
      out.set(x.subarray(walk.aOff, walk.aOff + n), o);
    } else {
      for (let j = 0, xi = walk.aOff; j < n; j++, xi += step) out[o + j] = x[xi];
    }
    walk.next();
  }
  return out;
}

/**
 * Sums x down to outShape (same rank, 1 on summed dims): the gradient of a broadcast. Walks x
 * in memory order and adds each element into the output slot its broadcast came from (output
 * stride 0 on summed dims), accumulating in float64 and rounding once at the end.
 */
export function sumTo(x: TypedArray, xShape: Shape, outShape: Shape): TypedArray {
  const outStrides = sumToStrides(xShape, outShape);
  const acc = new Float64Array(numelOf(outShape));
  const walk = new RowWalk(xShape, contiguousStrides(xShape), outStrides);
  const n = walk.rowLen;
  const xs = walk.aStep;
  const os = walk.bStep;
  for (let r = 0; r < walk.rows; r++) {
    if (os === 0) {
      // Summing along the row into one slot: keep the running sum in a register.
      let s = 0;
      for (let j = 0, xi = walk.aOff; j < n; j++, xi += xs) s += x[xi];
      acc[walk.bOff] += s;
    } else {
      for (let j = 0, xi = walk.aOff, oi = walk.bOff; j < n; j++, xi += xs, oi += os) acc[oi] += x[xi];
    }
    walk.next();
  }
  const out = allocLike(x, acc.length);
  out.set(acc);
  return out;
}

/** cat: the [rows, widths[k]] pieces side by side in each row of a [rows, Σ widths] result. */
export function catRows(pieces: readonly TypedArray[], rows: number, widths: readonly number[]): TypedArray {
  const width = widths.reduce((a, b) => a + b, 0);
  const out = allocLike(pieces[0], rows * width);
  let offset = 0;
  pieces.forEach((p, k) => {
    const w = widths[k];
    for (let r = 0; r < rows; r++) out.set(p.subarray(r * w, (r + 1) * w), r * width + offset);
    offset += w;
  });
  return out;
}

/** cat's backward: the [rows, part.width] block at column part.offset of a [rows, width] whole. */
export function splitRows(whole: TypedArray, rows: number, width: number, parts: readonly { readonly offset: number; readonly width: number }[]): TypedArray[] {
  return parts.map(({ offset, width: w }) => {
    const out = allocLike(whole, rows * w);
    for (let r = 0; r < rows; r++) out.set(whole.subarray(r * width + offset, r * width + offset + w), r * w);
    return out;
  });
}
