import type { TypedArray } from '../../dtype.js';
import type { Shape } from '../../shape.js';
import type { StridedRegion } from '../backend.js';
import { RowWalk } from './indexing.js';

/**
 * In place: dst[to.offset + Σ i_d * to.strides[d]] = src[from.offset + Σ i_d * from.strides[d]]
 * for every index of `shape`, a row at a time (a contiguous row on both sides is one `set`).
 */
export function stridedScatter(src: TypedArray, dst: TypedArray, shape: Shape, from: StridedRegion, to: StridedRegion): void {
  const walk = new RowWalk(shape, from.strides, to.strides, from.offset, to.offset);
  const n = walk.rowLen;
  const ss = walk.aStep;
  const ds = walk.bStep;
  for (let r = 0; r < walk.rows; r++) {
    if (ss === 1 && ds === 1) {
      dst.set(src.subarray(walk.aOff, walk.aOff + n), walk.bOff);
    } else {
      for (let j = 0, si = walk.aOff, di = walk.bOff; j < n; j++, si += ss, di += ds) dst[di] = src[si];
    }
    walk.next();
  }
}
