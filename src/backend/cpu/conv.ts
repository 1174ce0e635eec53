import type { TypedArray } from '../../dtype.js';
import type { ConvArgs } from '../backend.js';
import { allocLike } from './storage.js';

// The oracle for the convolution kernels: the definition in ConvArgs written as loops, every
// sum accumulated in float64. The two gradients visit the same taps as the forward and scatter
// into a float64 buffer, rounded to the dtype once at the end.

/** Calls `tap(xi, wi, oi)` for every (input, weight, output) triple the forward multiplies. */
function eachTap(a: ConvArgs, tap: (xi: number, wi: number, oi: number) => void): void {
  const { batch, inC, inH, inW, outC, outH, outW, kH, kW, strideH, strideW, padH, padW, dilH, dilW, groups } = a;
  const icg = inC / groups;
  const ocg = outC / groups;
  for (let n = 0; n < batch; n++) {
    for (let o = 0; o < outC; o++) {
      const g = Math.floor(o / ocg);
      for (let i = 0; i < outH; i++) {
        for (let j = 0; j < outW; j++) {
          const oi = ((n * outC + o) * outH + i) * outW + j;
          for (let c = 0; c < icg; c++) {
            const xPlane = (n * inC + g * icg + c) * inH;
            const wRow = (o * icg + c) * kH;
            for (let ka = 0; ka < kH; ka++) {
              const ih = i * strideH - padH + ka * dilH;
              if (ih < 0 || ih >= inH) continue;
              for (let kb = 0; kb < kW; kb++) {
                const iw = j * strideW - padW + kb * dilW;
                if (iw < 0 || iw >= inW) continue;
                tap((xPlane + ih) * inW + iw, (wRow + ka) * kW + kb, oi);
              }
            }
          }
        }
      }
    }
  }
}

/** y = conv2d(x, w) + bias: one float64 sum per output. */
export function conv2d(x: TypedArray, w: TypedArray, bias: TypedArray | null, a: ConvArgs): TypedArray {
  const outHW = a.outH * a.outW;
  const acc = new Float64Array(a.batch * a.outC * outHW);
  if (bias) for (let i = 0; i < acc.length; i++) acc[i] = bias[Math.floor(i / outHW) % a.outC];
  eachTap(a, (xi, wi, oi) => {
    acc[oi] += x[xi] * w[wi];
  });
  const out = allocLike(x, acc.length);
  out.set(acc);
  return out;
}

/** dx[xi] = Σ dy[oi]·w[wi] over the taps that read xi. */
export function conv2dInputGrad(dy: TypedArray, w: TypedArray, a: ConvArgs): TypedArray {
  const acc = new Float64Array(a.batch * a.inC * a.inH * a.inW);
  eachTap(a, (xi, wi, oi) => {
    acc[xi] += dy[oi] * w[wi];
  });
  const out = allocLike(dy, acc.length);
  out.set(acc);
  return out;
}

/** dw[wi] = Σ dy[oi]·x[xi] over the taps that use wi. */
export function conv2dWeightGrad(x: TypedArray, dy: TypedArray, a: ConvArgs): TypedArray {
  const acc = new Float64Array(a.outC * (a.inC / a.groups) * a.kH * a.kW);
  eachTap(a, (xi, wi, oi) => {
    acc[wi] += dy[oi] * x[xi];
  });
  const out = allocLike(x, acc.length);
  out.set(acc);
  return out;
}
