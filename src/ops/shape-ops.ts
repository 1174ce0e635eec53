import type { DType } from '../dtype.js';
import { WebgradError, check, fmtShape } from '../errors.js';
import { type Shape, broadcastStrides, checkShape, contiguousStrides, inversePerm, normalizeDim, numelOf, sameShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkLive, opScope, record, wrap } from './util.js';

/** Resolves one -1 and checks the element count. */
function inferShape(op: string, x: Tensor, shape: readonly number[]): number[] {
  checkLive(op, x);
  check(Array.isArray(shape), op, () => `shape must be an array of sizes, got ${shape === null ? 'null' : typeof shape}`);
  const free = shape.filter((d) => d === -1).length;
  check(free <= 1, op, () => `only one dimension can be -1, got ${fmtShape(shape)}`);
  for (const d of shape) {
    check(Number.isInteger(d) && d >= -1, op, () => `sizes must be non-negative integers (or one -1), got ${fmtShape(shape)}`);
  }
  const known = numelOf(shape.filter((d) => d !== -1));
  const out = shape.map((d) => (d === -1 ? (known === 0 ? 0 : x.numel / known) : d));
  check(numelOf(out) === x.numel && out.every(Number.isInteger), op, () =>
    `shape ${fmtShape(shape)} is invalid for a tensor of shape ${fmtShape(x.shape)} (${x.numel} elements)`);
  checkShape(op, out);
  return out;
}

/** Shares storage with `x` (tensors are contiguous, so every reshape is a view). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const newShape = inferShape('reshape', x, shape);
  return record('reshape', x.shareAs(newShape), [x], [], (dy) => [reshape(dy, x.shape)]);
}

/** reshape() on behalf of `op`, which names the op in errors. */
function reshapeFor(op: string, x: Tensor, shape: readonly number[]): Tensor {
  checkLive(op, x);
  return reshape(x, shape);
}

/**
 * Merges dims startDim..endDim (default: all) into one; shares storage. A 0-d tensor gives shape [1].
 *
 * PyTorch equivalent: `torch.flatten`.
 */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.ndim === 0) return reshapeFor('flatten', x, [1]);
  const s = normalizeDim('flatten', startDim, x.ndim);
  const e = normalizeDim('flatten', endDim, x.ndim);
  check(s <= e, 'flatten', () => `startDim ${startDim} must not come after endDim ${endDim}`);
  return reshapeFor('flatten', x, [...x.shape.slice(0, s), numelOf(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)]);
}

/**
 * Inserts a dim of size 1 at `dim` (negative counts from the end of the result); shares storage.
 *
 * PyTorch equivalent: `torch.unsqueeze`.
 */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  const d = normalizeDim('unsqueeze', dim, x.ndim + 1);
  return reshapeFor('unsqueeze', x, [...x.shape.slice(0, d), 1, ...x.shape.slice(d)]);
}

/**
 * Removes dims of size 1: all of them, or only `dim` if it has size 1; shares storage.
 *
 * PyTorch equivalent: `torch.squeeze`.
 */
export function squeeze(x: Tensor, dim?: number): Tensor {
  if (dim === undefined) return reshapeFor('squeeze', x, x.shape.filter((d) => d !== 1));
  const d = normalizeDim('squeeze', dim, x.ndim);
  return reshapeFor('squeeze', x, x.shape[d] === 1 ? [...x.shape.slice(0, d), ...x.shape.slice(d + 1)] : x.shape);
}

/**
 * Swaps two dims: a view sharing x's storage, as PyTorch's (no kernel; see
 * `Tensor.permutedView`: matmul reads a transposed matrix in place, attention a head split
 * `[B, T, H, d] -> [B, H, T, d]` in place, any other op a contiguous copy made once).
 */
export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  checkLive('transpose', x);
  const d0 = normalizeDim('transpose', dim0, x.ndim);
  const d1 = normalizeDim('transpose', dim1, x.ndim);
  if (x.ndim < 2 || d0 === d1) return reshapeFor('transpose', x, x.shape);
  const order = x.shape.map((_, i) => (i === d0 ? d1 : i === d1 ? d0 : i));
  return record('transpose', x.permutedView(order), [x], [], (dy) => [transpose(dy, d0, d1)]);
}

/** x itself when contiguous, else a contiguous copy of the view (torch's contiguous()). */
export function contiguous(x: Tensor): Tensor {
  checkLive('contiguous', x);
  if (x.isContiguous()) return x;
  const { storage, strides } = x.layout;
  const out = wrap(x, x.backend.strided(storage, x.shape, strides, 0), x.shape, x.dtype);
  return record('contiguous', out, [x], [], (dy) => [dy]);
}

