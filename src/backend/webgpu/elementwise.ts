import binarySrc from '../../../shaders/binary.wgsl';
import unarySrc from '../../../shaders/unary.wgsl';
import type { DType } from '../../dtype.js';
import { WebgradError } from '../../errors.js';
import type { Shape } from '../../shape.js';
import type { BinaryOp, Storage, UnaryOp } from '../backend.js';
import type { PooledBuffer } from './buffer-pool.js';
import { elemType, EW_PER_GROUP, groupsFor, MAX_RANK, mergeDims } from './dims.js';
import { defineKernel, type KernelDef, type Variant } from './pipelines.js';
import type { GpuRuntime } from './runtime.js';
import type { GPUStorage } from './storage.js';
import { elementwiseShape } from './tuner-elementwise.js';
import { matmulEpilogue } from './matmul.js';
import type { HeldDispatch } from './recorder.js';
import { CHAIN_MAX_ELEMS } from './tuner.js';
import type { Params } from './uniforms.js';

const UNARY = defineKernel('unary', unarySrc, 'unary', [[1, 'r'], [3, 'w']]);
const UNARY_GRAD = defineKernel('unaryGrad', unarySrc, 'unary_grad', [[1, 'r'], [2, 'r'], [3, 'w']]);
const CLAMP = defineKernel('clamp', unarySrc, 'clamp_fwd', [[1, 'r'], [3, 'w']]);
const CLAMP_GRAD = defineKernel('clampGrad', unarySrc, 'clamp_grad', [[1, 'r'], [2, 'r'], [3, 'w']]);
const BINARY = defineKernel('binary', binarySrc, 'binary', [[1, 'r'], [2, 'r'], [3, 'w']]);
const UNARY4 = defineKernel('unary', unarySrc, 'unary4', [[1, 'r'], [3, 'w']]);
const UNARY_GRAD4 = defineKernel('unaryGrad', unarySrc, 'unary_grad4', [[1, 'r'], [2, 'r'], [3, 'w']]);
const CLAMP4 = defineKernel('clamp', unarySrc, 'clamp_fwd4', [[1, 'r'], [3, 'w']]);
const CLAMP_GRAD4 = defineKernel('clampGrad', unarySrc, 'clamp_grad4', [[1, 'r'], [2, 'r'], [3, 'w']]);
const BINARY4 = defineKernel('binary', binarySrc, 'binary4', [[1, 'r'], [2, 'r'], [3, 'w']]);
const UNARY_PRE = defineKernel('unaryPre', unarySrc, 'unary_pre', [[1, 'r'], [2, 'r'], [3, 'w'], [4, 'w']]);
const BINARY2 = defineKernel('binary2', binarySrc, 'binary2', [[1, 'r'], [2, 'r'], [3, 'w'], [4, 'r'], [5, 'w']]);

const UNARY_OPS: readonly UnaryOp[] = ['neg', 'exp', 'log', 'sqrt', 'sigmoid', 'tanh', 'relu', 'abs', 'pow'];
const BINARY_OPS: readonly BinaryOp[] = ['add', 'sub', 'mul', 'div', 'eq', 'ne', 'lt', 'le', 'gt', 'ge'];
/** The derivative of each op reads x ('x'), y ('y') or neither (Backend.unaryGrad). */
const GRAD_READS: Record<UnaryOp, 'x' | 'y' | null> = {
  neg: null, exp: 'y', log: 'x', sqrt: 'y', sigmoid: 'y', tanh: 'y', relu: 'x', abs: 'x', pow: 'x',
};

/**
 * Whether the vec4 kernels may bind these buffers for n elements: each must hold ceil(n / 4)
 * whole vec4s, so that the last (partial) vec4 is read in bounds. Tensors start at byte 0 of
 * their own pooled buffer, and pool size classes (>= 256 B, 2^k or 1.5 * 2^k) are multiples
 * of 16 bytes, so this holds except for a buffer sized exactly near the binding limit
 * (sizeClass in buffer-pool.ts), which falls back to the scalar kernel. The vec4 kernels
 * never write past n: the bytes past a tensor's end stay as they were.
 */
export function fitsVec4(n: number, bufs: readonly PooledBuffer[]): boolean {
  const need = Math.ceil(n / 4) * 16;
  return bufs.every((b) => b.size >= need);
}

/**
 * One elementwise dispatch over n elements: the grid-stride vec4 kernel when the buffers allow
 * it (shape from tuner-elementwise.ts), else the scalar kernel, 4 elements per invocation.
 */
