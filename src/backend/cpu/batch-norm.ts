import type { TypedArray } from '../../dtype.js';
import type { ChannelLayout } from '../backend.js';

// Batch norm's oracles: per channel c of [outer, C, inner], float64 accumulation, two passes
// over the channel for the variance (mean first, then Σ(x - mean)²).

function newLike(x: TypedArray, n: number): TypedArray {
  return new (x.constructor as new (n: number) => TypedArray)(n);
}

/** Calls f(i) for every element index of channel c. */
function eachOf(l: ChannelLayout, c: number, f: (i: number) => void): void {
  for (let o = 0; o < l.outer; o++) {
    const base = (o * l.size + c) * l.inner;
    for (let j = 0; j < l.inner; j++) f(base + j);
  }
}

export function batchNormStats(x: TypedArray, l: ChannelLayout): TypedArray {
  const out = newLike(x, 2 * l.size);
  const n = l.outer * l.inner;
  for (let c = 0; c < l.size; c++) {
    let s = 0;
    eachOf(l, c, (i) => (s += x[i]));
    const mean = s / n;
    let q = 0;
    eachOf(l, c, (i) => (q += (x[i] - mean) ** 2));
    out[c] = mean;
    out[l.size + c] = q / n;
  }
  return out;
}

export function batchNormForward(x: TypedArray, mean: TypedArray, variance: TypedArray, weight: TypedArray | null,
  bias: TypedArray | null, l: ChannelLayout, eps: number): TypedArray {
  const out = newLike(x, x.length);
  for (let c = 0; c < l.size; c++) {
    const inv = 1 / Math.sqrt(variance[c] + eps);
    const w = weight ? weight[c] : 1;
    const b = bias ? bias[c] : 0;
    eachOf(l, c, (i) => (out[i] = (x[i] - mean[c]) * inv * w + b));
  }
  return out;
}

export function batchNormGradSums(x: TypedArray, dy: TypedArray, mean: TypedArray, variance: TypedArray,
  l: ChannelLayout, eps: number): TypedArray {
  const out = newLike(x, 2 * l.size);
  for (let c = 0; c < l.size; c++) {
    const inv = 1 / Math.sqrt(variance[c] + eps);
    let g = 0;
    let gx = 0;
    eachOf(l, c, (i) => {
      g += dy[i];
      gx += dy[i] * (x[i] - mean[c]) * inv;
    });
    out[c] = g;
    out[l.size + c] = gx;
  }
  return out;
}

export function batchNormInputGrad(x: TypedArray, dy: TypedArray, mean: TypedArray, variance: TypedArray,
  weight: TypedArray | null, sums: TypedArray | null, l: ChannelLayout, eps: number): TypedArray {
  const out = newLike(x, x.length);
  const n = l.outer * l.inner;
  for (let c = 0; c < l.size; c++) {
    const inv = 1 / Math.sqrt(variance[c] + eps);
    const k = (weight ? weight[c] : 1) * inv;
    if (sums === null) {
      eachOf(l, c, (i) => (out[i] = dy[i] * k));
      continue;
    }
    const mg = sums[c] / n;
    const mgx = sums[l.size + c] / n;
    eachOf(l, c, (i) => (out[i] = k * (dy[i] - mg - (x[i] - mean[c]) * inv * mgx)));
  }
  return out;
}
