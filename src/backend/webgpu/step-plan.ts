import type { StepPlan } from '../backend.js';
import { sizeClass, type PooledBuffer } from './buffer-pool.js';
import type { GpuRuntime } from './runtime.js';

/** One buffer of a plan. */
interface PlanBuffer {
  readonly buf: PooledBuffer;
  /** A tensor holds it now. */
  inUse: boolean;
  /** `recorder.submitted` when it was last released: commands of that batch may still use it. */
  releasedAt: number;
  /** The slot that has it now (or had it last). */
  holder: number;
  /**
   * The slot that owns it alone, or -1 while slots may share it: a buffer that outlives its
   * call (a result, a gradient) or receives an upload serves only its own slot.
   */
  dedicatedTo: number;
  /** The slots planned to use it (as their buffer or their spare). */
  readonly users: Set<number>;
}

/** The n-th allocation of a call: its size class and the buffer it gets. */
interface Slot {
  readonly size: number;
  buffer: PlanBuffer | null;
  /**
   * A second buffer of its own, for a result that the next call's result meets (a running
   * loss sum: `sum = step(x, y, sum)` holds call n's while call n + 1 makes its own).
   */
  spare: PlanBuffer | null;
  /** Its tensor was released within the call (false: it survived the call). */
  released: boolean;
  uploaded: boolean;
  /** It survived a call or received an upload: it gets buffers of its own, never shared ones. */
  dedicated: boolean;
}

/**
 * The memory plan of a compiled step (src/compile.ts): every allocation of a call, by its
 * position in the call, gets a static buffer ("slot"), the same on every call, so the bind
 * groups of the step's dispatches are created once and hit the cache from then on (creating
 * them was 35% of the host time of a compiled GPT step: 13 of 37 ms, CPU profile).
 *
 * Slots whose tensors do not live at the same time share a buffer (reuse by lifetime): a
 * released buffer is handed to the next allocation of its size class at once, within the same
 * submit, unlike the pool's (which waits for the submit). That is safe because every command
 * is recorded in program order and the recorder puts a held dispatch that touches a buffer
 * before any later command that writes it (settle), except where the plan cannot see it:
 * - a held dispatch still reading or writing the buffer, one being recorded (a chain
 *   allocates its partial sums then), or one just taken back for a fused dispatch
 *   (Recorder.references): the buffer is not reused while one does;
 * - queue.writeBuffer, which lands before the batch it is recorded in: an upload into a
 *   buffer released in the current batch submits that batch first, and its slot gets a buffer
 *   of its own from then on;
 * - a tensor that outlives the call (the loss it returns, a gradient): its buffer serves its
 *   slot alone from then on, since the next call's earlier slots would find it taken.
 *
 * The plan is built by the first planned call and checked at every allocation of the later
 * ones: an allocation whose slot's buffer is taken or of another size, or beyond the planned
 * ones (a call that took another branch), is assigned again by the same rules, so a plan is a
 * cache of decisions, never a promise the code relies on. Buffers no slot refers to any more
 * leave the plan at the end of a call (to the pool, or to it when their tensor is released).
 */
export class GpuStepPlan implements StepPlan {
  readonly #gpu: GpuRuntime;
  readonly #slots: Slot[] = [];
  readonly #buffers = new Map<PooledBuffer, PlanBuffer>();
  #cursor = 0;
  /** A call has ended: from then on an allocation that misses its planned buffer counts. */
  #built = false;
  #active = false;
  #disposed = false;
  /** Allocations of the last call that did not get a buffer the plan had for them. */
  replanned = 0;

  constructor(gpu: GpuRuntime) {
    this.#gpu = gpu;
  }

