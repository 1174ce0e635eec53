import { check, fmtShape } from '../errors.js';
import { normalizeDim, numelOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { cast } from './elementwise.js';
import { reshape } from './shape-ops.js';
import { type Region, dimOf, embed, sliceRegion } from './slicing.js';
import { checkSameBackend, opScope, promote, record, recordMulti, requireSupported, wrap } from './util.js';

function checkList(op: string, tensors: readonly Tensor[]): void {
  check(Array.isArray(tensors), op, () => `expected an array of tensors, got ${tensors === null ? 'null' : typeof tensors}`);
  check(tensors.length > 0, op, () => 'expected a non-empty array of tensors');
  checkSameBackend(op, ...tensors);
}

/**
 * Joins tensors along an existing dim: every input must have the output's shape except along
 * `dim`. Mixed dtypes promote (int32 < float32 < float64), and a 1-D empty tensor (shape [0])
 * is skipped whatever the others' shapes, as PyTorch 1.13 does. One kernel writes every input
 * (catRows); the backward cuts the gradient back apart with one more (splitRows).
 */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  checkList('cat', tensors);
  tensors.forEach((t, i) => check(t.ndim > 0, 'cat', () => `a 0-dim tensor (at position ${i}) cannot be concatenated`));
  const kept = tensors.map((t) => !(t.ndim === 1 && t.numel === 0));
  const ref = tensors[kept.indexOf(true)] ?? tensors[0];
  const d = normalizeDim('cat', dim, ref.ndim);
  tensors.forEach((t, i) => {
    if (!kept[i]) return;
    check(t.ndim === ref.ndim, 'cat', () =>
      `tensors must have the same number of dims: tensor 0 of the list that is kept has shape ${fmtShape(ref.shape)} but tensor ${i} has shape ${fmtShape(t.shape)}`);
    t.shape.forEach((s, k) => {
      check(k === d || s === ref.shape[k], 'cat', () =>
        `sizes of tensors must match except in dim ${d}: expected size ${ref.shape[k]} but got size ${s} in dim ${k} for tensor ${i} ` +
        `(shapes ${tensors.map((u) => fmtShape(u.shape)).join(', ')})`);
    });
  });
  const dtype = tensors.map((t) => t.dtype).reduce(promote);
  requireSupported('cat', ref, dtype);
  return opScope(() => {
    const inputs = tensors.map((t) => (t.dtype === dtype ? t : cast(t, dtype)));
    const sizes = inputs.map((t, i) => (kept[i] ? t.shape[d] : 0));
    const outShape = [...ref.shape];
    outShape[d] = sizes.reduce((a, b) => a + b, 0);
    // Every input is a [rows, size·inner] matrix and the output their rows side by side: one
    // kernel for all inputs (up to 7 a dispatch), its backward one for all gradients.
    const rows = numelOf(outShape.slice(0, d));
    const inner = numelOf(outShape.slice(d + 1));
    const widths = sizes.map((s) => s * inner);
    const width = outShape[d] * inner;
    const parts = inputs.map((t, i) => (kept[i] ? i : -1)).filter((i) => i >= 0);
    const storage = parts.length === 0 ? ref.backend.empty(0, dtype) : ref.backend.catRows(parts.map((i) => inputs[i].storage), rows, parts.map((i) => widths[i]));
    const out = wrap(ref, storage, outShape, dtype);
    const offsets = widths.map((_, i) => widths.slice(0, i).reduce((a, b) => a + b, 0));
    return record('cat', out, inputs, [], (dy, needs) => {
      const want = inputs.map((_, i) => i).filter((i) => needs[i] && kept[i]);
      const grads = dy.backend.splitRows(dy.storage, rows, width, want.map((i) => ({ offset: offsets[i], width: widths[i] })));
      return inputs.map((t, i) => {
        if (!needs[i]) return null;
        if (!kept[i]) return wrap(dy, dy.backend.full(0, dy.dtype, 0), [0]);
        return wrap(dy, grads[want.indexOf(i)], t.shape, dy.dtype);
      });
    });
  });
}

/** Each piece's region in `shape` when pieces of `sizes` lie one after another along `dim`. */
function placeAlong(shape: readonly number[], dim: number, sizes: readonly number[]): Region[] {
  let start = 0;
  return sizes.map((n) => {
    const r = sliceRegion(shape, dim, start, n);
    start += n;
    return r;
  });
}

