import { type UnaryOp, unaryOnInt } from '../kernels/unary.js';
import type { DType } from '../dtype.js';
import { WebgradError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { checkLive, record, requireFloat, requireSupported, wrap } from './util.js';

/**
 * One forward kernel and one derivative kernel per op (backend.unaryGrad), which reads the
 * saved input or output as the derivative needs: exp'(x) = exp(x) reuses the output. The op
 * table (src/kernels/unary.ts) says which ops exist on int32.
 */
function unary(op: UnaryOp, x: Tensor, param = 0): Tensor {
  checkLive(op, x);
  if (!unaryOnInt(op, param)) requireFloat(op, x);
  const y = wrap(x, x.backend.unary(op, x.storage, param), x.shape, x.dtype);
  return record(op, y, [x], [x, y], (dy) => [wrap(x, x.backend.unaryGrad(op, x.storage, y.storage, dy.storage, param), x.shape, x.dtype)]);
}

/** -x elementwise. PyTorch equivalent: `torch.neg`. */
export const neg = (x: Tensor): Tensor => unary('neg', x);
/** eˣ elementwise (float tensors). PyTorch equivalent: `torch.exp`. */
export const exp = (x: Tensor): Tensor => unary('exp', x);
/** Natural logarithm elementwise (float tensors). PyTorch equivalent: `torch.log`. */
export const log = (x: Tensor): Tensor => unary('log', x);
/** Square root elementwise (float tensors). PyTorch equivalent: `torch.sqrt`. */
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x);
/** |x| elementwise. PyTorch equivalent: `torch.abs`. */
export const abs = (x: Tensor): Tensor => unary('abs', x);
/** 1 / (1 + e⁻ˣ) elementwise (float tensors). PyTorch equivalent: `torch.sigmoid`. */
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x);
/** Hyperbolic tangent elementwise (float tensors). PyTorch equivalent: `torch.tanh`. */
export const tanh = (x: Tensor): Tensor => unary('tanh', x);
/** relu'(0) = 0, as in PyTorch; NaN stays NaN. */
export const relu = (x: Tensor): Tensor => unary('relu', x);

/**
 * xᵉ elementwise for a number exponent (float tensors; int32 only for exponent 2).
 *
 * PyTorch equivalent: `torch.pow(x, exponent)`.
 */
export function pow(x: Tensor, exponent: number): Tensor {
  if (typeof exponent !== 'number') throw new WebgradError('pow', `exponent must be a number, got ${typeof exponent}`);
  return unary('pow', x, exponent);
}

// Every op of the table has its function here: an entry without one does not compile.
void ({ neg, exp, log, sqrt, abs, sigmoid, tanh, relu, pow } satisfies Record<UnaryOp, unknown>);

/**
 * clamp(min?, max?): either bound may be omitted. The gradient passes where min <= x <= max,
 * bounds included (PyTorch), so clamp(0) differs from relu exactly at 0.
 */
export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  requireFloat('clamp', x);
  if ((min === null || min === undefined) && (max === null || max === undefined)) {
    throw new WebgradError('clamp', 'at least one of min or max must be given');
  }
  const lo = min ?? -Infinity;
  const hi = max ?? Infinity;
  if (typeof lo !== 'number' || typeof hi !== 'number') throw new WebgradError('clamp', `bounds must be numbers or null, got ${typeof lo} and ${typeof hi}`);
  if (Number.isNaN(lo) || Number.isNaN(hi)) throw new WebgradError('clamp', `bounds must not be NaN (min=${lo}, max=${hi})`);
  const y = wrap(x, x.backend.clamp(x.storage, lo, hi), x.shape, x.dtype);
  return record('clamp', y, [x], [x], (dy) => [wrap(x, x.backend.clampGrad(x.storage, dy.storage, lo, hi), x.shape, x.dtype)]);
}

/** A copy with its own storage; the gradient passes through. */
export function clone(x: Tensor): Tensor {
  checkLive('clone', x);
  const out = wrap(x, x.backend.cast(x.storage, x.dtype), x.shape, x.dtype);
  return record('clone', out, [x], [], (dy) => [dy]);
}

export function cast(x: Tensor, dtype: DType): Tensor {
  checkLive('to', x);
  if (!['float32', 'int32', 'float64'].includes(dtype)) throw new WebgradError('to', `unknown dtype '${dtype}'`);
  requireSupported('to', x, dtype);
  const out = wrap(x, x.backend.cast(x.storage, dtype), x.shape, dtype);
  if (dtype === 'int32') return out;
  return record('to', out, [x], [], (dy) => [cast(dy, x.dtype)]);
}
