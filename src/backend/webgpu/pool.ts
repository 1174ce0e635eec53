import poolSrc from '../../../shaders/pool.wgsl';
import type { AvgPoolArgs, PoolArgs, Storage } from '../backend.js';
import { groupsFor } from './dims.js';
import { defineKernel } from './pipelines.js';
import type { GpuRuntime } from './runtime.js';
import { shaderInterface } from './shader-interface.js';
import type { GPUStorage } from './storage.js';

const POOL_IO = shaderInterface(
  {
    n: 'u32',        // invocations: outputs (forward) or input elements (backward)
    in_h: 'i32',
    in_w: 'i32',
    out_h: 'i32',
    out_w: 'i32',
    k_h: 'i32',
    k_w: 'i32',
    s_h: 'i32',
    s_w: 'i32',
    p_h: 'i32',
    p_w: 'i32',
    d_h: 'i32',
    d_w: 'i32',
    divisor: 'i32',  // avg: nonzero overrides the window size
    neg_inf: 'f32',  // -Infinity (a WGSL constant cannot hold it)
  },
  {
    x: { binding: 1, access: 'r', type: 'f32' },
    dy: { binding: 2, access: 'r', type: 'f32' },
    idx: { binding: 3, access: 'r', type: 'i32' },
    out: { binding: 4, access: 'w', type: 'f32' },
    idx_w: { binding: 5, access: 'w', type: 'i32' },
  },
);
const MAX = defineKernel('maxPool', poolSrc, 'max_pool', POOL_IO, ['x', 'out', 'idx_w']);
const MAX_GRAD = defineKernel('maxPoolGrad', poolSrc, 'max_pool_grad', POOL_IO, ['dy', 'idx', 'out']);
const MAX_GRAD_TILED = defineKernel('maxPoolGrad', poolSrc, 'max_pool_grad_tiled', POOL_IO, ['dy', 'idx', 'out']);
const AVG = defineKernel('avgPool', poolSrc, 'avg_pool', POOL_IO, ['x', 'out']);
const AVG_GRAD = defineKernel('avgPoolGrad', poolSrc, 'avg_pool_grad', POOL_IO, ['dy', 'out']);
const WG = 256;

function params(a: PoolArgs, n: number, divisor = 0) {
  return {
    n, in_h: a.inH, in_w: a.inW, out_h: a.outH, out_w: a.outW, k_h: a.kH, k_w: a.kW, s_h: a.sH, s_w: a.sW,
    p_h: a.pH, p_w: a.pW, d_h: a.dH, d_w: a.dW, divisor, neg_inf: -Infinity,
  };
}
const avgVariant = (a: AvgPoolArgs) => ({ constants: { ADAPTIVE: a.adaptive, COUNT_PAD: a.countIncludePad } });

export function maxPool(gpu: GpuRuntime, x: Storage, a: PoolArgs, indices: boolean): [GPUStorage, GPUStorage | null] {
  const op = 'maxPool';
  const xb = gpu.buf(x, op);
  const n = a.planes * a.outH * a.outW;
  const out = gpu.alloc(n, 'float32', op);
  const idx = indices ? gpu.alloc(n, 'int32', op) : null;
  // Without indices the kernel never writes idx_w, but the binding is still declared.
  const scratch = idx ?? gpu.alloc(1, 'int32', op);
  gpu.run(MAX, { constants: { WRITE_IDX: indices } }, { x: xb, out: out.buffer!, idx_w: scratch.buffer! }, params(a, n), groupsFor(n, WG), op);
  if (!idx) gpu.release(scratch);
  return [out, idx];
}

/** Windows that tile the input exactly: each input element is in exactly one window. */
const tiles = (a: PoolArgs): boolean =>
  a.sH === a.kH && a.sW === a.kW && a.pH === 0 && a.pW === 0 && (a.kH === 1 || a.dH === 1) && (a.kW === 1 || a.dW === 1) &&
  a.outH * a.kH === a.inH && a.outW * a.kW === a.inW;

export function maxPoolGrad(gpu: GpuRuntime, dy: Storage, idx: Storage, a: PoolArgs): GPUStorage {
  const op = 'maxPoolGrad';
  const out = gpu.alloc(a.planes * a.inH * a.inW, 'float32', op);
  const bufs = { dy: gpu.buf(dy, op), idx: gpu.buf(idx, op), out: out.buffer! };
  // Tiling windows: an invocation per window writes it whole; else one per input element.
  const n = tiles(a) ? a.planes * a.outH * a.outW : a.planes * a.inH * a.inW;
  gpu.run(tiles(a) ? MAX_GRAD_TILED : MAX_GRAD, {}, bufs, params(a, n), groupsFor(n, WG), op);
  return out;
}

export function avgPool(gpu: GpuRuntime, x: Storage, a: AvgPoolArgs): GPUStorage {
  const op = 'avgPool';
  const n = a.planes * a.outH * a.outW;
  const out = gpu.alloc(n, 'float32', op);
  gpu.run(AVG, avgVariant(a), { x: gpu.buf(x, op), out: out.buffer! }, params(a, n, a.divisor), groupsFor(n, WG), op);
  return out;
}

export function avgPoolGrad(gpu: GpuRuntime, dy: Storage, a: AvgPoolArgs): GPUStorage {
  const op = 'avgPoolGrad';
  const n = a.planes * a.inH * a.inW;
  const out = gpu.alloc(n, 'float32', op);
  gpu.run(AVG_GRAD, avgVariant(a), { dy: gpu.buf(dy, op), out: out.buffer! }, params(a, n, a.divisor), groupsFor(n, WG), op);
  return out;
}
