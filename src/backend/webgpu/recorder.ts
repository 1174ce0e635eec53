import type { PooledBuffer } from './buffer-pool.js';
import type { KernelProfiler } from './profiler.js';
import { UNIFORM_SLOT_BYTES, type Kernel } from './pipelines.js';
import { Params } from './uniforms.js';

/**
 * Dispatches recorded before a submit. 64 keeps the GPU busy without letting a long training
 * step pile up seconds of work before the first submit (tfjs submits every 15; jax-js per op),
 * amortises queue.submit's cost (~20-50 µs in Dawn) to under a µs per dispatch, and sizes the
 * uniform arena (64 slots x 256 B = 16 KiB) so that a full arena and a full batch coincide.
 */
export const MAX_DISPATCHES_PER_SUBMIT = 64;

/**
 * A dispatch whose encoding is put off until the next command, so that a launcher may fuse it
 * with that command instead (elementwise.ts: two chained binary ops in one dispatch). `encode`
 * records it as it would have been recorded at once.
 */
export interface HeldDispatch {
  encode(): void;
}

/**
 * Records compute dispatches and buffer copies into one command encoder (one compute pass,
 * reopened after a copy), and submits them at a readback, at flush(), or every
 * MAX_DISPATCHES_PER_SUBMIT dispatches.
 *
 * Each dispatch's parameters go in its own 256-byte slot of one uniform buffer, bound with a
 * dynamic offset. The slots are written with queue.writeBuffer right before the submit that
 * uses them: writeBuffer is ordered against submits (not against passes already encoded), so
 * the next batch's writeBuffer lands after the previous batch has run, and one arena suffices.
 */
export class Recorder {
  readonly #device: GPUDevice;
  readonly #arena: GPUBuffer;
  readonly #arenaData = new ArrayBuffer(MAX_DISPATCHES_PER_SUBMIT * UNIFORM_SLOT_BYTES);
  readonly #params = new Params(this.#arenaData);
  readonly #onSubmitted: (submitted: number) => void;
  readonly #onError: (ops: string, message: string) => void;
  #encoder: GPUCommandEncoder | null = null;
  #pass: GPUComputePassEncoder | null = null;
  #slots = 0;
  #commands = 0;
  #ops = new Set<string>();
  #held: HeldDispatch | null = null;
  /** Set while `wg.profile()` runs: every dispatch then gets a timed pass of its own. */
  profiler: KernelProfiler | null = null;
  /** Number of submits so far. Work recorded now goes out with submit number `submitted + 1`. */
  submitted = 0;
  dispatches = 0;

