import type { ScatterArgs } from '../backend/backend.js';
import { WebgradError, check, fmtShape } from '../errors.js';
import type { HostRange } from '../memory.js';
import { options } from '../options.js';
import { contiguousStrides, normalizeDim } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkLive, checkSameBackend, hostValues, opScope, record, wrap } from './util.js';

/** Kernels see a 0-d tensor as [1] (PyTorch's index ops treat it so). */
const shapeOf = (t: Tensor): number[] => (t.ndim === 0 ? [1] : [...t.shape]);

function requireIndex(op: string, index: Tensor): void {
  check(index.dtype === 'int32', op, () =>
    `expected an int32 index tensor, got ${index.dtype} of shape ${fmtShape(index.shape)}; convert with .to('int32')`);
}

/** Bounds of the index values when they are known on the host (hostRange, or CPU memory). */
export function indexRange(t: Tensor): HostRange | null {
  if (t.numel === 0) return null;
  if (t.hostRange) return t.hostRange;
  const values = hostValues(t);
  if (!values) return null;
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

/**
 * Indices must lie in [0, size): an index out of range would be silently wrong (a 0 read, an
 * add dropped). So every index is checked before launching, without reading the device:
 * against `index.hostRange` (bounds known on the host: tensor(), the DataLoader, arange,
 * argmax, sort/topk indices), else, on the CPU backend, against the values themselves. On
 * WebGPU, indices computed on the device have no known bounds and are refused, with the fix,
 * as crossEntropy refuses such targets. The kernels still check each index (an out-of-range
 * one reads 0 or adds nothing), so no index can ever reach memory out of bounds.
 */
function checkRange(op: string, index: Tensor, size: number, dim: number, xShape: readonly number[]): void {
  if (index.numel === 0) return;
  const r = indexRange(index);
  if (r === null) throw unknownBounds(op, index, `dim ${dim} of size ${size}`);
  check(r.min >= 0 && r.max < size, op, () =>
    `index of shape ${fmtShape(index.shape)} ranges over [${r.min}, ${r.max}], out of bounds for dim ${dim} of size ${size} (tensor of shape ${fmtShape(xShape)}; expected indices in [0, ${size - 1}])`);
}

function unknownBounds(op: string, index: Tensor, against: string): WebgradError {
  return new WebgradError(op, `the values of the index of shape ${fmtShape(index.shape)} were computed on the ${index.backend.name} device, so they cannot be checked against ${against} without a readback; make indices with wg.tensor(data, { dtype: 'int32' }), arange, argmax or the DataLoader (or re-create them: wg.tensor(await index.toArray(), { dtype: 'int32' })), whose bounds are known on the host`);
}

function layout(shape: readonly number[], d: number): { outer: number; size: number; inner: number } {
  const prod = (a: readonly number[]): number => a.reduce((s, v) => s * v, 1);
  return { outer: prod(shape.slice(0, d)), size: shape[d], inner: prod(shape.slice(d + 1)) };
}

/** PyTorch `index_select`: the slices of x at the given positions along dim (index 1-D). */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  const op = 'indexSelect';
  checkSameBackend(op, x, index);
  requireIndex(op, index);
  check(index.ndim <= 1, op, () => `expected a 1-D (or 0-d) index, got shape ${fmtShape(index.shape)}`);
  const d = normalizeDim(op, dim, x.ndim);
  const xs = shapeOf(x);
  checkRange(op, index, xs[d], d, x.shape);
  const n = index.numel;
  const kernelShape = xs.map((s, i) => (i === d ? n : s));
  const outShape = x.ndim === 0 ? index.shape.slice() : kernelShape;
  const { outer, size, inner } = layout(xs, d);
  const out = wrap(x, x.backend.gather(x.storage, index.storage, {
    outShape: kernelShape,
    xStrides: contiguousStrides(xs),
    idxStrides: xs.map((_, i) => (i === d ? 1 : 0)),
    dim: d,
    dimSize: size,
  }), outShape, x.dtype);
  // Repeated indices accumulate: the sorted, deterministic scatter-add of the backend.
  return record(op, out, [x, index], [index], (dy) => [
    wrap(dy, dy.backend.scatterAdd(null, dy.storage, index.storage, { mode: 'index', outer, size, inner, n }), x.shape, dy.dtype),
    null,
  ]);
}

/** Checks shared by gather and scatterAdd: same rank, index no larger than x off dim. */
function checkAlong(op: string, x: Tensor, index: Tensor, d: number): void {
  check(index.ndim === x.ndim || (x.ndim <= 1 && index.ndim <= 1), op, () =>
    `index of shape ${fmtShape(index.shape)} must have as many dims as the tensor of shape ${fmtShape(x.shape)}`);
  const xs = shapeOf(x);
  const is = shapeOf(index);
  is.forEach((s, i) => check(i === d || s <= xs[i], op, () =>
    `index of shape ${fmtShape(index.shape)} is larger than the tensor of shape ${fmtShape(x.shape)} in dim ${i} (${s} > ${xs[i]})`));
  checkRange(op, index, xs[d], d, x.shape);
}

/** PyTorch `gather`: out[i][j] = x[index[i][j]][j] (dim 0), out has index's shape. */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  const op = 'gather';
  checkSameBackend(op, x, index);
  requireIndex(op, index);
  const d = normalizeDim(op, dim, x.ndim);
  checkAlong(op, x, index, d);
  const xs = shapeOf(x);
  const is = shapeOf(index);
  const out = wrap(x, x.backend.gather(x.storage, index.storage, {
    outShape: is,
    xStrides: contiguousStrides(xs),
    idxStrides: contiguousStrides(is),
    dim: d,
    dimSize: xs[d],
  }), index.shape, x.dtype);
  const args: ScatterArgs = { mode: 'gather', outShape: xs, idxShape: is, dim: d };
  return record(op, out, [x, index], [index], (dy) => [
    wrap(dy, dy.backend.scatterAdd(null, dy.storage, index.storage, args), x.shape, dy.dtype),
    null,
  ]);
}

