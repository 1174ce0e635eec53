import type { DType } from '../../dtype.js';
import { WebgradError } from '../../errors.js';
import { logger } from '../../logger.js';
import type { DeviceLostInfo, Storage } from '../backend.js';
import { BufferPool, type PooledBuffer } from './buffer-pool.js';
import type { ChainBuilder } from './chain.js';
import { type Buffers, Pipelines, type KernelDef, type Variant } from './pipelines.js';
import { Recorder } from './recorder.js';
import { Staging } from './staging.js';
import { GpuStepPlan } from './step-plan.js';
import { GPUStorage } from './storage.js';
import type { KernelProfile } from './tuner.js';
import type { Field, ParamValues } from './shader-interface.js';

export interface GpuStats {
  /** mapAsync calls: the only places JS waits for the GPU. */
  readbacks: number;
  submits: number;
  dispatches: number;
  buffersCreated: number;
  bindGroups: number;
  pipelines: number;
}


/**
 * The device-facing core every launcher uses: allocation (with limit checks and error scopes),
 * dispatch through the recorder and pipeline cache, readback, and the backend's error state.
 */
export class GpuRuntime {
  readonly device: GPUDevice;
  readonly limits: GPUSupportedLimits;
  readonly pool: BufferPool;
  readonly pipelines: Pipelines;
  readonly recorder: Recorder;
  readonly staging: Staging;
  readonly stats: GpuStats = { readbacks: 0, submits: 0, dispatches: 0, buffersCreated: 0, bindGroups: 0, pipelines: 0 };
  /** Tiny buffers bound where a kernel declares a binding that this variant never touches. */
  readonly dummyRead: PooledBuffer;
  readonly dummyWrite: PooledBuffer;
  /** Workgroups per grid dimension; larger 1-D grids fold into y (kernels rebuild the id). */
  readonly maxGroupsPerDim: number;
  /** Which kernel shapes suit the adapter (see tuner.ts). */
  readonly profile: KernelProfile;
  bytesInUse = 0;
  /** The high-water mark of bytesInUse plus the pool's pending bytes (Backend.peakBytes). */
  peakBytes = 0;
  /** Set while a compiled step runs: elementwise ops join chains (chain.ts). */
  chains: ChainBuilder | null = null;
  /** The memory plan of the compiled call running now (step-plan.ts), if any. */
  plan: GpuStepPlan | null = null;
  /** Every live plan, and which of them owns a buffer. */
  readonly plans = new Set<GpuStepPlan>();
  readonly planOf = new Map<PooledBuffer, GpuStepPlan>();
  #error: WebgradError | null = null;
  #lost: string | null = null;
  #lostInfo: DeviceLostInfo | null = null;
  #destroyed = false;