function launch(
  gpu: GpuRuntime,
  [scalar, vec4]: readonly [KernelDef, KernelDef],
  variant: Variant,
  buffers: readonly PooledBuffer[],
  writeParams: (p: Params) => void,
  n: number,
  op: string,
): void {
  if (fitsVec4(n, buffers)) {
    const { wg, groups } = elementwiseShape(Math.ceil(n / 4), gpu.profile);
    gpu.run(vec4, { ...variant, constants: { ...variant.constants, WG: wg } }, buffers, writeParams, groups, op);
  } else {
    gpu.run(scalar, variant, buffers, writeParams, groupsFor(n, EW_PER_GROUP), op);
  }
}

function intUnaryCheck(op: UnaryOp, dtype: DType, param: number): void {
  const ok = op === 'neg' || op === 'abs' || op === 'relu' || (op === 'pow' && param === 2);
  if (dtype === 'int32' && !ok) throw new WebgradError(op, 'is only defined for floating-point tensors on WebGPU');
}

export function unary(gpu: GpuRuntime, op: UnaryOp, x: Storage, param: number): GPUStorage {
  const xb = gpu.buf(x, op);
  intUnaryCheck(op, x.dtype, param);
  const out = gpu.alloc(x.numel, x.dtype, op);
  const n = x.numel;
  // x the result of a held contiguous float32 add/sub/mul: both in one dispatch.
  const held = gpu.recorder.held;
  if (held instanceof HeldBinary && held.out === xb && held.contig && held.n === n && x.dtype === 'float32' && held.op !== 'div') {
    gpu.recorder.take(held);
    gpu.run(
      UNARY_PRE,
      { types: { T: 'f32' }, constants: { OP: UNARY_OPS.indexOf(op), PRE: BINARY_OPS.indexOf(held.op) } },
      [held.a, held.b, out.buffer!, held.out],
      (p) => p.u32(n).f32(param),
      groupsFor(n, EW_PER_GROUP),
      `${held.op}+${op}`,
    );
    return out;
  }
  launch(
    gpu,
    [UNARY, UNARY4],
    { types: { T: elemType(x.dtype) }, constants: { OP: UNARY_OPS.indexOf(op), IS_FLOAT: x.dtype !== 'int32' } },
    [xb, out.buffer!],
    (p) => p.u32(n).f32(param),
    n,
    op,
  );
  return out;
}

export function unaryGrad(gpu: GpuRuntime, op: UnaryOp, x: Storage, y: Storage, dy: Storage, param: number): GPUStorage {
  const name = `${op} backward`;
  const reads = GRAD_READS[op];
  const saved = gpu.buf(reads === 'x' ? x : reads === 'y' ? y : dy, name);
  const dyb = gpu.buf(dy, name);
  intUnaryCheck(op, dy.dtype, param);
  const out = gpu.alloc(dy.numel, dy.dtype, name);
  const n = dy.numel;
  launch(
    gpu,
    [UNARY_GRAD, UNARY_GRAD4],
    { types: { T: elemType(dy.dtype) }, constants: { OP: UNARY_OPS.indexOf(op), IS_FLOAT: dy.dtype !== 'int32' } },
    [saved, dyb, out.buffer!],
    (p) => p.u32(n).f32(param),
    n,
    name,
  );
  return out;
}

/**
 * clamp's bounds as the kernel compares them: for float32 the bound rounded to float32 (the
 * clamped values come out identical to comparing in float64); for int32 an integer compare
 * threshold (x < lo <=> x < ceil(lo) for integer x) and the value an Int32Array would store.
 */
function bounds(dtype: DType, min: number, max: number): [lo: number, loVal: number, hi: number, hiVal: number] {
  if (dtype !== 'int32') return [min, min, max, max];
  const i32 = (v: number): number => Math.min(2147483647, Math.max(-2147483648, v));
  return [i32(Math.ceil(min)), min | 0, i32(Math.floor(max)), max | 0];
}

export function clamp(gpu: GpuRuntime, x: Storage, min: number, max: number): GPUStorage {
  const xb = gpu.buf(x, 'clamp');
  const out = gpu.alloc(x.numel, x.dtype, 'clamp');
  const n = x.numel;
  const f = x.dtype !== 'int32';
  const [lo, loVal, hi, hiVal] = bounds(x.dtype, min, max);
  // A clamp of a product just recorded runs as that matmul's epilogue (float32 only).
  if (f && matmulEpilogue(gpu, xb, null, out.buffer!, [lo, loVal, hi, hiVal], 'clamp')) return out;
  launch(
    gpu,
    [CLAMP, CLAMP4],
    { types: { T: elemType(x.dtype) }, constants: { IS_FLOAT: f } },
    [xb, out.buffer!],
    (p) => p.u32(n).f32(0).elem(lo, f).elem(loVal, f).elem(hi, f).elem(hiVal, f),
    n,
    'clamp',
  );
  return out;
}