  constructor(
    device: GPUDevice,
    onSubmitted: (submitted: number) => void,
    onError: (ops: string, message: string) => void,
  ) {
    this.#device = device;
    this.#onSubmitted = onSubmitted;
    this.#onError = onError;
    this.#arena = device.createBuffer({
      size: this.#arenaData.byteLength,
      usage: 0x40 /* UNIFORM */ | 0x08 /* COPY_DST */,
      label: 'webgrad:uniform-arena',
    });
  }

  get arena(): GPUBuffer {
    return this.#arena;
  }

  /** Whether commands are recorded (or held) but not submitted. */
  get hasWork(): boolean {
    return this.#commands > 0 || this.#held !== null;
  }

  /** The submit index after which nothing recorded (or held) so far still uses a buffer. */
  get pendingSubmit(): number {
    return this.hasWork ? this.submitted + 1 : this.submitted;
  }

  /**
   * Holds `d` instead of encoding it: it goes out with the next submit like any recorded
   * command, so the buffers it uses stay out of the pool until then. Any other command (or
   * submit) encodes it first, which keeps the order of everything recorded.
   */
  hold(d: HeldDispatch): void {
    this.encodeHeld();
    this.#held = d;
  }

  /** The held dispatch, if any. */
  get held(): HeldDispatch | null {
    return this.#held;
  }

  /** Takes the held dispatch back unencoded: the caller records a dispatch that does its work. */
  take(d: HeldDispatch): void {
    if (this.#held === d) this.#held = null;
  }

  /** Encodes the held dispatch, if any; every command and submit does this first. */
  encodeHeld(): void {
    const d = this.#held;
    if (d === null) return;
    this.#held = null;
    d.encode();
  }

  /** Claims the next uniform slot (submitting first if the arena is full) and a writer for it. */
  params(): { params: Params; offset: number } {
    if (this.#slots === MAX_DISPATCHES_PER_SUBMIT) this.submit();
    const offset = this.#slots++ * UNIFORM_SLOT_BYTES;
    return { params: this.#params.reset(offset), offset };
  }

  dispatch(k: Kernel, bindGroup: GPUBindGroup, offset: number, x: number, y: number, z: number, op: string): void {
    if (this.profiler?.full) this.submit();
    const pass = this.profiler ? this.#timedPass(`${op} (${k.def.name}:${k.def.entry})`) : this.#computePass();
    pass.setPipeline(k.pipeline);
    pass.setBindGroup(0, bindGroup, [offset]);
    pass.dispatchWorkgroups(x, y, z);
    if (this.profiler) this.#endPass();
    this.#ops.add(op);
    this.#commands++;
    this.dispatches++;
    if (this.#slots >= MAX_DISPATCHES_PER_SUBMIT) this.submit();
  }

  copy(src: GPUBuffer, dst: GPUBuffer, bytes: number, op: string, srcOffset = 0): void {
    this.encodeHeld();
    const enc = this.#commandEncoder();
    this.#endPass();
    enc.copyBufferToBuffer(src, srcOffset, dst, 0, bytes);
    this.#ops.add(op);
    this.#counted();
  }

  clear(dst: PooledBuffer, bytes: number, op: string): void {
    this.encodeHeld();
    const enc = this.#commandEncoder();
    this.#endPass();
    enc.clearBuffer(dst.gpu, 0, bytes);
    this.#ops.add(op);
    this.#counted();
  }

  /** Copies and clears use no uniform slot but count towards the batch all the same. */
  #counted(): void {
    if (++this.#commands >= 2 * MAX_DISPATCHES_PER_SUBMIT) this.submit();
  }

  submit(): void {
    this.encodeHeld();
    if (this.#encoder === null) return;
    this.#endPass();
    const device = this.#device;
    device.pushErrorScope('validation');
    if (this.#slots > 0) device.queue.writeBuffer(this.#arena, 0, this.#arenaData, 0, this.#slots * UNIFORM_SLOT_BYTES);
    const afterSubmit = this.profiler?.beforeSubmit(this.#encoder) ?? null;
    device.queue.submit([this.#encoder.finish()]);
    afterSubmit?.();
    const ops = [...this.#ops].join(', ');
    void device.popErrorScope().then(
      (e) => e && this.#onError(ops, e.message),
      () => {},
    );
    this.#encoder = null;
    this.#slots = 0;
    this.#commands = 0;
    this.#ops.clear();
    this.submitted++;
    this.#onSubmitted(this.submitted);
  }

  destroy(): void {
    this.#held = null;
    this.#pass?.end();
    this.#pass = null;
    this.#encoder = null;
    this.#arena.destroy();
  }

  #commandEncoder(): GPUCommandEncoder {
    return (this.#encoder ??= this.#device.createCommandEncoder({ label: 'webgrad' }));
  }

  #computePass(): GPUComputePassEncoder {
    return (this.#pass ??= this.#commandEncoder().beginComputePass());
  }

  #timedPass(label: string): GPUComputePassEncoder {
    this.#endPass();
    this.#pass = this.#commandEncoder().beginComputePass({ timestampWrites: this.profiler!.timestampWrites(label) });
    return this.#pass;
  }

  #endPass(): void {
    if (this.#pass !== null) {
      this.#pass.end();
      this.#pass = null;
    }
  }
}
