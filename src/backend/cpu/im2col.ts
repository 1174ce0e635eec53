import type { TypedArray } from '../../dtype.js';
import type { ConvArgs } from '../backend.js';

// im2col / col2im for the CPU convolution kernels. The column matrix of s samples is laid out
// [s, K, P] with K = inC·kH·kW rows ordered (channel, tap row, tap column) and P = outH·outW
// columns: row (c, ka, kb) of sample n holds, for every output position (i, j), the input value
// its window reads at that tap (0 where the tap falls in the padding). A group's K/groups rows
// are contiguous, so a convolution is one matmul per (sample, group).

/** Output positions [lo, hi) along one dim whose tap at offset kd = k·dilation lands inside the input. */
export function span(kd: number, pad: number, stride: number, inSize: number, outSize: number): [number, number] {
  const lo = Math.max(0, Math.ceil((pad - kd) / stride));
  const hi = Math.min(outSize, Math.floor((inSize - 1 + pad - kd) / stride) + 1);
  return [lo, Math.max(lo, hi)];
}

/** Writes the [s, K, P] columns of samples n0..n0+s of x into col (as float64, widened exactly). */
export function im2col(x: TypedArray, a: ConvArgs, n0: number, s: number, col: Float64Array): void {
  const { inC, inH, inW, outH, outW, kH, kW, strideH, strideW, padH, padW, dilH, dilW } = a;
  const P = outH * outW;
  let r = 0; // start of the current column row
  for (let n = n0; n < n0 + s; n++) {
    for (let c = 0; c < inC; c++) {
      const xPlane = (n * inC + c) * inH * inW;
      for (let ka = 0; ka < kH; ka++) {
        const [i0, i1] = span(ka * dilH, padH, strideH, inH, outH);
        const rowOff = ka * dilH - padH;
        for (let kb = 0; kb < kW; kb++, r += P) {
          const [j0, j1] = span(kb * dilW, padW, strideW, inW, outW);
          const colOff = kb * dilW - padW;
          if (i0 >= i1 || j0 >= j1) {
            col.fill(0, r, r + P);
            continue;
          }
          if (i0 > 0) col.fill(0, r, r + i0 * outW);
          for (let i = i0; i < i1; i++) {
            const d = r + i * outW;
            const xr = xPlane + (i * strideH + rowOff) * inW + colOff;
            for (let j = 0; j < j0; j++) col[d + j] = 0;
            if (strideW === 1) for (let j = j0; j < j1; j++) col[d + j] = x[xr + j];
            else for (let j = j0; j < j1; j++) col[d + j] = x[xr + j * strideW];
            for (let j = j1; j < outW; j++) col[d + j] = 0;
          }
          if (i1 < outH) col.fill(0, r + i1 * outW, r + P);
        }
      }
    }
  }
}

/**
 * Adds the [s, K, P] columns back onto the s samples' inputs: dx[n - n0] += every column entry
 * that im2col would have read from it. Fixed order (sample, channel, tap, row, column), so the
 * float64 sums are the same on every run.
 */
export function col2im(col: Float64Array, a: ConvArgs, s: number, dx: Float64Array): void {
  const { inC, inH, inW, outH, outW, kH, kW, strideH, strideW, padH, padW, dilH, dilW } = a;
  const P = outH * outW;
  let r = 0;
  for (let n = 0; n < s; n++) {
    for (let c = 0; c < inC; c++) {
      const xPlane = (n * inC + c) * inH * inW;
      for (let ka = 0; ka < kH; ka++) {
        const [i0, i1] = span(ka * dilH, padH, strideH, inH, outH);
        const rowOff = ka * dilH - padH;
        for (let kb = 0; kb < kW; kb++, r += P) {
          const [j0, j1] = span(kb * dilW, padW, strideW, inW, outW);
          const colOff = kb * dilW - padW;
          for (let i = i0; i < i1; i++) {
            const d = r + i * outW;
            const xr = xPlane + (i * strideH + rowOff) * inW + colOff;
            if (strideW === 1) for (let j = j0; j < j1; j++) dx[xr + j] += col[d + j];
            else for (let j = j0; j < j1; j++) dx[xr + j * strideW] += col[d + j];
          }
        }
      }
    }
  }
}
