import catSrc from '../../../shaders/cat.wgsl';
import coordsSrc from '../../../shaders/coords.wgsl';
import stridedSrc from '../../../shaders/strided.wgsl';
import { WebgradError } from '../../errors.js';
import { mergeDims, numelOf, type Shape } from '../../shape.js';
import type { Storage, StridedRegion } from '../backend.js';
import { strided } from './data.js';
import { MAX_RANK } from './dims.js';
import { defineKernel, type Variant } from './pipelines.js';
import type { GpuRuntime } from './runtime.js';
import { type ParamValues, shaderInterface } from './shader-interface.js';
import type { GPUStorage } from './storage.js';
import type { PooledBuffer } from './buffer-pool.js';
import { elementwiseShape } from './tuner-elementwise.js';

/** strided.wgsl: 32-bit words, whatever the dtype. */
const STRIDED_IO = shaderInterface(
  {
    shape: 'u32x8',
    srcStrides: 'i32x8',
    dstStrides: 'i32x8',
    n: 'u32',
    srcOffset: 'i32',
    dstOffset: 'i32',
  },
  {
    src: { binding: 1, access: 'r', type: 'u32' },
    dst: { binding: 2, access: 'w', type: 'u32' },
  },
);
const SCATTER = defineKernel('stridedScatter', stridedSrc, 'scatter', STRIDED_IO, ['src', 'dst'], coordsSrc);

/**
 * In place on dst (see Backend.stridedScatter). A region that is one contiguous run on both
 * sides (a cat along dim 0, a slice of whole rows) is a buffer copy, no dispatch; anything else
 * is one dispatch, so a cat of k inputs costs at most k.
 */
export function stridedScatter(gpu: GpuRuntime, src: Storage, dst: Storage, shape: Shape, from: StridedRegion, to: StridedRegion): void {
  const op = 'stridedScatter';
  const sb = gpu.buf(src, op);
  const db = gpu.buf(dst, op);
  if (sb === db) throw new WebgradError(op, 'source and destination must be different storages');
  const n = numelOf(shape);
  const m = mergeDims(shape, [from.strides, to.strides]);
  const rank = m.shape.length;
  if (rank > MAX_RANK) throw new WebgradError(op, `regions with more than ${MAX_RANK} non-mergeable dims are not supported on WebGPU`);
  gpu.live(op);
  if (n === 0) return;
  if (rank === 0 || (rank === 1 && m.strides[0][0] === 1 && m.strides[1][0] === 1)) {
    gpu.recorder.copy(sb.gpu, db.gpu, n * 4, op, from.offset * 4, to.offset * 4);
    return;
  }
  const { wg, groups } = elementwiseShape(n, gpu.profile);
  gpu.run(
    SCATTER,
    { constants: { RANK: rank, WG: wg } },
    { src: sb, dst: db },
    { shape: m.shape, srcStrides: m.strides[0], dstStrides: m.strides[1], n, srcOffset: from.offset, dstOffset: to.offset },
    groups,
    op,
  );
}

const VEC = 'vec4<u32>';
/** cat.wgsl: up to 7 pieces and the whole they tile, in vec4 units (see the shader). */
const CAT_IO = shaderInterface(
  {
    offs: 'u32x8',
    widths: 'u32x8',
    rows: 'u32',
    width: 'u32', // the whole's row width
  },
  {
    s0: { binding: 1, access: 'r', type: VEC },
    s1: { binding: 2, access: 'r', type: VEC },
    s2: { binding: 3, access: 'r', type: VEC },
    s3: { binding: 4, access: 'r', type: VEC },
    s4: { binding: 5, access: 'r', type: VEC },
    s5: { binding: 6, access: 'r', type: VEC },
    s6: { binding: 7, access: 'r', type: VEC },
    whole_w: { binding: 8, access: 'w', type: VEC },
    whole: { binding: 9, access: 'r', type: VEC },
    d0: { binding: 10, access: 'w', type: VEC },
    d1: { binding: 11, access: 'w', type: VEC },
    d2: { binding: 12, access: 'w', type: VEC },
    d3: { binding: 13, access: 'w', type: VEC },
    d4: { binding: 14, access: 'w', type: VEC },
    d5: { binding: 15, access: 'w', type: VEC },
    d6: { binding: 16, access: 'w', type: VEC },
  },
);
const SRC = ['s0', 's1', 's2', 's3', 's4', 's5', 's6'] as const;
const DST = ['d0', 'd1', 'd2', 'd3', 'd4', 'd5', 'd6'] as const;
type CatParams = ParamValues<typeof CAT_IO.params>;
const JOIN = defineKernel('cat', catSrc, 'join4', CAT_IO, [...SRC, 'whole_w']);
const SPLIT = defineKernel('split', catSrc, 'split4', CAT_IO, ['whole', ...DST]);
/** Pieces per dispatch: 7 read + 1 written storage buffers, WebGPU's default per-stage limit of 8. */
const PER_DISPATCH = 7;

interface Part { readonly offset: number; readonly width: number }

/** Groups of at most 7 non-empty parts (one dispatch each). */
function groups<P extends Part>(parts: readonly P[]): P[][] {
  const live = parts.filter((p) => p.width > 0);
  const out: P[][] = [];
  for (let i = 0; i < live.length; i += PER_DISPATCH) out.push(live.slice(i, i + PER_DISPATCH));
  return out;
}

