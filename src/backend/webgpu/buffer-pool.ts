import { WebgradError } from '../../errors.js';

/** A GPU buffer with an id (for bind-group cache keys) and its size class in bytes. */
export interface PooledBuffer {
  readonly gpu: GPUBuffer;
  readonly id: number;
  readonly size: number;
}

interface Pending {
  readonly buf: PooledBuffer;
  readonly submit: number;
}

/** Every pooled buffer can be bound as storage and copied from/to (uploads, copy(), readback). */
const USAGE = 0x80 /* STORAGE */ | 0x04 /* COPY_SRC */ | 0x08; /* COPY_DST */

/**
 * A free buffer not reused for this long is destroyed (checked at submits, and by a timer once
 * the program stops submitting): after a big evaluation the pool otherwise kept its peak (512
 * MiB) for the rest of the program. A training step reuses its buffers within milliseconds, so
 * only buffers outside the working set go; re-creating one costs ~20 us on lavapipe.
 */
export const POOL_IDLE_MS = 2000;

/** Smallest size class: tiny tensors share one class instead of fragmenting the pool. */
const MIN_BYTES = 256;

/**
 * Size classes 2^k and 1.5 * 2^k: at most 33% waste (25% on average), and few enough classes
 * that a training loop's buffers recycle. Capped at `limit` so the largest allowed tensor fits.
 */
export function sizeClass(bytes: number, limit: number): number {
  if (bytes <= MIN_BYTES) return MIN_BYTES;
  const p = 2 ** Math.ceil(Math.log2(bytes));
  const c = p * 0.75 >= bytes ? p * 0.75 : p;
  // Near the binding limit the class may not fit; the exact size (checked against it) does.
  return c <= limit ? c : Math.ceil(bytes / 4) * 4;
}

/**
 * Storage buffers recycled by size class. A released buffer may still be read or written by
 * work that is recorded but not yet submitted, so it waits in `pending` (tagged with the submit
 * index it must see) and becomes reusable only once that submit has happened: from then on the
 * queue orders any later use after the old work.
 *
 * The pool holds at most the larger of `maxPooledBytes` and the peak bytes ever held by live
 * buffers; beyond that the least recently freed buffers are destroyed (destroy() is safe for
 * submitted work: the GPU frees it after that work ends). Tying the cap to the peak working
 * set lets a step's largest temporaries recycle (a 64 MiB cap made every 16M-float exp
 * forward+backward create two fresh 64 MB buffers: 154 ms against 59 ms recycled on lavapipe)
 * while the pool never holds more than the program itself needed at once.
 */
export class BufferPool {
  readonly #device: GPUDevice;
  readonly #limit: number;
  readonly #free = new Map<number, PooledBuffer[]>();
  /** Free buffers in the order they became reusable, for eviction (oldest first). */
  #freeOrder: PooledBuffer[] = [];
  #pending: Pending[] = [];
  /** When each free buffer became free (performance.now()), for the idle trim. */
  readonly #freedAt = new Map<PooledBuffer, number>();
  #idleTimer: ReturnType<typeof setTimeout> | null = null;
  #lastIdleCheck = 0;
  /** How long a free buffer may wait for reuse before it is destroyed (ms). */
  idleMs = POOL_IDLE_MS;
  #nextId = 1;
  #pooledBytes = 0;
  #pendingBytes = 0;
  #liveBytes = 0;
  #peakLiveBytes = 0;
  maxPooledBytes: number;
  created = 0;

  constructor(device: GPUDevice, limit: number, maxPooledBytes: number) {
    this.#device = device;
    this.#limit = limit;
    this.maxPooledBytes = maxPooledBytes;
  }

  /** The largest buffer a size class may round up to (the binding limit). */
  get limit(): number {
    return this.#limit;
  }

  get pooledBytes(): number {
    return this.#pooledBytes;
  }

