import { isGradEnabled } from '../autograd/grad-mode.js';
import type { ArgReduceOp, ReduceOp } from '../backend/backend.js';
import { WebgradError, fmtShape } from '../errors.js';
import { contiguousStrides, type ReduceLayout, layoutAlong, normalizeDim } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { knownConstant } from '../memory.js';
import { expandTo } from './shape-ops.js';
import { int32Accumulation } from './int-overflow.js';
import { checkLive, opScope, record, wrap } from './util.js';

interface Plan {
  dim: number | null;
  layout: ReduceLayout;
  /** The output shape, and the same with the reduced dim kept as 1 (for broadcasting back). */
  shape: number[];
  keptShape: number[];
}

function plan(op: string, x: Tensor, dim: number | null | undefined, keepdim: boolean): Plan {
  checkLive(op, x);
  if (dim === null || dim === undefined) {
    const kept = x.shape.map(() => 1);
    return { dim: null, layout: layoutAlong(x.shape, null), shape: keepdim ? kept : [], keptShape: kept };
  }
  if (typeof dim !== 'number') throw new WebgradError(op, `dim must be a number, got ${typeof dim}`);
  const d = normalizeDim(op, dim, x.ndim);
  const kept = x.shape.map((s, i) => (i === d ? 1 : s));
  const shape = keepdim ? kept : x.shape.filter((_, i) => i !== d);
  return { dim: x.ndim === 0 ? null : d, layout: layoutAlong(x.shape, x.ndim === 0 ? null : d), shape, keptShape: kept };
}

/**
 * `dy` broadcast back over the reduced dims, times `scale`. A `dy` known to be one constant
 * (backward's seed for `loss.sum()` or `loss.mean()`) gives a constant: a `full`, which small
 * tensors get with no kernel at all, instead of a broadcast kernel and a multiply.
 */
function spread(op: string, dy: Tensor, p: Plan, x: Tensor, scale: number | null): Tensor {
  const v = knownConstant(dy);
  if (v !== null) {
    // The value the kernels below would compute: dy · (1/n) rounded as x's dtype rounds.
    const r = x.dtype === 'float32' ? Math.fround : (a: number): number => a;
    const value = scale === null ? v : r(r(v) * r(scale));
    // dy's backend: x itself may be disposed by now (backward does not need its values).
    return wrap(dy, dy.backend.full(x.numel, x.dtype, value), x.shape, x.dtype).setHostRange(Number.isNaN(value) ? null : { min: value, max: value });
  }
  return opScope(() => {
    const out = expandTo(op, dy.reshape(p.keptShape), x.shape);
    return scale === null ? out : out.mul(scale);
  });
}

/**
 * The dims a reduction takes: null for all of them (no dim, or an empty list, as PyTorch's
 * `sum(dim=[])`), else the normalized dims in ascending order, each once.
 */
function dimsOf(op: string, x: Tensor, dim: number | readonly number[] | null | undefined): number[] | null {
  if (dim === null || dim === undefined) return null;
  if (typeof dim === 'number') return [normalizeDim(op, dim, x.ndim)];
  if (!Array.isArray(dim)) throw new WebgradError(op, `dim must be a number or an array of dims like ${op}([0, 1]), got ${typeof dim}`);
  if (dim.length === 0) return null;
  const dims = dim.map((d: number) => normalizeDim(op, d, x.ndim));
  const seen = new Set<number>();
  for (const [i, d] of dims.entries()) {
    if (seen.has(d)) throw new WebgradError(op, `dim ${dim[i]} appears more than once in ${fmtShape(dim)}`);
    seen.add(d);
  }
  return dims.sort((a, b) => a - b);
}

/**
 * A reduction over several dims, composed of one-dim reductions (kept as size 1, so the dim
 * numbers stay valid) and a final view. The intermediates are the op's own: backward of a
 * one-dim reduction reads only its input's shape, so they go at once or with the graph.
 */
function overDims(x: Tensor, dims: number[], keepdim: boolean, one: (t: Tensor, d: number) => Tensor): Tensor {
  return opScope(() => {
    let cur = x;
    for (const d of dims) cur = one(cur, d);
    return cur.reshape(keepdim ? cur.shape : x.shape.filter((_, i) => !dims.includes(i)));
  });
}

/** sum's gradient is its incoming gradient broadcast back over the reduced dim. */
export function sum(x: Tensor, dim?: number | readonly number[] | null, keepdim = false): Tensor {
  checkLive('sum', x);
  if (Array.isArray(dim)) {
    const dims = dimsOf('sum', x, dim);
    if (dims === null || dims.length > 1) return dims === null ? sum(x, null, keepdim) : overDims(x, dims, keepdim, (t, d) => sum(t, d, true));
    dim = dims[0];
  }
  const p = plan('sum', x, dim as number | null | undefined, keepdim);
  const range = int32Accumulation('sum', x, p.layout.size);
  const out = wrap(x, x.backend.reduce('sum', x.storage, p.layout), p.shape, x.dtype);
  if (range) out.setHostRange(range);
  return record('sum', out, [x], [], (dy) => [spread('sum', dy, p, x, null)]);
}

