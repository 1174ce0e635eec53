import attentionSrc from '../../../shaders/attention.wgsl';
import type { AttentionArgs, AttentionGrads, AttentionResult, Storage } from '../backend.js';
import type { MatrixLayout } from '../../shape.js';
import { defineKernel } from './pipelines.js';
import { shaderInterface } from './shader-interface.js';
import type { GpuRuntime } from './runtime.js';
import type { GPUStorage } from './storage.js';

type LayoutField<X extends string> = `${X}_outer` | `${X}_inner` | `${X}_istride` | `${X}_row`;

/** The uniform fields of one operand's layout: X_outer, X_inner, X_istride, X_row. */
function layoutFields<X extends string>(x: X) {
  return { [`${x}_outer`]: 'u32', [`${x}_inner`]: 'u32', [`${x}_istride`]: 'u32', [`${x}_row`]: 'u32' } as Record<LayoutField<X>, 'u32'>;
}

/** Their values for `m`. */
function layoutValues<X extends string>(x: X, m: MatrixLayout) {
  return { [`${x}_outer`]: m.outer, [`${x}_inner`]: m.inner, [`${x}_istride`]: m.innerStride, [`${x}_row`]: m.row } as Record<LayoutField<X>, number>;
}

const ATTENTION_IO = shaderInterface(
  {
    batch: 'u32', l: 'u32', s: 'u32', e: 'u32', ev: 'u32',
    scale: 'f32',
    mstride: 'u32',   // elements between consecutive [l, s] masks (0: one shared mask)
    dq_n: 'u32',      // where D starts in grad_q's output (after dq)
    dv_n: 'u32',      // where dv starts in grad_kv's output (after dk)
    // Each operand's MatrixLayout (src/shape.ts): q, k, v, the output o, its gradient g.
    ...layoutFields('q'), ...layoutFields('k'), ...layoutFields('v'), ...layoutFields('o'), ...layoutFields('g'),
  },
  {
    q: { binding: 1, access: 'r', type: 'f32' },
    k: { binding: 2, access: 'r', type: 'f32' },
    v: { binding: 3, access: 'r', type: 'f32' },
    mask: { binding: 4, access: 'r', type: 'f32' },
    lse: { binding: 5, access: 'r', type: 'f32' },
    dout: { binding: 6, access: 'r', type: 'f32' },
    o: { binding: 7, access: 'r', type: 'f32' },
    dqd: { binding: 8, access: 'r', type: 'f32' },
    out_w: { binding: 9, access: 'w', type: 'f32' },
    lse_w: { binding: 10, access: 'w', type: 'f32' },
    dqd_w: { binding: 11, access: 'w', type: 'f32' },
    dkv_w: { binding: 12, access: 'w', type: 'f32' },
  },
);
const FORWARD = defineKernel('attention', attentionSrc, 'forward', ATTENTION_IO, ['q', 'k', 'v', 'mask', 'out_w', 'lse_w']);
const GRAD_Q = defineKernel('attentionGradQ', attentionSrc, 'grad_q', ATTENTION_IO, ['q', 'k', 'v', 'mask', 'lse', 'dout', 'o', 'dqd_w']);
const GRAD_KV = defineKernel('attentionGradKV', attentionSrc, 'grad_kv', ATTENTION_IO, ['q', 'k', 'v', 'mask', 'lse', 'dout', 'dqd', 'dkv_w']);

/** The kernels keep a row of q, k, v and the accumulators in registers (MAX_D4 vec4s in the shader). */
export const ATTENTION_MAX_HEAD_DIM = 128;
/**
 * Staged rows per block: the two tiles of BK rows and forward's BQ x BK scores fit WebGPU's
 * guaranteed 16 KiB of workgroup memory (the small lse/D tiles aside).
 */
const MAX_BK = 32;
const TILE_FLOATS = 16384 / 4 - 2 * MAX_BK;

/**
 * Rows per workgroup: 32 invocations, fewer for short matrices (a T = 1 decode step would
 * otherwise idle 31 of them; at least 8, a SIMD group on lavapipe). 32 rather than 64: finer
 * causal block skipping, and on lavapipe at [128, 64, 16] forward 101 ms vs 177 ms and
 * backward 183 vs 255 ms in one noisy comparison (bench/experiments/attention-kernels.ts).
 */
function rowsPerGroup(rows: number): number {
  let bq = 1;
  while (bq < rows && bq < 32) bq *= 2;
  return Math.max(bq, 8);
}

