import { check, fmtShape } from '../errors.js';
import { options } from '../options.js';
import { type Shape, contiguousStrides, normalizeDim, numelOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkLive, record, wrap } from './util.js';

/**
 * Tensors are contiguous, so every view here is a copy: the forward gathers a strided region of
 * the input (Backend.strided) and the backward scatters the gradient into zeros at the same
 * region (Backend.stridedScatter). A region is where its elements lie in a contiguous tensor.
 */
export interface Region {
  readonly shape: number[];
  readonly strides: number[];
  readonly offset: number;
}

/** Elements [start, start + step * len) of `dim`, every `step`-th, in a contiguous `shape`. */
export function sliceRegion(shape: Shape, dim: number, start: number, len: number, step = 1): Region {
  const strides = contiguousStrides(shape);
  const out = [...shape];
  out[dim] = len;
  const st = [...strides];
  st[dim] *= step;
  return { shape: out, strides: st, offset: start * strides[dim] };
}

/** The region of `x` copied out as a contiguous tensor of `outShape` (same element count). */
export function gather(x: Tensor, r: Region, outShape: Shape = r.shape): Tensor {
  return wrap(x, x.backend.strided(x.storage, r.shape, r.strides, r.offset), outShape, x.dtype);
}

/**
 * Zeros of `shape` with each `g` (contiguous, numel of its region) written at its region.
 * `tiled`: the regions cover every element, so the zeros are never seen and not written.
 */
export function embed(like: Tensor, shape: Shape, parts: readonly (readonly [g: Tensor, r: Region])[], tiled = false): Tensor {
  const n = numelOf(shape);
  const out = wrap(like, tiled ? like.backend.empty(n, like.dtype) : like.backend.full(n, like.dtype, 0), shape, like.dtype);
  for (const [g, r] of parts) {
    like.backend.stridedScatter(g.storage, out.storage, r.shape, { strides: contiguousStrides(r.shape), offset: 0 }, r);
  }
  return out;
}

/** A region of x as a new tensor, recorded: the gradient goes back into zeros at the region. */
function regionOp(op: string, x: Tensor, r: Region, outShape: Shape = r.shape): Tensor {
  const out = gather(x, r, outShape);
  return record(op, out, [x], [], (dy) => [embed(dy, x.shape, [[dy, r]])]);
}

/** normalizeDim, refusing 0-dim tensors as PyTorch does for indexing ops. */
export function dimOf(op: string, x: Tensor, dim: number): number {
  check(x.ndim > 0, op, () => `cannot be applied to a 0-dim tensor (shape ${fmtShape(x.shape)})`);
  return normalizeDim(op, dim, x.ndim);
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** `length` elements of `dim` from `start` (start may be negative, counted from the end). */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  checkLive('narrow', x);
  const d = dimOf('narrow', x, dim);
  const size = x.shape[d];
  check(isInt(start) && isInt(length), 'narrow', () => `start and length must be integers, got ${start} and ${length}`);
  check(start >= -size && start <= size, 'narrow', () =>
    `start ${start} is out of range for dim ${dim} of size ${size} in shape ${fmtShape(x.shape)} (expected ${-size} <= start <= ${size})`);
  const s = start < 0 ? start + size : start;
  check(length >= 0, 'narrow', () => `length must be non-negative, got ${length}`);
  check(s + length <= size, 'narrow', () =>
    `start (${s}) + length (${length}) exceeds the size ${size} of dim ${dim} in shape ${fmtShape(x.shape)}`);
  return regionOp('narrow', x, sliceRegion(x.shape, d, s, length));
}

