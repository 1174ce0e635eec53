import type { DType } from '../../dtype.js';
import { BINARY, type ArithOp, type BinaryOp } from '../../kernels/binary.js';
import type { UnaryOp } from '../../kernels/unary.js';
import { isRowMajor, type Shape } from '../../shape.js';
import type { MatmulArgs, Storage } from '../backend.js';
import type { PooledBuffer } from './buffer-pool.js';
import * as ew from './elementwise.js';
import { matmulBias, matmulThen, prepareMatmul, type MatmulLaunch } from './matmul.js';
import type { HeldDispatch } from './recorder.js';
import type { GpuRuntime } from './runtime.js';
import type { GPUStorage } from './storage.js';
import { CHAIN_MAX_ELEMS } from './tuner.js';

/**
 * Every fusion of the WebGPU backend, in one place. Small training steps are bound by the cost
 * of a dispatch (~45 µs on lavapipe, 25-70 µs on real drivers), not by arithmetic, so a few
 * common producer/consumer pairs run as one dispatch:
 *
 * - two chained arithmetic binary ops of <= CHAIN_MAX_ELEMS elements: binary2
 *   (`w.sub_(g.mul(lr))`, `x.mul(a).add(b)`);
 * - a contiguous float32 arithmetic op other than div (add, sub, mul, maximum, minimum) and
 *   then a unary op of its result: unary_pre (`pred.sub(y).pow(2)`);
 * - a float32 matmul and then a clamp of its result (forward) or a clamp gradient with it as
 *   dy (backward): the matmul's epilogue (`x.mm(w).clamp(0)` and its backward);
 * - a float32 matmul and then an add or sub of a row vector (one value per column) to its
 *   result: the matmul's epilogue (nn.Linear's `x.mm(wᵀ).add(b)`), eager only.
 *
 * Inside a compiled step, elementwise chains of any length run as one generated kernel instead
 * (chain.ts: `gpu.chains`); the pairs above remain for what a chain does not take (int32 ops,
 * the matmul clamp epilogue).
 *
 * The mechanism: the launcher of a producer hands its unrecorded dispatch to the recorder to
 * hold (recorder.ts); a held dispatch is recorded as soon as any command touches what it
 * reads or writes, or at a submit. A consumer that finds its producer held records one
 * dispatch doing both instead. Both results are still written, so nothing else changes.
 * Measured by bench/experiments/fusion.ts: the tutorial step runs 10 dispatches instead of
 * 15, 1.33x faster on lavapipe; on a real GPU the same dispatch savings apply, and the fused kernels do no
 * more memory traffic than the pair they replace.
 */

/** Switched off by benchmarks and tests that compare with and without fusion. */
let enabled = true;
export function setFusion(on: boolean): void {
  enabled = on;
}

/** A producer the recorder holds: its launch, recorded as it was unless a consumer joins it. */
abstract class HeldLaunch<L extends { readonly a: PooledBuffer; readonly b: PooledBuffer; readonly out: PooledBuffer; encode(): void }>
  implements HeldDispatch {
  constructor(readonly launch: L) {}
  get reads(): readonly PooledBuffer[] {
    return [this.launch.a, this.launch.b];
  }
  get writes(): readonly PooledBuffer[] {
    return [this.launch.out];
  }
  encode(): void {
    this.launch.encode();
  }
}

class HeldBinary extends HeldLaunch<ew.BinaryLaunch> {}
class HeldMatmul extends HeldLaunch<MatmulLaunch> {}

/** The held dispatch of kind `kind` whose output is `buf`, if any. */
function producer<H extends HeldDispatch>(gpu: GpuRuntime, kind: abstract new (...args: never[]) => H, buf: PooledBuffer): H | null {
  for (const h of gpu.recorder.held) if (h instanceof kind && h.writes[0] === buf) return h;
  return null;
}

const isArith = (op: BinaryOp): op is ArithOp => BINARY[op].kind === 'arith';

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
  const biased = enabled && gpu.chains === null ? biasEpilogue(gpu, op, a, b, outShape, aStrides, bStrides, outDtype) : null;
  if (biased !== null) return biased;
  if (gpu.chains !== null && isArith(op) && outDtype === a.dtype) {
    const out = gpu.chains.binary(op, a, b, outShape, aStrides, bStrides);
    if (out !== null) return out;
  }
  const { storage, launch } = ew.prepareBinary(gpu, op, a, b, outShape, aStrides, bStrides, outDtype);
  const n = launch.n;
  const chains = enabled && isArith(op) && outDtype === a.dtype && n > 0 && n <= CHAIN_MAX_ELEMS;
  if (chains && launch.contig) {
    // The second of a chain reads the first's result as exactly one operand (as both, binary2
    // would bind that buffer for writing and reading at once).
    for (const first of [producer(gpu, HeldBinary, launch.a), producer(gpu, HeldBinary, launch.b)]) {
      if (first === null || first.launch.n !== n || first.launch.dtype !== a.dtype || launch.a === launch.b) continue;
      const left = first.launch.out === launch.a;
      if (!gpu.recorder.take(first, [left ? launch.b : launch.a])) break;
      ew.binaryAfter(gpu, first.launch, op as ArithOp, left ? launch.b : launch.a, left, launch.out);
      return storage;
    }
  }
  if (chains) {
    gpu.live(op);
    gpu.recorder.hold(new HeldBinary(launch));
  } else {
    launch.encode();
  }
  return storage;
}

