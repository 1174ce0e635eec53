import castSrc from '../../../shaders/cast.wgsl';
import coordsSrc from '../../../shaders/coords.wgsl';
import dataSrc from '../../../shaders/data.wgsl';
import type { DType } from '../../dtype.js';
import { WebgradError } from '../../errors.js';
import type { Shape } from '../../shape.js';
import type { Storage } from '../backend.js';
import { mergeDims } from '../../shape.js';
import { elemType, EW_PER_GROUP, groupsFor, MAX_RANK } from './dims.js';
import { defineKernel } from './pipelines.js';
import { shaderInterface } from './shader-interface.js';
import type { GpuRuntime } from './runtime.js';
import type { GPUStorage } from './storage.js';
import { fitsVec4 } from './elementwise.js';
import { elementwiseShape } from './tuner-elementwise.js';

/** data.wgsl: 32-bit words, whatever the dtype. */
export const DATA_IO = shaderInterface(
  {
    shape: 'u32x8',
    strides: 'i32x8',
    rank: 'u32',
    n: 'u32',
    offset: 'i32',
    value: 'u32',   // fill: the element's bits
    size: 'u32',    // scatter_index: [outer, size, inner]
    inner: 'u32',
  },
  {
    src: { binding: 1, access: 'r', type: 'u32', vec4: 'src4' },
    idx: { binding: 2, access: 'r', type: 'i32' },
    out: { binding: 3, access: 'w', type: 'u32', vec4: 'out4' },
  },
);
const CAST_IO = shaderInterface(
  { n: 'u32' },
  {
    src: { binding: 1, access: 'r', type: 'S' },
    out: { binding: 3, access: 'w', type: 'D' },
  },
);
const FILL = defineKernel('fill', dataSrc, 'fill', DATA_IO, ['out'], coordsSrc);
const STRIDED = defineKernel('strided', dataSrc, 'strided', DATA_IO, ['src', 'out'], coordsSrc);
const STRIDED4 = defineKernel('strided', dataSrc, 'strided4', DATA_IO, ['src', 'out'], coordsSrc);
const CAST = defineKernel('cast', castSrc, 'convert', CAST_IO, ['src', 'out']);

/** The 32 bits a store of `value` into a typed array of `dtype` would hold. */
export function elementBits(dtype: DType, value: number): number {
  return dtype === 'int32' ? new Uint32Array(Int32Array.of(value).buffer)[0] : new Uint32Array(Float32Array.of(value).buffer)[0];
}

export function fill(gpu: GpuRuntime, dst: Storage, value: number, op = 'fill'): void {
  const buf = gpu.buf(dst, op);
  const bits = elementBits(dst.dtype, value);
  const n = dst.numel;
  if (n === 0) return;
  gpu.live(op);
  // All-zero bits (0 and +0.0) is a clearBuffer, no kernel needed.
  if (bits === 0) return gpu.recorder.clear(buf, n * 4, op);
  gpu.run(
    FILL,
    {},
    { out: buf },
    { shape: [], strides: [], rank: 0, n, offset: 0, value: bits, size: 0, inner: 0 },
    groupsFor(n, EW_PER_GROUP),
    op,
  );
}

export function full(gpu: GpuRuntime, numel: number, dtype: DType, value: number): GPUStorage {
  const out = gpu.alloc(numel, dtype, 'full');
  fill(gpu, out, value, 'full');
  return out;
}

export function copy(gpu: GpuRuntime, src: Storage, dst: Storage): void {
  const s = gpu.buf(src, 'copy');
  const d = gpu.buf(dst, 'copy');
  if (src.numel !== dst.numel || src.dtype !== dst.dtype) {
    throw new WebgradError('copy', `source (${src.numel} ${src.dtype}) and destination (${dst.numel} ${dst.dtype}) differ`);
  }
  gpu.live('copy');
  if (s === d || src.numel === 0) return;
  gpu.recorder.copy(s.gpu, d.gpu, src.numel * 4, 'copy');
}

export function cast(gpu: GpuRuntime, x: Storage, dtype: DType): GPUStorage {
  const xb = gpu.buf(x, 'cast');
  // Inside a compiled step a float32 copy joins the pending chain (chain.ts: ChainBuilder.copy).
  const chained = x.dtype === dtype && dtype === 'float32' ? gpu.chains?.copy(x) : null;
  if (chained) return chained;
  const out = gpu.alloc(x.numel, dtype, 'cast');
  const n = x.numel;
  if (x.dtype === dtype) {
    if (n > 0) gpu.recorder.copy(xb.gpu, out.buffer!.gpu, n * 4, 'cast');
    return out;
  }
  gpu.run(
    CAST,
    { types: { S: elemType(x.dtype), D: elemType(dtype) }, constants: { TO_INT: dtype === 'int32' } },
    { src: xb, out: out.buffer! },
    { n },
    groupsFor(n, EW_PER_GROUP),
    'cast',
  );
  return out;
}

export function strided(gpu: GpuRuntime, x: Storage, outShape: Shape, strides: readonly number[], offset: number): GPUStorage {
  const n = outShape.reduce((s, d) => s * d, 1);
  const m = mergeDims(outShape, [strides]);
  const rank = m.shape.length;
  const run = rank === 0 || (rank === 1 && m.strides[0][0] === 1);
  // Inside a compiled step a float32 gather joins (or starts) a chain (chain.ts:
  // ChainBuilder.gather); one contiguous run stays a buffer copy, which is no dispatch.
  const gathered = !run && offset === 0 && x.dtype === 'float32' ? gpu.chains?.gather(x, outShape, strides) : null;
  if (gathered) return gathered;
  const xb = gpu.buf(x, 'strided');
  const out = gpu.alloc(n, x.dtype, 'strided');
  if (rank > MAX_RANK) throw new WebgradError('strided', `views with more than ${MAX_RANK} non-mergeable dims are not supported on WebGPU`);
  if (n > 0 && run) {
    // One contiguous run (a slice of whole rows, or a single element): a buffer copy.
    gpu.live('strided');
    gpu.recorder.copy(xb.gpu, out.buffer!.gpu, n * 4, 'strided', offset * 4);
    return out;
  }
  // Runs of 4 contiguous, 4-aligned words (a head split's rows of 16): copied as vec4s, the
  // innermost dim and every stride in vec4 units.
  const s = m.strides[0];
  const inner = m.shape[rank - 1];
  const vec4 = s[rank - 1] === 1 && inner % 4 === 0 && offset % 4 === 0 && s.every((v, d) => d === rank - 1 || v % 4 === 0) &&
    fitsVec4(x.numel, [xb]) && fitsVec4(n, [out.buffer!]);
  const shape = vec4 ? [...m.shape.slice(0, -1), inner / 4] : m.shape;
  const steps = vec4 ? [...s.slice(0, -1).map((v) => v / 4), 1] : s;
  const units = vec4 ? n / 4 : n;
  const { wg, groups } = elementwiseShape(units, gpu.profile);
  gpu.run(
    vec4 ? STRIDED4 : STRIDED,
    { constants: { RANK: rank, WG: wg } },
    { src: xb, out: out.buffer! },
    { shape, strides: steps, rank, n: units, offset: vec4 ? offset / 4 : offset, value: 0, size: 0, inner: 0 },
    groups,
    'strided',
  );
  return out;
}