/** Joins tensors of one shape along a new dim. */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  checkList('stack', tensors);
  const ref = tensors[0];
  tensors.forEach((t, i) => {
    check(t.ndim === ref.ndim && t.shape.every((s, k) => s === ref.shape[k]), 'stack', () =>
      `expects each tensor to be of equal shape, but got ${fmtShape(ref.shape)} at entry 0 and ${fmtShape(t.shape)} at entry ${i}`);
  });
  const d = normalizeDim('stack', dim, ref.ndim + 1);
  const shape = [...ref.shape.slice(0, d), 1, ...ref.shape.slice(d)];
  return opScope(() => cat(tensors.map((t) => reshape(t, shape)), d));
}

/**
 * Pieces of x along `dim` with the given sizes, as one recorded node: the backward is one cat
 * of whichever pieces received a gradient (zeros where none did). `squeeze` drops `dim` from
 * each piece (unbind).
 */
function pieces(op: string, x: Tensor, d: number, sizes: readonly number[], squeeze: boolean): Tensor[] {
  return opScope(() => {
    // x is a [rows, size·inner] matrix and the pieces its column blocks: one splitRows kernel;
    // the backward is one catRows when every piece received a gradient.
    const rows = numelOf(x.shape.slice(0, d));
    const inner = numelOf(x.shape.slice(d + 1));
    const regions = placeAlong(x.shape, d, sizes);
    const parts = sizes.map((s, i) => ({ offset: sizes.slice(0, i).reduce((a, b) => a + b, 0) * inner, width: s * inner }));
    const storages = x.backend.splitRows(x.storage, rows, x.shape[d] * inner, parts);
    const outs = regions.map((r, i) => wrap(x, storages[i], squeeze ? r.shape.filter((_, k) => k !== d) : r.shape, x.dtype));
    return recordMulti(op, outs, [x], [], (dys) => {
      if (dys.every((g) => g !== null)) {
        const g0 = dys[0]!;
        return [wrap(g0, g0.backend.catRows(dys.map((g) => g!.storage), rows, parts.map((p) => p.width)), x.shape, g0.dtype)];
      }
      const got = dys.flatMap((g, i) => (g ? [[g, regions[i]] as const] : []));
      return [embed(got[0][0], x.shape, got, false)];
    });
  });
}

/**
 * Splits x along `dim` into pieces of `sizeOrSizes` elements (the last piece smaller when it
 * does not divide), or into pieces of the listed sizes, which must add up to the dim's size.
 */
export function split(x: Tensor, sizeOrSizes: number | readonly number[], dim = 0): Tensor[] {
  checkSameBackend('split', x);
  const d = dimOf('split', x, dim);
  const size = x.shape[d];
  if (Array.isArray(sizeOrSizes)) {
    const list = sizeOrSizes as readonly number[];
    for (const s of list) check(Number.isInteger(s) && s >= 0, 'split', () => `split sizes must be non-negative integers, got ${fmtShape(list)}`);
    const total = list.reduce((a, b) => a + b, 0);
    check(total === size, 'split', () =>
      `split sizes ${fmtShape(list)} add up to ${total}, but dim ${dim} of shape ${fmtShape(x.shape)} has size ${size}`);
    check(list.length > 0, 'split', () => 'expected at least one split size');
    return pieces('split', x, d, list, false);
  }
  const s = sizeOrSizes as number;
  check(Number.isInteger(s) && s >= 0, 'split', () => `split size must be a non-negative integer or an array of them, got ${String(s)}`);
  check(s > 0 || size === 0, 'split', () => `split size can only be 0 if the dim's size is 0, but dim ${dim} of shape ${fmtShape(x.shape)} has size ${size}`);
  const n = Math.max(1, Math.ceil(size / Math.max(s, 1)));
  return pieces('split', x, d, Array.from({ length: n }, (_, i) => Math.min(s, size - i * s)), false);
}

/** Splits x into `chunks` pieces of ceil(size / chunks) along `dim` (fewer when they run out). */
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  checkSameBackend('chunk', x);
  const d = dimOf('chunk', x, dim);
  check(Number.isInteger(chunks) && chunks > 0, 'chunk', () => `chunks must be a positive integer, got ${String(chunks)}`);
  const size = x.shape[d];
  // An empty dim still gives `chunks` (empty) pieces, as PyTorch's chunk does.
  if (size === 0) return pieces('chunk', x, d, new Array<number>(chunks).fill(0), false);
  const s = Math.ceil(size / chunks);
  const n = Math.ceil(size / s);
  return pieces('chunk', x, d, Array.from({ length: n }, (_, i) => Math.min(s, size - i * s)), false);
}

/** Every slice of x along `dim`, with that dim removed. */
export function unbind(x: Tensor, dim = 0): Tensor[] {
  checkSameBackend('unbind', x);
  const d = dimOf('unbind', x, dim);
  return pieces('unbind', x, d, new Array<number>(x.shape[d]).fill(1), true);
}
