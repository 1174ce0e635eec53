import lnSrc from '../../../shaders/layer_norm.wgsl';
import type { LayerNormGrads, LayerNormResult, Storage } from '../backend.js';
import { groupsFor } from './dims.js';
import { defineKernel } from './pipelines.js';
import type { GpuRuntime } from './runtime.js';
import type { KernelProfile } from './tuner.js';
import { shaderInterface } from './shader-interface.js';
import { invocationPerLine, lineShape } from './tuner-elementwise.js';

const LN_IO = shaderInterface(
  { rows: 'u32', cols: 'u32', eps: 'f32', chunks: 'u32', chunk_rows: 'u32' },
  {
    x: { binding: 1, access: 'r', type: 'f32' },
    dy: { binding: 2, access: 'r', type: 'f32' },
    weight: { binding: 3, access: 'r', type: 'f32' },
    bias: { binding: 4, access: 'r', type: 'f32' },
    mean: { binding: 5, access: 'r', type: 'f32' },
    rstd: { binding: 6, access: 'r', type: 'f32' },
    pw: { binding: 7, access: 'r', type: 'f32' },
    pb: { binding: 8, access: 'r', type: 'f32' },
    y: { binding: 9, access: 'w', type: 'f32' },
    mean_out: { binding: 10, access: 'w', type: 'f32' },
    rstd_out: { binding: 11, access: 'w', type: 'f32' },
    dx: { binding: 12, access: 'w', type: 'f32' },
    dw: { binding: 13, access: 'w', type: 'f32' },
    db: { binding: 14, access: 'w', type: 'f32' },
  },
);
const FWD = ['x', 'weight', 'bias', 'y', 'mean_out', 'rstd_out'] as const;
const FWD_ROWS = defineKernel('layerNorm', lnSrc, 'rows', LN_IO, FWD);
const FWD_COLS = defineKernel('layerNorm', lnSrc, 'cols', LN_IO, FWD);
const BWD = ['x', 'dy', 'weight', 'mean', 'rstd', 'dx'] as const;
const BWD_ROWS = defineKernel('layerNormBackward', lnSrc, 'grad_rows', LN_IO, BWD);
const BWD_COLS = defineKernel('layerNormBackward', lnSrc, 'grad_cols', LN_IO, BWD);
const COL_SUMS = defineKernel('layerNormBackward', lnSrc, 'col_sums', LN_IO, ['x', 'dy', 'mean', 'rstd', 'dw', 'db']);
const COL_FINISH = defineKernel('layerNormBackward', lnSrc, 'col_finish', LN_IO, ['pw', 'pb', 'dw', 'db']);

/** Invocations per workgroup of the invocation-per-row and per-column kernels. */
const WG = 256;
/** Rows per chunk of the column sums at least: shorter chunks cost more in partials than they gain. */
const MIN_CHUNK_ROWS = 64;

/**
 * About how many (column, chunk) invocations the weight/bias column sums spread over: enough
 * to fill a GPU. CPU-emulated: as few as keep a 64-lane batch busy, so rows of 64 or more
 * columns take one chunk and one dispatch. lavapipe, backward of [2048, 64] (dx and both sums),
 * 20 calls per block, medians of 6 interleaved blocks: one chunk 5.7 ms, 16 chunks 6.2 ms,
 * 64 chunks 6.2 ms, 256 chunks 6.8 ms (blocks spread ±1.5 ms: no chunking gain to pay the
 * second dispatch for).
 */
export const colThreads = (profile: KernelProfile): number => (profile === 'cpu-emulated' ? 64 : 16384);

/** Rows per chunk and chunks of the column sums for [rows, cols]. */
export function colChunks(rows: number, cols: number, threads: number): { chunks: number; chunkRows: number } {
  const want = Math.max(1, Math.min(Math.ceil(rows / MIN_CHUNK_ROWS), Math.floor(threads / cols)));
  const chunkRows = Math.max(1, Math.min(rows, MIN_CHUNK_ROWS), Math.ceil(rows / want));
  return { chunks: Math.max(1, Math.ceil(rows / chunkRows)), chunkRows };
}

/**
 * A workgroup or an invocation per row, as softmax chooses (tuner-elementwise.ts). No vec4
 * variant: on lavapipe, [2048, 64], 21 calls per block, medians of 8 interleaved blocks, vec4
 * loads gave forward 2.11 vs 2.07 ms scalar and dx 4.0 vs 2.8 ms (noisy, no gain either way).
 */
