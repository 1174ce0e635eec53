import coordsSrc from '../../../shaders/coords.wgsl';
import dataSrc from '../../../shaders/data.wgsl';
import reduceSrc from '../../../shaders/reduce.wgsl';
import sumToSrc from '../../../shaders/sum_to.wgsl';
import type { DType } from '../../dtype.js';
import { WebgradError } from '../../errors.js';
import { contiguousStrides, mergeDims, type ReduceLayout, type Shape, sumToStrides } from '../../shape.js';
import type { ArgReduceOp, ReduceOp, Storage } from '../backend.js';
import type { PooledBuffer } from './buffer-pool.js';
import { DATA_IO, fill } from './data.js';
import { elemType, EW_PER_GROUP, groupsFor, MAX_RANK } from './dims.js';
import { fitsVec4 } from './elementwise.js';
import { defineKernel } from './pipelines.js';
import { shaderInterface } from './shader-interface.js';
import type { GpuRuntime } from './runtime.js';
import type { GPUStorage } from './storage.js';
import { reduceRowsShape } from './tuner-elementwise.js';

const REDUCE_IO = shaderInterface(
  {
    outer: 'u32',
    size: 'u32',
    inner: 'u32',
    chunks: 'u32',
    chunk_len: 'u32',
    identity: 'T',   // 0 for sum, -Inf/+Inf (int32: min/max int) for max/min
  },
  {
    x: { binding: 1, access: 'r', type: 'T', vec4: 'x4' },
    xi: { binding: 2, access: 'r', type: 'i32' },        // IDX_IN: the partial result's indices
    out: { binding: 3, access: 'w', type: 'T' },
    out_i: { binding: 4, access: 'w', type: 'i32' },     // IDX_OUT: the indices
  },
);
const SUM_TO_IO = shaderInterface(
  {
    kshape: 'u32x8',
    kstrides: 'u32x8',
    rshape: 'u32x8',
    rstrides: 'u32x8',
    krank: 'u32',
    rrank: 'u32',
    n_out: 'u32',
    n_red: 'u32',
  },
  {
    x: { binding: 1, access: 'r', type: 'T' },
    out: { binding: 3, access: 'w', type: 'T' },
  },
);
const REDUCE_USES = ['x', 'xi', 'out', 'out_i'] as const;
const ROWS = defineKernel('reduce', reduceSrc, 'rows', REDUCE_IO, REDUCE_USES);
const ROWS4 = defineKernel('reduce', reduceSrc, 'rows4', REDUCE_IO, REDUCE_USES);
const COLS = defineKernel('reduce', reduceSrc, 'cols', REDUCE_IO, REDUCE_USES);
const SUM_TO = defineKernel('sumTo', sumToSrc, 'sum_to', SUM_TO_IO, ['x', 'out']);
const SCATTER = defineKernel('scatterIndex', dataSrc, 'scatter_index', DATA_IO, ['src', 'idx', 'out'], coordsSrc);

const OPS = { sum: 0, max: 1, min: 2, argmax: 3, argmin: 4 } as const;
const WG = 256;
/** Aim for at least this many invocations in `cols` before splitting lines into chunks. */
const COL_THREADS = 16384;
/**
 * Contiguous lines shorter than this go to `cols` (an invocation per line): a workgroup per
 * line pays a tree reduction with barriers for little work. On lavapipe a 256-wide workgroup
 * per 65-element line ran 70x slower than an invocation per line (6.4 s vs 93 ms for 70000
 * lines).
 */
const SHORT_LINE = 512;

/** Whether [outer, size, inner] is reduced by `rows` (a workgroup tree per line chunk), not `cols`. */
export const reducesByRows = (size: number, inner: number): boolean => inner === 1 && size >= SHORT_LINE;

/** `cols`' chunks per line: about COL_THREADS invocations in all, no chunk under 64 elements. */
export const colsChunks = (size: number, lines: number): number =>
  Math.max(1, Math.min(Math.ceil(size / 64), Math.ceil(COL_THREADS / lines)));

