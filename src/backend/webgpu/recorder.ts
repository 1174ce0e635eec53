import type { PooledBuffer } from './buffer-pool.js';
import type { KernelProfiler } from './profiler.js';
import { UNIFORM_SLOT_BYTES, type Kernel } from './pipelines.js';
import type { SlotWords } from './shader-interface.js';
import { UniformArena } from './uniforms.js';

/**
 * Dispatches recorded before a submit. 64 keeps the GPU busy without letting a long training
 * step pile up seconds of work before the first submit (tfjs submits every 15; jax-js per op),
 * amortises queue.submit's cost (~20-50 µs in Dawn) to under a µs per dispatch, and sizes the
 * uniform arena (64 slots x 256 B = 16 KiB) so that a full arena and a full batch coincide.
 */
export const MAX_DISPATCHES_PER_SUBMIT = 64;

/**
 * Uniform slots of the arena: a planned compiled call (step-plan.ts) records its whole step
 * into one batch, up to this many dispatches (the GPT bench step has 103); 256 KiB.
 */
export const ARENA_SLOTS = 1024;

/**
 * A dispatch whose recording is put off, so that the op reading its result may run with it as
 * one dispatch instead (fusion.ts). `encode` records it as it would have been recorded at once.
 */
export interface HeldDispatch {
  readonly reads: readonly PooledBuffer[];
  readonly writes: readonly PooledBuffer[];
  encode(): void;
}

/**
 * Dispatches held at once. Two, because mm's backward issues dA = dy·Bᵀ and then dB = Aᵀ·dy,
 * and the op that reads dA (a clamp's gradient, in an MLP) comes after both.
 */
