import type { TypedArray } from '../../dtype.js';
import type { AvgPoolArgs, PoolArgs } from '../backend.js';

// The pooling oracles, written as PyTorch 1.13's CPU kernels (aten/src/ATen/native/cpu/
// MaxPoolKernel.cpp, AvgPoolKernel.cpp, AdaptiveAvgPoolKernel.cpp): loops over each output
// window; the backwards scatter in output order with float64 accumulators.

function newLike(x: TypedArray, n: number): TypedArray {
  return new (x.constructor as new (n: number) => TypedArray)(n);
}

export function maxPool(x: TypedArray, a: PoolArgs): [TypedArray, Int32Array] {
  const { planes, inH, inW, outH, outW, kH, kW, sH, sW, pH, pW, dH, dW } = a;
  const out = newLike(x, planes * outH * outW);
  const idx = new Int32Array(planes * outH * outW);
  let o = 0;
  for (let p = 0; p < planes; p++) {
    const base = p * inH * inW;
    for (let oh = 0; oh < outH; oh++) {
      let h0 = oh * sH - pH;
      const h1 = Math.min(h0 + (kH - 1) * dH + 1, inH);
      while (h0 < 0) h0 += dH;
      for (let ow = 0; ow < outW; ow++, o++) {
        let w0 = ow * sW - pW;
        const w1 = Math.min(w0 + (kW - 1) * dW + 1, inW);
        while (w0 < 0) w0 += dW;
        let best = h0 * inW + w0;
        let max = -Infinity;
        for (let h = h0; h < h1; h += dH) {
          for (let w = w0; w < w1; w += dW) {
            const v = x[base + h * inW + w];
            if (v > max || Number.isNaN(v)) {
              max = v;
              best = h * inW + w;
            }
          }
        }
        out[o] = max;
        idx[o] = best;
      }
    }
  }
  return [out, idx];
}

export function maxPoolGrad(dy: TypedArray, idx: TypedArray, a: PoolArgs): TypedArray {
  const plane = a.inH * a.inW;
  const outPlane = a.outH * a.outW;
  const acc = new Float64Array(a.planes * plane);
  for (let p = 0; p < a.planes; p++) {
    for (let j = 0; j < outPlane; j++) {
      const i = idx[p * outPlane + j];
      if (i >= 0 && i < plane) acc[p * plane + i] += dy[p * outPlane + j];
    }
  }
  const out = newLike(dy, acc.length);
  out.set(acc);
  return out;
}

/** Window oh's rows [start, end) (clipped to the input) and its divisor. */
interface Window {
  h0: number;
  h1: number;
  w0: number;
  w1: number;
  div: number;
}

function avgWindow(a: AvgPoolArgs, oh: number, ow: number): Window {
  if (a.adaptive) {
    const h0 = Math.floor((oh * a.inH) / a.outH);
    const h1 = Math.ceil(((oh + 1) * a.inH) / a.outH);
    const w0 = Math.floor((ow * a.inW) / a.outW);
    const w1 = Math.ceil(((ow + 1) * a.inW) / a.outW);
    return { h0, h1, w0, w1, div: (h1 - h0) * (w1 - w0) };
  }
  let h0 = oh * a.sH - a.pH;
  let w0 = ow * a.sW - a.pW;
  let h1 = Math.min(h0 + a.kH, a.inH + a.pH);
  let w1 = Math.min(w0 + a.kW, a.inW + a.pW);
  const padded = (h1 - h0) * (w1 - w0);
  h0 = Math.max(h0, 0);
  w0 = Math.max(w0, 0);
  h1 = Math.min(h1, a.inH);
  w1 = Math.min(w1, a.inW);
  const div = a.divisor !== 0 ? a.divisor : a.countIncludePad ? padded : (h1 - h0) * (w1 - w0);
  return { h0, h1, w0, w1, div };
}

export function avgPool(x: TypedArray, a: AvgPoolArgs): TypedArray {
  const out = newLike(x, a.planes * a.outH * a.outW);
  let o = 0;
  for (let p = 0; p < a.planes; p++) {
    const base = p * a.inH * a.inW;
    for (let oh = 0; oh < a.outH; oh++) {
      for (let ow = 0; ow < a.outW; ow++, o++) {
        const { h0, h1, w0, w1, div } = avgWindow(a, oh, ow);
        let s = 0;
        for (let h = h0; h < h1; h++) for (let w = w0; w < w1; w++) s += x[base + h * a.inW + w];
        out[o] = s / div;
      }
    }
  }
  return out;
}

export function avgPoolGrad(dy: TypedArray, a: AvgPoolArgs): TypedArray {
  const plane = a.inH * a.inW;
  const acc = new Float64Array(a.planes * plane);
  let o = 0;
  for (let p = 0; p < a.planes; p++) {
    const base = p * plane;
    for (let oh = 0; oh < a.outH; oh++) {
      for (let ow = 0; ow < a.outW; ow++, o++) {
        const { h0, h1, w0, w1, div } = avgWindow(a, oh, ow);
        const g = dy[o] / div;
        for (let h = h0; h < h1; h++) for (let w = w0; w < w1; w++) acc[base + h * a.inW + w] += g;
      }
    }
  }
  const out = newLike(dy, acc.length);
  out.set(acc);
  return out;
}