function rowGrid(gpu: GpuRuntime, rows: number, cols: number): { perRow: boolean; wg: number; groups: number } {
  if (invocationPerLine(cols, rows, gpu.profile)) return { perRow: false, wg: WG, groups: groupsFor(rows, WG) };
  const { wg, groups } = lineShape(cols, rows, gpu.profile);
  return { perRow: true, wg, groups };
}

/** One dispatch: y, and each row's mean and rstd (float32). */
export function layerNorm(gpu: GpuRuntime, x: Storage, weight: Storage | null, bias: Storage | null, rows: number, cols: number,
  eps: number): LayerNormResult {
  const op = 'layerNorm';
  const y = gpu.alloc(rows * cols, 'float32', op);
  const mean = gpu.alloc(rows, 'float32', op);
  const rstd = gpu.alloc(rows, 'float32', op);
  const bufs = {
    x: gpu.buf(x, op), weight: weight ? gpu.buf(weight, op) : gpu.dummyRead, bias: bias ? gpu.buf(bias, op) : gpu.dummyRead,
    y: y.buffer!, mean_out: mean.buffer!, rstd_out: rstd.buffer!,
  };
  const { perRow, wg, groups } = rowGrid(gpu, rows, cols);
  const variant = { constants: { WG: wg, HAS_WEIGHT: weight !== null, HAS_BIAS: bias !== null } };
  gpu.run(perRow ? FWD_ROWS : FWD_COLS, variant, bufs, { rows, cols, eps, chunks: 1, chunk_rows: rows }, groups, op);
  return { y, mean, rstd };
}

/**
 * dx in one dispatch; with `paramGrads`, dweight and dbias in one more when the rows fit one
 * chunk, else two (per-chunk partials of both, then their sums).
 */
export function layerNormBackward(gpu: GpuRuntime, dy: Storage, x: Storage, mean: Storage, rstd: Storage, weight: Storage | null,
  rows: number, cols: number, paramGrads: boolean): LayerNormGrads {
  const op = 'layerNormBackward';
  const n = rows * cols;
  const xb = gpu.buf(x, op);
  const dyb = gpu.buf(dy, op);
  const meanb = gpu.buf(mean, op);
  const rstdb = gpu.buf(rstd, op);
  const dx = gpu.alloc(n, 'float32', op);
  const { perRow, wg, groups } = rowGrid(gpu, rows, cols);
  const { chunks, chunkRows } = colChunks(rows, cols, colThreads(gpu.profile));
  const params = { rows, cols, eps: 0, chunks, chunk_rows: chunkRows };
  gpu.run(perRow ? BWD_ROWS : BWD_COLS, { constants: { WG: wg, HAS_WEIGHT: weight !== null } },
    { x: xb, dy: dyb, weight: weight ? gpu.buf(weight, op) : gpu.dummyRead, mean: meanb, rstd: rstdb, dx: dx.buffer! },
    params, groups, op);
  if (!paramGrads) return { dx, dweight: null, dbias: null };
  const dweight = gpu.alloc(cols, 'float32', op);
  const dbias = gpu.alloc(cols, 'float32', op);
  if (chunks === 1) {
    gpu.run(COL_SUMS, { constants: { WG } }, { x: xb, dy: dyb, mean: meanb, rstd: rstdb, dw: dweight.buffer!, db: dbias.buffer! },
      params, groupsFor(cols, WG), op);
    return { dx, dweight, dbias };
  }
  const pw = gpu.alloc(chunks * cols, 'float32', op);
  const pb = gpu.alloc(chunks * cols, 'float32', op);
  gpu.run(COL_SUMS, { constants: { WG } }, { x: xb, dy: dyb, mean: meanb, rstd: rstdb, dw: pw.buffer!, db: pb.buffer! },
    params, groupsFor(chunks * cols, WG), op);
  gpu.run(COL_FINISH, { constants: { WG } }, { pw: pw.buffer!, pb: pb.buffer!, dw: dweight.buffer!, db: dbias.buffer! },
    params, groupsFor(cols, WG), op);
  gpu.release(pw);
  gpu.release(pb);
  return { dx, dweight, dbias };
}