  get runtime(): GpuRuntime {
    return this.#gpu;
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  /** Bytes of every buffer the plan holds, in use or not: the static assignment's footprint. */
  get bytes(): number {
    let b = 0;
    for (const p of this.#buffers.values()) b += p.buf.size;
    return b;
  }

  /** Bytes of the plan's buffers that no tensor holds (reserved for its next call). */
  get reservedBytes(): number {
    let b = 0;
    for (const p of this.#buffers.values()) if (!p.inUse) b += p.buf.size;
    return b;
  }

  begin(): void {
    this.#active = true;
    this.#cursor = 0;
    this.replanned = 0;
  }

  /** The buffer for the call's next allocation of `bytes`. */
  acquire(bytes: number, op: string): PooledBuffer {
    const size = sizeClass(bytes, this.#gpu.pool.limit);
    const j = this.#cursor++;
    let slot = this.#slots[j];
    if (slot === undefined || slot.size !== size) {
      // Beyond the plan or a different allocation: the rest of the call is planned afresh.
      this.#truncate(j);
      slot = { size, buffer: null, spare: null, released: false, uploaded: false, dedicated: false };
      this.#slots.push(slot);
    }
    let p = slot.buffer;
    if (p === null || !this.#usable(p, j)) {
      const spare = slot.spare;
      if (spare !== null && this.#usable(spare, j)) {
        slot.spare = p;
        slot.buffer = spare;
      } else {
        if (this.#built) this.replanned++;
        // A buffer of its own that a tensor from an earlier call still holds stays its spare.
        if (p !== null && p.dedicatedTo === j && p.inUse) this.#set(j, 'spare', p);
        this.#set(j, 'buffer', this.#assign(size, j, slot.dedicated, op));
      }
      p = slot.buffer!;
    }
    slot.released = false;
    p.inUse = true;
    p.holder = j;
    return p.buf;
  }

  /** Whether `buf` is one of this plan's buffers; if so it is marked free. */
  release(buf: PooledBuffer): boolean {
    const p = this.#buffers.get(buf);
    if (p === undefined) return false;
    p.inUse = false;
    p.releasedAt = this.#gpu.recorder.submitted;
    const s = this.#slots[p.holder];
    if (this.#active && p.holder < this.#cursor && s?.buffer === p) s.released = true;
    return true;
  }

  /**
   * Before queue.writeBuffer into `buf`: true when `buf` is one of this plan's buffers that
   * commands of the unsubmitted batch may still use (the write would land before them). Its
   * slot gets a buffer of its own from the next call on.
   */
  uploadHazard(buf: PooledBuffer): boolean {
    const p = this.#buffers.get(buf);
    if (p === undefined) return false;
    const s = this.#slots[p.holder];
    if (this.#active && s?.buffer === p) s.uploaded = true;
    return p.releasedAt === this.#gpu.recorder.submitted && this.#gpu.recorder.hasWork;
  }

  /**
   * Ends a call. A buffer whose tensor survived the call, or that received an upload, now
   * serves its slot alone (the survivor's slot first: it holds the buffer); slots that shared
   * it get another next call. Buffers no slot plans to use leave the plan.
   */
  end(): void {
    this.#active = false;
    this.#built = true;
    this.#truncate(this.#cursor);
    const owner = new Map<PlanBuffer, number>();
    this.#slots.forEach((s, j) => s.buffer !== null && !s.released && owner.set(s.buffer, j));
    this.#slots.forEach((s, j) => s.buffer !== null && s.uploaded && !owner.has(s.buffer) && owner.set(s.buffer, j));
    for (const [p, j] of owner) {
      p.dedicatedTo = j;
      this.#slots[j].dedicated = true;
      this.#unplan(p, j);
    }
    // A buffer no slot plans on leaves the plan (results a caller keeps, one per call, would
    // otherwise pile up here).
    for (const p of [...this.#buffers.values()]) if (p.users.size === 0) this.#leave(p);
  }

  /** Gives every buffer back: free ones to the pool, held ones when their tensor is released. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#active = false;
    for (const p of [...this.#buffers.values()]) this.#leave(p);
    this.#slots.length = 0;
    this.#gpu.plans.delete(this);
  }

  /** Frees the buffers no tensor holds (wg.emptyCache()); the next call assigns them again. */
  emptyCache(): void {
    for (const p of [...this.#buffers.values()]) {
      if (p.inUse) continue;
      this.#unplan(p);
      this.#drop(p);
    }
  }

  /** Forgets every buffer without touching it (the device is gone). */
  abandon(): void {
    this.#buffers.clear();
    this.#slots.length = 0;
    this.#disposed = true;
  }

  #set(j: number, field: 'buffer' | 'spare', p: PlanBuffer | null): void {
    const s = this.#slots[j];
    const old = s[field];
    if (old === p) return;
    s[field] = p;
    if (old !== null && s.buffer !== old && s.spare !== old) old.users.delete(j);
    p?.users.add(j);
  }

  /** Takes `p` out of every slot but `keep` (as buffer and as spare). */
  #unplan(p: PlanBuffer, keep = -1): void {
    for (const i of [...p.users]) {
      if (i === keep) continue;
      if (this.#slots[i].buffer === p) this.#set(i, 'buffer', null);
      if (this.#slots[i].spare === p) this.#set(i, 'spare', null);
    }
  }

  /** Forgets the slots from `j` on. */
  #truncate(j: number): void {
    for (let i = j; i < this.#slots.length; i++) {
      this.#set(i, 'buffer', null);
      this.#set(i, 'spare', null);
    }
    this.#slots.length = Math.min(j, this.#slots.length);
  }

  /** Slot j may have `p` now: no tensor holds it, no other slot owns it, no held work uses it. */
  #usable(p: PlanBuffer, j: number): boolean {
    return !p.inUse && (p.dedicatedTo === -1 || p.dedicatedTo === j) && !this.#gpu.recorder.references(p.buf);
  }

  /**
   * A buffer for slot j: a free shared one of its size that no later slot of the call plans to
   * use (taking one that a later slot plans on would only move the miss there), else a new one;
   * always a new one for a slot that needs its own (it would take the shared one from others).
   */
  #assign(size: number, j: number, dedicated: boolean, op: string): PlanBuffer {
    for (const p of dedicated ? [] : this.#buffers.values()) {
      if (p.buf.size !== size || p.dedicatedTo !== -1 || !this.#usable(p, j)) continue;
      let later = false;
      for (const i of p.users) if (i > j) later = true;
      if (!later) return p;
    }
    const buf = this.#gpu.acquire(size, op);
    // A fresh pool buffer is used by no unsubmitted work: an upload into it is safe at once.
    const p: PlanBuffer = { buf, inUse: false, releasedAt: -1, holder: j, dedicatedTo: -1, users: new Set() };
    this.#buffers.set(buf, p);
    this.#gpu.planOf.set(buf, this);
    return p;
  }

  /** Out of the plan: to the pool now, or when its tensor is released. */
  #leave(p: PlanBuffer): void {
    if (p.inUse) this.#forget(p);
    else this.#drop(p);
  }

  /** Back to the pool (after the batch that may still use it). */
  #drop(p: PlanBuffer): void {
    this.#forget(p);
    const r = this.#gpu.recorder;
    this.#gpu.pool.release(p.buf, r.pendingSubmit, r.submitted);
  }

  /** No longer the plan's: when its tensor is released it goes to the pool. */
  #forget(p: PlanBuffer): void {
    this.#buffers.delete(p.buf);
    this.#gpu.planOf.delete(p.buf);
  }
}