/** The slice at `index` of `dim` (negative counts from the end); the dim is removed. */
export function select(x: Tensor, dim: number, index: number): Tensor {
  checkLive('select', x);
  const d = dimOf('select', x, dim);
  const size = x.shape[d];
  check(isInt(index), 'select', () => `index must be an integer, got ${index}`);
  check(index >= -size && index < size, 'select', () =>
    `index ${index} is out of range for dim ${dim} of size ${size} in shape ${fmtShape(x.shape)} (expected ${-size} <= index < ${size})`);
  const r = sliceRegion(x.shape, d, index < 0 ? index + size : index, 1);
  return regionOp('select', x, r, x.shape.filter((_, i) => i !== d));
}

/**
 * Python's `x[start:end:step]` along `dim`: null/undefined bounds mean the ends, negative
 * bounds count from the end, and bounds past either end are clamped, so a slice never fails
 * for being out of range (it may be empty). step must be positive, as in PyTorch.
 */
export function slice(x: Tensor, dim: number, start?: number | null, end?: number | null, step = 1): Tensor {
  checkLive('slice', x);
  const d = dimOf('slice', x, dim);
  const size = x.shape[d];
  check(isInt(step) && step > 0, 'slice', () => `step must be a positive integer, got ${step}`);
  check(start == null || isInt(start), 'slice', () => `start must be an integer or null, got ${start}`);
  check(end == null || isInt(end), 'slice', () => `end must be an integer or null, got ${end}`);
  const clampBound = (v: number): number => Math.min(Math.max(v < 0 ? v + size : v, 0), size);
  const s = clampBound(start ?? 0);
  const e = clampBound(end ?? size);
  const len = e > s ? Math.ceil((e - s) / step) : 0;
  return regionOp('slice', x, sliceRegion(x.shape, d, s, len, step));
}

/** Reverses the order of elements along each of `dims` (the backward is the same flip). */
export function flip(x: Tensor, dims: number | readonly number[]): Tensor {
  checkLive('flip', x);
  const list = typeof dims === 'number' ? [dims] : dims;
  check(Array.isArray(list), 'flip', () => `dims must be a dim or an array of dims, got ${typeof dims}`);
  const ds = list.map((dim) => normalizeDim('flip', dim, x.ndim));
  ds.forEach((d, i) => check(ds.indexOf(d) === i, 'flip', () => `dim ${list[i]} appears more than once in dims ${fmtShape(list)}`));
  const strides = contiguousStrides(x.shape);
  let offset = 0;
  for (const d of ds) {
    if (d >= x.ndim) continue; // dim 0 / -1 of a 0-dim tensor: nothing to reverse
    offset += Math.max(x.shape[d] - 1, 0) * strides[d];
    strides[d] = -strides[d];
  }
  const out = gather(x, { shape: [...x.shape], strides, offset });
  return record('flip', out, [x], [], (dy) => [flip(dy, ds)]);
}

/**
 * Tiles x `sizes[i]` times along each dim (sizes may have more dims than x: x is viewed with
 * leading 1s, as in PyTorch). One gather of the view [r0, s0, r1, s1, ...] with stride 0 on
 * every r; the backward sums the gradient over the same view.
 */
export function repeat(x: Tensor, ...sizes: number[] | [readonly number[]]): Tensor {
  checkLive('repeat', x);
  check(sizes.length === 1 || !Array.isArray(sizes[0]), 'repeat', () => 'sizes must be numbers or one array of numbers');
  const reps: readonly number[] = Array.isArray(sizes[0]) ? sizes[0] : (sizes as number[]);
  for (const r of reps) check(isInt(r) && r >= 0, 'repeat', () => `repeats must be non-negative integers, got ${fmtShape(reps)}`);
  check(reps.length >= x.ndim, 'repeat', () =>
    `the number of repeats (${reps.length}) can not be smaller than the number of dims of the tensor of shape ${fmtShape(x.shape)}`);
  const xs = [...new Array<number>(reps.length - x.ndim).fill(1), ...x.shape];
  const xStr = contiguousStrides(xs);
  const view = xs.flatMap((s, i) => [reps[i], s]);
  const viewStrides = xStr.flatMap((st) => [0, st]);
  const outShape = xs.map((s, i) => s * reps[i]);
  const out = wrap(x, x.backend.strided(x.storage, view, viewStrides, 0), outShape, x.dtype);
  return record('repeat', out, [x], [], (dy) => {
    if (dy.numel === 0 || x.numel === 0) return [wrap(dy, dy.backend.full(x.numel, dy.dtype, 0), x.shape)];
    return [wrap(dy, dy.backend.sumTo(dy.storage, view, xs.flatMap((s) => [1, s])), x.shape)];
  });
}

