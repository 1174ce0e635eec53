import type { TypedArray } from '../../dtype.js';
import type { ConvArgs } from '../backend.js';
import { col2im, im2col, span } from './im2col.js';
import { matmul } from './matmul.js';
import { allocLike } from './storage.js';

// The CPU convolution kernels, the oracle of the GPU ones: every sum accumulated in float64 and
// rounded once. Two implementations of the definition in ConvArgs: direct loops (below) for tiny
// problems, and im2col/col2im onto the packed matmul (further down) for the rest. On MNIST's
// layers at batch 64 (1->8 28x28 and 8->16 14x14, 5x5, padding 2; 10M and 40M multiply-adds),
// alternating runs on a 2-core machine under load 5-10, im2col is 1.6-4.7x faster per kernel
// than the direct loops (0.2-1.6 against 0.07-0.55 GMAC/s), and the MNIST CNN's training step
// takes 2.1-2.8x less CPU time (see the CHUNK comment for per-kernel times).
//
// The direct loops walk, per (sample, output channel, input channel, kernel tap), the rectangle
// of output positions whose window has that tap inside the input (so the inner loop has no
// bounds checks: the 40M multiply-adds of MNIST's 8->16 layer at batch 64 went from 0.8-1.8 s per
// kernel with a check per tap to 0.2-0.45 s).

type Visit = (xPlane: number, wi: number, yPlane: number, i0: number, i1: number, j0: number, j1: number, rowOff: number, colOff: number) => void;

/**
 * Calls `visit` once per (n, o, c, tap) with the tap's output rectangle [i0, i1) x [j0, j1):
 * output (i, j) reads input row i·strideH + rowOff, column j·strideW + colOff.
 */
function eachTap(a: ConvArgs, visit: Visit): void {
  const { batch, inC, inH, inW, outC, outH, outW, kH, kW, strideH, strideW, padH, padW, dilH, dilW, groups } = a;
  const icg = inC / groups;
  const ocg = outC / groups;
  for (let n = 0; n < batch; n++) {
    for (let o = 0; o < outC; o++) {
      const g = Math.floor(o / ocg);
      const yPlane = (n * outC + o) * outH * outW;
      for (let c = 0; c < icg; c++) {
        const xPlane = (n * inC + g * icg + c) * inH * inW;
        for (let ka = 0; ka < kH; ka++) {
          const [i0, i1] = span(ka * dilH, padH, strideH, inH, outH);
          if (i0 >= i1) continue;
          for (let kb = 0; kb < kW; kb++) {
            const [j0, j1] = span(kb * dilW, padW, strideW, inW, outW);
            if (j0 >= j1) continue;
            visit(xPlane, ((o * icg + c) * kH + ka) * kW + kb, yPlane, i0, i1, j0, j1, ka * dilH - padH, kb * dilW - padW);
          }
        }
      }
    }
  }
}

function rounded(like: TypedArray, acc: Float64Array): TypedArray {
  const out = allocLike(like, acc.length);
  out.set(acc);
  return out;
}

/** y = conv2d(x, w) + bias: one float64 sum per output. */
function conv2dDirect(x: TypedArray, w: TypedArray, bias: TypedArray | null, a: ConvArgs): TypedArray {
  const { outW, strideH, strideW, inW } = a;
  const outHW = a.outH * outW;
  const acc = new Float64Array(a.batch * a.outC * outHW);
  if (bias) for (let i = 0; i < acc.length; i++) acc[i] = bias[Math.floor(i / outHW) % a.outC];
  eachTap(a, (xPlane, wi, yPlane, i0, i1, j0, j1, rowOff, colOff) => {
    const wv = w[wi];
    for (let i = i0; i < i1; i++) {
      const xr = xPlane + (i * strideH + rowOff) * inW + colOff;
      const yr = yPlane + i * outW;
      for (let j = j0; j < j1; j++) acc[yr + j] += wv * x[xr + j * strideW];
    }
  });
  return rounded(x, acc);
}

