import { UNIFORM_SLOT_BYTES } from './pipelines.js';

/**
 * Writes one dispatch's parameters, 32-bit word by word, into its slot of the arena's CPU copy.
 * The WGSL structs put their `array<vec4<...>, N>` fields first and scalars after, so the
 * words here land exactly where the struct expects them with no padding rules to mirror.
 */
export class Params {
  readonly #u: Uint32Array;
  readonly #i: Int32Array;
  readonly #f: Float32Array;
  #at = 0;
  #end = 0;

  constructor(data: ArrayBuffer) {
    this.#u = new Uint32Array(data);
    this.#i = new Int32Array(data);
    this.#f = new Float32Array(data);
  }

  /** Points the writer at the slot starting at byte `offset`. */
  reset(offset: number): this {
    this.#at = offset / 4;
    this.#end = this.#at + UNIFORM_SLOT_BYTES / 4;
    return this;
  }

  #next(): number {
    if (this.#at >= this.#end) throw new Error('webgrad internal: kernel parameters exceed a uniform slot');
    return this.#at++;
  }

  u32(v: number): this {
    this.#u[this.#next()] = v >>> 0;
    return this;
  }
  i32(v: number): this {
    this.#i[this.#next()] = v | 0;
    return this;
  }
  f32(v: number): this {
    this.#f[this.#next()] = v;
    return this;
  }
  /** A value of element type `t`, as the bits of that type. */
  elem(v: number, float: boolean): this {
    return float ? this.f32(v) : this.i32(v);
  }
  /** `len` words (a multiple of 4: whole vec4s) from `vals`, zero-padded. */
  u32s(vals: readonly number[], len: number): this {
    for (let k = 0; k < len; k++) this.u32(vals[k] ?? 0);
    return this;
  }
  i32s(vals: readonly number[], len: number): this {
    for (let k = 0; k < len; k++) this.i32(vals[k] ?? 0);
    return this;
  }
}