/** mean of an empty tensor is NaN (0/0), as in PyTorch. Over several dims: their sum / count. */
export function mean(x: Tensor, dim?: number | readonly number[] | null, keepdim = false): Tensor {
  checkLive('mean', x);
  if (Array.isArray(dim)) {
    const dims = dimsOf('mean', x, dim);
    if (dims === null || dims.length > 1) {
      if (dims === null) return mean(x, null, keepdim);
      if (x.dtype === 'int32') throw new WebgradError('mean', `expected a floating point tensor, got int32 of shape ${fmtShape(x.shape)}; cast with .to('float32')`);
      const n = dims.reduce((a, d) => a * x.shape[d], 1);
      return opScope(() => overDims(x, dims, keepdim, (t, d) => sum(t, d, true)).mul(1 / n));
    }
    dim = dims[0];
  }
  const p = plan('mean', x, dim as number | null | undefined, keepdim);
  if (x.dtype === 'int32') throw new WebgradError('mean', `expected a floating point tensor, got int32 of shape ${fmtShape(x.shape)}; cast with .to('float32')`);
  const n = p.layout.size;
  return opScope(() => {
    // The sum times 1/n, as its own tensors: nothing of them is recorded.
    const total = wrap(x, x.backend.reduce('sum', x.storage, p.layout), p.shape, x.dtype);
    const scale = wrap(x, x.backend.full(1, x.dtype, 1 / n), [], x.dtype);
    const out = wrap(x, x.backend.binary('mul', total.storage, scale.storage, p.shape, contiguousStrides(p.shape), p.shape.map(() => 0), x.dtype), p.shape, x.dtype);
    return record('mean', out, [x], [], (dy) => [spread('mean', dy, p, x, 1 / n)]);
  });
}

/**
 * What max(dim) and min(dim) return, as PyTorch does: `values` and `indices` (int32, the
 * first extreme index along the dim), which also destructure as `[values, indices]`.
 */
export type ValuesIndices = [values: Tensor, indices: Tensor] & {
  /** The extreme values along the dim. */
  readonly values: Tensor;
  /** Their int32 indices along the dim (the first extreme one). */
  readonly indices: Tensor;
};

const valuesIndices = (values: Tensor, indices: Tensor): ValuesIndices =>
  Object.assign([values, indices] as [Tensor, Tensor], { values, indices });

/**
 * The extreme values over `dims` (null: all), gradient split equally among the ties (PyTorch's
 * max()/min() and amax/amin). A NaN result counts the NaN elements as the ties (x.ne(x) is
 * isnan), which no x.eq(NaN) would find.
 */
function extremeValues(op: string, kind: 'max' | 'min', x: Tensor, dims: number[] | null, keepdim: boolean): Tensor {
  checkLive(op, x);
  const all = dims === null || x.ndim === 0;
  const reduced = all ? x.shape.map((_, i) => i) : dims;
  // An empty reduced dim has no extreme; other empty dims just give an empty result.
  if (all ? x.numel === 0 : reduced.some((d) => x.shape[d] === 0)) {
    throw new WebgradError(op, `cannot reduce an empty tensor of shape ${fmtShape(x.shape)}${all ? '' : ` along dim ${fmtShape(reduced)}`}: the operation has no identity`);
  }
  const kept = x.shape.map((s, i) => (reduced.includes(i) ? 1 : s));
  const shape = keepdim ? kept : x.shape.filter((_, i) => !reduced.includes(i));
  return opScope(() => {
    // One kernel per dim, each over the previous one's output (with the dim kept as 1).
    const cur = [...x.shape];
    let part = wrap(x, x.backend.reduce(kind, x.storage, layoutAlong(x.shape, all ? null : reduced[0])), all ? [] : cur.map((s, i) => (i === reduced[0] ? 1 : s)), x.dtype);
    for (const d of all ? [] : reduced.slice(1)) {
      cur[reduced[reduced.indexOf(d) - 1]] = 1;
      const next = cur.map((s, i) => (i === d ? 1 : s));
      part = wrap(x, x.backend.reduce(kind, part.storage, layoutAlong(cur, d)), next, x.dtype);
    }
    const out = part.shareAs(shape, op);
    return record(op, out, [x], [x, out], (dy) => {
      const m = out.reshape(kept);
      const mask = x.eq(m).add(x.ne(x).mul(m.ne(m)));
      return [mask.mul(dy.reshape(kept).div(all ? mask.sum() : mask.sum(reduced, true)))];
    });
  });
}