export function clampGrad(gpu: GpuRuntime, x: Storage, dy: Storage, min: number, max: number): GPUStorage {
  const name = 'clamp backward';
  const xb = gpu.buf(x, name);
  const dyb = gpu.buf(dy, name);
  if (x.dtype !== dy.dtype) throw new WebgradError(name, `x is ${x.dtype} but dy is ${dy.dtype}`);
  const out = gpu.alloc(dy.numel, dy.dtype, name);
  const n = dy.numel;
  const f = x.dtype !== 'int32';
  const [lo, , hi] = bounds(x.dtype, min, max);
  // dy the product just recorded (matmul's backward, then clamp's): one dispatch.
  if (f && matmulEpilogue(gpu, dyb, xb, out.buffer!, [lo, 0, hi, 0], name)) return out;
  launch(
    gpu,
    [CLAMP_GRAD, CLAMP_GRAD4],
    { types: { T: elemType(x.dtype) }, constants: { IS_FLOAT: f } },
    [xb, dyb, out.buffer!],
    (p) => p.u32(n).f32(0).elem(lo, f).elem(0, f).elem(hi, f).elem(0, f),
    n,
    name,
  );
  return out;
}

/** add, sub, mul, div: the ops binary2 chains (their result has the operands' type). */
const isArith = (op: BinaryOp): boolean => BINARY_OPS.indexOf(op) < 4;

/**
 * An arithmetic binary op held back by the recorder (recorder.ts) so that the next op, if it
 * reads this one's result, runs with it as one dispatch: a binary op as binary2, a unary op
 * as unary_pre (contiguous add/sub/mul, float32). Both results are still written: nothing
 * about the first op's output changes, only the dispatch count.
 */
class HeldBinary implements HeldDispatch {
  constructor(
    readonly op: BinaryOp,
    readonly a: PooledBuffer,
    readonly b: PooledBuffer,
    readonly out: PooledBuffer,
    readonly dtype: DType,
    readonly n: number,
    readonly contig: boolean,
    readonly params: (p: Params) => void,
    readonly encode: () => void,
  ) {}
}

export function binary(
  gpu: GpuRuntime,
  op: BinaryOp,
  a: Storage,
  b: Storage,
  outShape: Shape,
  aStrides: readonly number[],
  bStrides: readonly number[],
  outDtype: DType,
): GPUStorage {
  const ab = gpu.buf(a, op);
  const bb = gpu.buf(b, op);
  if (a.dtype !== b.dtype) throw new WebgradError(op, `operands are ${a.dtype} and ${b.dtype}`);
  const n = outShape.reduce((s, d) => s * d, 1);
  const out = gpu.alloc(n, outDtype, op);
  const merged = mergeDims(outShape, [aStrides, bStrides]);
  const [as, bs] = merged.strides;
  const rank = merged.shape.length;
  if (rank > MAX_RANK) throw new WebgradError(op, `broadcasting over more than ${MAX_RANK} non-mergeable dims is not supported on WebGPU`);
  const contig = rank === 0 ? a.numel === 1 && b.numel === 1 : rank === 1 && as[0] === 1 && bs[0] === 1;
  const types = { T: elemType(a.dtype), U: elemType(outDtype) };
  const isFloat = a.dtype !== 'int32';
  const params = (p: Params): void => void p.u32s(merged.shape, 8).u32s(as, 8).u32s(bs, 8).u32(rank).u32(n);
  const chains = isArith(op) && outDtype === a.dtype && n > 0 && n <= CHAIN_MAX_ELEMS;
  const held = gpu.recorder.held;
  // Second of a chain: contiguous, reading the held op's result (but not as both operands,
  // since binary2 would then bind that buffer for writing and reading at once).
  if (chains && contig && held instanceof HeldBinary && held.n === n && held.dtype === a.dtype && (held.out === ab) !== (held.out === bb)) {
    gpu.recorder.take(held);
    const left = held.out === ab;
    gpu.run(
      BINARY2,
      { types, constants: { OP: BINARY_OPS.indexOf(held.op), OP2: BINARY_OPS.indexOf(op), T_LEFT: left, IS_FLOAT: isFloat, CONTIG: held.contig } },
      [held.a, held.b, held.out, left ? bb : ab, out.buffer!],
      held.params,
      groupsFor(n, EW_PER_GROUP),
      `${held.op}+${op}`,
    );
    return out;
  }
  const variant = { types, constants: { OP: BINARY_OPS.indexOf(op), IS_FLOAT: isFloat, CONTIG: contig } };
  // The buffers, not the storages: a held op may be encoded after its output was released.
  const ob = out.buffer!;
  const encode = (): void => {
    if (contig) launch(gpu, [BINARY, BINARY4], variant, [ab, bb, ob], params, n, op);
    else gpu.run(BINARY, variant, [ab, bb, ob], params, groupsFor(n, EW_PER_GROUP), op);
  };
  if (chains) {
    gpu.live(op);
    gpu.recorder.hold(new HeldBinary(op, ab, bb, ob, a.dtype, n, contig, params, encode));
  } else {
    encode();
  }
  return out;
}