/** Options of {@link pad}. PyTorch equivalent: the `mode` and `value` arguments of `F.pad`. */
export interface PadOptions {
  /** Only 'constant' is implemented. */
  mode?: 'constant';
  /** The fill value (default 0). */
  value?: number;
}

/**
 * Pads (or, with negative amounts, crops) x. `pad` lists [before, after] pairs starting from
 * the LAST dim, as torch.nn.functional.pad: [1, 2] pads the last dim by 1 before and 2 after,
 * [1, 2, 0, 3] also the dim before it by 0 and 3.
 */
export function pad(x: Tensor, pad: readonly number[], opts?: PadOptions): Tensor {
  checkLive('pad', x);
  const { mode = 'constant', value = 0 } = options('pad', opts, ['mode', 'value']);
  check(mode === 'constant', 'pad', () => `mode '${String(mode)}' is not supported (only 'constant')`);
  check(typeof value === 'number', 'pad', () => `value must be a number, got ${typeof value}`);
  check(Array.isArray(pad) && pad.every(isInt), 'pad', () => `pad must be an array of integers, got ${String(pad)}`);
  check(pad.length % 2 === 0, 'pad', () => `the pad length must be even ([before, after] per dim), got ${pad.length} values ${fmtShape(pad)}`);
  check(pad.length / 2 <= x.ndim, 'pad', () =>
    `pad ${fmtShape(pad)} covers ${pad.length / 2} dims but the input of shape ${fmtShape(x.shape)} has ${x.ndim}`);
  const before = x.shape.map(() => 0);
  const after = x.shape.map(() => 0);
  for (let k = 0; k < pad.length / 2; k++) {
    before[x.ndim - 1 - k] = pad[2 * k];
    after[x.ndim - 1 - k] = pad[2 * k + 1];
  }
  x.shape.forEach((s, d) => {
    check(s + before[d] + after[d] >= 0, 'pad', () =>
      `dim ${d} of size ${s} padded by ${before[d]} and ${after[d]} would have a negative size ${s + before[d] + after[d]} (input shape ${fmtShape(x.shape)})`);
  });
  const out = padded(x, before, after, value);
  return record('pad', out, [x], [], (dy) => [padded(dy, before.map((b) => -b), after.map((a) => -a), 0)]);
}

/** x with `before[d]`/`after[d]` elements of `value` added (or removed, if negative) per dim. */
function padded(x: Tensor, before: readonly number[], after: readonly number[], value: number): Tensor {
  const outShape = x.shape.map((s, d) => s + before[d] + after[d]);
  const out = wrap(x, x.backend.full(numelOf(outShape), x.dtype, value), outShape, x.dtype);
  // The part of x that survives the crop, and where it lands in the output.
  const lo = x.shape.map((_, d) => Math.max(0, -before[d]));
  const count = x.shape.map((s, d) => Math.max(0, s - Math.max(0, -after[d]) - lo[d]));
  if (numelOf(count) > 0) {
    const xStr = contiguousStrides(x.shape);
    const oStr = contiguousStrides(outShape);
    const from = { strides: xStr, offset: lo.reduce((a, l, d) => a + l * xStr[d], 0) };
    const to = { strides: oStr, offset: lo.reduce((a, l, d) => a + (l + before[d]) * oStr[d], 0) };
    x.backend.stridedScatter(x.storage, out.storage, count, from, to);
  }
  return out;
}
