import ceSrc from '../../../shaders/cross_entropy.wgsl';
import softmaxSrc from '../../../shaders/softmax.wgsl';
import type { ReduceLayout } from '../../shape.js';
import type { Storage } from '../backend.js';
import { groupsFor } from './dims.js';
import { fitsVec4 } from './elementwise.js';
import type { PooledBuffer } from './buffer-pool.js';
import { type Buffers, defineKernel, type KernelDef } from './pipelines.js';
import { shaderInterface } from './shader-interface.js';
import type { GpuRuntime } from './runtime.js';
import type { GPUStorage } from './storage.js';
import { invocationPerLine, lineShape } from './tuner-elementwise.js';

const SOFTMAX_IO = shaderInterface(
  { outer: 'u32', size: 'u32', inner: 'u32' },
  {
    x: { binding: 1, access: 'r', type: 'f32', vec4: 'x4' },   // x (forward) or y (backward)
    dy: { binding: 2, access: 'r', type: 'f32', vec4: 'dy4' },
    out: { binding: 3, access: 'w', type: 'f32', vec4: 'out4' },
  },
);
const CE_IO = shaderInterface(
  { rows: 'u32', classes: 'u32' },
  {
    x: { binding: 1, access: 'r', type: 'f32' },
    tgt: { binding: 2, access: 'r', type: 'i32' },
    dloss: { binding: 3, access: 'r', type: 'f32' },
    out: { binding: 4, access: 'w', type: 'f32' },
  },
);
const sm = (entry: string) => defineKernel('softmax', softmaxSrc, entry, SOFTMAX_IO, ['x', 'out']);
const smg = (entry: string) => defineKernel('softmaxGrad', softmaxSrc, entry, SOFTMAX_IO, ['x', 'dy', 'out']);
const SM = [sm('rows'), sm('rows4'), sm('cols'), sm('cols4')] as const;
const SMG = [smg('grad_rows'), smg('grad_rows4'), smg('grad_cols'), smg('grad_cols4')] as const;
const CE_ROWS = defineKernel('crossEntropy', ceSrc, 'rows', CE_IO, ['x', 'tgt', 'out']);
const CE_COLS = defineKernel('crossEntropy', ceSrc, 'cols', CE_IO, ['x', 'tgt', 'out']);
const CEG_ROWS = defineKernel('crossEntropyGrad', ceSrc, 'grad_rows', CE_IO, ['x', 'tgt', 'dloss', 'out']);
const CEG_COLS = defineKernel('crossEntropyGrad', ceSrc, 'grad_cols', CE_IO, ['x', 'tgt', 'dloss', 'out']);

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

type SoftmaxKernel<K extends string> = KernelDef<typeof SOFTMAX_IO.params, K>;
type Kernels<K extends string> = readonly [rows: SoftmaxKernel<K>, rows4: SoftmaxKernel<K>, cols: SoftmaxKernel<K>, cols4: SoftmaxKernel<K>];

/**
 * One softmax(-grad) dispatch over the lines of [outer, size, inner]: an invocation or a
 * workgroup per line (tuner-elementwise.ts), vec4 loads where lines are contiguous and start
 * on a vec4 (size % 4 == 0) and the buffers hold whole vec4s (fitsVec4).
 */
function launch<K extends string>(gpu: GpuRuntime, [rows, rows4, cols, cols4]: Kernels<K>, log: boolean, layout: ReduceLayout,
  buffers: Buffers<K>, name: string): void {
  const { outer, size, inner } = layout;
  const lines = outer * inner;
  const vec4 = inner === 1 && size % 4 === 0 && fitsVec4(lines * size, Object.values<PooledBuffer>(buffers));
  const params = { outer, size, inner };
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
  launch(gpu, SM, log, layout, { x: xb, out: out.buffer! }, name);
  return out;
}

export function softmaxGrad(gpu: GpuRuntime, y: Storage, dy: Storage, layout: ReduceLayout, log: boolean): GPUStorage {
  const name = log ? 'logSoftmax backward' : 'softmax backward';
  const yb = gpu.buf(y, name);
  const dyb = gpu.buf(dy, name);
  const out = gpu.alloc(dy.numel, dy.dtype, name);
  launch(gpu, SMG, log, layout, { x: yb, dy: dyb, out: out.buffer! }, name);
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
    { x: lb, tgt: tb, out: out.buffer! },
    { rows, classes },
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
    { x: lb, tgt: tb, dloss: db, out: out.buffer! },
    { rows, classes },
    wide ? rows : groupsFor(rows, WG),
    name,
  );
  return out;
}
