import binarySrc from '../../../shaders/binary.wgsl';
import coordsSrc from '../../../shaders/coords.wgsl';
import mathSrc from '../../../shaders/elementwise_math.wgsl';
import unarySrc from '../../../shaders/unary.wgsl';
import type { DType } from '../../dtype.js';
import { WebgradError } from '../../errors.js';
import { type ArithOp, BINARY, BINARY_OPS, type BinaryOp } from '../../kernels/binary.js';
import { UNARY, type UnaryOp, unaryOnInt } from '../../kernels/unary.js';
import { mergeDims, numelOf, type Shape } from '../../shape.js';
import type { Storage } from '../backend.js';
import type { PooledBuffer } from './buffer-pool.js';
import { elemType, EW_PER_GROUP, groupsFor, MAX_RANK } from './dims.js';
import { binaryCode, binaryHeader, UNARY_HEADER, unaryCode } from './op-header.js';
import { type Buffers, defineKernel, type KernelDef, type Variant } from './pipelines.js';
import type { GpuRuntime } from './runtime.js';
import { type ParamValues, shaderInterface } from './shader-interface.js';
import type { GPUStorage } from './storage.js';
import { elementwiseShape } from './tuner-elementwise.js';

const UNARY_IO = shaderInterface(
  { n: 'u32', p: 'f32', lo: 'T', lo_val: 'T', hi: 'T', hi_val: 'T' },
  {
    x: { binding: 1, access: 'r', type: 'T', vec4: 'x4' },     // x, or the saved x/y of a gradient
    dy: { binding: 2, access: 'r', type: 'T', vec4: 'dy4' },
    out: { binding: 3, access: 'w', type: 'T', vec4: 'out4' },
    t: { binding: 4, access: 'w', type: 'T' },                   // unary_pre: the first op's result
  },
);
/**
 * The binary ops unary_pre can apply before its unary op: the arithmetic ones but div, whose
 * helper lives in binary.wgsl. Its generated switch lists exactly these, and fusion.ts asks
 * `runsBeforeUnary`, so the two cannot disagree (an op missing from the switch wrote 0).
 */
const PRE_OPS: readonly BinaryOp[] = BINARY_OPS.filter((op) => BINARY[op].kind === 'arith' && op !== 'div');
export const runsBeforeUnary = (op: BinaryOp): op is ArithOp => PRE_OPS.includes(op);
const UNARY_PRELUDE = UNARY_HEADER + binaryHeader(PRE_OPS) + mathSrc;
const unaryKernel = <K extends 'x' | 'dy' | 'out' | 't'>(name: string, entry: string, uses: readonly K[]) =>
  defineKernel(name, unarySrc, entry, UNARY_IO, uses, UNARY_PRELUDE);

const UNARY_K = unaryKernel('unary', 'unary', ['x', 'out']);
const UNARY4 = unaryKernel('unary', 'unary4', ['x', 'out']);
const UNARY_GRAD = unaryKernel('unaryGrad', 'unary_grad', ['x', 'dy', 'out']);
const UNARY_GRAD4 = unaryKernel('unaryGrad', 'unary_grad4', ['x', 'dy', 'out']);
const CLAMP = unaryKernel('clamp', 'clamp_fwd', ['x', 'out']);
const CLAMP4 = unaryKernel('clamp', 'clamp_fwd4', ['x', 'out']);
const CLAMP_GRAD = unaryKernel('clampGrad', 'clamp_grad', ['x', 'dy', 'out']);
const CLAMP_GRAD4 = unaryKernel('clampGrad', 'clamp_grad4', ['x', 'dy', 'out']);
const UNARY_PRE = unaryKernel('unaryPre', 'unary_pre', ['x', 'dy', 'out', 't']);

