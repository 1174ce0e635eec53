import ceSrc from '../../../shaders/cross_entropy.wgsl';
import softmaxSrc from '../../../shaders/softmax.wgsl';
import type { ReduceLayout } from '../../shape.js';
import type { Storage } from '../backend.js';
import { groupsFor } from './dims.js';
import { fitsVec4 } from './elementwise.js';
import type { PooledBuffer } from './buffer-pool.js';
import { defineKernel, type KernelDef } from './pipelines.js';
import type { GpuRuntime } from './runtime.js';
import type { GPUStorage } from './storage.js';
import { invocationPerLine, lineShape } from './tuner-elementwise.js';
import type { Params } from './uniforms.js';

const SM_ROWS = defineKernel('softmax', softmaxSrc, 'rows', [[1, 'r'], [3, 'w']]);
const SM_ROWS4 = defineKernel('softmax', softmaxSrc, 'rows4', [[1, 'r'], [3, 'w']]);
const SMG_COLS4 = defineKernel('softmaxGrad', softmaxSrc, 'grad_cols4', [[1, 'r'], [2, 'r'], [3, 'w']]);
const SMG_ROWS4 = defineKernel('softmaxGrad', softmaxSrc, 'grad_rows4', [[1, 'r'], [2, 'r'], [3, 'w']]);
const SM_COLS4 = defineKernel('softmax', softmaxSrc, 'cols4', [[1, 'r'], [3, 'w']]);
const SM_COLS = defineKernel('softmax', softmaxSrc, 'cols', [[1, 'r'], [3, 'w']]);
const SMG_ROWS = defineKernel('softmaxGrad', softmaxSrc, 'grad_rows', [[1, 'r'], [2, 'r'], [3, 'w']]);
const SMG_COLS = defineKernel('softmaxGrad', softmaxSrc, 'grad_cols', [[1, 'r'], [2, 'r'], [3, 'w']]);
const CE_ROWS = defineKernel('crossEntropy', ceSrc, 'rows', [[1, 'r'], [2, 'r'], [4, 'w']]);
const CE_COLS = defineKernel('crossEntropy', ceSrc, 'cols', [[1, 'r'], [2, 'r'], [4, 'w']]);
const CEG_ROWS = defineKernel('crossEntropyGrad', ceSrc, 'grad_rows', [[1, 'r'], [2, 'r'], [3, 'r'], [4, 'w']]);
const CEG_COLS = defineKernel('crossEntropyGrad', ceSrc, 'grad_cols', [[1, 'r'], [2, 'r'], [3, 'r'], [4, 'w']]);

/**
 * Cross-entropy rows at least this long get a workgroup each, shorter ones an invocation each
 * (a workgroup per short line is mostly barrier overhead: see SHORT_LINE in reduce.ts).
 */
const ROW_MIN = 512;
/** Invocations per workgroup of the `cols` kernels. */
const WG = 256;
/** Cross-entropy's workgroup width per row: narrower for medium rows. */
const rowsWidth = (size: number): number => (size < 8192 ? 64 : WG);

/** Workgroup per line for long contiguous lines, else an invocation per line. */
function perRow(size: number, inner: number): boolean {
  return inner === 1 && size >= ROW_MIN;
}

type Kernels = readonly [rows: KernelDef, rows4: KernelDef, cols: KernelDef, cols4: KernelDef];

/**
 * One softmax(-grad) dispatch over the lines of [outer, size, inner]: an invocation or a
 * workgroup per line (tuner-elementwise.ts), vec4 loads where lines are contiguous and start
 * on a vec4 (size % 4 == 0) and the buffers hold whole vec4s (fitsVec4).
 */
function launch(gpu: GpuRuntime, [rows, rows4, cols, cols4]: Kernels, log: boolean, layout: ReduceLayout,
  buffers: readonly PooledBuffer[], name: string): void {
  const { outer, size, inner } = layout;
  const lines = outer * inner;
  const vec4 = inner === 1 && size % 4 === 0 && fitsVec4(lines * size, buffers);
  const params = (p: Params): void => void p.u32(outer).u32(size).u32(inner);
  if (inner !== 1 || invocationPerLine(size, lines, gpu.profile)) {
    const wg = vec4 && gpu.profile === 'cpu-emulated' ? 64 : WG;
    gpu.run(vec4 ? cols4 : cols, { constants: { LOG: log, WG: wg } }, buffers, params, groupsFor(lines, wg), name);
  } else {
    const { wg, groups } = lineShape(size, lines, gpu.profile);
    gpu.run(vec4 ? rows4 : rows, { constants: { LOG: log, WG: wg } }, buffers, params, groups, name);
  }
}

export function softmax(gpu: GpuRuntime, x: Storage, layout: ReduceLayout, log: boolean): GPUStorage {
  const name = log ? 'logSoftmax' : 'softmax';
  const xb = gpu.buf(x, name);
  const out = gpu.alloc(x.numel, x.dtype, name);
  launch(gpu, [SM_ROWS, SM_ROWS4, SM_COLS, SM_COLS4], log, layout, [xb, out.buffer!], name);
  return out;
}

export function softmaxGrad(gpu: GpuRuntime, y: Storage, dy: Storage, layout: ReduceLayout, log: boolean): GPUStorage {
  const name = log ? 'logSoftmax backward' : 'softmax backward';
  const yb = gpu.buf(y, name);
  const dyb = gpu.buf(dy, name);
  const out = gpu.alloc(dy.numel, dy.dtype, name);
  launch(gpu, [SMG_ROWS, SMG_ROWS4, SMG_COLS, SMG_COLS4], log, layout, [yb, dyb, out.buffer!], name);
  return out;
}

export function crossEntropy(gpu: GpuRuntime, logits: Storage, targets: Storage, rows: number, classes: number): GPUStorage {
  const name = 'crossEntropy';
  const lb = gpu.buf(logits, name);
  const tb = gpu.buf(targets, name);
  const out = gpu.alloc(rows, logits.dtype, name);
  const wide = perRow(classes, 1);
  gpu.run(
    wide ? CE_ROWS : CE_COLS,
    { constants: { WG: wide ? rowsWidth(classes) : WG } },
    [lb, tb, out.buffer!],
    (p) => p.u32(rows).u32(classes),
    wide ? rows : groupsFor(rows, WG),
    name,
  );
  return out;
}

export function crossEntropyGrad(
  gpu: GpuRuntime,
  logits: Storage,
  targets: Storage,
  dloss: Storage,
  rows: number,
  classes: number,
): GPUStorage {
  const name = 'crossEntropy backward';
  const lb = gpu.buf(logits, name);
  const tb = gpu.buf(targets, name);
  const db = gpu.buf(dloss, name);
  const out = gpu.alloc(rows * classes, logits.dtype, name);
  const wide = perRow(classes, 1);
  gpu.run(
    wide ? CEG_ROWS : CEG_COLS,
    { constants: { WG: wide ? rowsWidth(classes) : WG } },
    [lb, tb, db, out.buffer!],
    (p) => p.u32(rows).u32(classes),
    wide ? rows : groupsFor(rows, WG),
    name,
  );
  return out;
}