  /**
   * `maxGroupsPerDim` below the device's limit exists so tests can reach the folded grids;
   * `onLost` hears once when the device is lost (not when webgrad destroys it itself).
   */
  constructor(device: GPUDevice, profile: KernelProfile = 'gpu', maxGroupsPerDim?: number, onLost?: (info: DeviceLostInfo) => void) {
    this.device = device;
    this.profile = profile;
    this.limits = device.limits;
    const limit = device.limits.maxComputeWorkgroupsPerDimension;
    this.maxGroupsPerDim = Math.max(1, Math.min(limit, maxGroupsPerDim ?? limit));
    const maxBinding = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
    // Keep at most a quarter of the largest binding (>= 64 MiB) in the pool.
    this.pool = new BufferPool(device, maxBinding, Math.max(64 << 20, Math.floor(maxBinding / 4)));
    this.pipelines = new Pipelines(device, (kernel, msg) => this.fail(kernel, msg));
    this.recorder = new Recorder(
      device,
      (submitted) => this.pool.onSubmitted(submitted),
      (ops, msg) => this.fail(ops, `GPU validation error in work from [${ops}]: ${msg}`),
    );
    this.pipelines.setUniformBuffer(this.recorder.arena);
    this.staging = new Staging(device);
    this.dummyRead = this.acquire(4, 'dummy');
    this.dummyWrite = this.acquire(4, 'dummy');
    device.onuncapturederror = (ev: GPUUncapturedErrorEvent) => this.fail('webgpu', ev.error.message);
    void device.lost.then((info) => {
      if (this.#destroyed) return;
      this.#lost = `${info.reason}: ${info.message}`;
      this.#lostInfo = { reason: String(info.reason), message: String(info.message) };
      logger().warn(`webgrad: the WebGPU device was lost (${this.#lost})`);
      onLost?.(this.#lostInfo);
    });
  }

  /** Why the device was lost, or null while it works. */
  get lostInfo(): DeviceLostInfo | null {
    return this.#lostInfo;
  }

  /** Records an asynchronous GPU error; the next call into the backend throws it. */
  fail(op: string, message: string): void {
    this.#error ??= new WebgradError(op, message);
  }

  /** Throws if the backend is destroyed, lost, or an earlier GPU error is pending. */
  live(op: string): void {
    if (this.#destroyed) throw new WebgradError(op, 'the WebGPU backend was destroyed');
    if (this.#lost !== null) throw new WebgradError(op, `the WebGPU device was lost (${this.#lost})`);
    if (this.#error !== null) {
      const e = this.#error;
      this.#error = null;
      throw e;
    }
  }

  /** A pool buffer of at least `bytes`; an allocation error becomes the backend's pending error. */
  acquire(bytes: number, op: string): PooledBuffer {
    return this.pool.acquire(bytes, op, (e) => this.fail(e.op, e.message.slice(e.op.length + 2)));
  }

  alloc(numel: number, dtype: DType, op: string): GPUStorage {
    this.live(op);
    const bytes = numel * 4;
    const lim = this.limits;
    if (bytes > lim.maxStorageBufferBindingSize) {
      throw new WebgradError(op, `a tensor of ${numel} elements needs ${bytes} bytes, more than this adapter's ` +
        `maxStorageBufferBindingSize (${lim.maxStorageBufferBindingSize} bytes)`);
    }
    if (bytes > lim.maxBufferSize) {
      throw new WebgradError(op, `a tensor of ${numel} elements needs ${bytes} bytes, more than this adapter's ` +
        `maxBufferSize (${lim.maxBufferSize} bytes)`);
    }
    const buf = this.plan?.acquire(bytes, op) ?? this.acquire(bytes, op);
    this.bytesInUse += buf.size;
    const needed = this.bytesInUse + this.pool.pendingBytes;
    if (needed > this.peakBytes) this.peakBytes = needed;
    return new GPUStorage(this, dtype, numel, buf);
  }

  release(s: Storage): void {
    const st = this.storage(s, 'release', true);
    const buf = st.take();
    if (buf === null) return;
    this.bytesInUse -= buf.size;
    if (this.#destroyed) return;
    // A chain result released before the chain ran was never bound: free at once.
    const unbound = this.chains?.released(buf) ?? false;
    if (this.planOf.get(buf)?.release(buf)) return;
    this.pool.release(buf, unbound ? this.recorder.submitted : this.recorder.pendingSubmit, this.recorder.submitted);
  }

  /** Checks that `s` is a live storage of this backend and returns it. */
  storage(s: Storage, op: string, allowReleased = false): GPUStorage {
    if (!(s instanceof GPUStorage) || s.owner !== this) throw new WebgradError(op, 'storage belongs to another backend');
    if (!allowReleased && s.buffer === null) throw new WebgradError(op, 'storage was already released');
    return s;
  }

  buf(s: Storage, op: string): PooledBuffer {
    return this.storage(s, op).buffer!;
  }

  /**
   * Records one dispatch of `def` specialised by `variant`, binding `buffers` by the names of
   * the bindings the entry point uses and writing `params` into its uniform slot. `groups` is
   * a workgroup count (1-D grids over 65535 fold into y; kernels rebuild the linear id from
   * num_workgroups) or an explicit [x, y, z].
   */
  run<P extends Record<string, Field>, K extends string>(
    def: KernelDef<P, K>,
    variant: Variant,
    buffers: Buffers<K>,
    params: ParamValues<P>,
    groups: number | readonly [number, number, number],
    op: string,
  ): void {
    this.live(op);
    // Held dispatches this one depends on go first (before it claims a uniform slot).
    if (this.recorder.held.length > 0) {
      const reads: PooledBuffer[] = [];
      const writes: PooledBuffer[] = [];
      def.storage.forEach(([, access], i) => (access === 'w' ? writes : reads).push(buffers[def.uses[i]]));
      this.recorder.settle(reads, writes);
    }
    const [x, y, z] = typeof groups === 'number' ? fold(groups, this.maxGroupsPerDim) : groups;
    if (x === 0 || y === 0 || z === 0) return;
    const k = this.pipelines.get(def, variant);
    const { words, offset } = this.recorder.params();
    def.writeParams(words, params, variant.types?.T !== 'i32');
    const bg = this.pipelines.bindGroup(k, buffers);
    this.recorder.dispatch(k, bg, offset, x, y, z, op);
  }

  async read(s: Storage, op: string): Promise<ArrayBuffer> {
    const buf = this.buf(s, op);
    this.live(op);
    const bytes = s.numel * 4;
    const stage = this.staging.acquire(bytes);
    this.recorder.copy(buf.gpu, stage.buffer, bytes, op);
    this.recorder.submit();
    this.stats.readbacks++;
    try {
      await stage.buffer.mapAsync(0x0001 /* GPUMapMode.READ */, 0, bytes);
    } catch (e) {
      this.live(op);
      throw new WebgradError(op, `reading back from the GPU failed: ${(e as Error).message}`);
    }
    const out = stage.buffer.getMappedRange(0, bytes).slice(0);
    stage.buffer.unmap();
    this.staging.release(stage);
    this.live(op);
    return out;
  }

  /** A new memory plan for a compiled step; `beginPlan` makes it the running call's. */
  newPlan(): GpuStepPlan {
    const p = new GpuStepPlan(this);
    this.plans.add(p);
    return p;
  }

  /**
   * Starts a planned call: what was recorded since the last one is submitted first (so an
   * upload into a plan's buffer never lands before those commands), and the call records as
   * one batch.
   */
  beginPlan(p: GpuStepPlan): void {
    if (!this.#destroyed && this.#lost === null) {
      this.recorder.submit();
      this.recorder.longBatch(true);
    }
    this.plan = p;
    p.begin();
  }

  /**
   * Ends a planned call: its work goes out as one submit now (the GPU starts on it while the
   * host goes on), held dispatches included, recorded while the plan still serves their
   * allocations (a chain's partial sums).
   */
  endPlan(): void {
    const p = this.plan;
    if (p === null) return;
    const live = !this.#destroyed && this.#lost === null;
    if (live) this.recorder.submit();
    this.plan = null;
    p.end();
    if (live) this.recorder.longBatch(false);
  }

  /** Before queue.writeBuffer into `buf`: submits first if the batch may still use it (step-plan.ts). */
  beforeUpload(buf: PooledBuffer): void {
    if (this.planOf.get(buf)?.uploadHazard(buf)) this.recorder.submit();
  }

  /**
   * Destroys every pooled buffer: submits first, so buffers waiting for recorded work become
   * free, then empties the pool and the readback staging buffers; memory plans give back the
   * buffers no tensor holds.
   */
  emptyCache(): void {
    if (this.#destroyed || this.#lost !== null) return;
    this.recorder.submit();
    for (const p of this.plans) p.emptyCache();
    this.pool.empty();
    this.staging.destroy();
  }

  flush(): void {
    if (this.#destroyed || this.#lost !== null) return;
    this.recorder.submit();
  }

  snapshot(): GpuStats {
    this.stats.submits = this.recorder.submitted;
    this.stats.dispatches = this.recorder.dispatches;
    this.stats.buffersCreated = this.pool.created;
    this.stats.pipelines = this.pipelines.count;
    this.stats.bindGroups = this.pipelines.bindGroupsCreated;
    return this.stats;
  }

  destroy(): void {
    if (this.#destroyed) return;
    if (this.#lost === null) this.recorder.submit();
    this.#destroyed = true;
    for (const b of this.planOf.keys()) b.gpu.destroy();
    for (const p of this.plans) p.abandon();
    this.plans.clear();
    this.planOf.clear();
    this.recorder.destroy();
    this.pool.destroy();
    this.staging.destroy();
    this.device.destroy();
  }
}

/** A 1-D grid of n workgroups as x * y >= n with both within the per-dimension limit. */
export function fold(n: number, max: number): [number, number, number] {
  if (n <= max) return [n, 1, 1];
  const y = Math.ceil(n / max);
  if (y > max) throw new WebgradError('dispatch', `${n} workgroups do not fit a ${max} x ${max} grid`);
  return [Math.ceil(n / y), y, 1];
}