  /** Bytes of released buffers that recorded work still uses (reusable after its submit). */
  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  /** A buffer of at least `bytes`; `onError` hears about an out-of-memory or validation error. */
  acquire(bytes: number, op: string, onError: (err: WebgradError) => void): PooledBuffer {
    const size = sizeClass(bytes, this.#limit);
    const list = this.#free.get(size);
    const reused = list?.pop();
    this.#liveBytes += size;
    this.#peakLiveBytes = Math.max(this.#peakLiveBytes, this.#liveBytes);
    if (reused !== undefined) {
      this.#pooledBytes -= size;
      this.#freedAt.delete(reused);
      // Lazy removal from #freeOrder: evict() skips buffers no longer in their free list.
      return reused;
    }
    const device = this.#device;
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    const gpu = device.createBuffer({ size, usage: USAGE, label: `webgrad:${op}` });
    const report = (e: GPUError | null): void => {
      if (e) onError(new WebgradError(op, `could not allocate a ${size}-byte GPU buffer: ${e.message}`));
    };
    void device.popErrorScope().then(report, () => {});
    void device.popErrorScope().then(report, () => {});
    this.created++;
    return { gpu, id: this.#nextId++, size };
  }

  /** `submitIndex`: the number of submits after which no recorded work uses the buffer. */
  release(buf: PooledBuffer, submitIndex: number, submitted: number): void {
    this.#liveBytes -= buf.size;
    if (submitIndex <= submitted) this.#makeFree(buf);
    else {
      this.#pending.push({ buf, submit: submitIndex });
      this.#pendingBytes += buf.size;
    }
  }

  /** Called after each submit: buffers waiting for it become reusable. */
  onSubmitted(submitted: number): void {
    // A scan of the free list costs ~20 us at 4096 entries: a few times per idle period is enough.
    const now = performance.now();
    if (now - this.#lastIdleCheck >= this.idleMs / 4) {
      this.#lastIdleCheck = now;
      this.trimIdle(now);
    }
    if (this.#pending.length === 0) return;
    const still: Pending[] = [];
    for (const p of this.#pending) {
      if (p.submit <= submitted) {
        this.#pendingBytes -= p.buf.size;
        this.#makeFree(p.buf);
      } else still.push(p);
    }
    this.#pending = still;
    this.trim();
  }

  #makeFree(buf: PooledBuffer): void {
    let list = this.#free.get(buf.size);
    if (!list) this.#free.set(buf.size, (list = []));
    list.push(buf);
    this.#freeOrder.push(buf);
    this.#freedAt.set(buf, performance.now());
    this.#pooledBytes += buf.size;
    if (this.#pooledBytes > this.cap) this.trim();
    this.#armIdleTimer();
  }

  /**
   * Destroys the free buffers that have waited longer than `idleMs` for reuse. Returns the
   * bytes released. (A buffer freed, reused and freed again sits twice in `#freeOrder`, so the
   * whole list is scanned rather than stopping at the first young entry.)
   */
  trimIdle(now = performance.now()): number {
    const before = this.#pooledBytes;
    for (const b of this.#freeOrder) {
      const at = this.#freedAt.get(b);
      if (at !== undefined && now - at >= this.idleMs) this.#drop(b);
    }
    if (this.#pooledBytes !== before) this.#freeOrder = this.#freeOrder.filter((b) => this.#freedAt.has(b));
    return before - this.#pooledBytes;
  }

  /** One timer while anything is free, so a program that stops submitting is trimmed too. */
  #armIdleTimer(): void {
    if (this.#idleTimer !== null) return;
    const timer = setTimeout(() => {
      this.#idleTimer = null;
      this.trimIdle();
      if (this.#pooledBytes > 0) this.#armIdleTimer();
    }, this.idleMs + 50);
    // Node: the timer must not keep the process alive.
    (timer as { unref?: () => void }).unref?.();
    this.#idleTimer = timer;
  }

  #drop(b: PooledBuffer): void {
    const list = this.#free.get(b.size);
    const at = list ? list.indexOf(b) : -1;
    if (at < 0) return;
    list!.splice(at, 1);
    this.#freedAt.delete(b);
    this.#pooledBytes -= b.size;
    b.gpu.destroy();
  }

  /** What the pool may hold: the configured floor or the peak working set, whichever is larger. */
  get cap(): number {
    return Math.max(this.maxPooledBytes, this.#peakLiveBytes);
  }

  /** Destroys the oldest free buffers until the pool is within `maxBytes`. */
  trim(maxBytes = this.cap): void {
    if (this.#pooledBytes <= maxBytes) {
      // Keep the order list from growing without bound when buffers cycle through it.
      if (this.#freeOrder.length > 4096) this.#freeOrder = this.#freeOrder.filter((b) => this.#isFree(b));
      return;
    }
    let i = 0;
    for (; i < this.#freeOrder.length && this.#pooledBytes > maxBytes; i++) {
      const b = this.#freeOrder[i];
      if (!this.#freedAt.has(b)) continue; // reused since it was freed
      this.#drop(b);
    }
    this.#freeOrder = this.#freeOrder.slice(i);
  }

  /**
   * Destroys every free buffer and forgets the peak working set, so the pool grows again only
   * to what the program needs from now on (after a big computation it kept that peak forever).
   */
  empty(): void {
    this.trim(0);
    this.#freeOrder = [];
    this.#peakLiveBytes = this.#liveBytes;
  }

  #isFree(b: PooledBuffer): boolean {
    return this.#freedAt.has(b);
  }

  destroy(): void {
    for (const list of this.#free.values()) for (const b of list) b.gpu.destroy();
    for (const p of this.#pending) p.buf.gpu.destroy();
    this.#free.clear();
    this.#freedAt.clear();
    this.#freeOrder = [];
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#pooledBytes = 0;
    if (this.#idleTimer !== null) clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
  }
}
