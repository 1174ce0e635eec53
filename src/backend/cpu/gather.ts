import type { TypedArray } from '../../dtype.js';
import { contiguousStrides } from '../../shape.js';
import type { GatherArgs, ScatterArgs } from '../backend.js';

function newLike(x: TypedArray, n: number): TypedArray {
  return new (x.constructor as new (n: number) => TypedArray)(n);
}

/** The oracle of GatherArgs: an odometer over outShape, out-of-range indices read 0. */
export function gather(x: TypedArray, idx: TypedArray, a: GatherArgs): TypedArray {
  const n = a.outShape.reduce((s, d) => s * d, 1);
  const out = newLike(x, n);
  const rank = a.outShape.length;
  const c = new Array<number>(rank).fill(0);
  for (let e = 0; e < n; e++) {
    let xo = 0;
    let io = 0;
    for (let d = 0; d < rank; d++) {
      io += c[d] * a.idxStrides[d];
      if (d !== a.dim) xo += c[d] * a.xStrides[d];
    }
    const s = idx[io];
    out[e] = s >= 0 && s < a.dimSize ? x[xo + s * a.xStrides[a.dim]] : 0;
    for (let d = rank - 1; d >= 0; d--) {
      if (++c[d] < a.outShape[d]) break;
      c[d] = 0;
    }
  }
  return out;
}

/**
 * The oracle of ScatterArgs: every source element in order, summed in float64 per destination
 * (float64 accumulators, rounded once to the output dtype). Out-of-range indices are skipped.
 */
export function scatterAdd(base: TypedArray | null, src: TypedArray, idx: TypedArray, a: ScatterArgs): TypedArray {
  const outN = a.mode === 'index' ? a.outer * a.size * a.inner : a.outShape.reduce((s, d) => s * d, 1);
  const acc = new Float64Array(outN);
  if (base) for (let i = 0; i < outN; i++) acc[i] = base[i];
  if (a.mode === 'index') {
    const { outer, size, inner, n } = a;
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < n; j++) {
        const s = idx[j];
        if (!(s >= 0 && s < size)) continue;
        const from = (o * n + j) * inner;
        const to = (o * size + s) * inner;
        for (let i = 0; i < inner; i++) acc[to + i] += src[from + i];
      }
    }
  } else {
    const { outShape, idxShape, dim } = a;
    const outStrides = contiguousStrides(outShape);
    const rank = idxShape.length;
    const c = new Array<number>(rank).fill(0);
    const total = idxShape.reduce((s, d) => s * d, 1);
    for (let e = 0; e < total; e++) {
      const s = idx[e];
      if (s >= 0 && s < outShape[dim]) {
        let to = s * outStrides[dim];
        for (let d = 0; d < rank; d++) if (d !== dim) to += c[d] * outStrides[d];
        acc[to] += src[e];
      }
      for (let d = rank - 1; d >= 0; d--) {
        if (++c[d] < idxShape[d]) break;
        c[d] = 0;
      }
    }
  }
  const out = newLike(src, outN);
  for (let i = 0; i < outN; i++) out[i] = acc[i];
  return out;
}
