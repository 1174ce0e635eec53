import type { DType, TypedArray } from '../../dtype.js';
import { typedArrayFor } from '../../dtype.js';
import { WebgradError } from '../../errors.js';
import type { ReduceLayout, Shape } from '../../shape.js';
import type {
  ArgReduceOp,
  Backend,
  BackendInfo,
  BinaryOp,
  DeviceLostInfo,
  KernelTime,
  MatmulArgs,
  MemoryInfo,
  ReduceOp,
  OptimizerUpdate,
  StepPlan,
  Storage,
  StridedRegion,
  UnaryOp,
} from '../backend.js';
import * as data from './data.js';
import * as ew from './elementwise.js';
import * as fusion from './fusion.js';
import { KernelProfiler } from './profiler.js';
import { scaleInPlace } from './foreach.js';
import { optimizerStep } from './optim.js';
import * as red from './reduce.js';
import type { ScanOptions } from '../backend.js';
import { scan } from './scan.js';
import { ChainBuilder } from './chain.js';
import { GpuRuntime, type GpuStats } from './runtime.js';
import { GpuStepPlan } from './step-plan.js';
import * as sm from './softmax.js';
import * as st from './strided.js';
import { FULL_UPLOAD_MAX_BYTES, type KernelProfile } from './tuner.js';
import * as wh from './where.js';
import type { GatherArgs, ScatterArgs } from '../backend.js';
import * as gat from './gather.js';
import * as srt from './sort.js';
import type { AvgPoolArgs, ChannelLayout, PoolArgs } from '../backend.js';
import * as pool from './pool.js';
import * as bn from './batch-norm.js';
import type { ConvArgs } from '../backend.js';
import * as cnv from './conv.js';
import type { AttentionArgs, AttentionGrads, AttentionResult, LayerNormGrads, LayerNormResult } from '../backend.js';
import * as att from './attention.js';
import * as ln from './layer-norm.js';

/** Zeros for the bytes between an upload's end and its last whole vec4 (at most 12). */
const ZERO_TAIL = new Uint8Array(16);

export type AdapterDescription = NonNullable<BackendInfo['adapter']>;

/**
 * The WebGPU backend: storage in pooled GPU buffers, kernels from shaders/*.wgsl recorded into
 * batched command buffers. This class checks dtypes and forwards; the launchers (one file per
 * shader family) pick kernels and grids, GpuRuntime owns the device-facing machinery.
 */
export class WebGPUBackend implements Backend {
  readonly name = 'webgpu' as const;
  readonly #gpu: GpuRuntime;
  readonly #adapter: AdapterDescription;
  /**
   * The GPU object the device came from. Dawn in Node tears the instance down when its GPU
   * object is garbage-collected, even with a device alive, so the backend holds on to it.
   */
  readonly #instance: unknown;
  /** Host memory for small full() uploads. */
  readonly #scratch = new ArrayBuffer(FULL_UPLOAD_MAX_BYTES);

  constructor(
    device: GPUDevice,
    adapter: AdapterDescription,
    opts: { instance?: unknown; profile?: KernelProfile; maxGroupsPerDim?: number; onLost?: (info: DeviceLostInfo) => void } = {},
  ) {
    this.#gpu = new GpuRuntime(device, opts.profile, opts.maxGroupsPerDim, opts.onLost);
    this.#adapter = adapter;
    this.#instance = opts.instance;
  }

  /** Counters for tests and benchmarks; `readbacks` counts mapAsync calls (the only waits). */
  get stats(): Readonly<GpuStats> {
    return this.#gpu.snapshot();
  }

  /** Whether kernels are shaped for a GPU or a CPU-emulated adapter (tuner.ts). */
  get profile(): KernelProfile {
    return this.#gpu.profile;
  }

  /** The GPUDevice, for benchmarks that time with onSubmittedWorkDone. */
  get device(): GPUDevice {
    return this.#gpu.device;
  }

  info(): BackendInfo {
    const l = this.#gpu.limits;
    return {
      name: 'webgpu',
      adapter: this.#adapter,
      limits: {
        maxBufferSize: l.maxBufferSize,
        maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
        maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
        maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
        maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      },
      lost: this.#gpu.lostInfo,
    };
  }

  supports(dtype: DType): boolean {
    return dtype !== 'float64';
  }