const MAX_HELD = 2;

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
  readonly #uniforms = new UniformArena(ARENA_SLOTS);
  readonly #onSubmitted: (submitted: number) => void;
  readonly #onError: (ops: string, message: string) => void;
  #encoder: GPUCommandEncoder | null = null;
  #pass: GPUComputePassEncoder | null = null;
  #slots = 0;
  #commands = 0;
  #ops = new Set<string>();
  #held: HeldDispatch[] = [];
  /** A dispatch taken back for a fused one (take) that is not recorded yet: it still reads its inputs. */
  #taken: HeldDispatch | null = null;
  /** Held dispatches being recorded now (recording one may record others first). */
  readonly #encoding: HeldDispatch[] = [];
  /** Dispatches a batch may hold: MAX_DISPATCHES_PER_SUBMIT, or ARENA_SLOTS in a planned call. */
  #limit = MAX_DISPATCHES_PER_SUBMIT;
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
      size: this.#uniforms.data.byteLength,
      usage: 0x40 /* UNIFORM */ | 0x08 /* COPY_DST */,
      label: 'webgrad:uniform-arena',
    });
  }

  get arena(): GPUBuffer {
    return this.#arena;
  }

  /** Whether commands are recorded (or held) but not submitted. */
  get hasWork(): boolean {
    return this.#commands > 0 || this.#held.length > 0;
  }

  /** The submit index after which nothing recorded (or held) so far still uses a buffer. */
  get pendingSubmit(): number {
    return this.hasWork ? this.submitted + 1 : this.submitted;
  }

  /**
   * Holds `d` instead of recording it: it goes out with the next submit like any recorded
   * command, so the buffers it uses stay out of the pool until then. It is recorded before any
   * later command that reads what it writes or writes what it touches (settle), so every
   * command still sees the results it would have seen in program order.
   */
  hold(d: HeldDispatch): void {
    // What it depends on is recorded first, so held dispatches never depend on each other.
    this.settle(d.reads, d.writes);
    if (this.#held.length === MAX_HELD) this.#encode(0);
    this.#held.push(d);
  }

  /** The held dispatches, oldest first. */
  get held(): readonly HeldDispatch[] {
    return this.#held;
  }

  /**
   * Takes the held `d` back unrecorded for a dispatch that does its work and more, reading
   * `reads` besides d's own: true when taken, and the caller then records that dispatch at once.
   * It must land in the submit `d` was held for: buffers `d` reads that were released while it
   * was held go back to the pool once that submit is sent, and an upload into one would land
   * before a later submit (an add's scalar 1 once read 0.5, the next op's scalar, when a matmul
   * the consumer waited for filled the batch). So what writes `reads` is recorded first and a
   * full batch submitted first, both while `d` is still held; if either recorded `d`, false.
   */
  take(d: HeldDispatch, reads: readonly PooledBuffer[]): boolean {
    this.encodeWriters(reads, d);
    if (this.#slots === this.#limit) this.submit();
    const i = this.#held.indexOf(d);
    if (i < 0) return false;
    this.#held.splice(i, 1);
    this.#taken = d;
    return true;
  }

  /**
   * Whether held work (also while it is being recorded), or a dispatch taken back and not yet
   * recorded as part of a fused one, reads or writes `buf`: a memory plan (step-plan.ts) must
   * not hand it to a new tensor yet.
   */
  references(buf: PooledBuffer): boolean {
    const uses = (d: HeldDispatch): boolean => d.reads.includes(buf) || d.writes.includes(buf);
    return (this.#taken !== null && uses(this.#taken)) || this.#held.some(uses) || this.#encoding.some(uses);
  }

  /**
   * Lets a batch grow to the whole uniform arena (a planned compiled call records its step as
   * one submit) or back to MAX_DISPATCHES_PER_SUBMIT.
   */
  longBatch(on: boolean): void {
    this.#limit = on ? ARENA_SLOTS : MAX_DISPATCHES_PER_SUBMIT;
    if (this.#slots >= this.#limit) this.submit();
  }

  /**
   * Records now every held dispatch other than `except` that writes one of `bufs`: held
   * dispatches never depend on each other, so one may be recorded ahead of those held before
   * it. A growing held dispatch (an elementwise chain, chain.ts) calls this before it starts
   * reading `bufs`, so that it still depends on none of the others.
   */
  encodeWriters(bufs: readonly PooledBuffer[], except: HeldDispatch): void {
    for (const h of [...this.#held]) {
      if (h !== except && h.writes.some((w) => bufs.includes(w))) this.#encode(this.#held.indexOf(h));
    }
  }

  /** Records every held dispatch (in order); copies, clears and submits do this first. */
  encodeHeld(): void {
    while (this.#held.length > 0) this.#encode(0);
  }

  /**
   * Records, in order, the held dispatches up to the last one that a dispatch reading `reads`
   * and writing `writes` depends on (it reads what one writes, or writes what one touches).
   */
  settle(reads: readonly PooledBuffer[], writes: readonly PooledBuffer[]): void {
    const held = this.#held;
    for (let j = held.length - 1; j >= 0; j--) {
      const h = held[j];
      if (h.writes.some((w) => reads.includes(w) || writes.includes(w)) || h.reads.some((r) => writes.includes(r))) {
        // (Recording one may record others first, for its own dependencies.)
        while (held.includes(h)) this.#encode(0);
        return;
      }
    }
  }

  #encode(i: number): void {
    const [d] = this.#held.splice(i, 1);
    // While it records, it may allocate (a chain's partial sums): its buffers are still in use.
    this.#encoding.push(d);
    try {
      d.encode();
    } finally {
      this.#encoding.pop();
    }
  }

  /** Claims the next uniform slot (submitting first if the arena is full) and a writer for it. */
  params(): { words: SlotWords; offset: number } {
    if (this.#slots >= this.#limit) this.submit();
    const offset = this.#slots++ * UNIFORM_SLOT_BYTES;
    return { words: this.#uniforms.slot(offset), offset };
  }

  dispatch(k: Kernel, bindGroup: GPUBindGroup, offset: number, x: number, y: number, z: number, op: string): void {
    if (this.profiler?.full) this.submit();
    const pass = this.profiler ? this.#timedPass(`${op} (${k.def.name}:${k.def.entry})`) : this.#computePass();
    pass.setPipeline(k.pipeline);
    pass.setBindGroup(0, bindGroup, [offset]);
    pass.dispatchWorkgroups(x, y, z);
    this.#taken = null;
    if (this.profiler) this.#endPass();
    this.#ops.add(op);
    this.#commands++;
    this.dispatches++;
    if (this.#slots >= this.#limit) this.submit();
  }

  copy(src: GPUBuffer, dst: GPUBuffer, bytes: number, op: string, srcOffset = 0, dstOffset = 0): void {
    this.encodeHeld();
    const enc = this.#commandEncoder();
    this.#endPass();
    enc.copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
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
    this.#taken = null;
    if (++this.#commands >= 2 * this.#limit) this.submit();
  }

  submit(): void {
    this.encodeHeld();
    if (this.#encoder === null) return;
    this.#endPass();
    const device = this.#device;
    device.pushErrorScope('validation');
    if (this.#slots > 0) device.queue.writeBuffer(this.#arena, 0, this.#uniforms.data, 0, this.#slots * UNIFORM_SLOT_BYTES);
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
    this.#held = [];
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
