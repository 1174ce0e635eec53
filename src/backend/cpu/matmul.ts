import type { TypedArray } from '../../dtype.js';
import type { MatmulArgs } from '../backend.js';
import { allocLike } from './storage.js';

/**
 * out[b] = op(A[b]) · op(B[b]) into a contiguous [batch, m, n], in A's dtype.
 *
 * Every output element is accumulated in float64 over p = 0..k-1 in order and rounded once on
 * store, whichever loop order computes it. So the four transpose combinations give bit-identical
 * results for the same mathematical product, and float32 results are at least as accurate as
 * PyTorch's float32 accumulation (expect differences of a few ulps against it, not more).
 *
 * Loop orders keep the innermost loop on contiguous memory:
 * - B not transposed: i-k-j, broadcasting A[i,p] over row p of B into a float64 row of out.
 * - B transposed, A not: i-j-k dot products; row i of A and row j of B (stored [n,k]) are both
 *   contiguous along k.
 * - both transposed (rare): A is first copied to [m,k] so the dot-product loop applies.
 */
export function matmul(a: TypedArray, b: TypedArray, args: MatmulArgs): TypedArray {
  const { batch, m, k, n, transA, transB, aBatchStride, bBatchStride } = args;
  const out = allocLike(a, batch * m * n);
  if (m === 0 || n === 0) return out;
  const acc = new Float64Array(n);
  const packed = transA && transB ? new Float64Array(m * k) : null;
  for (let t = 0; t < batch; t++) {
    const aOff = t * aBatchStride;
    const bOff = t * bBatchStride;
    const oOff = t * m * n;
    if (!transB) {
      // A[i,p] sits at i*k + p, or at p*m + i when A is stored [k,m].
      const aRowStride = transA ? 1 : k;
      const aColStride = transA ? m : 1;
      rowBroadcast(a, aOff, aRowStride, aColStride, b, bOff, out, oOff, m, k, n, acc);
    } else if (packed === null) {
      dotProducts(a, aOff, b, bOff, out, oOff, m, k, n);
    } else {
      // A broadcast over the batch (stride 0) needs packing only once.
      if (t === 0 || aBatchStride !== 0) transposeInto(a, aOff, k, m, packed);
      dotProducts(packed, 0, b, bOff, out, oOff, m, k, n);
    }
  }
  return out;
}

function rowBroadcast(
  a: TypedArray | Float64Array,
  aOff: number,
  aRowStride: number,
  aColStride: number,
  b: TypedArray,
  bOff: number,
  out: TypedArray,
  oOff: number,
  m: number,
  k: number,
  n: number,
  acc: Float64Array,
): void {
  for (let i = 0; i < m; i++) {
    acc.fill(0);
    // No skipping of zero A[i,p]: 0 * Inf must still make NaN.
    for (let p = 0, ai = aOff + i * aRowStride, bi = bOff; p < k; p++, ai += aColStride, bi += n) {
      const av = a[ai];
      for (let j = 0; j < n; j++) acc[j] += av * b[bi + j];
    }
    out.set(acc, oOff + i * n);
  }
}

/** out[i,j] = Σ_p A[i*k + p] * B[j*k + p]: A is [m,k] and B is stored [n,k]. */
function dotProducts(
  a: TypedArray | Float64Array,
  aOff: number,
  b: TypedArray,
  bOff: number,
  out: TypedArray,
  oOff: number,
  m: number,
  k: number,
  n: number,
): void {
  for (let i = 0; i < m; i++) {
    const ai = aOff + i * k;
    for (let j = 0; j < n; j++) {
      const bj = bOff + j * k;
      let s = 0;
      for (let p = 0; p < k; p++) s += a[ai + p] * b[bj + p];
      out[oOff + i * n + j] = s;
    }
  }
}

/** dst[c*rows + r] = src[off + r*cols + c]: a [rows, cols] block to [cols, rows]. */
function transposeInto(src: TypedArray, off: number, rows: number, cols: number, dst: Float64Array): void {
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) dst[c * rows + r] = src[off + r * cols + c];
  }
}
