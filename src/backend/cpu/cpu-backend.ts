import type { DType, TypedArray } from '../../dtype.js';
import { WebgradError } from '../../errors.js';
import type { ReduceLayout, Shape } from '../../shape.js';
import type {
  ArgReduceOp,
  Backend,
  KernelTime,
  BackendInfo,
  BinaryOp,
  MatmulArgs,
  MemoryInfo,
  ReduceOp,
  OptimizerUpdate,
  Storage,
  StridedRegion,
  UnaryOp,
} from '../backend.js';
import { binary } from './binary.js';
import { CpuProfiler } from './profile.js';
import { matmul } from './matmul.js';
import type { ScanOptions } from '../backend.js';
import { scan } from './scan.js';
import { cast, catRows, splitRows, strided, sumTo } from './movement.js';
import { optimizerStep } from './optim.js';
import { argReduce, reduce, scatterIndex } from './reduce.js';
import { crossEntropy, crossEntropyGrad, softmax, softmaxGrad } from './softmax.js';
import { alloc, CpuStorage } from './storage.js';
import { stridedScatter } from './strided.js';
import { clamp, clampGrad, unary, unaryGrad } from './unary.js';
import { where } from './where.js';
import type { GatherArgs, ScatterArgs } from '../backend.js';
import { gather, scatterAdd } from './gather.js';
import { sortIndices } from './sort.js';
import type { AvgPoolArgs, ChannelLayout, PoolArgs } from '../backend.js';
import * as pool from './pool.js';
import * as bn from './batch-norm.js';
import type { ConvArgs } from '../backend.js';
import * as conv from './conv.js';
import type { AttentionArgs, AttentionGrads, AttentionResult } from '../backend.js';
import { attention, attentionBackward } from './attention.js';
import type { LayerNormGrads, LayerNormResult } from '../backend.js';
import { layerNorm, layerNormBackward } from './layer-norm.js';

/**
 * The pure-TypeScript backend: the fallback when there is no WebGPU adapter and the oracle every
 * GPU kernel is tested against. Kernels live in the sibling files as functions on typed arrays;
 * this class only turns Storage handles into arrays and back and keeps the memory count.
 */
export class CpuBackend implements Backend {
  readonly name = 'cpu' as const;
  #bytesInUse = 0;
  #peakBytes = 0;
  #destroyed = false;

  info(): BackendInfo {
    return { name: 'cpu' };
  }

  supports(_dtype: DType): boolean {
    return true;
  }

  // ---- storage ----

  upload(data: TypedArray, dtype: DType): Storage {
    const copy = alloc(dtype, data.length);
    copy.set(data);
    return this.#wrap(copy);
  }

  full(numel: number, dtype: DType, value: number): Storage {
    return this.#wrap(alloc(dtype, numel).fill(value));
  }

  read(s: Storage): Promise<TypedArray> {
    this.#live();
    return Promise.resolve(arr(s).slice());
  }

  release(s: Storage): void {
    this.#bytesInUse -= cpu(s).drop();
  }

  hostData(s: Storage): TypedArray {
    return cpu(s).data;
  }

