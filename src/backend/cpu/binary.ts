import type { DType, TypedArray } from '../../dtype.js';
import type { Shape } from '../../shape.js';
import type { BinaryOp } from '../backend.js';
import { RowWalk } from './indexing.js';
import { alloc } from './storage.js';

/**
 * Broadcasting elementwise op into a contiguous `outShape`. Float arithmetic is computed in
 * float64 and rounded once on store, which for + - * / of float32 operands is exactly IEEE
 * float32 arithmetic. int32 arithmetic wraps like C; int32 'div' truncates toward zero (the op
 * layer casts to float first for PyTorch's true division, so this is only reached on purpose).
 */
export function binary(
  op: BinaryOp,
  a: TypedArray,
  b: TypedArray,
  outShape: Shape,
  aStrides: readonly number[],
  bStrides: readonly number[],
  outDtype: DType,
): TypedArray {
  const walk = new RowWalk(outShape, aStrides, bStrides);
  const out = alloc(outDtype, walk.rows * walk.rowLen);
  const kernel = pickRow(op, a instanceof Int32Array);
  const n = walk.rowLen;
  for (let r = 0, o = 0; r < walk.rows; r++, o += n) {
    kernel(a, walk.aOff, walk.aStep, b, walk.bOff, walk.bStep, out, o, n);
    walk.next();
  }
  return out;
}

type RowKernel = (
  a: TypedArray,
  ai: number,
  as: number,
  b: TypedArray,
  bi: number,
  bs: number,
  out: TypedArray,
  o: number,
  n: number,
) => void;

// One loop per op, chosen once per call: the inner loops carry no switch and no closure.
function pickRow(op: BinaryOp, int: boolean): RowKernel {
  switch (op) {
    case 'add':
      return addRow;
    case 'sub':
      return subRow;
    case 'mul':
      // a*b of two int32s can pass 2^53 and lose the low bits that wrapping keeps.
      return int ? imulRow : mulRow;
    case 'div':
      return int ? idivRow : divRow;
    case 'eq':
      return eqRow;
    case 'ne':
      return neRow;
    case 'lt':
      return ltRow;
    case 'le':
      return leRow;
    case 'gt':
      return gtRow;
    case 'ge':
      return geRow;
  }
}

const addRow: RowKernel = (a, ai, as, b, bi, bs, out, o, n) => {
  for (let j = 0; j < n; j++, ai += as, bi += bs) out[o + j] = a[ai] + b[bi];
};
const subRow: RowKernel = (a, ai, as, b, bi, bs, out, o, n) => {
  for (let j = 0; j < n; j++, ai += as, bi += bs) out[o + j] = a[ai] - b[bi];
};
const mulRow: RowKernel = (a, ai, as, b, bi, bs, out, o, n) => {
  for (let j = 0; j < n; j++, ai += as, bi += bs) out[o + j] = a[ai] * b[bi];
};
const imulRow: RowKernel = (a, ai, as, b, bi, bs, out, o, n) => {
  for (let j = 0; j < n; j++, ai += as, bi += bs) out[o + j] = Math.imul(a[ai], b[bi]);
};
const divRow: RowKernel = (a, ai, as, b, bi, bs, out, o, n) => {
  for (let j = 0; j < n; j++, ai += as, bi += bs) out[o + j] = a[ai] / b[bi];
};
// Division by zero gives ±Infinity or NaN, which an Int32Array stores as 0.
const idivRow: RowKernel = (a, ai, as, b, bi, bs, out, o, n) => {
  for (let j = 0; j < n; j++, ai += as, bi += bs) out[o + j] = Math.trunc(a[ai] / b[bi]);
};
// Comparisons follow IEEE: anything against NaN is false, except 'ne' which is true.
const eqRow: RowKernel = (a, ai, as, b, bi, bs, out, o, n) => {
  for (let j = 0; j < n; j++, ai += as, bi += bs) out[o + j] = a[ai] === b[bi] ? 1 : 0;
};
const neRow: RowKernel = (a, ai, as, b, bi, bs, out, o, n) => {
  for (let j = 0; j < n; j++, ai += as, bi += bs) out[o + j] = a[ai] !== b[bi] ? 1 : 0;
};
const ltRow: RowKernel = (a, ai, as, b, bi, bs, out, o, n) => {
  for (let j = 0; j < n; j++, ai += as, bi += bs) out[o + j] = a[ai] < b[bi] ? 1 : 0;
};
const leRow: RowKernel = (a, ai, as, b, bi, bs, out, o, n) => {
  for (let j = 0; j < n; j++, ai += as, bi += bs) out[o + j] = a[ai] <= b[bi] ? 1 : 0;
};
const gtRow: RowKernel = (a, ai, as, b, bi, bs, out, o, n) => {
  for (let j = 0; j < n; j++, ai += as, bi += bs) out[o + j] = a[ai] > b[bi] ? 1 : 0;
};
const geRow: RowKernel = (a, ai, as, b, bi, bs, out, o, n) => {
  for (let j = 0; j < n; j++, ai += as, bi += bs) out[o + j] = a[ai] >= b[bi] ? 1 : 0;
};