/**
 * PyTorch `scatter_add`: out = x, then out[index[i][j]][j] += src[i][j] (dim 0), repeated
 * indices summed in source order. Here src must have index's shape (PyTorch also accepts a
 * larger src and reads its leading corner).
 */
export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  const op = 'scatterAdd';
  checkSameBackend(op, x, index, src);
  requireIndex(op, index);
  check(src.dtype === x.dtype, op, () => `src of dtype ${src.dtype} does not match the tensor's dtype ${x.dtype}`);
  check(src.shape.length === index.shape.length && src.shape.every((s, i) => s === index.shape[i]), op, () =>
    `src of shape ${fmtShape(src.shape)} must have the index's shape ${fmtShape(index.shape)}`);
  const d = normalizeDim(op, dim, x.ndim);
  checkAlong(op, x, index, d);
  const args: ScatterArgs = { mode: 'gather', outShape: shapeOf(x), idxShape: shapeOf(index), dim: d };
  const out = wrap(x, x.backend.scatterAdd(x.storage, src.storage, index.storage, args), x.shape, x.dtype);
  return record(op, out, [x, index, src], [index], (dy, needs) => [dy, null, needs[2] ? gather(dy, d, index) : null]);
}

/** Options of `indexAdd`. */
export interface IndexAddOptions {
  /** src is scaled by alpha first (PyTorch's `alpha`). */
  alpha?: number;
}

/** PyTorch `index_add`: out = x, then out.select(dim, index[j]) += alpha * src.select(dim, j). */
export function indexAdd(x: Tensor, dim: number, index: Tensor, src: Tensor, opts?: IndexAddOptions): Tensor {
  const op = 'indexAdd';
  const { alpha = 1 } = options(op, opts, ['alpha']);
  checkSameBackend(op, x, index, src);
  requireIndex(op, index);
  check(typeof alpha === 'number', op, () => `alpha must be a number, got ${typeof alpha}`);
  check(index.ndim <= 1, op, () => `expected a 1-D (or 0-d) index, got shape ${fmtShape(index.shape)}`);
  check(src.dtype === x.dtype, op, () => `src of dtype ${src.dtype} does not match the tensor's dtype ${x.dtype}`);
  const d = normalizeDim(op, dim, x.ndim);
  const xs = shapeOf(x);
  const n = index.numel;
  const want = xs.map((s, i) => (i === d ? n : s));
  const ss = shapeOf(src);
  check(ss.length === want.length && ss.every((s, i) => s === want[i]), op, () =>
    `src of shape ${fmtShape(src.shape)} does not fit the tensor of shape ${fmtShape(x.shape)} with ${n} indices along dim ${d} (expected ${fmtShape(want)})`);
  checkRange(op, index, xs[d], d, x.shape);
  const { outer, size, inner } = layout(xs, d);
  return opScope(() => {
    const s = alpha === 1 ? src : src.mul(alpha);
    const out = wrap(x, x.backend.scatterAdd(x.storage, s.storage, index.storage, { mode: 'index', outer, size, inner, n }), x.shape, x.dtype);
    return record(op, out, [x, index, src], [index], (dy, needs) => {
      if (!needs[2]) return [dy, null, null];
      const g = indexSelect(dy, d, index).reshape(src.shape);
      return [dy, null, alpha === 1 ? g : g.mul(alpha)];
    });
  });
}

/**
 * PyTorch `nn.functional.one_hot`: int32 [...indices.shape, numClasses] with a 1 at each index.
 * numClasses -1 takes max(indices) + 1, which needs the bounds known on the host.
 */
export function oneHot(indices: Tensor, numClasses = -1): Tensor {
  const op = 'oneHot';
  checkLive(op, indices);
  requireIndex(op, indices);
  check(Number.isInteger(numClasses) && numClasses >= -1, op, () => `numClasses must be an integer >= -1, got ${numClasses}`);
  const r = indexRange(indices);
  let classes = numClasses;
  if (classes === -1) {
    if (indices.numel === 0) throw new WebgradError(op, `cannot infer numClasses from an empty index tensor of shape ${fmtShape(indices.shape)}; pass numClasses`);
    if (r === null) throw unknownBounds(op, indices, 'numClasses = -1 (max(indices) + 1)');
    classes = r.max + 1;
  }
  if (indices.numel > 0) {
    if (r === null) throw unknownBounds(op, indices, `${classes} classes`);
    check(r.min >= 0 && r.max < classes, op, () =>
      `indices of shape ${fmtShape(indices.shape)} range over [${r.min}, ${r.max}], outside [0, ${classes - 1}] for ${classes} classes`);
  }
  const shape = [...indices.shape, classes];
  const n = indices.numel;
  return opScope(() => {
    const ones = wrap(indices, indices.backend.full(n, 'int32', 1), [...indices.shape, 1], 'int32');
    const args: ScatterArgs = { mode: 'gather', outShape: [...shapeOf(indices), classes], idxShape: [...shapeOf(indices), 1], dim: indices.ndim === 0 ? 1 : indices.ndim };
    const out = wrap(indices, indices.backend.scatterAdd(null, ones.storage, indices.storage, args), shape, 'int32');
    return out.setHostRange({ min: 0, max: n > 0 && classes > 0 ? 1 : 0 });
  });
}