function extreme(op: 'max' | 'min', x: Tensor, dim: number | null | undefined, keepdim: boolean): Tensor | ValuesIndices {
  checkLive(op, x);
  if (dim === null || dim === undefined) return extremeValues(op, op, x, null, keepdim);
  if (Array.isArray(dim)) throw new WebgradError(op, `takes one dim and returns { values, indices }; for the values over several dims use a${op}(${fmtShape(dim)})`);
  const p = plan(op, x, dim, keepdim);
  if (p.layout.size === 0) {
    throw new WebgradError(op, `cannot reduce an empty tensor of shape ${fmtShape(x.shape)} along dim ${p.dim}: the operation has no identity`);
  }
  return opScope(() => {
    const values = wrap(x, x.backend.reduce(op as ReduceOp, x.storage, p.layout), p.shape, x.dtype);
    const indices = wrap(x, x.backend.argReduce(op === 'max' ? 'argmax' : 'argmin', x.storage, p.layout), p.shape, 'int32').setHostRange({ min: 0, max: p.layout.size - 1 });
    // The gradient goes to the first extreme index (PyTorch's max(dim)). The graph reads the
    // indices through its own view, so the user may dispose `indices` before backward.
    if (!(isGradEnabled() && x.requiresGrad)) return valuesIndices(values, indices);
    const idx = indices.shareAs(p.shape, op);
    const out = record(op, values, [x], [idx], (dy) => [wrap(x, x.backend.scatterIndex(dy.storage, idx.storage, p.layout), x.shape, x.dtype)]);
    return valuesIndices(out, indices);
  });
}

/**
 * `max()` is the largest element (a 0-d tensor; ties share the gradient); `max(dim, keepdim)`
 * returns `{ values, indices }` along `dim`, as PyTorch does. Values alone: `amax`.
 */
export function max(x: Tensor): Tensor;
export function max(x: Tensor, dim: number, keepdim?: boolean): ValuesIndices;
export function max(x: Tensor, dim?: number | null, keepdim?: boolean): Tensor | ValuesIndices;
export function max(x: Tensor, dim?: number | null, keepdim = false): Tensor | ValuesIndices {
  return extreme('max', x, dim, keepdim);
}
/**
 * `min(x)` is the smallest element (a 0-d tensor; ties share the gradient); `min(x, dim, keepdim)`
 * returns `{ values, indices }` along `dim`, as PyTorch does. Values alone: `amin`.
 *
 * PyTorch equivalent: `torch.min`.
 */
export function min(x: Tensor): Tensor;
export function min(x: Tensor, dim: number, keepdim?: boolean): ValuesIndices;
export function min(x: Tensor, dim?: number | null, keepdim?: boolean): Tensor | ValuesIndices;
export function min(x: Tensor, dim?: number | null, keepdim = false): Tensor | ValuesIndices {
  return extreme('min', x, dim, keepdim);
}

/** Largest values over `dim` (a dim, several, or all when omitted), as torch.amax: ties share the gradient. */
export function amax(x: Tensor, dim?: number | readonly number[] | null, keepdim = false): Tensor {
  checkLive('amax', x);
  return extremeValues('amax', 'max', x, dimsOf('amax', x, dim), keepdim);
}
/**
 * Smallest values over `dim` (a dim, several, or all when omitted), as torch.amin: ties share the gradient.
 *
 * PyTorch equivalent: `torch.amin`.
 */
export function amin(x: Tensor, dim?: number | readonly number[] | null, keepdim = false): Tensor {
  checkLive('amin', x);
  return extremeValues('amin', 'min', x, dimsOf('amin', x, dim), keepdim);
}

function argReduce(op: ArgReduceOp, x: Tensor, dim: number | null | undefined, keepdim: boolean): Tensor {
  const p = plan(op, x, dim, keepdim);
  if (p.layout.size === 0) throw new WebgradError(op, `cannot take ${op} of an empty tensor of shape ${fmtShape(x.shape)}`);
  // The indices are bounded by the reduced size, known here without a readback.
  return wrap(x, x.backend.argReduce(op, x.storage, p.layout), p.shape, 'int32').setHostRange({ min: 0, max: p.layout.size - 1 });
}

/** Index of the first maximal element (of the flattened tensor when dim is omitted). */
export const argmax = (x: Tensor, dim?: number | null, keepdim = false): Tensor => argReduce('argmax', x, dim, keepdim);
/**
 * Index (int32) of the first minimal element (of the flattened tensor when dim is omitted).
 *
 * PyTorch equivalent: `torch.argmin`.
 */
export const argmin = (x: Tensor, dim?: number | null, keepdim = false): Tensor => argReduce('argmin', x, dim, keepdim);