/** dx[xi] = Σ dy[oi]·w[wi] over the taps that read xi. */
function conv2dInputGradDirect(dy: TypedArray, w: TypedArray, a: ConvArgs): TypedArray {
  const { outW, strideH, strideW, inW } = a;
  const acc = new Float64Array(a.batch * a.inC * a.inH * inW);
  eachTap(a, (xPlane, wi, yPlane, i0, i1, j0, j1, rowOff, colOff) => {
    const wv = w[wi];
    for (let i = i0; i < i1; i++) {
      const xr = xPlane + (i * strideH + rowOff) * inW + colOff;
      const yr = yPlane + i * outW;
      for (let j = j0; j < j1; j++) acc[xr + j * strideW] += wv * dy[yr + j];
    }
  });
  return rounded(dy, acc);
}

/** dw[wi] = Σ dy[oi]·x[xi] over the taps that use wi. */
function conv2dWeightGradDirect(x: TypedArray, dy: TypedArray, a: ConvArgs): TypedArray {
  const { outW, strideH, strideW, inW } = a;
  const acc = new Float64Array(a.outC * (a.inC / a.groups) * a.kH * a.kW);
  eachTap(a, (xPlane, wi, yPlane, i0, i1, j0, j1, rowOff, colOff) => {
    let s = 0;
    for (let i = i0; i < i1; i++) {
      const xr = xPlane + (i * strideH + rowOff) * inW + colOff;
      const yr = yPlane + i * outW;
      for (let j = j0; j < j1; j++) s += dy[yr + j] * x[xr + j * strideW];
    }
    acc[wi] += s;
  });
  return rounded(x, acc);
}

// ---- im2col paths: the same sums as matmuls on the packed micro-kernel (src/backend/cpu/matmul.ts) ----
//
// Columns and weights are float64 and every matmul output is float64 (matmul returns A's dtype
// and A is always one of them), so each output is still one float64 sum rounded once on store.
// The sums run in the direct loops' order over (channel, tap); they differ from the direct loops
// only in adding the padding's zeros (so 0·Inf in the padding is NaN, as in PyTorch's im2col)
// and, in conv2d, in adding the bias after the sum instead of before it.

/**
 * Columns per chunk of samples: 2^17 doubles (1 MiB), so the columns stay in cache from im2col to
 * the matmul's packing and the matmul's float64 outputs stay small (big fresh typed arrays cost
 * GC time). Measured, MNIST shapes at batch 64 on a loaded 2-core machine, ms (fwd / dx / dw):
 * 1->8 28x28: 2^16 13-14 / 83-87 / 10-14; 2^17 10-14 / 50-106 / 11-14; 2^18 36-58 / 57 / 18-24;
 * 2^20 31-32 / 32 / 12-14. 8->16 14x14: 2^16 30-35 / 53-58 / 28-36; 2^17 24-30 / 33-39 / 25-33;
 * 2^18 35-49 / 45-58 / 36-45; 2^20 29-32 / 43-50 / 32-40. (1->8's dx, the m = 1 thin-matmul
 * path, prefers bigger chunks; a CNN never needs the gradient of its input image.)
 */
const CHUNK = 1 << 17;
/** Scratch up to 2^20 doubles (8 MiB) is kept for the next call, as in matmul.ts. */
const KEEP = 1 << 20;
/** One sample's columns may not pass 8M doubles (64 MiB); beyond that the direct loops run. */
const COL_MAX = 1 << 23;

let colScratch: Float64Array = new Float64Array(0);
let dxScratch: Float64Array = new Float64Array(0);
/** A module-level float64 scratch of at least len, kept (and reused) up to KEEP doubles. */
function scratch(cur: Float64Array, len: number, keep: (a: Float64Array) => void): Float64Array {
  if (cur.length >= len) return cur;
  const fresh = new Float64Array(len);
  if (len <= KEEP) keep(fresh);
  return fresh;
}
const colOf = (len: number): Float64Array => scratch(colScratch, len, (f) => (colScratch = f));
const dxOf = (len: number): Float64Array => scratch(dxScratch, len, (f) => (dxScratch = f));

/** Rows of one sample's columns (K) and columns (P). */
const colShape = (a: ConvArgs): [number, number] => [a.inC * a.kH * a.kW, a.outH * a.outW];
/** Samples per chunk so the columns stay near CHUNK doubles. */
const chunkOf = (a: ConvArgs): number => Math.max(1, Math.min(a.batch, Math.floor(CHUNK / (colShape(a)[0] * colShape(a)[1]))));

