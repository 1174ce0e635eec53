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
    ishape: 'u32x8', // scatter_sum: the index's shape
    rank: 'u32',
    n: 'u32',        // gather: outputs; scatter: sources per index line (along dim)
    total: 'u32',    // scatter_keys: padded pairs; scatter_sum: destinations
    dim: 'u32',
    dim_size: 'u32',
    inner: 'u32',    // scatter_sum 'index': the destination's inner size
    iinner: 'u32',   // the index's inner size (index lines are [outer, n, iinner])
    lines: 'u32',
    p_len: 'u32',    // each index line padded to a power of two in the sort
    tile: 'u32',     // scatter_lines: destinations along dim per invocation
  },
  {
    x: { binding: 1, access: 'r', type: 'T', vec4: 'x4' },
    idx: { binding: 2, access: 'r', type: 'i32' },
    base: { binding: 3, access: 'r', type: 'T', vec4: 'base4' },
    keys: { binding: 4, access: 'r', type: 'u32' },
    vals: { binding: 5, access: 'r', type: 'u32' },
    out: { binding: 6, access: 'w', type: 'T', vec4: 'out4' },
    keys_w: { binding: 7, access: 'w', type: 'u32' },
    vals_w: { binding: 8, access: 'w', type: 'u32' },
  },
);
const GATHER = defineKernel('gather', gatherSrc, 'gather', GATHER_IO, ['x', 'idx', 'out']);
const SELECT4 = defineKernel('indexSelect', gatherSrc, 'index_select4', GATHER_IO, ['x', 'idx', 'out']);
const KEYS = defineKernel('scatterKeys', gatherSrc, 'scatter_keys', GATHER_IO, ['idx', 'keys_w', 'vals_w']);
const SUM = defineKernel('scatterSum', gatherSrc, 'scatter_sum', GATHER_IO, ['x', 'base', 'keys', 'vals', 'out']);
const SCAN = defineKernel('scatterScan', gatherSrc, 'scatter_scan', GATHER_IO, ['x', 'idx', 'base', 'out']);
const SUM4 = defineKernel('scatterSum', gatherSrc, 'scatter_sum4', GATHER_IO, ['x', 'base', 'keys', 'vals', 'out']);
const LINES = defineKernel('scatterLines', gatherSrc, 'scatter_lines', GATHER_IO, ['x', 'idx', 'out']);
const LINES4 = defineKernel('scatterLines', gatherSrc, 'scatter_lines4', GATHER_IO, ['x', 'idx', 'out']);
/**
 * Index lines of at most this many go without the sort: each destination scans its line (n
 * index reads) instead of paying a sort padded to 1024-pair blocks (3+ dispatches). oneHot
 * (n = 1), topk's backward (n = k) and small gathers land here.
 */
const LOOP_MAX = 16;
const WG = 256;
/** scatter_lines' workgroup size (its LINES_WG). */
const LINES_WG = 64;
const NO_PARAMS = { shape: [], xstr: [], istr: [], ishape: [], rank: 0, n: 0, total: 0, dim: 0, dim_size: 0, inner: 1, iinner: 1, lines: 0, p_len: 0, tile: 0 };

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
  // indexSelect of whole rows of a multiple of 4 elements: the vec4 kernel. On lavapipe, 4096
  // rows of 256 from a 10,000 x 256 table: see bench/rows/indexing.ts.
  const d = a.dim;
  const inner = a.outShape.slice(d + 1).reduce((s, v) => s * v, 1);
  const xContig = contiguousStrides(a.outShape.map((v, i) => (i === d ? a.dimSize : v)));
  const rowSelect = a.idxStrides.every((s, i) => s === (i === d ? 1 : 0)) && a.xStrides.every((s, i) => s === xContig[i]);
  if (rowSelect && inner % 4 === 0 && n > 0) {
    gpu.run(
      SELECT4,
      { types: { T: elemType(x.dtype) } },
      { x: xb, idx: ib, out: out.buffer! },
      { ...NO_PARAMS, n: a.outShape[d], total: n / 4, dim_size: a.dimSize, inner },
      groupsFor(n / 4, WG),
      op,
    );
    return out;
  }
  gpu.run(
    GATHER,
    { types: { T: elemType(x.dtype) } },
    { x: xb, idx: ib, out: out.buffer! },
    { ...NO_PARAMS, shape: a.outShape, xstr: a.xStrides, istr: a.idxStrides, rank: a.outShape.length, n, dim: a.dim, dim_size: a.dimSize },
    groupsFor(n, WG),
    op,
  );
  return out;
}

/**
 * Deterministic scatter-add (see shaders/gather.wgsl), in one of three ways, each summing a
 * destination's sources in source order (PyTorch's):
 * - index lines of at most LOOP_MAX: each destination scans its line (scatter_scan);
 * - enough independent lines (the columns of an embedding's [outer, ·, inner] rows, the index
 *   lines of gather's backward): one invocation per line and tile of destinations walks its
 *   line (scatter_lines), no sort. Work: the sources times the tiles (at most 16);
 * - else the index is cut into lines along dim, each line's (index, position) pairs are sorted
 *   stably (sort.wgsl), then one invocation per destination binary-searches its run.
 *
 * Measured on lavapipe (2 shared cores, load 9-18, so only ratios from one run mean much),
 * bench/rows/indexing.ts in four before/after runs: gather's backward with a [4096, 256] index
 * into [10,000, 256] (256 lines of 4096) took 4.2-7.5 s per 8 ops sorting 1M pairs, 0.23-0.34 s
 * walking the lines (0.2x tfjs -> 2.7-3.4x); indexSelect forward + backward (4096 indices, 64
 * vec4 columns x 4 tiles) 3.3-4.4x tfjs -> 3.5-9.8x, 9 dispatches -> 2. WGSL has no float
 * atomics, and they would not be deterministic.
 */
