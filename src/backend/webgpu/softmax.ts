import ceSrc from '../../../shaders/cross_entropy.wgsl';
import softmaxSrc from '../../../shaders/softmax.wgsl';
import type { ReduceLayout } from '../../shape.js';
import type { Storage } from '../backend.js';
import { groupsFor } from './dims.js';
import { defineKernel } from './pipelines.js';
import type { GpuRuntime } from './runtime.js';
import type { GPUStorage } from './storage.js';

const SM_ROWS = defineKernel('softmax', softmaxSrc, 'rows', [[1, 'r'], [3, 'w']]);
const SM_COLS = defineKernel('softmax', softmaxSrc, 'cols', [[1, 'r'], [3, 'w']]);
const SMG_ROWS = defineKernel('softmaxGrad', softmaxSrc, 'grad_rows', [[1, 'r'], [2, 'r'], [3, 'w']]);
const SMG_COLS = defineKernel('softmaxGrad', softmaxSrc, 'grad_cols', [[1, 'r'], [2, 'r'], [3, 'w']]);
const CE_ROWS = defineKernel('crossEntropy', ceSrc, 'rows', [[1, 'r'], [2, 'r'], [4, 'w']]);
const CE_COLS = defineKernel('crossEntropy', ceSrc, 'cols', [[1, 'r'], [2, 'r'], [4, 'w']]);
const CEG_ROWS = defineKernel('crossEntropyGrad', ceSrc, 'grad_rows', [[1, 'r'], [2, 'r'], [3, 'r'], [4, 'w']]);
const CEG_COLS = defineKernel('crossEntropyGrad', ceSrc, 'grad_cols', [[1, 'r'], [2, 'r'], [3, 'r'], [4, 'w']]);

/**
 * Lines at least this long get a workgroup each, shorter ones an invocation each (a
 * workgroup per short line is mostly barrier overhead: see SHORT_LINE in reduce.ts).
 */
const ROW_MIN = 512;
/** Invocations per workgroup for both shapes of kernel. */
const WG = 256;
/** Workgroup width of the per-line kernels: narrower for medium lines. */
const rowsWidth = (size: number): number => (size < 8192 ? 64 : WG);

/** Workgroup per line for long contiguous lines, else an invocation per line. */
function perRow(size: number, inner: number): boolean {
  return inner === 1 && size >= ROW_MIN;
}

export function softmax(gpu: GpuRuntime, x: Storage, layout: ReduceLayout, log: boolean): GPUStorage {
  const name = log ? 'logSoftmax' : 'softmax';
  const xb = gpu.buf(x, name);
  const out = gpu.alloc(x.numel, x.dtype, name);
  const { outer, size, inner } = layout;
  const lines = outer * inner;
  const rows = perRow(size, inner);
  gpu.run(
    rows ? SM_ROWS : SM_COLS,
    { constants: { LOG: log, WG: rows ? rowsWidth(size) : WG } },
    [xb, out.buffer!],
    (p) => p.u32(outer).u32(size).u32(inner),
    rows ? lines : groupsFor(lines, WG),
    name,
  );
  return out;
}

export function softmaxGrad(gpu: GpuRuntime, y: Storage, dy: Storage, layout: ReduceLayout, log: boolean): GPUStorage {
  const name = log ? 'logSoftmax backward' : 'softmax backward';
  const yb = gpu.buf(y, name);
  const dyb = gpu.buf(dy, name);
  const out = gpu.alloc(dy.numel, dy.dtype, name);
  const { outer, size, inner } = layout;
  const lines = outer * inner;
  const rows = perRow(size, inner);
  gpu.run(
    rows ? SMG_ROWS : SMG_COLS,
    { constants: { LOG: log, WG: rows ? rowsWidth(size) : WG } },
    [yb, dyb, out.buffer!],
    (p) => p.u32(outer).u32(size).u32(inner),
    rows ? lines : groupsFor(lines, WG),
    name,
  );
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
