import { sizeClass } from './buffer-pool.js';

export interface StagingBuffer {
  readonly buffer: GPUBuffer;
  readonly size: number;
}

/** Keep this many idle bytes of MAP_READ buffers for the next readbacks; destroy the rest. */
const MAX_IDLE_BYTES = 32 << 20;

/** MAP_READ | COPY_DST buffers for readback, reused by size class once unmapped. */
export class Staging {
  readonly #device: GPUDevice;
  readonly #free = new Map<number, StagingBuffer[]>();
  #idleBytes = 0;

  constructor(device: GPUDevice) {
    this.#device = device;
  }

  acquire(bytes: number): StagingBuffer {
    const size = sizeClass(bytes, Number.MAX_SAFE_INTEGER);
    const s = this.#free.get(size)?.pop();
    if (s !== undefined) {
      this.#idleBytes -= size;
      return s;
    }
    const buffer = this.#device.createBuffer({ size, usage: 0x0001 /* MAP_READ */ | 0x0008 /* COPY_DST */, label: 'webgrad:staging' });
    return { buffer, size };
  }

  release(s: StagingBuffer): void {
    if (this.#idleBytes + s.size > MAX_IDLE_BYTES) {
      s.buffer.destroy();
      return;
    }
    let list = this.#free.get(s.size);
    if (!list) this.#free.set(s.size, (list = []));
    list.push(s);
    this.#idleBytes += s.size;
  }

  destroy(): void {
    for (const list of this.#free.values()) for (const s of list) s.buffer.destroy();
    this.#free.clear();
    this.#idleBytes = 0;
  }
}
