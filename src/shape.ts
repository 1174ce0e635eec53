import { check, fmtShape } from './errors.js';

/** A tensor's dims, outermost first (`[]` for a scalar). PyTorch equivalent: `torch.Size`. */
export type Shape = readonly number[];

export const numelOf = (shape: Shape): number => shape.reduce((a, b) => a * b, 1);

export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/** Kernels index elements with 32-bit integers (WGSL has no 64-bit ones). */
/** Whether `strides` walk `shape` in row-major order (dims of size 1 may have any stride). */
export function isRowMajor(shape: Shape, strides: readonly number[]): boolean {
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && strides[d] !== s) return false;
    s *= shape[d];
  }
  return true;
}

export const MAX_NUMEL = 2 ** 31 - 1;

export function checkShape(op: string, shape: Shape): void {
  for (const d of shape) {
    check(Number.isInteger(d) && d >= 0, op, () => `sizes must be non-negative integers, got ${fmtShape(shape)}`);
  }
  check(numelOf(shape) <= MAX_NUMEL, op, () => `shape ${fmtShape(shape)} has ${numelOf(shape)} elements, more than the ${MAX_NUMEL} a tensor can hold`);
  const why = shapeBoundError(shape);
  check(why === null, op, () => why!);
}

/**
 * Why a shape of non-negative integers is out of bounds, or null. Besides its element count,
 * the product of its non-zero dims must fit MAX_NUMEL: an empty [2^40, 2^40, 0] holds nothing,
 * but reducing over its last dim would make 2^80 outputs (a reduction of [2^31, 2^31, 0] on
 * the CPU ran 21 s and allocated 8.5 GB before this). Every shape a reduction, slice or
 * permutation derives from a bounded shape is then bounded too.
 */
export function shapeBoundError(shape: Shape): string | null {
  let nonzero = 1;
  for (const d of shape) {
    if (d > MAX_NUMEL) return `size ${d} in shape ${fmtShape(shape)} is more than the ${MAX_NUMEL} a dim can hold`;
    if (d > 0) nonzero *= d;
  }
  if (nonzero > MAX_NUMEL) {
    return `shape ${fmtShape(shape)}: its non-zero sizes multiply to ${nonzero}, more than the ${MAX_NUMEL} elements a tensor can hold (a reduction over its empty dims would make that many)`;
  }
  return null;
}

/** NumPy/PyTorch broadcasting: dims are aligned from the right; a dim of 1 stretches. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    check(da === db || da === 1 || db === 1, op, () =>
      `shapes ${fmtShape(a)} and ${fmtShape(b)} cannot be broadcast (dim ${i - n}: ${da} vs ${db})`);
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides that read `shape` as if it had `outShape` (0 where a dim is broadcast). */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const strides = contiguousStrides(shape);
  const off = outShape.length - shape.length;
  return outShape.map((_, i) => (i < off || shape[i - off] === 1 ? 0 : strides[i - off]));
}

export function normalizeDim(op: string, dim: number, rank: number): number {
  const r = Math.max(rank, 1);
  check(Number.isInteger(dim), op, () => `dim must be an integer, got ${typeof dim === 'number' ? dim : `${typeof dim} ${String(dim)}`}`);
  check(dim >= -r && dim < r, op, () =>
    `dim ${dim} is out of range for a tensor of rank ${rank} (expected -${r} <= dim < ${r})`);
  return dim < 0 ? dim + r : dim;
}

/** A reduction along one dim seen as [outer, size, inner] over contiguous memory. */
export interface ReduceLayout {
  readonly outer: number;
  readonly size: number;
  readonly inner: number;
}

export function layoutAlong(shape: Shape, dim: number | null): ReduceLayout {
  if (dim === null) return { outer: 1, size: numelOf(shape), inner: 1 };
  return {
    outer: numelOf(shape.slice(0, dim)),
    size: shape[dim] ?? 1,
    inner: numelOf(shape.slice(dim + 1)),
  };
}

export const sameShape = (a: Shape, b: Shape): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Drops size-1 dims and merges neighbours d, d+1 when every operand steps through them as one
 * dim (stride[d] == stride[d+1] * shape[d+1]), so strided kernels loop over as few dims as
 * possible (a contiguous [a, b, c] is one dim of a*b*c). Returns the merged shape and each
 * operand's strides; an empty shape means a single element.
 */
