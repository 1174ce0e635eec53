import gatherSrc from '../../../shaders/gather.wgsl';
import { WebgradError } from '../../errors.js';
import { contiguousStrides } from '../../shape.js';
import type { GatherArgs, ScatterArgs, Storage } from '../backend.js';
import { fill } from './data.js';
import { elemType, groupsFor, MAX_RANK } from './dims.js';
import { defineKernel } from './pipelines.js';
import { shaderInterface } from './shader-interface.js';
import type { GpuRuntime } from './runtime.js';
import { sortLayout, sortPairs } from './sort.js';
import type { GPUStorage } from './storage.js';

const GATHER_IO = shaderInterface(
  {
    shape: 'u32x8',
    xstr: 'u32x8',   // gather: x's strides; scatter_keys: the destination's
    istr: 'u32x8',
    rank: 'u32',
    n: 'u32',        // gather: outputs; scatter: real sources (sorted keys)
    total: 'u32',    // scatter_keys: padded pairs; scatter_sum: destinations
    dim: 'u32',
    dim_size: 'u32',
    inner: 'u32',
  },
  {
    x: { binding: 1, access: 'r', type: 'T' },
    idx: { binding: 2, access: 'r', type: 'i32' },
    base: { binding: 3, access: 'r', type: 'T' },
    keys: { binding: 4, access: 'r', type: 'u32' },
    vals: { binding: 5, access: 'r', type: 'u32' },
    out: { binding: 6, access: 'w', type: 'T' },
    keys_w: { binding: 7, access: 'w', type: 'u32' },
    vals_w: { binding: 8, access: 'w', type: 'u32' },
  },
);
const GATHER = defineKernel('gather', gatherSrc, 'gather', GATHER_IO, ['x', 'idx', 'out']);
const KEYS = defineKernel('scatterKeys', gatherSrc, 'scatter_keys', GATHER_IO, ['idx', 'keys_w', 'vals_w']);
const SUM = defineKernel('scatterSum', gatherSrc, 'scatter_sum', GATHER_IO, ['x', 'base', 'keys', 'vals', 'out']);
const WG = 256;

function checkRank(op: string, rank: number): void {
  if (rank > MAX_RANK) throw new WebgradError(op, `tensors of more than ${MAX_RANK} dims are not supported on WebGPU`);
}

export function gather(gpu: GpuRuntime, x: Storage, idx: Storage, a: GatherArgs): GPUStorage {
  const op = 'gather';
  const xb = gpu.buf(x, op);
  const ib = gpu.buf(idx, op);
  checkRank(op, a.outShape.length);
  const n = a.outShape.reduce((s, d) => s * d, 1);
  const out = gpu.alloc(n, x.dtype, op);
  gpu.run(
    GATHER,
    { types: { T: elemType(x.dtype) } },
    { x: xb, idx: ib, out: out.buffer! },
    { shape: a.outShape, xstr: a.xStrides, istr: a.idxStrides, rank: a.outShape.length, n, total: 0, dim: a.dim, dim_size: a.dimSize, inner: 1 },
    groupsFor(n, WG),
    op,
  );
  return out;
}

/**
 * Deterministic scatter-add (see shaders/gather.wgsl): keys, a stable sort of (destination,
 * source) pairs, then one invocation per destination. For 'index' the sort is over the n
 * indices only (4096 for an embedding's backward, not its 4096 x 256 gradient elements).
 *
 * Measured on lavapipe (Dawn on 2 shared CPU cores), embedding-sized: 4096 int32 indices into a
 * 10,000 x 256 float32 table, indexSelect forward + backward (sort of 4096 keys: one local
 * pass in workgroup memory; then 2.56M destinations, each a 12-step binary search and on
 * average 0.4 source rows) in 0.8-1.0 s (test/indexing-gpu.test.ts). A per-destination loop
 * over all 4096 indices instead would read 10^10 indices; float atomics do not exist in WGSL
 * and would not be deterministic anyway.
 */
export function scatterAdd(gpu: GpuRuntime, base: Storage | null, src: Storage, idx: Storage, a: ScatterArgs): GPUStorage {
  const op = 'scatterAdd';
  const sb = gpu.buf(src, op);
  const ib = gpu.buf(idx, op);
  const bb = base === null ? null : gpu.buf(base, op);
  const index = a.mode === 'index';
  const outShape = index ? [a.outer, a.size, a.inner] : a.outShape;
  const outN = outShape.reduce((s, d) => s * d, 1);
  const out = gpu.alloc(outN, src.dtype, op);
  // Sources: the indices ('index': the src rows they pick are found through them).
  const keyShape = index ? [a.n] : a.idxShape;
  checkRank(op, keyShape.length);
  const n = keyShape.reduce((s, d) => s * d, 1);
  if (outN === 0) return out;
  if (n === 0) {
    if (bb) gpu.recorder.copy(bb.gpu, out.buffer!.gpu, outN * 4, op);
    else fill(gpu, out, 0, op);
    return out;
  }
  const { pLen, total } = sortLayout(1, n);
  const keys = gpu.alloc(total, 'int32', op);
  const vals = gpu.alloc(total, 'int32', op);
  const dim = index ? 0 : a.dim;
  const dimSize = index ? a.size : a.outShape[a.dim];
  const destStrides = index ? [1] : contiguousStrides(a.outShape);
  const T = { T: elemType(src.dtype) };
  gpu.run(
    KEYS,
    { types: T },
    { idx: ib, keys_w: keys.buffer!, vals_w: vals.buffer! },
    { shape: keyShape, xstr: destStrides, istr: [], rank: keyShape.length, n, total, dim, dim_size: dimSize, inner: 1 },
    groupsFor(total, WG),
    op,
  );
  sortPairs(gpu, keys.buffer!, vals.buffer!, pLen, total, op);
  const params = { shape: [], xstr: [], istr: [], rank: 0, n, total: outN, dim: 0, dim_size: index ? a.size : 1, inner: index ? a.inner : 1 };
  const variant = { types: T, constants: { HAS_BASE: bb !== null, INDEX_MODE: index } };
  // Without a base the kernel never reads it (HAS_BASE), but the binding is still declared.
  const bufs = { x: sb, base: bb ?? gpu.dummyRead, keys: keys.buffer!, vals: vals.buffer!, out: out.buffer! };
  gpu.run(SUM, variant, bufs, params, groupsFor(outN, WG), op);
  gpu.release(keys);
  gpu.release(vals);
  return out;
}
