import type { TypedArray } from '../../dtype.js';
import { mergeDims, numelOf, type Shape } from '../../shape.js';
import { alloc } from './storage.js';
import { dtypeOfArray } from '../../dtype.js';

/**
 * out = cond ? a : b elementwise into the contiguous `outShape`, each operand read through its
 * broadcast strides (0 on broadcast dims). cond may be any dtype: nonzero (NaN included) is
 * true, ±0 false. a and b share the output's dtype. Dims are merged first (mergeDims, as the
 * WebGPU kernel does), then one odometer walks the rest.
 */
export function where(
  cond: TypedArray,
  a: TypedArray,
  b: TypedArray,
  outShape: Shape,
  cStrides: readonly number[],
  aStrides: readonly number[],
  bStrides: readonly number[],
): TypedArray {
  const n = numelOf(outShape);
  const out = alloc(dtypeOfArray(a), n);
  if (n === 0) return out;
  const { shape, strides } = mergeDims(outShape, [cStrides, aStrides, bStrides]);
  const [cs, as, bs] = strides;
  const rank = shape.length;
  const idx = new Int32Array(rank);
  let ci = 0;
  let ai = 0;
  let bi = 0;
  for (let e = 0; e < n; e++) {
    out[e] = cond[ci] !== 0 ? a[ai] : b[bi];
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) {
        ci += cs[d];
        ai += as[d];
        bi += bs[d];
        break;
      }
      idx[d] = 0;
      ci -= cs[d] * (shape[d] - 1);
      ai -= as[d] * (shape[d] - 1);
      bi -= bs[d] * (shape[d] - 1);
    }
  }
  return out;
}