  memory(): MemoryInfo {
    return { bytesInUse: this.#bytesInUse, poolBytes: 0, planBytes: 0 };
  }

  peakBytes(next?: number): number {
    const peak = this.#peakBytes;
    if (next !== undefined) this.#peakBytes = Math.max(next, this.#bytesInUse);
    return peak;
  }

  /** Nothing is cached: released arrays go to the garbage collector. */
  emptyCache(): void {}

  // ---- data movement ----

  copy(src: Storage, dst: Storage): void {
    arr(dst).set(arr(src));
  }

  fill(dst: Storage, value: number): void {
    arr(dst).fill(value);
  }

  cast(x: Storage, dtype: DType): Storage {
    return this.#wrap(cast(arr(x), dtype));
  }

  strided(x: Storage, outShape: Shape, strides: readonly number[], offset: number): Storage {
    return this.#wrap(strided(arr(x), outShape, strides, offset));
  }

  // ---- elementwise ----

  unary(op: UnaryOp, x: Storage, param: number): Storage {
    return this.#wrap(unary(op, arr(x), param));
  }

  unaryGrad(op: UnaryOp, x: Storage, y: Storage, dy: Storage, param: number): Storage {
    return this.#wrap(unaryGrad(op, arr(x), arr(y), arr(dy), param));
  }

  clamp(x: Storage, min: number, max: number): Storage {
    return this.#wrap(clamp(arr(x), min, max));
  }

  clampGrad(x: Storage, dy: Storage, min: number, max: number): Storage {
    return this.#wrap(clampGrad(arr(x), arr(dy), min, max));
  }

  binary(
    op: BinaryOp,
    a: Storage,
    b: Storage,
    outShape: Shape,
    aStrides: readonly number[],
    bStrides: readonly number[],
    outDtype: DType,
  ): Storage {
    return this.#wrap(binary(op, arr(a), arr(b), outShape, aStrides, bStrides, outDtype));
  }

  sumTo(x: Storage, xShape: Shape, outShape: Shape): Storage {
    return this.#wrap(sumTo(arr(x), xShape, outShape));
  }

  // ---- reductions ----

  reduce(op: ReduceOp, x: Storage, layout: ReduceLayout): Storage {
    return this.#wrap(reduce(op, arr(x), layout));
  }

  argReduce(op: ArgReduceOp, x: Storage, layout: ReduceLayout): Storage {
    return this.#wrap(argReduce(op, arr(x), layout));
  }

  scatterIndex(dy: Storage, idx: Storage, layout: ReduceLayout): Storage {
    return this.#wrap(scatterIndex(arr(dy), arr(idx), layout));
  }

  // ---- matmul ----

  matmul(a: Storage, b: Storage, args: MatmulArgs): Storage {
    return this.#wrap(matmul(arr(a), arr(b), args));
  }

  // ---- softmax family ----

  softmax(x: Storage, layout: ReduceLayout, log: boolean): Storage {
    return this.#wrap(softmax(arr(x), layout, log));
  }

  softmaxGrad(y: Storage, dy: Storage, layout: ReduceLayout, log: boolean): Storage {
    return this.#wrap(softmaxGrad(arr(y), arr(dy), layout, log));
  }

  crossEntropy(logits: Storage, targets: Storage, rows: number, classes: number): Storage {
    return this.#wrap(crossEntropy(arr(logits), arr(targets), rows, classes));
  }

  crossEntropyGrad(logits: Storage, targets: Storage, dloss: Storage, rows: number, classes: number): Storage {
    return this.#wrap(crossEntropyGrad(arr(logits), arr(targets), arr(dloss), rows, classes));
  }

  // ---- optimizers ----

  optimizerStep(updates: readonly OptimizerUpdate[]): void {
    // Every storage is resolved first: a released one refuses the call before any update.
    const arrays = updates.map((u) => ({ param: arr(u.param), grad: arr(u.grad), state: u.state.map(arr), args: u.args }));
    for (const a of arrays) optimizerStep(a.param, a.grad, a.state, a.args);
  }

  scaleInPlace(targets: readonly Storage[], factor: Storage): void {
    const f = arr(factor);
    const ts = targets.map(arr);
    const op = 'scaleInPlace';
    if (f.length !== 1) throw new WebgradError(op, `factor must have one element, got ${f.length}`);
    targets.forEach((t, i) => {
      if (t.dtype !== factor.dtype || t.dtype === 'int32') throw new WebgradError(op, `target ${i} (${t.dtype}) and factor (${factor.dtype}) must share one float dtype`);
      if (t === factor) throw new WebgradError(op, `target ${i} is the factor's storage`);
    });
    // The product of two float32 values is exact in float64, so rounding it at the store gives
    // the float32 product, as binary('mul') computes it.
    const v = f[0];
    for (const t of ts) for (let i = 0; i < t.length; i++) t[i] *= v;
  }

  // ---- joining and slicing ----

  stridedScatter(src: Storage, dst: Storage, shape: Shape, from: StridedRegion, to: StridedRegion): void {
    stridedScatter(arr(src), arr(dst), shape, from, to);
  }

  catRows(pieces: readonly Storage[], rows: number, widths: readonly number[]): Storage {
    return this.#wrap(catRows(pieces.map(arr), rows, widths));
  }

  splitRows(whole: Storage, rows: number, width: number, parts: readonly { readonly offset: number; readonly width: number }[]): Storage[] {
    return splitRows(arr(whole), rows, width, parts).map((a) => this.#wrap(a));
  }

  empty(numel: number, dtype: DType): Storage {
    return this.#wrap(alloc(dtype, numel));
  }

  // ---- where (issue 11) ----

  where(
    cond: Storage,
    a: Storage,
    b: Storage,
    outShape: Shape,
    cStrides: readonly number[],
    aStrides: readonly number[],
    bStrides: readonly number[],
  ): Storage {
    return this.#wrap(where(arr(cond), arr(a), arr(b), outShape, cStrides, aStrides, bStrides));
  }

  // ---- indexing (gather, scatter-add, sort) ----

  gather(x: Storage, idx: Storage, args: GatherArgs): Storage {
    return this.#wrap(gather(arr(x), arr(idx), args));
  }

  scatterAdd(base: Storage | null, src: Storage, idx: Storage, args: ScatterArgs): Storage {
    return this.#wrap(scatterAdd(base === null ? null : arr(base), arr(src), arr(idx), args));
  }

  sortIndices(x: Storage, layout: ReduceLayout, k: number, descending: boolean): Storage {
    return this.#wrap(sortIndices(arr(x), layout, k, descending));
  }

  // ---- convolution ----

  conv2d(x: Storage, w: Storage, bias: Storage | null, args: ConvArgs): Storage {
    return this.#wrap(conv.conv2d(arr(x), arr(w), bias === null ? null : arr(bias), args));
  }

  conv2dInputGrad(dy: Storage, w: Storage, args: ConvArgs): Storage {
    return this.#wrap(conv.conv2dInputGrad(arr(dy), arr(w), args));
  }

  conv2dWeightGrad(x: Storage, dy: Storage, args: ConvArgs): Storage {
    return this.#wrap(conv.conv2dWeightGrad(arr(x), arr(dy), args));
  }

  // ---- fused layer norm ----

  layerNorm(x: Storage, weight: Storage | null, bias: Storage | null, rows: number, cols: number, eps: number): LayerNormResult {
    const r = layerNorm(arr(x), opt(weight), opt(bias), rows, cols, eps);
    return { y: this.#wrap(r.y), mean: this.#wrap(r.mean), rstd: this.#wrap(r.rstd) };
  }

  layerNormBackward(dy: Storage, x: Storage, mean: Storage, rstd: Storage, weight: Storage | null, rows: number, cols: number,
    paramGrads: boolean): LayerNormGrads {
    const g = layerNormBackward(arr(dy), arr(x), arr(mean), arr(rstd), opt(weight), rows, cols, paramGrads);
    return { dx: this.#wrap(g.dx), dweight: g.dweight && this.#wrap(g.dweight), dbias: g.dbias && this.#wrap(g.dbias) };
  }

  // ---- fused attention ----

  attentionFits(dtype: DType, _e: number, _ev: number): boolean {
    return dtype !== 'int32';
  }

  attention(q: Storage, k: Storage, v: Storage, mask: Storage | null, args: AttentionArgs): AttentionResult {
    const r = attention(arr(q), arr(k), arr(v), mask === null ? null : arr(mask), args);
    return { out: this.#wrap(r.out), lse: this.#wrap(r.lse) };
  }

  attentionBackward(q: Storage, k: Storage, v: Storage, mask: Storage | null, out: Storage, lse: Storage, dout: Storage,
    args: AttentionArgs): AttentionGrads {
    const g = attentionBackward(arr(q), arr(k), arr(v), mask === null ? null : arr(mask), arr(out), arr(lse), arr(dout), args);
    return { dq: this.#wrap(g.dq), dk: this.#wrap(g.dk), dv: this.#wrap(g.dv) };
  }

  #profiler: CpuProfiler | null = null;

  startProfile(): void {
    if (this.#profiler) throw new WebgradError('profile', 'a profile is already running');
    this.#profiler = new CpuProfiler(this);
  }

  async stopProfile(): Promise<KernelTime[]> {
    if (!this.#profiler) throw new WebgradError('profile', 'no profile is running');
    const times = this.#profiler.stop();
    this.#profiler = null;
    return times;
  }

  // ---- scans ----

  scan(x: Storage, layout: ReduceLayout, opts: ScanOptions): Storage {
    return this.#wrap(scan(arr(x), layout, opts));
  }

  // ---- pooling and batch norm (issue 12) ----

  maxPool(x: Storage, args: PoolArgs, indices: boolean): [Storage, Storage | null] {
    const [out, idx] = pool.maxPool(arr(x), args);
    return [this.#wrap(out), indices ? this.#wrap(idx) : null];
  }

  maxPoolGrad(dy: Storage, idx: Storage, args: PoolArgs): Storage {
    return this.#wrap(pool.maxPoolGrad(arr(dy), arr(idx), args));
  }

  avgPool(x: Storage, args: AvgPoolArgs): Storage {
    return this.#wrap(pool.avgPool(arr(x), args));
  }

  avgPoolGrad(dy: Storage, args: AvgPoolArgs): Storage {
    return this.#wrap(pool.avgPoolGrad(arr(dy), args));
  }

  batchNormStats(x: Storage, layout: ChannelLayout): Storage {
    return this.#wrap(bn.batchNormStats(arr(x), layout));
  }

  batchNormForward(x: Storage, mean: Storage, variance: Storage, weight: Storage | null, bias: Storage | null,
    layout: ChannelLayout, eps: number): Storage {
    return this.#wrap(bn.batchNormForward(arr(x), arr(mean), arr(variance), opt(weight), opt(bias), layout, eps));
  }

  batchNormGradSums(x: Storage, dy: Storage, mean: Storage, variance: Storage, layout: ChannelLayout, eps: number): Storage {
    return this.#wrap(bn.batchNormGradSums(arr(x), arr(dy), arr(mean), arr(variance), layout, eps));
  }

  batchNormInputGrad(x: Storage, dy: Storage, mean: Storage, variance: Storage, weight: Storage | null,
    sums: Storage | null, layout: ChannelLayout, eps: number): Storage {
    return this.#wrap(bn.batchNormInputGrad(arr(x), arr(dy), arr(mean), arr(variance), opt(weight), opt(sums), layout, eps));
  }

  flush(): void {}

  #compiled = false;
  compiledMode(on: boolean): boolean {
    const was = this.#compiled;
    this.#compiled = on;
    return was;
  }

  dispatchCount(): number {
    return 0;
  }

  beginPlannedCall(): null {
    return null;
  }

  endPlannedCall(): void {}

  /** Nothing to free (storages are GC'd), but new storage and reads fail from now on. */
  destroy(): void {
    this.#destroyed = true;
  }

  // Every kernel result and every upload passes through here, so this is where the memory count
  // grows and where a destroyed backend refuses work.
  #wrap(data: TypedArray): CpuStorage {
    this.#live();
    const s = new CpuStorage(data);
    this.#bytesInUse += s.bytes;
    if (this.#bytesInUse > this.#peakBytes) this.#peakBytes = this.#bytesInUse;
    return s;
  }

  #live(): void {
    if (this.#destroyed) throw new WebgradError('cpu', 'the backend was destroyed');
  }
}

function cpu(s: Storage): CpuStorage {
  if (!(s instanceof CpuStorage)) throw new WebgradError('cpu', 'storage belongs to another backend');
  return s;
}

const arr = (s: Storage): TypedArray => cpu(s).data;
const opt = (s: Storage | null): TypedArray | null => (s === null ? null : arr(s));