/**
 * Direct loops or im2col: direct below DIRECT_MACS multiply-adds, where im2col's packing and
 * allocations cost more than they save, and when one sample's columns would pass COL_MAX.
 * Measured (us, direct / im2col): 225 MACs fwd 1.7 / 4.4, dx 2.0 / 7.1, dw 1.3 / 4.4; 4608 MACs
 * fwd 24.5 / 23.5, dx 26.1 / 17.9, dw 24.4 / 19.7; 36864 MACs fwd 192 / 76, dw 170 / 129.
 */
const DIRECT_MACS = 1 << 12;
function direct(a: ConvArgs): boolean {
  const [K, P] = colShape(a);
  const macs = a.batch * (a.outC / a.groups) * K * P;
  return macs < DIRECT_MACS || K * P > COL_MAX;
}

const toF64 = (t: TypedArray): Float64Array => (t instanceof Float64Array ? t : Float64Array.from(t));

/** y = conv2d(x, w) + bias: per (sample, group) y = W_g · columns_g, plus the bias. */
export function conv2d(x: TypedArray, w: TypedArray, bias: TypedArray | null, a: ConvArgs): TypedArray {
  return direct(a) ? conv2dDirect(x, w, bias, a) : conv2dIm2col(x, w, bias, a);
}

function conv2dIm2col(x: TypedArray, w: TypedArray, bias: TypedArray | null, a: ConvArgs): TypedArray {
  const { batch, outC, groups } = a;
  const [K, P] = colShape(a);
  const kg = K / groups;
  const ocg = outC / groups;
  const w64 = toF64(w);
  const out = allocLike(x, batch * outC * P);
  const S = chunkOf(a);
  for (let n0 = 0; n0 < batch; n0 += S) {
    const s = Math.min(S, batch - n0);
    const col = colOf(s * K * P);
    im2col(x, a, n0, s, col);
    const y = matmul(w64, col, {
      batch: s * groups, m: ocg, k: kg, n: P, transA: false, transB: false,
      aBatchStride: 0, bBatchStride: K * P, inner: groups, aInnerStride: ocg * kg, bInnerStride: kg * P,
    });
    const o0 = n0 * outC * P;
    if (bias) {
      for (let q = 0, i = 0; q < s * outC; q++) {
        const bv = bias[q % outC];
        for (let e = i + P; i < e; i++) out[o0 + i] = y[i] + bv;
      }
    } else out.set(y, o0);
  }
  return out;
}

/**
 * dx three ways, by which matmul is fat enough: col2im of W_gᵀ · dy_g (a matmul with k =
 * outC/g), or at stride 1 a convolution of dy with the flipped kernel (`flippedArgs`: m = inC/g,
 * k = outC/g·kH·kW), or the direct loops when both matmuls would be thin. Measured (batch 64 but
 * the last, 2-core loaded machine, two runs, ms, col2im / flipped / direct), 2^17-double chunks:
 * 8->16 14x14 5x5: 25-28 / 31-34 / 87; 3->16 32x32 3x3: 21-30 / 55-75 / 65-87;
 * 8->8 14x14 5x5: 34 / 23 / 59; 16->4 14x14 3x3: 12 / 8 / 23; 4->4 28x28 3x3: 10 / 9 / 16;
 * 1->8 28x28 5x5: 44-45 / 33-53 / 23-40; depthwise 16 28x28 3x3: 67-76 / 25-32 / 17-30;
 * 2->8 16x16 3x3 batch 16: 0.5 / 1.3 / 1.3.
 */
export function conv2dInputGrad(dy: TypedArray, w: TypedArray, a: ConvArgs): TypedArray {
  if (direct(a)) return conv2dInputGradDirect(dy, w, a);
  const icg = a.inC / a.groups;
  const ocg = a.outC / a.groups;
  if (ocg >= 16) return conv2dInputGradCol2im(dy, w, a);
  const t = flippedArgs(a);
  if (t && icg >= 4 && !direct(t)) return conv2dIm2col(dy, flipKernel(w, a), null, t);
  if (ocg >= 4) return conv2dInputGradCol2im(dy, w, a);
  return conv2dInputGradDirect(dy, w, a);
}