function variant(a: AttentionArgs, rows: number, hasMask: boolean) {
  const bq = rowsPerGroup(rows);
  const [de4, dv4] = [Math.ceil(a.e / 4), Math.ceil(a.ev / 4)];
  const bk = Math.min(MAX_BK, Math.floor(TILE_FLOATS / (4 * de4 + 4 * dv4 + bq)));
  return {
    bq,
    constants: { BQ: bq, BK: bk, DE4: de4, DV4: dv4, TE: bk * de4, TV: bk * dv4, TS: bq * bk, CAUSAL: a.causal, HAS_MASK: hasMask },
  };
}

const paramsOf = (a: AttentionArgs) => ({
  batch: a.batch, l: a.l, s: a.s, e: a.e, ev: a.ev, scale: a.scale, mstride: a.maskBatchStride,
  dq_n: a.batch * a.l * a.e, dv_n: a.batch * a.s * a.e,
  ...layoutValues('q', a.layouts.q), ...layoutValues('k', a.layouts.k), ...layoutValues('v', a.layouts.v),
  ...layoutValues('o', a.layouts.o), ...layoutValues('g', a.layouts.dout),
});

/**
 * One dispatch: a workgroup per (matrix, block of query rows). On lavapipe, causal
 * [32·4, 64, 16] forward + backward: 210 ms against 349 ms for the 13 dispatches of the
 * composed ops (matmul, mul, add, softmax, matmul and their backwards), and at T = 256 2.9 s
 * against 8.7 s (bench/rows/attention.ts).
 */
export function attention(gpu: GpuRuntime, q: Storage, k: Storage, v: Storage, mask: Storage | null, a: AttentionArgs): AttentionResult {
  const op = 'scaledDotProductAttention';
  const bufs = { q: gpu.buf(q, op), k: gpu.buf(k, op), v: gpu.buf(v, op), mask: mask === null ? gpu.dummyRead : gpu.buf(mask, op) };
  const out = gpu.alloc(a.batch * a.l * a.ev, 'float32', op);
  const lse = gpu.alloc(a.batch * a.l, 'float32', op);
  const { bq, constants } = variant(a, a.l, mask !== null);
  const groups = a.batch * Math.ceil(a.l / bq);
  gpu.run(FORWARD, { constants }, { ...bufs, out_w: out.buffer!, lse_w: lse.buffer! }, paramsOf(a), groups, op);
  return { out, lse };
}

/**
 * Two dispatches: grad_q (dq, and D = rowsum(dO∘O) after it in the same buffer) then grad_kv
 * (dk and dv in one buffer), so neither binds more than 8 storage buffers; the three
 * gradients are then copied out of the packed buffers.
 */
export function attentionBackward(gpu: GpuRuntime, q: Storage, k: Storage, v: Storage, mask: Storage | null, out: Storage,
  lse: Storage, dout: Storage, a: AttentionArgs): AttentionGrads {
  const op = 'scaledDotProductAttention backward';
  const bufs = {
    q: gpu.buf(q, op), k: gpu.buf(k, op), v: gpu.buf(v, op), mask: mask === null ? gpu.dummyRead : gpu.buf(mask, op),
    lse: gpu.buf(lse, op), dout: gpu.buf(dout, op),
  };
  const nq = a.batch * a.l * a.e;
  const nk = a.batch * a.s * a.e;
  const nv = a.batch * a.s * a.ev;
  const dqd = gpu.alloc(nq + a.batch * a.l, 'float32', op);
  const dkv = gpu.alloc(nk + nv, 'float32', op);
  const params = paramsOf(a);
  const fq = variant(a, a.l, mask !== null);
  gpu.run(GRAD_Q, { constants: fq.constants }, { ...bufs, o: gpu.buf(out, op), dqd_w: dqd.buffer! }, params, a.batch * Math.ceil(a.l / fq.bq), op);
  const fk = variant(a, a.s, mask !== null);
  gpu.run(GRAD_KV, { constants: fk.constants }, { ...bufs, dqd: dqd.buffer!, dkv_w: dkv.buffer! }, params, a.batch * Math.ceil(a.s / fk.bq), op);
  const dq = gpu.alloc(nq, 'float32', op);
  const dk = gpu.alloc(nk, 'float32', op);
  const dv = gpu.alloc(nv, 'float32', op);
  if (nq > 0) gpu.recorder.copy(dqd.buffer!.gpu, dq.buffer!.gpu, nq * 4, op);
  if (nk > 0) gpu.recorder.copy(dkv.buffer!.gpu, dk.buffer!.gpu, nk * 4, op);
  if (nv > 0) gpu.recorder.copy(dkv.buffer!.gpu, dv.buffer!.gpu, nv * 4, op, nk * 4, 0);
  gpu.release(dqd);
  gpu.release(dkv);
  return { dq, dk, dv } satisfies Record<string, GPUStorage>;
}