const BINARY_IO = shaderInterface(
  { shape: 'u32x8', a_strides: 'u32x8', b_strides: 'u32x8', n: 'u32' },
  {
    a: { binding: 1, access: 'r', type: 'T', vec4: 'a4' },
    b: { binding: 2, access: 'r', type: 'T', vec4: 'b4' },
    out: { binding: 3, access: 'w', type: 'U', vec4: 'out4' },
    c: { binding: 4, access: 'r', type: 'T' },      // binary2: the second op's other operand
    out2: { binding: 5, access: 'w', type: 'U' },   // binary2: the second op's result
  },
);
const BINARY_PRELUDE = binaryHeader() + mathSrc + coordsSrc;
const BINARY_K = defineKernel('binary', binarySrc, 'binary', BINARY_IO, ['a', 'b', 'out'], BINARY_PRELUDE);
const BINARY4 = defineKernel('binary', binarySrc, 'binary4', BINARY_IO, ['a', 'b', 'out'], BINARY_PRELUDE);
const BINARY2 = defineKernel('binary2', binarySrc, 'binary2', BINARY_IO, ['a', 'b', 'out', 'c', 'out2'], BINARY_PRELUDE);
/** binary.wgsl's row kernels by how a and b are read: v(ec4) or s(plat) along the innermost dim. */
const BINARY_ROWS = {
  vv: defineKernel('binary', binarySrc, 'binary_vv', BINARY_IO, ['a', 'b', 'out'], BINARY_PRELUDE),
  vs: defineKernel('binary', binarySrc, 'binary_vs', BINARY_IO, ['a', 'b', 'out'], BINARY_PRELUDE),
  sv: defineKernel('binary', binarySrc, 'binary_sv', BINARY_IO, ['a', 'b', 'out'], BINARY_PRELUDE),
};

/**
 * How binary.wgsl's row kernels read a broadcast whose innermost dim holds whole vec4s: each
 * operand contiguous along it (stride 1, its other strides multiples of 4, so vec4s start
 * aligned) or broadcast along it (stride 0), not both broadcast; null otherwise. The strides
 * come back in the units the kernel reads (vec4s or elements), the innermost dim in vec4s.
 * On lavapipe a bias add of [2048, 64] + [64] ran ~2x faster so (4 lanes a load).
 */
function rowsVec4(shape: readonly number[], as: readonly number[], bs: readonly number[], a: Storage, b: Storage, bufs: readonly PooledBuffer[]):
  { kind: keyof typeof BINARY_ROWS; shape: number[]; as: number[]; bs: number[] } | null {
  const r = shape.length;
  if (r === 0 || shape[r - 1] % 4 !== 0) return null;
  const mode = (s: readonly number[], st: Storage, buf: PooledBuffer): 'v' | 's' | null => {
    if (s[r - 1] === 0) return 's';
    if (s[r - 1] !== 1 || s.some((v, d) => d < r - 1 && v % 4 !== 0) || st.numel % 4 !== 0 || !fitsVec4(st.numel, [buf])) return null;
    return 'v';
  };
  const ma = mode(as, a, bufs[0]);
  const mb = mode(bs, b, bufs[1]);
  if (ma === null || mb === null || (ma === 's' && mb === 's') || !fitsVec4(numelOf(shape), [bufs[2]])) return null;
  const scale = (s: readonly number[], m: 'v' | 's'): number[] => (m === 'v' ? [...s.slice(0, -1).map((v) => v / 4), 1] : [...s]);
  return { kind: `${ma}${mb}` as keyof typeof BINARY_ROWS, shape: [...shape.slice(0, -1), shape[r - 1] / 4], as: scale(as, ma), bs: scale(bs, mb) };
}

type UnaryParams = ParamValues<typeof UNARY_IO.params>;

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
function launch<K extends string>(
  gpu: GpuRuntime,
  [scalar, vec4]: readonly [KernelDef<typeof UNARY_IO.params, K>, KernelDef<typeof UNARY_IO.params, K>],
  variant: Variant,
  buffers: Buffers<K>,
  params: UnaryParams,
  n: number,
  op: string,
): void {
  if (fitsVec4(n, Object.values<PooledBuffer>(buffers))) {
    const { wg, groups } = elementwiseShape(Math.ceil(n / 4), gpu.profile);
    gpu.run(vec4, { ...variant, constants: { ...variant.constants, WG: wg } }, buffers, params, groups, op);
  } else {
    gpu.run(scalar, variant, buffers, params, groupsFor(n, EW_PER_GROUP), op);
  }
}

/** The variant of unary.wgsl for op on dtype (U, used by unary_pre's prelude, is T). */
function unaryVariant(op: UnaryOp | null, dtype: DType, extra: Record<string, number | boolean> = {}): Variant {
  const T = elemType(dtype);
  return { types: { T, U: T }, constants: { ...(op === null ? {} : { OP: unaryCode(op) }), IS_FLOAT: dtype !== 'int32', ...extra } };
}

const unaryParams = (n: number, p: number): UnaryParams => ({ n, p, lo: 0, lo_val: 0, hi: 0, hi_val: 0 });

