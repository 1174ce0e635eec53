import type { DType, TypedArray } from '../../dtype.js';
import { bytesPer, dtypeOfArray, typedArrayFor } from '../../dtype.js';
import { WebgradError } from '../../errors.js';
import type { Storage } from '../backend.js';

/** A CPU tensor buffer: one typed array whose element type is the dtype. */
export class CpuStorage implements Storage {
  readonly dtype: DType;
  readonly numel: number;
  #data: TypedArray | null;

  constructor(data: TypedArray) {
    this.dtype = dtypeOfArray(data);
    this.numel = data.length;
    this.#data = data;
  }

  /** The live array. A released storage throws, so use-after-release is a loud bug, not garbage. */
  get data(): TypedArray {
    if (this.#data === null) throw new WebgradError('cpu', 'storage used after it was released');
    return this.#data;
  }

  get bytes(): number {
    return this.numel * bytesPer(this.dtype);
  }

  /** Drops the array so the GC can take it; returns the bytes freed (0 on a second release). */
  drop(): number {
    if (this.#data === null) return 0;
    this.#data = null;
    return this.bytes;
  }
}

/** A zeroed array of `dtype` (or of `like`'s dtype), the output of most kernels. */
export const alloc = (dtype: DType, n: number): TypedArray => typedArrayFor(dtype, n);
export const allocLike = (like: TypedArray, n: number = like.length): TypedArray => typedArrayFor(dtypeOfArray(like), n);