function identity(op: ReduceOp | ArgReduceOp, dtype: DType): number {
  if (op === 'sum') return 0;
  const isMax = op === 'max' || op === 'argmax';
  if (dtype === 'int32') return isMax ? -2147483648 : 2147483647;
  return isMax ? -Infinity : Infinity;
}

/**
 * Reduces [outer, size, inner] in as many passes as needed: each pass splits lines into
 * chunks reduced in parallel and leaves [outer, chunks, inner] partials (values and, for
 * arg-reductions, indices) for the next.
 */
function reducePasses(
  gpu: GpuRuntime,
  op: ReduceOp | ArgReduceOp,
  x: PooledBuffer,
  dtype: DType,
  layout: ReduceLayout,
  name: string,
  into: GPUStorage | null = null,
): GPUStorage {
  const arg = op === 'argmax' || op === 'argmin';
  const { outer, inner } = layout;
  let size = layout.size;
  let src = x;
  let srcIdx: PooledBuffer | null = null;
  let temps: GPUStorage[] = [];
  const lines = outer * inner;
  const isFloat = dtype !== 'int32';
  const ident = identity(op, dtype);
  for (let pass = 0; ; pass++) {
    const rows = reducesByRows(size, inner);
    const shape = reduceRowsShape(size, lines, gpu.profile);
    let chunks = rows ? shape.chunks : colsChunks(size, lines);
    chunks = Math.max(1, chunks);
    // vec4 loads: every line must start on a vec4 and the chunks must stay aligned.
    const vec4 = rows && srcIdx === null && (outer === 1 || size % 4 === 0) && fitsVec4(lines * size, [src]);
    let chunkLen = Math.max(1, Math.ceil(size / chunks));
    if (vec4) chunkLen = Math.ceil(chunkLen / 4) * 4;
    chunks = Math.max(1, Math.ceil(size / chunkLen));
    const last = chunks === 1;
    const vals = !last || !arg ? (last && into !== null ? into : gpu.alloc(lines * chunks, dtype, name)) : null;
    const idx = arg ? gpu.alloc(lines * chunks, 'int32', name) : null;
    const n = size;
    gpu.run(
      vec4 ? ROWS4 : rows ? ROWS : COLS,
      {
        types: { T: elemType(dtype) },
        constants: {
          OP: OPS[op],
          IS_FLOAT: isFloat,
          IDX_IN: srcIdx !== null,
          VAL_OUT: vals !== null,
          IDX_OUT: idx !== null,
          WG: rows ? shape.wg : WG,
        },
      },
      { x: src, xi: srcIdx ?? gpu.dummyRead, out: vals?.buffer ?? gpu.dummyWrite, out_i: idx?.buffer ?? gpu.dummyWrite },
      { outer, size: n, inner, chunks, chunk_len: chunkLen, identity: ident },
      rows ? lines * chunks : groupsFor(lines * chunks, WG),
      name,
    );
    for (const t of temps) gpu.release(t);
    if (last) return (arg ? idx : vals)!;
    temps = [vals!, ...(idx ? [idx] : [])];
    src = vals!.buffer!;
    srcIdx = idx?.buffer ?? null;
    size = chunks;
  }
}

/** Sums partial sums laid out [outer, size, inner] into `out` (a reducing chain's last pass, chain.ts). */
export function sumPartials(gpu: GpuRuntime, partials: PooledBuffer, layout: ReduceLayout, out: GPUStorage, name: string): void {
  reducePasses(gpu, 'sum', partials, 'float32', layout, name, out);
}

export function reduce(gpu: GpuRuntime, op: ReduceOp, x: Storage, layout: ReduceLayout): GPUStorage {
  const xb = gpu.buf(x, op);
  const lines = layout.outer * layout.inner;
  if (op === 'sum') {
    const chained = gpu.chains?.reduceSum(x, layout);
    if (chained) return chained;
  }
  if (layout.size === 0 || lines === 0) {
    const out = gpu.alloc(lines, x.dtype, op);
    fill(gpu, out, 0, op);
    return out;
  }
  return reducePasses(gpu, op, xb, x.dtype, layout, op);
}