/**
 * Transpose of a tensor with at most 2 dims (a 0-d or 1-D tensor comes back unchanged, as a view).
 *
 * PyTorch equivalent: `torch.t`.
 */
export function t(x: Tensor): Tensor {
  checkLive('t', x);
  if (x.ndim > 2) throw new WebgradError('t', `expects a tensor with <= 2 dimensions, got shape ${fmtShape(x.shape)}`);
  return transpose(x, 0, -1);
}

/** Sums a broadcast gradient back down to `shape` (the input's own shape). */
export function reduceTo(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const padded = [...new Array<number>(g.ndim - shape.length).fill(1), ...shape];
  return wrap(g, g.backend.sumTo(g.storage, g.shape, padded), shape, g.dtype);
}

/** Broadcast copy of `x` to `shape` (and optionally another dtype), recorded for autograd. */
export function expandTo(op: string, x: Tensor, shape: Shape, dtype: DType = x.dtype): Tensor {
  checkLive(op, x);
  checkShape(op, shape);
  check(shape.length >= x.ndim, op, () => `cannot expand shape ${fmtShape(x.shape)} to ${fmtShape(shape)}`);
  const off = shape.length - x.ndim;
  x.shape.forEach((d, i) => {
    check(d === shape[i + off] || d === 1, op, () => `cannot expand shape ${fmtShape(x.shape)} to ${fmtShape(shape)} (dim ${i}: ${d} vs ${shape[i + off]})`);
  });
  return opScope(() => {
    const wide = wrap(x, x.backend.strided(x.storage, shape, broadcastStrides(x.shape, shape), 0), shape, x.dtype);
    const out = dtype === x.dtype ? wide : wrap(x, x.backend.cast(wide.storage, dtype), shape, dtype);
    return record('expand', out, [x], [], (dy) => [reduceTo(dy, x.shape)]);
  });
}

/**
 * `x` broadcast to `shape` (-1 keeps a size; new leading dims may be added). The result is a
 * copy; its gradient sums back over the broadcast dims.
 *
 * PyTorch equivalent: `torch.Tensor.expand`.
 */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  checkLive('expand', x);
  check(Array.isArray(shape), 'expand', () => `shape must be an array of sizes, got ${shape === null ? 'null' : typeof shape}`);
  // -1 keeps the existing size, as in PyTorch.
  const off = shape.length - x.ndim;
  const resolved = shape.map((d, i) => (d === -1 && i >= off ? x.shape[i - off] : d));
  for (const d of resolved) {
    check(Number.isInteger(d) && d >= 0, 'expand', () => `sizes must be non-negative integers, got ${fmtShape(shape)}`);
  }
  return expandTo('expand', x, resolved);
}

/**
 * Sizes given PyTorch's two ways, `f(8, 10)` or `f([8, 10])`, as one array; `example` is the
 * call shown when neither form was used.
 */
export function sizesOf(op: string, args: readonly unknown[], example: string): number[] {
  if (args.length === 1 && Array.isArray(args[0])) return [...(args[0] as number[])];
  if (args.every((a) => typeof a === 'number')) return args as number[];
  const got = args.map((a) => (Array.isArray(a) ? fmtShape(a as number[]) : a === null ? 'null' : typeof a === 'number' ? String(a) : typeof a)).join(', ');
  throw new WebgradError(op, `sizes must be numbers or one array of numbers, as ${example}; got (${got})`);
}

/**
 * Reorders the dims (dims[i] is the input dim that becomes output dim i), as torch.permute: a
 * view sharing x's storage (see `transpose`); backward permutes back by the inverse.
 */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  checkLive('permute', x);
  check(Array.isArray(dims), 'permute', () => `dims must be an array like permute(x, [1, 0]), got ${dims === null ? 'null' : typeof dims}`);
  check(dims.length === x.ndim, 'permute', () => `got ${dims.length} dims ${fmtShape(dims)} for a tensor of shape ${fmtShape(x.shape)} (rank ${x.ndim}): give each dim once`);
  const order = dims.map((d) => normalizeDim('permute', d, x.ndim));
  check(new Set(order).size === order.length, 'permute', () => `dims ${fmtShape(dims)} repeat a dim: give each of the ${x.ndim} dims once`);
  if (order.every((d, i) => d === i)) return reshapeFor('permute', x, x.shape);
  const inverse = inversePerm(order);
  return record('permute', x.permutedView(order), [x], [], (dy) => [permute(dy, inverse)]);
}
