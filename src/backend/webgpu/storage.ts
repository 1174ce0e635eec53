import type { DType } from '../../dtype.js';
import type { Storage } from '../backend.js';
import type { PooledBuffer } from './buffer-pool.js';

/** A tensor's device memory: a pooled buffer at least numel * 4 bytes long. */
export class GPUStorage implements Storage {
  readonly dtype: DType;
  readonly numel: number;
  readonly owner: object;
  #buffer: PooledBuffer | null;

  constructor(owner: object, dtype: DType, numel: number, buffer: PooledBuffer) {
    this.owner = owner;
    this.dtype = dtype;
    this.numel = numel;
    this.#buffer = buffer;
  }

  get bytes(): number {
    return this.numel * 4;
  }

  /** The buffer, or null once released. */
  get buffer(): PooledBuffer | null {
    return this.#buffer;
  }

  /** Hands the buffer back (once); the storage is unusable afterwards. */
  take(): PooledBuffer | null {
    const b = this.#buffer;
    this.#buffer = null;
    return b;
  }
}
