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
export const MAX_NUMEL = 2 ** 31 - 1;

export function checkShape(op: string, shape: Shape): void {
  for (const d of shape) {
    check(Number.isInteger(d) && d >= 0, op, () => `sizes must be non-negative integers, got ${fmtShape(shape)}`);
  }
  check(numelOf(shape) <= MAX_NUMEL, op, () => `shape ${fmtShape(shape)} has ${numelOf(shape)} elements, more than the ${MAX_NUMEL} a tensor can hold`);
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
