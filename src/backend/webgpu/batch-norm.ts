import bnSrc from '../../../shaders/batch_norm.wgsl';
import type { ChannelLayout, Storage } from '../backend.js';
import { groupsFor } from './dims.js';
import { fitsVec4 } from './elementwise.js';
import { defineKernel } from './pipelines.js';
import type { GpuRuntime } from './runtime.js';
import { shaderInterface } from './shader-interface.js';
import type { GPUStorage } from './storage.js';

const BN_IO = shaderInterface(
  { outer: 'u32', channels: 'u32', inner: 'u32', total: 'u32', eps: 'f32' },
  {
    x: { binding: 1, access: 'r', type: 'f32', vec4: 'x4' },
    dy: { binding: 2, access: 'r', type: 'f32', vec4: 'dy4' },
    mean: { binding: 3, access: 'r', type: 'f32' },
    variance: { binding: 4, access: 'r', type: 'f32' },
    weight: { binding: 5, access: 'r', type: 'f32' },
    bias: { binding: 6, access: 'r', type: 'f32' },
    sums: { binding: 7, access: 'r', type: 'f32' },
    out: { binding: 8, access: 'w', type: 'f32', vec4: 'out4' },
  },
);
const STATS = defineKernel('batchNormStats', bnSrc, 'stats', BN_IO, ['x', 'out']);
const SUMS = defineKernel('batchNormGradSums', bnSrc, 'grad_sums', BN_IO, ['x', 'dy', 'mean', 'variance', 'out']);
const FORWARD = defineKernel('batchNorm', bnSrc, 'forward', BN_IO, ['x', 'mean', 'variance', 'weight', 'bias', 'out']);
const INPUT_GRAD = defineKernel('batchNormInputGrad', bnSrc, 'input_grad', BN_IO, ['x', 'dy', 'mean', 'variance', 'weight', 'sums', 'out']);
const STATS4 = defineKernel('batchNormStats', bnSrc, 'stats4', BN_IO, ['x', 'out']);
const SUMS4 = defineKernel('batchNormGradSums', bnSrc, 'grad_sums4', BN_IO, ['x', 'dy', 'mean', 'variance', 'out']);
const FORWARD4 = defineKernel('batchNorm', bnSrc, 'forward4', BN_IO, ['x', 'mean', 'variance', 'weight', 'bias', 'out']);
const INPUT_GRAD4 = defineKernel('batchNormInputGrad', bnSrc, 'input_grad4', BN_IO, ['x', 'dy', 'mean', 'variance', 'weight', 'sums', 'out']);
const WG = 256;

const params = (l: ChannelLayout, eps = 0) => ({ outer: l.outer, channels: l.size, inner: l.inner, total: l.outer * l.size * l.inner, eps });

/** One workgroup per channel (see shaders/batch_norm.wgsl for the two passes). */
export function batchNormStats(gpu: GpuRuntime, x: Storage, l: ChannelLayout): GPUStorage {
  const op = 'batchNormStats';
  const out = gpu.alloc(2 * l.size, 'float32', op);
  const xb = gpu.buf(x, op);
  const v4 = l.inner % 4 === 0 && fitsVec4(x.numel, [xb]);
  gpu.run(v4 ? STATS4 : STATS, {}, { x: xb, out: out.buffer! }, params(l), l.size, op);
  return out;
}

export function batchNormGradSums(gpu: GpuRuntime, x: Storage, dy: Storage, mean: Storage, variance: Storage,
  l: ChannelLayout, eps: number): GPUStorage {
  const op = 'batchNormGradSums';
  const out = gpu.alloc(2 * l.size, 'float32', op);
  const bufs = { x: gpu.buf(x, op), dy: gpu.buf(dy, op), mean: gpu.buf(mean, op), variance: gpu.buf(variance, op), out: out.buffer! };
  const v4 = l.inner % 4 === 0 && fitsVec4(x.numel, [bufs.x, bufs.dy]);
  gpu.run(v4 ? SUMS4 : SUMS, {}, bufs, params(l, eps), l.size, op);
  return out;
}

export function batchNormForward(gpu: GpuRuntime, x: Storage, mean: Storage, variance: Storage, weight: Storage | null,
  bias: Storage | null, l: ChannelLayout, eps: number): GPUStorage {
  const op = 'batchNorm';
  const n = l.outer * l.size * l.inner;
  const out = gpu.alloc(n, 'float32', op);
  const bufs = {
    x: gpu.buf(x, op), mean: gpu.buf(mean, op), variance: gpu.buf(variance, op),
    weight: weight ? gpu.buf(weight, op) : gpu.dummyRead, bias: bias ? gpu.buf(bias, op) : gpu.dummyRead, out: out.buffer!,
  };
  const v4 = l.inner % 4 === 0 && fitsVec4(n, [bufs.x, bufs.out]);
  const variant = { constants: { HAS_WEIGHT: weight !== null, HAS_BIAS: bias !== null } };
  gpu.run(v4 ? FORWARD4 : FORWARD, variant, bufs, params(l, eps), groupsFor(v4 ? n / 4 : n, WG), op);
  return out;
}

export function batchNormInputGrad(gpu: GpuRuntime, x: Storage, dy: Storage, mean: Storage, variance: Storage,
  weight: Storage | null, sums: Storage | null, l: ChannelLayout, eps: number): GPUStorage {
  const op = 'batchNormInputGrad';
  const n = l.outer * l.size * l.inner;
  const out = gpu.alloc(n, 'float32', op);
  const bufs = {
    x: gpu.buf(x, op), dy: gpu.buf(dy, op), mean: gpu.buf(mean, op), variance: gpu.buf(variance, op),
    weight: weight ? gpu.buf(weight, op) : gpu.dummyRead, sums: sums ? gpu.buf(sums, op) : gpu.dummyRead, out: out.buffer!,
  };
  const variant = { constants: { HAS_WEIGHT: weight !== null, HAS_SUMS: sums !== null } };
  const v4 = l.inner % 4 === 0 && fitsVec4(n, [bufs.x, bufs.dy, bufs.out]);
  gpu.run(v4 ? INPUT_GRAD4 : INPUT_GRAD, variant, bufs, params(l, eps), groupsFor(v4 ? n / 4 : n, WG), op);
  return out;
}
