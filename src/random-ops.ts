import { noGrad } from './autograd/grad-mode.js';
import { WebgradError, check, fmtShape } from './errors.js';
import { hostValues, opScope, requireFloat, wrap } from './ops/util.js';
import { cumsum } from './ops/stats.js';
import { options } from './options.js';
import { globalRng } from './random.js';
import { getBackend } from './runtime.js';
import { type Shape, checkShape, numelOf } from './shape.js';
import { Tensor } from './tensor.js';

// Random sampling from manualSeed's generator (src/random.ts). Every random number is drawn on
// the host, in a fixed order, and uploaded; what runs on the device after that is exact
// arithmetic on the same float32 values, so one seed gives the same samples on every backend.

const upload = (data: Int32Array | Float32Array, shape: Shape, backend = getBackend()): Tensor => {
  return Tensor.fromStorage(backend.upload(data, data instanceof Int32Array ? 'int32' : 'float32'), backend, shape, data instanceof Int32Array ? 'int32' : 'float32');
};

function checkSize(op: string, shape: unknown): number[] {
  const s = typeof shape === 'number' ? [shape] : shape;
  check(Array.isArray(s) && s.every((d) => Number.isInteger(d) && d >= 0), op, () => `shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  checkShape(op, s as number[]);
  return s as number[];
}

/**
 * Uniform values in [0, 1 - 2⁻²³] on a grid of 2⁻²³: exact in float32, and for any float32 t,
 * u·t rounds to a value strictly below t (u·t is at least one float32 spacing under t), so a
 * threshold u·total never reaches the total.
 */
function uniform23(n: number): Float32Array {
  const rng = globalRng();
  const u = new Float32Array(n);
  for (let i = 0; i < n; i++) u[i] = (rng.nextU32() >>> 9) / 2 ** 23;
  return u;
}

/**
 * Integers uniform in [low, high) as int32: `randint(high, shape)` or `randint(low, high, shape)`.
 *
 * PyTorch equivalent: `torch.randint(low, high, size, dtype=torch.int32)`.
 */
export function randint(low: number, high: number | Shape, shape?: Shape): Tensor {
  if (shape === undefined && typeof high !== 'number') [low, high, shape] = [0, low, high];
  check(Number.isInteger(low) && Number.isInteger(high), 'randint', () => `low and high must be integers, got ${String(low)} and ${String(high)}`);
  const hi = high as number;
  check(low < hi, 'randint', () => `low must be less than high, got low = ${low} and high = ${hi}`);
  check(low >= -(2 ** 31) && hi <= 2 ** 31, 'randint', () => `[${low}, ${hi}) does not fit in int32`);
  const s = checkSize('randint', shape);
  const rng = globalRng();
  const n = numelOf(s);
  const data = new Int32Array(n);
  for (let i = 0; i < n; i++) data[i] = low + rng.int(hi - low);
  return upload(data, s).setHostRange(n > 0 ? { min: low, max: hi - 1 } : null);
}

/**
 * A random permutation of 0..n-1 as int32 (Fisher–Yates).
 *
 * PyTorch equivalent: `torch.randperm(n, dtype=torch.int32)`.
 */
export function randperm(n: number): Tensor {
  check(Number.isInteger(n) && n >= 0, 'randperm', () => `n must be a non-negative integer, got ${String(n)}`);
  checkShape('randperm', [n]);
  const rng = globalRng();
  const data = new Int32Array(n);
  for (let i = 0; i < n; i++) data[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [data[i], data[j]] = [data[j], data[i]];
  }
  return upload(data, [n]).setHostRange(n > 0 ? { min: 0, max: n - 1 } : null);
}

/** Where the values are on the host (CPU backend), checks them; a GPU tensor would need a readback. */
function checkHostProbabilities(op: string, p: Tensor, what: (v: number) => boolean, expected: string): void {
  const v = hostValues(p);
  if (v === null) return;
  for (let i = 0; i < v.length; i++) {
    if (!what(v[i])) throw new WebgradError(op, `${expected}, got ${v[i]} at index ${i} of shape ${fmtShape(p.shape)}`);
  }
}

/**
 * 1 with probability p, else 0, elementwise, in p's dtype: u < p for a host-drawn u (u is on a
 * 2⁻²³ grid in [0, 1), so p = 0 never and p = 1 always gives 1). Not differentiable.
 *
 * PyTorch equivalent: `torch.bernoulli(p)`.
 */
export function bernoulli(p: Tensor): Tensor {
  requireFloat('bernoulli', p);
  checkHostProbabilities('bernoulli', p, (v) => v >= 0 && v <= 1, 'probabilities must be in [0, 1]');
  const u = uniform23(p.numel);
  return noGrad(() => opScope(() => upload(u, p.shape, p.backend).lt(p).to(p.dtype)));
}

/** Options of `multinomial`. */
export interface MultinomialOptions {
  /** Draw with replacement (default false: each row's samples are distinct categories). */
  replacement?: boolean;
}

/**
 * `numSamples` category indices (int32) per row of `probs` (1-D: one distribution; 2-D: one
 * per row), each drawn with probability proportional to its weight. A sample is the number of
 * entries of the row's cumulative sum that are <= u·total for a host-drawn u, which is a
 * category with weight > 0 (u·total stays below the total). With replacement all samples are
 * one comparison of [rows, numSamples, categories] (that many float32 values of memory);
 * without, the chosen category's weight is zeroed before the next draw, one draw (a cumsum and
 * a comparison, ~8 dispatches) per sample.
 *
 * Weights must be finite, non-negative and (without replacement) have at least `numSamples`
 * nonzero entries per row: checked where the values are on the host (CPU backend); on WebGPU
 * that check would need a readback, and a row that runs out gives its last index.
 *
 * PyTorch equivalent: `torch.multinomial(probs, num_samples, replacement)`.
 */
export function multinomial(probs: Tensor, numSamples: number, opts?: MultinomialOptions): Tensor {
  requireFloat('multinomial', probs);
  const replacement = options('multinomial', opts, ['replacement']).replacement ?? false;
  check(typeof replacement === 'boolean', 'multinomial', () => `replacement must be a boolean, got ${typeof replacement}`);
  check(probs.ndim === 1 || probs.ndim === 2, 'multinomial', () => `probs must be 1-D or 2-D, got shape ${fmtShape(probs.shape)}`);
  const c = probs.shape[probs.ndim - 1];
  const rows = probs.ndim === 2 ? probs.shape[0] : 1;
  check(c > 0, 'multinomial', () => `probs of shape ${fmtShape(probs.shape)} has no categories`);
  check(Number.isInteger(numSamples) && numSamples > 0, 'multinomial', () => `numSamples must be a positive integer, got ${String(numSamples)}`);
  check(replacement || numSamples <= c, 'multinomial', () => `cannot draw ${numSamples} samples without replacement from ${c} categories`);
  checkHostProbabilities('multinomial', probs, (v) => v >= 0 && Number.isFinite(v), 'weights must be finite and non-negative');
  const host = hostValues(probs);
  if (host !== null) {
    for (let r = 0; r < rows; r++) {
      let nonzero = 0;
      for (let j = 0; j < c; j++) if (host[r * c + j] > 0) nonzero++;
      check(nonzero > 0 && (replacement || nonzero >= numSamples), 'multinomial', () =>
        `row ${r} of probs (shape ${fmtShape(probs.shape)}) has ${nonzero} nonzero weights, too few for ${replacement ? 'any sample' : `${numSamples} samples without replacement`}`);
    }
  }
  const u = uniform23(rows * numSamples);
  const outShape = probs.ndim === 2 ? [rows, numSamples] : [numSamples];
  return noGrad(() => opScope(() => {
    const p = probs.reshape([rows, c]);
    const ut = upload(u, [rows, numSamples], probs.backend);
    /** Samples for thresholds t ([rows, s]) from weights w ([rows, c]): [rows, s] as float. */
    const draw = (w: Tensor, t: Tensor): Tensor => {
      const cdf = cumsum(w, 1);
      const total = wrap(cdf, cdf.backend.strided(cdf.storage, [rows, 1], [c, 1], c - 1), [rows, 1], cdf.dtype);
      const thr = t.mul(total);
      return cdf.unsqueeze(1).le(thr.unsqueeze(2)).sum(2).clamp(0, c - 1);
    };
    if (replacement) return draw(p, ut).to('int32').reshape(outShape);
    const cats = indexRow(c, p);
    const cols = indexRow(numSamples, p);
    let w = p;
    let out = upload(new Float32Array(rows * numSamples), [rows, numSamples], probs.backend);
    for (let s = 0; s < numSamples; s++) {
      const t = wrap(ut, ut.backend.strided(ut.storage, [rows, 1], [numSamples, 1], s), [rows, 1], 'float32');
      const idx = draw(w, t).reshape([rows, 1]);
      out = out.add(cols.eq(s).mul(idx));
      w = w.mul(cats.ne(idx));
    }
    return out.to('int32').reshape(outShape);
  }));
}

/** 0..n-1 as a float32 row [1, n] on `like`'s backend. */
function indexRow(n: number, like: Tensor): Tensor {
  return wrap(like, like.backend.upload(Float32Array.from({ length: n }, (_, i) => i), 'float32'), [1, n], 'float32');
}