function intUnaryCheck(op: UnaryOp, dtype: DType, param: number): void {
  if (dtype === 'int32' && !unaryOnInt(op, param)) throw new WebgradError(op, 'is only defined for floating-point tensors');
}

export function unary(gpu: GpuRuntime, op: UnaryOp, x: Storage, param: number): GPUStorage {
  const xb = gpu.buf(x, op);
  intUnaryCheck(op, x.dtype, param);
  const out = gpu.alloc(x.numel, x.dtype, op);
  launch(gpu, [UNARY_K, UNARY4], unaryVariant(op, x.dtype), { x: xb, out: out.buffer! }, unaryParams(x.numel, param), x.numel, op);
  return out;
}

/**
 * `pre.op(pre.a, pre.b)` (contiguous float32, an op of `runsBeforeUnary`, written to `pre.out` as binary.wgsl
 * writes it) and then unary `op` of it into `out`, as one dispatch (fusion.ts).
 */
export function unaryAfter(
  gpu: GpuRuntime,
  pre: { readonly op: ArithOp; readonly a: PooledBuffer; readonly b: PooledBuffer; readonly out: PooledBuffer },
  op: UnaryOp,
  out: PooledBuffer,
  n: number,
  param: number,
): void {
  gpu.run(
    UNARY_PRE,
    unaryVariant(op, 'float32', { PRE: binaryCode(pre.op) }),
    { x: pre.a, dy: pre.b, out, t: pre.out },
    unaryParams(n, param),
    groupsFor(n, EW_PER_GROUP),
    `${pre.op}+${op}`,
  );
}

export function unaryGrad(gpu: GpuRuntime, op: UnaryOp, x: Storage, y: Storage, dy: Storage, param: number): GPUStorage {
  const name = `${op} backward`;
  const reads = UNARY[op].gradReads;
  const saved = gpu.buf(reads === 'x' ? x : reads === 'y' ? y : dy, name);
  const dyb = gpu.buf(dy, name);
  intUnaryCheck(op, dy.dtype, param);
  const out = gpu.alloc(dy.numel, dy.dtype, name);
  launch(gpu, [UNARY_GRAD, UNARY_GRAD4], unaryVariant(op, dy.dtype), { x: saved, dy: dyb, out: out.buffer! }, unaryParams(dy.numel, param), dy.numel, name);
  return out;
}

/**
 * clamp's bounds as the kernel compares them: for float32 the bound rounded to float32 (the
 * clamped values come out identical to comparing in float64); for int32 an integer compare
 * threshold (x < lo <=> x < ceil(lo) for integer x) and the value an Int32Array would store.
 */
export function clampBounds(dtype: DType, min: number, max: number): { lo: number; lo_val: number; hi: number; hi_val: number } {
  if (dtype !== 'int32') return { lo: min, lo_val: min, hi: max, hi_val: max };
  const i32 = (v: number): number => Math.min(2147483647, Math.max(-2147483648, v));
  return { lo: i32(Math.ceil(min)), lo_val: min | 0, hi: i32(Math.floor(max)), hi_val: max | 0 };
}

export function clamp(gpu: GpuRuntime, x: Storage, min: number, max: number): GPUStorage {
  const xb = gpu.buf(x, 'clamp');
  const out = gpu.alloc(x.numel, x.dtype, 'clamp');
  const n = x.numel;
  const params = { n, p: 0, ...clampBounds(x.dtype, min, max) };
  launch(gpu, [CLAMP, CLAMP4], unaryVariant(null, x.dtype), { x: xb, out: out.buffer! }, params, n, 'clamp');
  return out;
}

export function clampGrad(gpu: GpuRuntime, x: Storage, dy: Storage, min: number, max: number): GPUStorage {
  const name = 'clamp backward';
  const xb = gpu.buf(x, name);
  const dyb = gpu.buf(dy, name);
  if (x.dtype !== dy.dtype) throw new WebgradError(name, `x is ${x.dtype} but dy is ${dy.dtype}`);
  const out = gpu.alloc(dy.numel, dy.dtype, name);
  const n = dy.numel;
  const { lo, hi } = clampBounds(x.dtype, min, max);
  const params = { n, p: 0, lo, lo_val: 0, hi, hi_val: 0 };
  launch(gpu, [CLAMP_GRAD, CLAMP_GRAD4], unaryVariant(null, x.dtype), { x: xb, dy: dyb, out: out.buffer! }, params, n, name);
  return out;
}