export function mergeDims(shape: Shape, strides: readonly (readonly number[])[]): {
  shape: number[];
  strides: number[][];
} {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const size = shape[d];
    if (size === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && strides.every((s, k) => outStrides[k][last] === s[d] * size)) {
      outShape[last] *= size;
      strides.forEach((s, k) => (outStrides[k][last] = s[d]));
    } else {
      outShape.push(size);
      strides.forEach((s, k) => outStrides[k].push(s[d]));
    }
  }
  return { shape: outShape, strides: outStrides };
}

/**
 * Strides that map each element of `xShape` to the element of `outShape` (same rank, 1 on
 * summed dims) it is summed into: the output's strides with 0 on the summed dims. sumTo (the
 * gradient of a broadcast) on every backend walks x with these.
 */
export function sumToStrides(xShape: Shape, outShape: Shape): number[] {
  return contiguousStrides(outShape).map((s, d) => (outShape[d] === 1 && xShape[d] !== 1 ? 0 : s));
}

/** The permutation undoing `perm`: `x.permute(perm).permute(inversePerm(perm))` is x. */
export function inversePerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((d, i) => (inv[d] = i));
  return inv;
}

/**
 * Where the matrices of a batch of [rows, cols] matrices lie in a buffer, rows contiguous:
 * element [r, c] of matrix b is at ⌊b / inner⌋·outer + (b mod inner)·innerStride + r·row + c.
 * Two batch strides cover a contiguous batch and a head split seen through a transpose: q of
 * shape [B, H, T, d] read from a [B, T, H, d] buffer (outer T·H·d, inner H, innerStride d, row
 * H·d).
 */
export interface MatrixLayout {
  readonly outer: number;
  readonly inner: number;
  readonly innerStride: number;
  readonly row: number;
}

/** The layout of contiguous [batch, rows, cols] matrices. */
export function contiguousMatrices(rows: number, cols: number): MatrixLayout {
  return { outer: rows * cols, inner: 1, innerStride: 0, row: cols };
}

/** Contiguous q [l, e], k [s, e], v [s, ev], output and its gradient [l, ev] (attention's layouts). */
export function contiguousLayouts(l: number, s: number, e: number, ev: number) {
  return { q: contiguousMatrices(l, e), k: contiguousMatrices(s, e), v: contiguousMatrices(s, ev), o: contiguousMatrices(l, ev), dout: contiguousMatrices(l, ev) };
}

/** Where row r of matrix b starts (see MatrixLayout). */
export function matrixRowOffset(m: MatrixLayout, b: number, r: number): number {
  return Math.floor(b / m.inner) * m.outer + (b % m.inner) * m.innerStride + r * m.row;
}

/**
 * The MatrixLayout of a tensor of `shape` ([...batch, rows, cols]) read with `strides`, or null
 * when its columns are not contiguous or its batch dims do not fold into two strides.
 */
export function matrixLayoutOf(shape: Shape, strides: readonly number[]): MatrixLayout | null {
  const n = shape.length;
  if (n < 2 || (shape[n - 1] !== 1 && strides[n - 1] !== 1)) return null;
  // Batch dims of size 1 go; neighbours whose strides nest fold into one dim.
  const dims: { size: number; stride: number }[] = [];
  for (let d = 0; d < n - 2; d++) {
    if (shape[d] === 1) continue;
    const last = dims.at(-1);
    if (last !== undefined && last.stride === shape[d] * strides[d]) {
      last.size *= shape[d];
      last.stride = strides[d];
    } else {
      dims.push({ size: shape[d], stride: strides[d] });
    }
  }
  if (dims.length > 2) return null;
  const row = shape[n - 2] === 1 ? shape[n - 1] : strides[n - 2];
  if (dims.length === 0) return { outer: 0, inner: 1, innerStride: 0, row };
  if (dims.length === 1) return { outer: dims[0].stride, inner: 1, innerStride: 0, row };
  return { outer: dims[0].stride, inner: dims[1].size, innerStride: dims[1].stride, row };
}
