import { WebgradError } from './errors.js';

/**
 * The one random stream behind randn/rand/Linear init and shuffling defaults. Numbers are drawn
 * on the host and uploaded, so a seed gives the same tensors on every backend.
 * xoshiro128** (32-bit state words, fast in JS, passes BigCrush).
 */
export class Rng {
  #s = new Uint32Array(4);
  #spare: number | null = null;

  constructor(seed: number) {
    // splitmix32 spreads any seed (0 included) over the state.
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.#s[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }

  /** The generator's full state (a copy). */
  getState(): RngState {
    return { words: Array.from(this.#s), spare: this.#spare };
  }

  /** Restores a state from `getState()`. */
  setState(state: RngState): void {
    this.#s.set(state.words);
    this.#spare = state.spare;
  }

  nextU32(): number {
    const s = this.#s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    return (this.nextU32() * 2 ** 21 + (this.nextU32() >>> 11)) / 2 ** 53;
  }

  /** Standard normal (Box–Muller, both values used). */
  normal(): number {
    if (this.#spare !== null) {
      const v = this.#spare;
      this.#spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    const theta = 2 * Math.PI * this.uniform();
    this.#spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }
}

const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

let global = new Rng(Date.now() >>> 0);

/** Seeds the global generator, like `torch.manual_seed`. */
export function manualSeed(seed: number): void {
  global = new Rng(seed);
}

export const globalRng = (): Rng => global;

/**
 * The global generator's state, as {@link getRngState} returns it: plain numbers (JSON-safe, so
 * it goes into `wg.save` trees and checkpoints as it is).
 */
export interface RngState {
  /** The four 32-bit words of the xoshiro128** state, as unsigned integers. */
  readonly words: readonly number[];
  /** The second normal of the last Box–Muller pair, not yet drawn (or null). */
  readonly spare: number | null;
}

/**
 * The state of the global generator (behind randn, rand, Linear's init, randint, ...), to save
 * with a checkpoint and restore with {@link setRngState}: the draws after a restore repeat
 * exactly those after the save.
 *
 * PyTorch equivalent: `torch.get_rng_state`.
 *
 * @example
 * ```ts
 * const s = wg.getRngState();
 * const a = await wg.randn(3).toArray();
 * wg.setRngState(s);
 * const b = await wg.randn(3).toArray(); // the same values as a
 * ```
 */
export function getRngState(): RngState {
  return global.getState();
}

/**
 * Restores the global generator to a state from {@link getRngState} (checked first: four
 * unsigned 32-bit integers, not all zero, and a finite number or null).
 *
 * PyTorch equivalent: `torch.set_rng_state`.
 */
export function setRngState(state: RngState): void {
  const ok = typeof state === 'object' && state !== null && Array.isArray(state.words) && state.words.length === 4 &&
    state.words.every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32) && state.words.some((w) => w !== 0) &&
    (state.spare === null || (typeof state.spare === 'number' && Number.isFinite(state.spare)));
  if (!ok) {
    throw new WebgradError('setRngState', `expected a state from getRngState() ({ words: four unsigned 32-bit integers, not all 0, spare: a finite number or null }), got ${JSON.stringify(state) ?? String(state)}`);
  }
  const rng = new Rng(0);
  rng.setState(state);
  global = rng;
}