export function argReduce(gpu: GpuRuntime, op: ArgReduceOp, x: Storage, layout: ReduceLayout): GPUStorage {
  const xb = gpu.buf(x, op);
  const lines = layout.outer * layout.inner;
  if (layout.size === 0 || lines === 0) {
    const out = gpu.alloc(lines, 'int32', op);
    fill(gpu, out, 0, op);
    return out;
  }
  return reducePasses(gpu, op, xb, x.dtype, layout, op);
}

export function scatterIndex(gpu: GpuRuntime, dy: Storage, idx: Storage, layout: ReduceLayout): GPUStorage {
  const name = 'scatterIndex';
  const dyb = gpu.buf(dy, name);
  const ib = gpu.buf(idx, name);
  const { outer, size, inner } = layout;
  const n = outer * size * inner;
  const out = gpu.alloc(n, dy.dtype, name);
  gpu.run(
    SCATTER,
    {},
    { src: dyb, idx: ib, out: out.buffer! },
    { shape: [], strides: [], rank: 0, n, offset: 0, value: 0, size, inner },
    groupsFor(n, EW_PER_GROUP),
    name,
  );
  return out;
}

/**
 * Sums x down to outShape. After merging dims, most cases are one [outer, size, inner]
 * reduction (bias gradients: [K, R] -> [1, K] or [R, K] -> [R, 1]) and go to the reduction
 * kernels; interleaved patterns like [R, K, R, K] use sum_to.wgsl, one invocation per output.
 */
export function sumTo(gpu: GpuRuntime, x: Storage, xShape: Shape, outShape: Shape): GPUStorage {
  const name = 'sumTo';
  const xb = gpu.buf(x, name);
  const nOut = outShape.reduce((s, d) => s * d, 1);
  const reducedStrides = sumToStrides(xShape, outShape);
  const m = mergeDims(xShape, [contiguousStrides(xShape), reducedStrides]);
  const [xs, os] = m.strides;
  const kept: number[] = [];
  const keptStrides: number[] = [];
  const red: number[] = [];
  const redStrides: number[] = [];
  m.shape.forEach((size, d) => {
    if (os[d] === 0) {
      red.push(size);
      redStrides.push(xs[d]);
    } else {
      kept.push(size);
      keptStrides.push(xs[d]);
    }
  });
  const nRed = red.reduce((s, d) => s * d, 1);
  if (red.length === 0 || x.numel === 0) {
    if (x.numel === 0) {
      const out = gpu.alloc(nOut, x.dtype, name);
      fill(gpu, out, 0, name);
      return out;
    }
    const out = gpu.alloc(nOut, x.dtype, name);
    gpu.live(name);
    gpu.recorder.copy(xb.gpu, out.buffer!.gpu, nOut * 4, name);
    return out;
  }
  if (red.length === 1) {
    // [K_before, R, K_after]: one reduction.
    const r = os.findIndex((s) => s === 0);
    const outer = m.shape.slice(0, r).reduce((s, d) => s * d, 1);
    const inner = m.shape.slice(r + 1).reduce((s, d) => s * d, 1);
    const chained = gpu.chains?.reduceSum(x, { outer, size: nRed, inner });
    if (chained) return chained;
    return reducePasses(gpu, 'sum', xb, x.dtype, { outer, size: nRed, inner }, name);
  }
  if (kept.length > MAX_RANK || red.length > MAX_RANK) {
    throw new WebgradError(name, `more than ${MAX_RANK} interleaved summed dims are not supported on WebGPU`);
  }
  const out = gpu.alloc(nOut, x.dtype, name);
  gpu.run(
    SUM_TO,
    { types: { T: elemType(x.dtype) } },
    { x: xb, out: out.buffer! },
    { kshape: kept, kstrides: keptStrides, rshape: red, rstrides: redStrides, krank: kept.length, rrank: red.length, n_out: nOut, n_red: nRed },
    groupsFor(nOut, 256),
    name,
  );
  return out;
}
