import { UNIFORM_SLOT_BYTES } from './pipelines.js';
import type { SlotWords } from './shader-interface.js';

/**
 * The CPU copy of the uniform arena: one 256-byte slot per dispatch, written through the
 * kernel's shader interface (shader-interface.ts) and uploaded with the submit that uses it.
 */
export class UniformArena {
  readonly data: ArrayBuffer;
  readonly #u: Uint32Array;
  readonly #i: Int32Array;
  readonly #f: Float32Array;

  constructor(slots: number) {
    this.data = new ArrayBuffer(slots * UNIFORM_SLOT_BYTES);
    this.#u = new Uint32Array(this.data);
    this.#i = new Int32Array(this.data);
    this.#f = new Float32Array(this.data);
  }

  /** The slot starting at byte `offset`, zeroed: fields a kernel does not write read as 0. */
  slot(offset: number): SlotWords {
    const base = offset / 4;
    this.#u.fill(0, base, base + UNIFORM_SLOT_BYTES / 4);
    return { u: this.#u, i: this.#i, f: this.#f, base };
  }
}
