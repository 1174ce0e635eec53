// The CPU convolution kernels (the oracle of every GPU convolution test) against a plain float64
// loop written here from the definition: forward, input gradient and weight gradient, on shapes
// that take the im2col path (groups, dilation, stride 2, asymmetric padding, batch 1, 1x1
// kernels, one output channel per group, several sample chunks; each of the input gradient's
// paths: col2im, the flipped-kernel convolution, the direct loops) and shapes on the other side of each dispatch
// threshold in src/backend/cpu/conv.ts (below DIRECT_MACS = 4096 multiply-adds; one sample's
// columns above COL_MAX = 2^23 doubles). Every case but 'below DIRECT_MACS' has more than 4096. Float64 tolerance: 1e-12 of the largest
// reference value (both sides accumulate in float64, only the order of the sums differs);
// float32: 1e-6 (one rounding to float32 on each side).
import { beforeAll, describe, expect, it } from 'vitest';
import * as wg from 'webgrad-gpu';

const F = wg.nn.functional;

interface Case {
  name: string;
  x: number[]; // [N, C, H, W]
  w: number[]; // [O, C/groups, kH, kW]
  bias: boolean;
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  groups: number;
}

/** y, dx, dw, db for the upstream gradient dy, by the definition, in float64. */
function reference(c: Case, x: Float64Array, w: Float64Array, b: Float64Array | null, dy: Float64Array) {
  const [N, C, H, W] = c.x;
  const [O, cg, kH, kW] = c.w;
  const og = O / c.groups;
  const [sh, sw] = c.stride;
  const [ph, pw] = c.padding;
  const [dh, dw] = c.dilation;
  const oH = Math.floor((H + 2 * ph - dh * (kH - 1) - 1) / sh) + 1;
  const oW = Math.floor((W + 2 * pw - dw * (kW - 1) - 1) / sw) + 1;
  const y = new Float64Array(N * O * oH * oW);
  const gx = new Float64Array(x.length);
  const gw = new Float64Array(w.length);
  const gb = new Float64Array(O);
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      const g = Math.floor(o / og);
      for (let i = 0; i < oH; i++) {
        for (let j = 0; j < oW; j++) {
          const yi = ((n * O + o) * oH + i) * oW + j;
          let s = b ? b[o] : 0;
          for (let q = 0; q < cg; q++) {
            for (let ka = 0; ka < kH; ka++) {
              const r = i * sh + ka * dh - ph;
              if (r < 0 || r >= H) continue;
              for (let kb = 0; kb < kW; kb++) {
                const col = j * sw + kb * dw - pw;
                if (col < 0 || col >= W) continue;
                const xi = ((n * C + g * cg + q) * H + r) * W + col;
                const wi = ((o * cg + q) * kH + ka) * kW + kb;
                s += w[wi] * x[xi];
                gx[xi] += w[wi] * dy[yi];
                gw[wi] += x[xi] * dy[yi];
              }
            }
          }
          y[yi] = s;
          gb[o] += dy[yi];
        }
      }
    }
  }
  return { y, dx: gx, dw: gw, db: gb, outShape: [N, O, oH, oW] };
}

/** Uniform values in [-1, 1) from a fixed-seed generator (a 32-bit LCG), so failures reproduce. */
let seed = 12345;
const rand = (n: number): Float64Array => Float64Array.from({ length: n }, () => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 2 ** 31 - 1;
});

function expectRel(got: ArrayLike<number>, want: Float64Array, rtol: number, what: string): void {
  expect(got.length, what).toBe(want.length);
  let scale = 0;
  let err = 0;
  for (let i = 0; i < want.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]));
    const d = Math.abs(got[i] - want[i]);
    err = Number.isNaN(d) ? Infinity : Math.max(err, d);
  }
  expect(err, `${what}: max error ${err} against the largest value ${scale}`).toBeLessThanOrEqual(rtol * scale);
}