/** Whether `strides` read one value per column of `shape`'s last dim, the same for every row. */
function rowVector(shape: Shape, strides: readonly number[]): boolean {
  const last = shape.length - 1;
  return last >= 0 && shape.every((size, d) => size === 1 || strides[d] === (d === last ? 1 : 0));
}

/**
 * A held float32 product plus (or minus) a row vector of one value per column, as the
 * product's epilogue (matmulBias): nn.Linear's bias add. Null when it does not apply: the
 * product in any layout but its own row-major one, a bias broadcast along columns or full
 * size, int32, the bias being the product, or the product recorded meanwhile. Not inside a
 * compiled step: there the chain builder takes the add, and a bias add is mostly followed by
 * more elementwise ops (GELU, a residual add) that join the same chain, so the epilogue would
 * save no dispatch.
 */
function biasEpilogue(
  gpu: GpuRuntime,
  op: BinaryOp,
  a: Storage,
  b: Storage,
  outShape: Shape,
  aStrides: readonly number[],
  bStrides: readonly number[],
  outDtype: DType,
): GPUStorage | null {
  if ((op !== 'add' && op !== 'sub') || a.dtype !== 'float32' || b.dtype !== 'float32' || outDtype !== 'float32') return null;
  const ab = gpu.buf(a, op);
  const bb = gpu.buf(b, op);
  if (ab === bb) return null;
  const numel = outShape.reduce((x, y) => x * y, 1);
  for (const left of [true, false]) {
    const product = producer(gpu, HeldMatmul, left ? ab : bb);
    if (product === null) continue;
    const { m, n } = product.launch.params;
    const [pStrides, vStrides] = left ? [aStrides, bStrides] : [bStrides, aStrides];
    if (numel !== product.launch.grid[2] * m * n || outShape[outShape.length - 1] !== n) continue;
    if (!isRowMajor(outShape, pStrides) || !rowVector(outShape, vStrides)) continue;
    const bias = left ? bb : ab;
    if (!gpu.recorder.take(product, [bias])) return null;
    const out = gpu.alloc(numel, 'float32', op);
    matmulBias(gpu, product.launch, bias, out.buffer!, op === 'add' ? 'add' : left ? 'sub' : 'rsub', op);
    return out;
  }
  return null;
}

export function unary(gpu: GpuRuntime, op: UnaryOp, x: Storage, param: number): GPUStorage {
  const chained = gpu.chains?.unary(op, x, param);
  if (chained) return chained;
  const first = enabled && x.dtype === 'float32' ? producer(gpu, HeldBinary, gpu.buf(x, op)) : null;
  const pre = first?.launch;
  if (first && pre && pre.contig && pre.n === x.numel && ew.runsBeforeUnary(pre.op) && gpu.recorder.take(first, [])) {
    const out = gpu.alloc(x.numel, x.dtype, op);
    ew.unaryAfter(gpu, { op: pre.op, a: pre.a, b: pre.b, out: pre.out }, op, out.buffer!, x.numel, param);
    return out;
  }
  return ew.unary(gpu, op, x, param);
}

export function unaryGrad(gpu: GpuRuntime, op: UnaryOp, x: Storage, y: Storage, dy: Storage, param: number): GPUStorage {
  return gpu.chains?.unaryGrad(op, x, y, dy, param) ?? ew.unaryGrad(gpu, op, x, y, dy, param);
}

export function matmul(gpu: GpuRuntime, a: Storage, b: Storage, args: MatmulArgs): GPUStorage {
  const { storage, launch } = prepareMatmul(gpu, a, b, args);
  if (launch === null) return storage;
  if (!enabled) {
    launch.encode();
    return storage;
  }
  gpu.live('matmul');
  gpu.recorder.hold(new HeldMatmul(launch));
  return storage;
}

export function clamp(gpu: GpuRuntime, x: Storage, min: number, max: number): GPUStorage {
  const product = enabled && x.dtype === 'float32' ? producer(gpu, HeldMatmul, gpu.buf(x, 'clamp')) : null;
  if (product === null || !gpu.recorder.take(product, [])) return gpu.chains?.clamp(x, min, max) ?? ew.clamp(gpu, x, min, max);
  const out = gpu.alloc(x.numel, x.dtype, 'clamp');
  matmulThen(gpu, product.launch, null, out.buffer!, ew.clampBounds('float32', min, max), 'clamp');
  return out;
}

export function clampGrad(gpu: GpuRuntime, x: Storage, dy: Storage, min: number, max: number): GPUStorage {
  const name = 'clamp backward';
  const xb = gpu.buf(x, name);
  const product = enabled && x.dtype === 'float32' && dy.dtype === 'float32' ? producer(gpu, HeldMatmul, gpu.buf(dy, name)) : null;
  // The product as the clamp's own input would be bound for reading and writing at once.
  if (product === null || xb === product.launch.out || !gpu.recorder.take(product, [xb])) {
    return gpu.chains?.clampGrad(x, dy, min, max) ?? ew.clampGrad(gpu, x, dy, min, max);
  }
  const out = gpu.alloc(dy.numel, dy.dtype, name);
  const { lo, hi } = ew.clampBounds('float32', min, max);
  matmulThen(gpu, product.launch, xb, out.buffer!, { lo, lo_val: 0, hi, hi_val: 0 }, name);
  return out;
}