/**
 * The dispatch of one group: grid [groups, 1, parts], each part a grid-stride loop over its
 * rows x width vec4s, the groups and their width sized for the widest part as an elementwise
 * kernel's (tuner-elementwise.ts); offsets and widths in vec4 units, unused slots empty.
 */
function runGroup(gpu: GpuRuntime, group: readonly Part[], rows: number, width: number, go: (params: CatParams, variant: Variant, grid: [number, number, number]) => void): void {
  const pad = (v: number[]): number[] => [...v, ...new Array<number>(8 - v.length).fill(0)];
  const params = { offs: pad(group.map((p) => p.offset / 4)), widths: pad(group.map((p) => p.width / 4)), rows, width: width / 4 };
  const { wg, groups } = elementwiseShape((rows * Math.max(...group.map((p) => p.width))) / 4, gpu.profile);
  // The loop covers any count of groups: a device with a smaller grid limit just loops more.
  go(params, { constants: { WG: wg } }, [Math.min(groups, gpu.maxGroupsPerDim), 1, group.length]);
}

/**
 * See Backend.catRows. A cat along dim 0 (one row) is a buffer copy per piece; rows whose
 * widths are multiples of 4 go out as one dispatch per 7 pieces (vec4 copies); anything else
 * as one strided scatter per piece. On lavapipe, 4 x [1024, 256] along dim 1: 4 scatters of
 * 1M scalars (rank-2 index arithmetic per element) against one dispatch of 1M vec4s: see
 * BENCHMARKS.md (cat rows).
 */
export function catRows(gpu: GpuRuntime, pieces: readonly Storage[], rows: number, widths: readonly number[]): GPUStorage {
  const op = 'cat';
  const bufs = pieces.map((p) => gpu.buf(p, op));
  const width = widths.reduce((a, b) => a + b, 0);
  const out = gpu.alloc(rows * width, pieces[0].dtype, op);
  gpu.live(op);
  if (rows * width === 0) return out;
  let offset = 0;
  const parts = widths.map((w, i) => {
    const p = { offset, width: w, i };
    offset += w;
    return p;
  });
  const ob = out.buffer!;
  if (rows === 1) {
    for (const p of parts) if (p.width > 0) gpu.recorder.copy(bufs[p.i].gpu, ob.gpu, p.width * 4, op, 0, p.offset * 4);
    return out;
  }
  if (width % 4 === 0 && widths.every((w) => w % 4 === 0)) {
    const dummy = gpu.alloc(4, pieces[0].dtype, op);
    for (const group of groups(parts)) {
      const srcs = Object.fromEntries(SRC.map((name, k) => [name, k < group.length ? bufs[group[k].i] : dummy.buffer!]));
      const bound = { ...srcs, whole_w: ob } as Record<(typeof SRC)[number] | 'whole_w', PooledBuffer>;
      runGroup(gpu, group, rows, width, (params, variant, grid) => gpu.run(JOIN, variant, bound, params, grid, op));
    }
    gpu.release(dummy);
    return out;
  }
  for (const p of parts) {
    if (p.width === 0) continue;
    stridedScatter(gpu, pieces[p.i], out, [rows, p.width], { strides: [p.width, 1], offset: 0 }, { strides: [width, 1], offset: p.offset });
  }
  return out;
}

/** See Backend.splitRows: cat's backward, the inverse of catRows (one dispatch per 7 parts). */
export function splitRows(gpu: GpuRuntime, whole: Storage, rows: number, width: number, parts: readonly Part[]): GPUStorage[] {
  const op = 'split';
  const wb = gpu.buf(whole, op);
  const outs = parts.map((p) => gpu.alloc(rows * p.width, whole.dtype, op));
  gpu.live(op);
  if (rows === 0) return outs;
  if (rows === 1) {
    parts.forEach((p, i) => {
      if (p.width > 0) gpu.recorder.copy(wb.gpu, outs[i].buffer!.gpu, p.width * 4, op, p.offset * 4, 0);
    });
    return outs;
  }
  if (width % 4 === 0 && parts.every((p) => p.width % 4 === 0 && p.offset % 4 === 0)) {
    // Unused slots are written by no invocation, but WebGPU refuses one buffer bound to two
    // writable bindings: a small buffer of its own for each.
    const dummies = DST.map(() => gpu.alloc(4, whole.dtype, op));
    const indexed = parts.map((p, i) => ({ ...p, i }));
    for (const group of groups(indexed)) {
      const dsts = Object.fromEntries(DST.map((name, k) => [name, k < group.length ? outs[group[k].i].buffer! : dummies[k].buffer!]));
      const bound = { whole: wb, ...dsts } as Record<(typeof DST)[number] | 'whole', PooledBuffer>;
      runGroup(gpu, group, rows, width, (params, variant, grid) => gpu.run(SPLIT, variant, bound, params, grid, op));
    }
    for (const d of dummies) gpu.release(d);
    return outs;
  }
  return parts.map((p, i) => {
    gpu.release(outs[i]);
    return strided(gpu, whole, [rows, p.width], [width, 1], p.offset);
  });
}