const cases: Case[] = [
  { name: 'groups 2, dilation 2, stride 2, padding 1', x: [3, 4, 11, 9], w: [6, 2, 3, 3], bias: true, stride: [2, 2], padding: [1, 1], dilation: [2, 2], groups: 2 },
  { name: 'batch 1, 1x1 kernel', x: [1, 5, 13, 17], w: [8, 5, 1, 1], bias: true, stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 },
  { name: 'stride [2, 1], padding [2, 1], a 3x2 kernel, no bias', x: [2, 3, 17, 10], w: [4, 3, 3, 2], bias: false, stride: [2, 1], padding: [2, 1], dilation: [1, 1], groups: 1 },
  { name: 'groups 4, 4 output channels and 1 input channel per group', x: [2, 4, 9, 9], w: [16, 1, 3, 3], bias: true, stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 4 },
  { name: '16 output channels', x: [2, 3, 9, 9], w: [16, 3, 3, 3], bias: true, stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 },
  { name: 'depthwise, one output channel per group, stride 2', x: [3, 6, 12, 12], w: [6, 1, 3, 3], bias: true, stride: [2, 2], padding: [1, 1], dilation: [1, 1], groups: 6 },
  { name: 'stride 1, dilation [2, 1], padding [1, 0], groups 2', x: [2, 4, 12, 8], w: [6, 2, 3, 2], bias: true, stride: [1, 1], padding: [1, 0], dilation: [2, 1], groups: 2 },
  { name: 'stride 1, dilation [1, 2], padding [2, 1], groups 2, 4 input channels per group', x: [2, 8, 9, 10], w: [6, 4, 3, 2], bias: false, stride: [1, 1], padding: [2, 1], dilation: [1, 2], groups: 2 },
  { name: '1x1 kernel with padding 1 (beyond the kernel: col2im at stride 1)', x: [2, 6, 9, 11], w: [5, 6, 1, 1], bias: false, stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 },
  { name: 'below DIRECT_MACS: the direct loops', x: [1, 2, 4, 4], w: [3, 2, 2, 2], bias: true, stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 },
  // 36 x 4096 columns per sample (> CHUNK = 2^17 doubles): one sample per chunk, three chunks.
  { name: 'one sample per chunk', x: [3, 4, 64, 64], w: [2, 4, 3, 3], bias: true, stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 },
  // 9 x 966^2 columns for one sample (> COL_MAX = 2^23 doubles): the direct loops.
  { name: 'one sample above COL_MAX: the direct loops', x: [1, 1, 966, 966], w: [1, 1, 3, 3], bias: false, stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 },
];

describe('CPU convolution kernels against a float64 loop', () => {
  beforeAll(async () => {
    await wg.init({ backend: 'cpu', verbose: false });
  });

  for (const c of cases) {
    // The COL_MAX case runs in float64 only: its direct loops take seconds.
    for (const dtype of c.name.includes('COL_MAX') ? (['float64'] as const) : (['float64', 'float32'] as const)) {
      it(`${c.name} (${dtype})`, async () => {
        const xs = rand(c.x.reduce((p, q) => p * q, 1));
        const ws = rand(c.w.reduce((p, q) => p * q, 1));
        const bs = c.bias ? rand(c.w[0]) : null;
        // float32 inputs: the reference runs on the same values, rounded to float32.
        const r32 = (a: Float64Array): Float64Array => (dtype === 'float32' ? Float64Array.from(Float32Array.from(a)) : a);
        const x = wg.tensor(dtype === 'float32' ? Float32Array.from(xs) : xs).reshape(c.x).requiresGrad_(true);
        const w = wg.tensor(dtype === 'float32' ? Float32Array.from(ws) : ws).reshape(c.w).requiresGrad_(true);
        const b = bs ? wg.tensor(dtype === 'float32' ? Float32Array.from(bs) : bs).requiresGrad_(true) : null;
        const y = F.conv2d(x, w, b, { stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups });
        const dys = rand(y.numel);
        const ref = reference(c, r32(xs), r32(ws), bs ? r32(bs) : null, r32(dys));
        expect(y.shape).toEqual(ref.outShape);
        expect(y.dtype).toBe(dtype);
        const rtol = dtype === 'float64' ? 1e-12 : 1e-6;
        expectRel(await y.toArray(), ref.y, rtol, 'y');
        y.backward(wg.tensor(dtype === 'float32' ? Float32Array.from(dys) : dys).reshape(y.shape));
        expectRel(await x.grad!.toArray(), ref.dx, rtol, 'dx');
        expectRel(await w.grad!.toArray(), ref.dw, rtol, 'dw');
        if (b) expectRel(await b.grad!.toArray(), ref.db, rtol, 'db');
      });
    }
  }
});