/**
 * At stride 1, dx[c, r, s] = Σ dy[o, r + padH - ka·dilH, s + padW - kb·dilW] · w[o, c, ka, kb],
 * which is conv2d of dy (outC channels, outH x outW) with w[o, c, kH-1-ka, kW-1-kb] read as an
 * [inC, outC/groups] kernel, padding dil·(k-1) - pad and the same dilation and groups. Null
 * where that padding would be negative (padding beyond the dilated kernel) or strides are not 1.
 */
function flippedArgs(a: ConvArgs): ConvArgs | null {
  const padH = a.dilH * (a.kH - 1) - a.padH;
  const padW = a.dilW * (a.kW - 1) - a.padW;
  if (a.strideH !== 1 || a.strideW !== 1 || padH < 0 || padW < 0) return null;
  return {
    ...a, inC: a.outC, inH: a.outH, inW: a.outW, outC: a.inC, outH: a.inH, outW: a.inW, padH, padW,
  };
}

/** w [outC, inC/g, kH, kW] as the flipped [inC, outC/g, kH, kW] kernel of `flippedArgs`, in float64. */
function flipKernel(w: TypedArray, a: ConvArgs): Float64Array {
  const { kH, kW, groups } = a;
  const icg = a.inC / groups;
  const ocg = a.outC / groups;
  const f = new Float64Array(w.length);
  for (let g = 0; g < groups; g++) {
    for (let c = 0; c < icg; c++) {
      for (let o = 0; o < ocg; o++) {
        const dst = ((g * icg + c) * ocg + o) * kH * kW;
        const src = ((g * ocg + o) * icg + c) * kH * kW;
        for (let q = 0; q < kH * kW; q++) f[dst + q] = w[src + kH * kW - 1 - q];
      }
    }
  }
  return f;
}

function conv2dInputGradCol2im(dy: TypedArray, w: TypedArray, a: ConvArgs): TypedArray {
  const { batch, inC, inH, inW, outC, groups } = a;
  const [K, P] = colShape(a);
  const kg = K / groups;
  const ocg = outC / groups;
  const X = inC * inH * inW;
  const w64 = toF64(w);
  const out = allocLike(dy, batch * X);
  const S = chunkOf(a);
  for (let n0 = 0; n0 < batch; n0 += S) {
    const s = Math.min(S, batch - n0);
    const col = matmul(w64, dy.subarray(n0 * outC * P), {
      batch: s * groups, m: kg, k: ocg, n: P, transA: true, transB: false,
      aBatchStride: 0, bBatchStride: outC * P, inner: groups, aInnerStride: ocg * kg, bInnerStride: ocg * P,
    }) as Float64Array;
    const dx = dxOf(s * X);
    dx.fill(0, 0, s * X);
    col2im(col, a, s, dx);
    out.set(dx.subarray(0, s * X), n0 * X);
  }
  return out;
}

/** dw_g = Σ_n columns_g · dy_gᵀ (computed transposed so the float64 columns are A), rounded once. */
export function conv2dWeightGrad(x: TypedArray, dy: TypedArray, a: ConvArgs): TypedArray {
  if (direct(a)) return conv2dWeightGradDirect(x, dy, a);
  const { batch, outC, groups } = a;
  const [K, P] = colShape(a);
  const kg = K / groups;
  const ocg = outC / groups;
  const acc = new Float64Array(outC * kg);
  const S = chunkOf(a);
  for (let n0 = 0; n0 < batch; n0 += S) {
    const s = Math.min(S, batch - n0);
    const col = colOf(s * K * P);
    im2col(x, a, n0, s, col);
    // r[n, g] = columns[n, g] · dy[n, g]ᵀ: [kg, ocg] per (sample, group).
    const r = matmul(col, dy.subarray(n0 * outC * P), {
      batch: s * groups, m: kg, k: P, n: ocg, transA: false, transB: true,
      aBatchStride: K * P, bBatchStride: outC * P, inner: groups, aInnerStride: kg * P, bInnerStride: ocg * P,
    });
    for (let t = 0; t < s * groups; t++) {
      const g = t % groups;
      const rb = t * kg * ocg;
      for (let o = 0; o < ocg; o++) {
        const ab = (g * ocg + o) * kg;
        for (let q = 0; q < kg; q++) acc[ab + q] += r[rb + q * ocg + o];
      }
    }
  }
  return rounded(x, acc);
}
