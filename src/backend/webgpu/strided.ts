import stridedSrc from '../../../shaders/strided.wgsl';
import { WebgradError } from '../../errors.js';
import { mergeDims, numelOf, type Shape } from '../../shape.js';
import type { Storage, StridedRegion } from '../backend.js';
import { EW_PER_GROUP, groupsFor, MAX_RANK } from './dims.js';
import { defineKernel } from './pipelines.js';
import type { GpuRuntime } from './runtime.js';
import { shaderInterface } from './shader-interface.js';

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
const SCATTER = defineKernel('stridedScatter', stridedSrc, 'scatter', STRIDED_IO, ['src', 'dst']);

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
  gpu.run(
    SCATTER,
    { constants: { RANK: rank } },
    { src: sb, dst: db },
    { shape: m.shape, srcStrides: m.strides[0], dstStrides: m.strides[1], n, srcOffset: from.offset, dstOffset: to.offset },
    groupsFor(n, EW_PER_GROUP),
    op,
  );
}