  #dtype(op: string, dtype: DType): void {
    if (dtype === 'float64') throw new WebgradError(op, 'float64 is not supported on WebGPU; use float32');
  }

  // ---- storage ----

  upload(data: TypedArray, dtype: DType): Storage {
    this.#dtype('upload', dtype);
    const s = this.#gpu.alloc(data.length, dtype, 'upload');
    if (data.length > 0) {
      // A differently typed array is converted first, as a typed-array store would.
      const src = data instanceof (dtype === 'int32' ? Int32Array : Float32Array) ? data : typedArrayFor(dtype, data);
      // writeBuffer is ordered before the next submit, so kernels recorded after see the data.
      this.#gpu.beforeUpload(s.buffer!);
      const gpu = s.buffer!.gpu;
      this.#gpu.device.queue.writeBuffer(gpu, 0, src.buffer, src.byteOffset, src.byteLength);
      // The pooled buffer may be larger and hold a freed tensor's bytes. The vec4 kernels read
      // the last vec4 whole (elementwise.ts fitsVec4), so its lanes past numel are zeroed: no
      // kernel sees stale values, even in lanes whose results are discarded.
      const tail = Math.min(Math.ceil(src.byteLength / 16) * 16, s.buffer!.size) - src.byteLength;
      if (tail > 0) this.#gpu.device.queue.writeBuffer(gpu, src.byteLength, ZERO_TAIL, 0, tail);
    }
    return s;
  }

  full(numel: number, dtype: DType, value: number): Storage {
    this.#dtype('full', dtype);
    if (numel === 0 || numel * 4 > FULL_UPLOAD_MAX_BYTES) return data.full(this.#gpu, numel, dtype, value);
    // Small: an upload instead of a dispatch (tuner.ts). As in upload(), the buffer is fresh
    // from the pool, which hands out only buffers no unsubmitted work uses, so the write is
    // ordered after every earlier use and before every kernel recorded from now on.
    // The values go through one scratch buffer: writeBuffer copies them at the call, and a
    // fresh 9 KB typed array per call (backward's seed of a sum) cost ~40 us of host time a
    // tutorial step (CPU profile), mostly allocation and the GC work it triggers.
    const view = dtype === 'int32' ? new Int32Array(this.#scratch, 0, numel) : new Float32Array(this.#scratch, 0, numel);
    return this.upload(view.fill(value), dtype);
  }

  async read(s: Storage): Promise<TypedArray> {
    if (s.numel === 0) {
      this.#gpu.buf(s, 'read');
      return typedArrayFor(s.dtype, 0);
    }
    const bytes = await this.#gpu.read(s, 'read');
    return s.dtype === 'int32' ? new Int32Array(bytes) : new Float32Array(bytes);
  }

  release(s: Storage): void {
    this.#gpu.release(s);
  }

  hostData(): null {
    return null;
  }

  memory(): MemoryInfo {
    let planBytes = 0;
    for (const p of this.#gpu.plans) planBytes += p.reservedBytes;
    return { bytesInUse: this.#gpu.bytesInUse, poolBytes: this.#gpu.pool.pooledBytes, planBytes };
  }

  peakBytes(next?: number): number {
    const gpu = this.#gpu;
    const peak = gpu.peakBytes;
    if (next !== undefined) gpu.peakBytes = Math.max(next, gpu.bytesInUse + gpu.pool.pendingBytes);
    return peak;
  }

  emptyCache(): void {
    this.#gpu.emptyCache();
  }

  // ---- data movement ----

  copy(src: Storage, dst: Storage): void {
    data.copy(this.#gpu, src, dst);
  }

  fill(dst: Storage, value: number): void {
    data.fill(this.#gpu, dst, value);
  }

  cast(x: Storage, dtype: DType): Storage {
    this.#dtype('cast', dtype);
    return data.cast(this.#gpu, x, dtype);
  }

  strided(x: Storage, outShape: Shape, strides: readonly number[], offset: number): Storage {
    return data.strided(this.#gpu, x, outShape, strides, offset);
  }

  // ---- elementwise ----

  unary(op: UnaryOp, x: Storage, param: number): Storage {
    return fusion.unary(this.#gpu, op, x, param);
  }

  unaryGrad(op: UnaryOp, x: Storage, y: Storage, dy: Storage, param: number): Storage {
    return fusion.unaryGrad(this.#gpu, op, x, y, dy, param);
  }

  clamp(x: Storage, min: number, max: number): Storage {
    return fusion.clamp(this.#gpu, x, min, max);
  }

  clampGrad(x: Storage, dy: Storage, min: number, max: number): Storage {
    return fusion.clampGrad(this.#gpu, x, dy, min, max);
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
    this.#dtype(op, outDtype);
    return fusion.binary(this.#gpu, op, a, b, outShape, aStrides, bStrides, outDtype);
  }

  sumTo(x: Storage, xShape: Shape, outShape: Shape): Storage {
    return red.sumTo(this.#gpu, x, xShape, outShape);
  }

  // ---- reductions ----

  reduce(op: ReduceOp, x: Storage, layout: ReduceLayout): Storage {
    return red.reduce(this.#gpu, op, x, layout);
  }

  argReduce(op: ArgReduceOp, x: Storage, layout: ReduceLayout): Storage {
    return red.argReduce(this.#gpu, op, x, layout);
  }

  scatterIndex(dy: Storage, idx: Storage, layout: ReduceLayout): Storage {
    return red.scatterIndex(this.#gpu, dy, idx, layout);
  }

  // ---- matmul ----

  matmul(a: Storage, b: Storage, args: MatmulArgs): Storage {
    return fusion.matmul(this.#gpu, a, b, args);
  }

  // ---- softmax family ----

  softmax(x: Storage, layout: ReduceLayout, log: boolean): Storage {
    return sm.softmax(this.#gpu, x, layout, log);
  }

  softmaxGrad(y: Storage, dy: Storage, layout: ReduceLayout, log: boolean): Storage {
    return sm.softmaxGrad(this.#gpu, y, dy, layout, log);
  }

  crossEntropy(logits: Storage, targets: Storage, rows: number, classes: number): Storage {
    return sm.crossEntropy(this.#gpu, logits, targets, rows, classes);
  }

  crossEntropyGrad(logits: Storage, targets: Storage, dloss: Storage, rows: number, classes: number): Storage {
    return sm.crossEntropyGrad(this.#gpu, logits, targets, dloss, rows, classes);
  }

  // ---- optimizers ----

  optimizerStep(updates: readonly OptimizerUpdate[]): void {
    optimizerStep(this.#gpu, updates);
  }

  scaleInPlace(targets: readonly Storage[], factor: Storage): void {
    scaleInPlace(this.#gpu, targets, factor);
  }

  // ---- joining and slicing ----

  stridedScatter(src: Storage, dst: Storage, shape: Shape, from: StridedRegion, to: StridedRegion): void {
    st.stridedScatter(this.#gpu, src, dst, shape, from, to);
  }

  catRows(pieces: readonly Storage[], rows: number, widths: readonly number[]): Storage {
    return st.catRows(this.#gpu, pieces, rows, widths);
  }

  splitRows(whole: Storage, rows: number, width: number, parts: readonly { readonly offset: number; readonly width: number }[]): Storage[] {
    return st.splitRows(this.#gpu, whole, rows, width, parts);
  }

  empty(numel: number, dtype: DType): Storage {
    this.#dtype('empty', dtype);
    return this.#gpu.alloc(numel, dtype, 'empty');
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
    return wh.where(this.#gpu, cond, a, b, outShape, cStrides, aStrides, bStrides);
  }

  // ---- scans ----

  scan(x: Storage, layout: ReduceLayout, opts: ScanOptions): Storage {
    return scan(this.#gpu, x, layout, opts);
  }

  // ---- indexing (gather, scatter-add, sort) ----

  gather(x: Storage, idx: Storage, args: GatherArgs): Storage {
    return gat.gather(this.#gpu, x, idx, args);
  }

  scatterAdd(base: Storage | null, src: Storage, idx: Storage, args: ScatterArgs): Storage {
    return gat.scatterAdd(this.#gpu, base, src, idx, args);
  }

  sortIndices(x: Storage, layout: ReduceLayout, k: number, descending: boolean): Storage {
    return srt.sortIndices(this.#gpu, x, layout, k, descending);
  }

  // ---- pooling and batch norm (issue 12) ----

  maxPool(x: Storage, args: PoolArgs, indices: boolean): [Storage, Storage | null] {
    return pool.maxPool(this.#gpu, x, args, indices);
  }

  maxPoolGrad(dy: Storage, idx: Storage, args: PoolArgs): Storage {
    return pool.maxPoolGrad(this.#gpu, dy, idx, args);
  }

  avgPool(x: Storage, args: AvgPoolArgs): Storage {
    return pool.avgPool(this.#gpu, x, args);
  }

  avgPoolGrad(dy: Storage, args: AvgPoolArgs): Storage {
    return pool.avgPoolGrad(this.#gpu, dy, args);
  }

  batchNormStats(x: Storage, layout: ChannelLayout): Storage {
    return bn.batchNormStats(this.#gpu, x, layout);
  }

  batchNormForward(x: Storage, mean: Storage, variance: Storage, weight: Storage | null, bias: Storage | null,
    layout: ChannelLayout, eps: number): Storage {
    return bn.batchNormForward(this.#gpu, x, mean, variance, weight, bias, layout, eps);
  }

  batchNormGradSums(x: Storage, dy: Storage, mean: Storage, variance: Storage, layout: ChannelLayout, eps: number): Storage {
    return bn.batchNormGradSums(this.#gpu, x, dy, mean, variance, layout, eps);
  }

  batchNormInputGrad(x: Storage, dy: Storage, mean: Storage, variance: Storage, weight: Storage | null,
    sums: Storage | null, layout: ChannelLayout, eps: number): Storage {
    return bn.batchNormInputGrad(this.#gpu, x, dy, mean, variance, weight, sums, layout, eps);
  }

  // ---- convolution ----

  conv2d(x: Storage, w: Storage, bias: Storage | null, args: ConvArgs): Storage {
    return cnv.conv2d(this.#gpu, x, w, bias, args);
  }

  conv2dInputGrad(dy: Storage, w: Storage, args: ConvArgs): Storage {
    return cnv.conv2dInputGrad(this.#gpu, dy, w, args);
  }

  conv2dWeightGrad(x: Storage, dy: Storage, args: ConvArgs): Storage {
    return cnv.conv2dWeightGrad(this.#gpu, x, dy, args);
  }

  // ---- fused layer norm ----

  layerNorm(x: Storage, weight: Storage | null, bias: Storage | null, rows: number, cols: number, eps: number): LayerNormResult {
    return ln.layerNorm(this.#gpu, x, weight, bias, rows, cols, eps);
  }

  layerNormBackward(dy: Storage, x: Storage, mean: Storage, rstd: Storage, weight: Storage | null, rows: number, cols: number,
    paramGrads: boolean): LayerNormGrads {
    return ln.layerNormBackward(this.#gpu, dy, x, mean, rstd, weight, rows, cols, paramGrads);
  }

  // ---- fused attention ----

  attentionFits(dtype: DType, e: number, ev: number): boolean {
    return dtype === 'float32' && e >= 1 && ev >= 1 && e <= att.ATTENTION_MAX_HEAD_DIM && ev <= att.ATTENTION_MAX_HEAD_DIM;
  }

  attention(q: Storage, k: Storage, v: Storage, mask: Storage | null, args: AttentionArgs): AttentionResult {
    return att.attention(this.#gpu, q, k, v, mask, args);
  }

  attentionBackward(q: Storage, k: Storage, v: Storage, mask: Storage | null, out: Storage, lse: Storage, dout: Storage,
    args: AttentionArgs): AttentionGrads {
    return att.attentionBackward(this.#gpu, q, k, v, mask, out, lse, dout, args);
  }

  flush(): void {
    this.#gpu.flush();
  }

  compiledMode(on: boolean): boolean {
    // What is held is recorded (not submitted) at every switch, so the dispatches a compiled
    // call reports are its own: none from before it, all of its pending chain.
    if (!this.#gpu.lostInfo) this.#gpu.recorder.encodeHeld();
    const was = this.#gpu.chains !== null;
    if (on && !was) this.#gpu.chains = new ChainBuilder(this.#gpu);
    // A pending chain stays held and is recorded as any held dispatch is.
    if (!on) this.#gpu.chains = null;
    return was;
  }

  dispatchCount(): number {
    return this.#gpu.recorder.dispatches;
  }

  beginPlannedCall(plan: StepPlan | null): StepPlan {
    const gpu = this.#gpu;
    const p = plan instanceof GpuStepPlan && plan.runtime === gpu && !plan.disposed ? plan : gpu.newPlan();
    gpu.beginPlan(p);
    return p;
  }

  endPlannedCall(): void {
    this.#gpu.endPlan();
  }

  startProfile(): void {
    if (!this.#gpu.device.features.has('timestamp-query')) {
      throw new WebgradError('profile', "this WebGPU device has no 'timestamp-query' feature, so kernels cannot be timed");
    }
    if (this.#gpu.recorder.profiler) throw new WebgradError('profile', 'a profile is already running');
    // Work recorded before the profile starts is not the profile's.
    this.#gpu.flush();
    this.#gpu.recorder.profiler = new KernelProfiler(this.#gpu.device);
  }

  async stopProfile(): Promise<KernelTime[]> {
    const profiler = this.#gpu.recorder.profiler;
    if (!profiler) throw new WebgradError('profile', 'no profile is running');
    this.#gpu.flush();
    this.#gpu.recorder.profiler = null;
    return profiler.results();
  }

  /** Resolves when everything submitted so far has run (flushes first); for benchmarks. */
  async sync(): Promise<void> {
    this.#gpu.flush();
    await this.#gpu.device.queue.onSubmittedWorkDone();
  }

  destroy(): void {
    this.#gpu.destroy();
    void this.#instance;
  }
}