type BinaryParams = ParamValues<typeof BINARY_IO.params>;

/**
 * A binary op ready to be recorded: its buffers and parameters, and `encode()`, which records
 * it. fusion.ts may hold it back and record it together with the next op instead (binary2).
 */
export interface BinaryLaunch {
  readonly op: BinaryOp;
  readonly a: PooledBuffer;
  readonly b: PooledBuffer;
  readonly out: PooledBuffer;
  readonly dtype: DType;
  readonly outDtype: DType;
  readonly n: number;
  /** Both operands laid out exactly like the output. */
  readonly contig: boolean;
  readonly params: BinaryParams;
  encode(): void;
}

/** Checks and prepares a broadcasting binary op; nothing is recorded until `encode()`. */
export function prepareBinary(
  gpu: GpuRuntime,
  op: BinaryOp,
  a: Storage,
  b: Storage,
  outShape: Shape,
  aStrides: readonly number[],
  bStrides: readonly number[],
  outDtype: DType,
): { storage: GPUStorage; launch: BinaryLaunch } {
  const ab = gpu.buf(a, op);
  const bb = gpu.buf(b, op);
  if (a.dtype !== b.dtype) throw new WebgradError(op, `operands are ${a.dtype} and ${b.dtype}`);
  const n = numelOf(outShape);
  const merged = mergeDims(outShape, [aStrides, bStrides]);
  const [as, bs] = merged.strides;
  const rank = merged.shape.length;
  if (rank > MAX_RANK) throw new WebgradError(op, `broadcasting over more than ${MAX_RANK} non-mergeable dims is not supported on WebGPU`);
  const storage = gpu.alloc(n, outDtype, op);
  const contig = rank === 0 ? a.numel === 1 && b.numel === 1 : rank === 1 && as[0] === 1 && bs[0] === 1;
  const params: BinaryParams = { shape: merged.shape, a_strides: as, b_strides: bs, n };
  // The buffers, not the storages: a held op may be encoded after its output was released.
  const ob = storage.buffer!;
  const variant = {
    types: { T: elemType(a.dtype), U: elemType(outDtype) },
    constants: { OP: binaryCode(op), IS_FLOAT: a.dtype !== 'int32', CONTIG: contig, RANK: Math.max(1, rank) },
  };
  const encode = (): void => {
    const buffers = { a: ab, b: bb, out: ob };
    if (contig && fitsVec4(n, [ab, bb, ob])) {
      const { wg, groups } = elementwiseShape(Math.ceil(n / 4), gpu.profile);
      gpu.run(BINARY4, { ...variant, constants: { ...variant.constants, WG: wg } }, buffers, params, groups, op);
      return;
    }
    const rows = contig ? null : rowsVec4(merged.shape, as, bs, a, b, [ab, bb, ob]);
    if (rows !== null) {
      const { wg, groups } = elementwiseShape(n / 4, gpu.profile);
      gpu.run(
        BINARY_ROWS[rows.kind],
        { ...variant, constants: { ...variant.constants, WG: wg } },
        buffers,
        { shape: rows.shape, a_strides: rows.as, b_strides: rows.bs, n: n / 4 },
        groups,
        op,
      );
      return;
    }
    const { wg, groups } = elementwiseShape(n, gpu.profile);
    gpu.run(BINARY_K, { ...variant, constants: { ...variant.constants, WG: wg } }, buffers, params, groups, op);
  };
  return { storage, launch: { op, a: ab, b: bb, out: ob, dtype: a.dtype, outDtype, n, contig, params, encode } };
}

/**
 * `first` and then `op2` of its result and `c` (contiguous; `first`'s result on the left when
 * `left`), as one dispatch writing both results (fusion.ts).
 */
export function binaryAfter(gpu: GpuRuntime, first: BinaryLaunch, op2: ArithOp, c: PooledBuffer, left: boolean, out2: PooledBuffer): void {
  const types = { T: elemType(first.dtype), U: elemType(first.outDtype) };
  const { wg, groups } = elementwiseShape(first.n, gpu.profile);
  const constants = {
    OP: binaryCode(first.op), OP2: binaryCode(op2), T_LEFT: left, IS_FLOAT: first.dtype !== 'int32', CONTIG: first.contig,
    RANK: Math.max(1, first.params.shape.length), WG: wg,
  };
  gpu.run(BINARY2, { types, constants }, { a: first.a, b: first.b, out: first.out, c, out2 }, first.params, groups, `${first.op}+${op2}`);
}