export function scatterAdd(gpu: GpuRuntime, base: Storage | null, src: Storage, idx: Storage, a: ScatterArgs): GPUStorage {
  const op = 'scatterAdd';
  const sb = gpu.buf(src, op);
  const ib = gpu.buf(idx, op);
  const bb = base === null ? null : gpu.buf(base, op);
  const index = a.mode === 'index';
  const outShape = index ? [a.outer, a.size, a.inner] : a.outShape;
  checkRank(op, outShape.length);
  const outN = outShape.reduce((s, d) => s * d, 1);
  const out = gpu.alloc(outN, src.dtype, op);
  const prod = (v: readonly number[]): number => v.reduce((s, d) => s * d, 1);
  const n = index ? a.n : a.idxShape[a.dim];
  const iinner = index ? 1 : prod(a.idxShape.slice(a.dim + 1));
  const lines = index ? 1 : prod(a.idxShape) / Math.max(1, n);
  if (outN === 0) return out;
  if (n === 0 || lines === 0) {
    if (bb) gpu.recorder.copy(bb.gpu, out.buffer!.gpu, outN * 4, op);
    else fill(gpu, out, 0, op);
    return out;
  }
  const dimSize = index ? a.size : a.outShape[a.dim];
  const T = { T: elemType(src.dtype) };
  const params = { ...NO_PARAMS, n, dim_size: dimSize, iinner, lines, p_len: 0 };
  const sumParams = index
    ? { ...params, total: outN, inner: a.inner }
    : { ...params, total: outN, shape: a.outShape, ishape: a.idxShape, istr: contiguousStrides(a.idxShape), rank: a.outShape.length, dim: a.dim };
  if (n <= LOOP_MAX && !(index && a.inner % 4 === 0)) {
    const variant = { types: T, constants: { HAS_BASE: bb !== null, INDEX_MODE: index } };
    gpu.run(SCAN, variant, { x: sb, idx: ib, base: bb ?? gpu.dummyRead, out: out.buffer! }, sumParams, groupsFor(outN, WG), op);
    return out;
  }
  // Enough independent lines (an embedding's 256 columns, a [4096, 256] gather's 256 index
  // lines) go without the sort: each invocation walks one line for one tile of destinations.
  // Invocations wanted: enough to fill the adapter; the work is tiles x the sources, so only
  // when that is at most 16x (else the sort's n log^2 n is cheaper).
  const vec4 = index && a.inner % 4 === 0;
  const columns = index ? a.outer * (vec4 ? a.inner / 4 : a.inner) : lines;
  const want = gpu.profile === 'cpu-emulated' ? 256 : 16384;
  const tiles0 = Math.min(dimSize, Math.max(1, Math.ceil(want / Math.max(1, columns))));
  if (tiles0 <= 16) {
    const tile = Math.ceil(dimSize / tiles0);
    const tiles = Math.ceil(dimSize / tile);
    if (bb) gpu.recorder.copy(bb.gpu, out.buffer!.gpu, outN * 4, op);
    else fill(gpu, out, 0, op);
    const p = index
      ? { ...params, lines: columns, tile, total: columns * tiles, inner: a.inner }
      : { ...params, lines, tile, total: lines * tiles, ishape: a.idxShape, xstr: contiguousStrides(a.outShape), rank: a.outShape.length, dim: a.dim };
    gpu.run(vec4 ? LINES4 : LINES, { types: T, constants: { INDEX_MODE: index } }, { x: sb, idx: ib, out: out.buffer! }, p, groupsFor(columns * tiles, LINES_WG), op);
    return out;
  }
  const { pLen, total } = sortLayout(lines, n);
  const keys = gpu.alloc(total, 'int32', op);
  const vals = gpu.alloc(total, 'int32', op);
  const sorted = { ...params, p_len: pLen };
  gpu.run(KEYS, { types: T }, { idx: ib, keys_w: keys.buffer!, vals_w: vals.buffer! }, { ...sorted, total }, groupsFor(total, WG), op);
  sortPairs(gpu, keys.buffer!, vals.buffer!, pLen, total, op);
  const variant = { types: T, constants: { HAS_BASE: bb !== null, INDEX_MODE: index } };
  // Without a base the kernel never reads it (HAS_BASE), but the binding is still declared.
  const bufs = { x: sb, base: bb ?? gpu.dummyRead, keys: keys.buffer!, vals: vals.buffer!, out: out.buffer! };
  // 'index' mode on rows of a multiple of 4 (an embedding's gradient): a quarter of the binary
  // searches, vec4 memory traffic.
  // (The unread base binding is then a vec4 array: the 4-byte dummy is below its minimum size.)
  if (index && a.inner % 4 === 0) {
    const dummy4 = bb ? null : gpu.alloc(4, src.dtype, op);
    gpu.run(SUM4, variant, { ...bufs, base: bb ?? dummy4!.buffer! }, { ...sumParams, p_len: pLen, total: outN / 4 }, groupsFor(outN / 4, WG), op);
    if (dummy4) gpu.release(dummy4);
  } else gpu.run(SUM, variant, bufs, { ...sumParams, p_len: pLen }, groupsFor(outN, WG), op);
  gpu.release(keys);
  gpu.release(vals);
  return out;
}
