import coordsSrc from '../../../shaders/coords.wgsl';
import whereSrc from '../../../shaders/where.wgsl';
import { WebgradError } from '../../errors.js';
import { mergeDims, numelOf, type Shape } from '../../shape.js';
import type { Storage } from '../backend.js';
import { elemType, MAX_RANK } from './dims.js';
import { defineKernel } from './pipelines.js';
import type { GpuRuntime } from './runtime.js';
import { shaderInterface } from './shader-interface.js';
import type { GPUStorage } from './storage.js';
import { elementwiseShape } from './tuner-elementwise.js';

/** where.wgsl: one grid-stride dispatch over the output, shaped like the other elementwise kernels. */
const WHERE_IO = shaderInterface(
  { shape: 'u32x8', c_strides: 'u32x8', a_strides: 'u32x8', b_strides: 'u32x8', n: 'u32' },
  {
    cond: { binding: 1, access: 'r', type: 'C' },
    a: { binding: 2, access: 'r', type: 'T' },
    b: { binding: 3, access: 'r', type: 'T' },
    out: { binding: 4, access: 'w', type: 'T' },
  },
);
const WHERE = defineKernel('where', whereSrc, 'where_', WHERE_IO, ['cond', 'a', 'b', 'out'], coordsSrc);

/** out = cond ? a : b (broadcast through the strides) into the contiguous `outShape`. */
export function where(
  gpu: GpuRuntime,
  cond: Storage,
  a: Storage,
  b: Storage,
  outShape: Shape,
  cStrides: readonly number[],
  aStrides: readonly number[],
  bStrides: readonly number[],
): GPUStorage {
  const cb = gpu.buf(cond, 'where');
  const ab = gpu.buf(a, 'where');
  const bb = gpu.buf(b, 'where');
  if (a.dtype !== b.dtype) throw new WebgradError('where', `operands are ${a.dtype} and ${b.dtype}`);
  const merged = mergeDims(outShape, [cStrides, aStrides, bStrides]);
  const rank = merged.shape.length;
  if (rank > MAX_RANK) throw new WebgradError('where', `broadcasting over more than ${MAX_RANK} non-mergeable dims is not supported on WebGPU`);
  const n = numelOf(outShape);
  const out = gpu.alloc(n, a.dtype, 'where');
  const [cs, as, bs] = merged.strides;
  const { wg, groups } = elementwiseShape(n, gpu.profile);
  gpu.run(
    WHERE,
    {
      types: { C: elemType(cond.dtype), T: elemType(a.dtype) },
      constants: { COND_FLOAT: cond.dtype !== 'int32', RANK: Math.max(1, rank), WG: wg },
    },
    { cond: cb, a: ab, b: bb, out: out.buffer! },
    { shape: merged.shape, c_strides: cs ?? [], a_strides: as ?? [], b_strides: bs ?? [], n },
    groups,
    'where',
  );
  return out;
}
