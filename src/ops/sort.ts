import { check, fmtShape } from '../errors.js';
import { options } from '../options.js';
import { normalizeDim } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { gather } from './indexing.js';
import { checkLive, opScope, wrap } from './util.js';

/** What `sort` and `topk` return (PyTorch's `(values, indices)` named tuple). */
export interface SortResult {
  /** The sorted values (differentiable: the gradient goes back to the positions they came from). */
  values: Tensor;
  /** int32 positions along dim in the input, with their bounds known on the host. */
  indices: Tensor;
}

/**
 * Sorted positions along dim, then values = gather(x, dim, indices): the values' gradient is
 * gather's (a scatter-add into x's shape), and the indices' bounds are known on the host.
 */
function sortedAlong(op: string, x: Tensor, dim: number, k: number | null, descending: boolean): SortResult {
  const d = normalizeDim(op, dim, x.ndim);
  const xs = x.ndim === 0 ? [1] : x.shape;
  const size = xs[d];
  const kk = k ?? size;
  if (k !== null) {
    check(Number.isInteger(k) && k >= 0 && k <= size, op, () =>
      `k = ${k} is out of range for dim ${d} of size ${size} (tensor of shape ${fmtShape(x.shape)}; expected 0 <= k <= ${size})`);
  }
  const outer = xs.slice(0, d).reduce((s, v) => s * v, 1);
  const inner = xs.slice(d + 1).reduce((s, v) => s * v, 1);
  const shape = x.ndim === 0 ? [] : xs.map((s, i) => (i === d ? kk : s));
  return opScope(() => {
    const indices = wrap(x, x.backend.sortIndices(x.storage, { outer, size, inner }, kk, descending), shape, 'int32')
      .setHostRange(kk > 0 ? { min: 0, max: size - 1 } : null);
    return { values: gather(x, d, indices), indices };
  });
}

/** Options of `sort`. */
export interface SortOptions {
  /** Largest first (default false); ties still keep their order. */
  descending?: boolean;
}

/** PyTorch `sort` (stable): NaN sorts as the largest value; ties keep their order. */
export function sort(x: Tensor, dim = -1, opts?: SortOptions): SortResult {
  const op = 'sort';
  checkLive(op, x);
  const { descending = false } = options(op, opts, ['descending']);
  check(typeof descending === 'boolean', op, () => `descending must be a boolean, got ${typeof descending}`);
  return sortedAlong(op, x, dim, null, descending);
}

/** Options of `topk`. */
export interface TopkOptions {
  /** The k largest (default true), else the k smallest. */
  largest?: boolean;
  /** Accepted for PyTorch's signature; results are always sorted. */
  sorted?: boolean;
}

/**
 * PyTorch `topk`: the k largest (or smallest) along dim, NaN counting as the largest. Always
 * returned in sorted order (which `sorted: false` permits); ties in the order of their positions.
 */
export function topk(x: Tensor, k: number, dim = -1, opts?: TopkOptions): SortResult {
  const op = 'topk';
  checkLive(op, x);
  const { largest = true, sorted = true } = options(op, opts, ['largest', 'sorted']);
  check(typeof largest === 'boolean' && typeof sorted === 'boolean', op, () => 'largest and sorted must be booleans');
  check(typeof k === 'number', op, () => `k must be a number, got ${typeof k}`);
  return sortedAlong(op, x, dim, k, largest);
}
