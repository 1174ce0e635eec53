import { type UnaryOp, unaryOnInt } from '../kernels/unary.js';
import type { DType } from '../dtype.js';
import { WebgradError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { options } from '../options.js';
import { div, mul } from './binary.js';
import { checkLive, opScope, record, requireFloat, requireSupported, wrap } from './util.js';

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

// ---- activations and elementwise math (issue 11) ----

const numberArg = (op: string, name: string, v: unknown): number => {
  if (typeof v !== 'number' || Number.isNaN(v)) throw new WebgradError(op, `${name} must be a number, got ${Number.isNaN(v) ? 'NaN' : v === null ? 'null' : typeof v}`);
  return v;
};

/** Options of `gelu`. */
export interface GeluOptions {
  /** 'none' (default): x·Φ(x) with the exact normal CDF (erf); 'tanh': PyTorch's tanh approximation. */
  approximate?: 'none' | 'tanh';
}

/**
 * x·Φ(x), Φ the standard normal CDF.
 *
 * PyTorch equivalent: `torch.nn.functional.gelu(x, approximate='none' | 'tanh')`.
 */
export function gelu(x: Tensor, opts?: GeluOptions): Tensor {
  const { approximate = 'none' } = options('gelu', opts, ['approximate']);
  if (approximate !== 'none' && approximate !== 'tanh') throw new WebgradError('gelu', `approximate must be 'none' or 'tanh', got '${String(approximate)}'`);
  return unary(approximate === 'tanh' ? 'geluTanh' : 'gelu', x);
}
const geluTanh = (x: Tensor): Tensor => gelu(x, { approximate: 'tanh' });

/** x·σ(x). PyTorch equivalent: `torch.nn.functional.silu`. */
export const silu = (x: Tensor): Tensor => unary('silu', x);

/** x for x > 0, else negativeSlope·x. PyTorch equivalent: `torch.nn.functional.leaky_relu`. */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  return unary('leakyRelu', x, numberArg('leakyRelu', 'negativeSlope', negativeSlope));
}

/** x for x > 0, else alpha·(eˣ - 1). PyTorch equivalent: `torch.nn.functional.elu`. */
export function elu(x: Tensor, alpha = 1): Tensor {
  return unary('elu', x, numberArg('elu', 'alpha', alpha));
}

/** Options of `softplus`. */
export interface SoftplusOptions {
  /** Default 1. */
  beta?: number;
  /** Above it (in units of beta·x) the result is x itself; default 20. */
  threshold?: number;
}

/**
 * log(1 + e^(beta·x))/beta, and x where beta·x > threshold.
 *
 * The table entry is the beta = 1 function with the threshold as its parameter; another beta
 * composes around it, softplus₁(beta·x)/beta, which is the same formula torch evaluates
 * (it also multiplies x by beta in float32 first) and whose gradient autograd composes. This
 * keeps the one-parameter unary kernel and uniform unchanged for every other op; the price is
 * two extra dispatches only when beta != 1 (the default takes one).
 *
 * PyTorch equivalent: `torch.nn.functional.softplus(x, beta, threshold)`.
 */
export function softplus(x: Tensor, opts?: SoftplusOptions): Tensor {
  const o = options('softplus', opts, ['beta', 'threshold']);
  const beta = numberArg('softplus', 'beta', o.beta ?? 1);
  const threshold = numberArg('softplus', 'threshold', o.threshold ?? 20);
  if (beta === 0) throw new WebgradError('softplus', 'beta must be nonzero');
  if (beta === 1) return unary('softplus', x, threshold);
  requireFloat('softplus', x);
  return opScope(() => div(unary('softplus', mul(x, beta), threshold), beta));
}

/** log(1 + x), accurate near 0. PyTorch equivalent: `torch.log1p`. */
export const log1p = (x: Tensor): Tensor => unary('log1p', x);
/** eˣ - 1, accurate near 0. PyTorch equivalent: `torch.expm1`. */
export const expm1 = (x: Tensor): Tensor => unary('expm1', x);
/** PyTorch equivalent: `torch.sin`. */
export const sin = (x: Tensor): Tensor => unary('sin', x);
/** PyTorch equivalent: `torch.cos`. */
export const cos = (x: Tensor): Tensor => unary('cos', x);
/** 1/√x. PyTorch equivalent: `torch.rsqrt`. */
export const rsqrt = (x: Tensor): Tensor => unary('rsqrt', x);
/** The error function. PyTorch equivalent: `torch.erf`. */
export const erf = (x: Tensor): Tensor => unary('erf', x);
/** 1/x. PyTorch equivalent: `torch.reciprocal` (float tensors only). */
export const reciprocal = (x: Tensor): Tensor => unary('reciprocal', x);
/** -1, 0 or 1 (0 for NaN); gradient 0. PyTorch equivalent: `torch.sign`. */
export const sign = (x: Tensor): Tensor => unary('sign', x);
/** Gradient 0; int32 stays int32. PyTorch equivalent: `torch.floor`. */
export const floor = (x: Tensor): Tensor => unary('floor', x);
/** Gradient 0; int32 stays int32. PyTorch equivalent: `torch.ceil`. */
export const ceil = (x: Tensor): Tensor => unary('ceil', x);
/** Half to even (2.5 -> 2); gradient 0. PyTorch equivalent: `torch.round`. */
export const round = (x: Tensor): Tensor => unary('round', x);

/**
 * 1 where x is 0, else 0 (NaN counts as nonzero), as float32 (float64 for a float64 tensor):
 * webgrad has no bool dtype. Not differentiable, like the comparisons.
 *
 * PyTorch equivalent: `torch.logical_not`.
 */
export function logicalNot(x: Tensor): Tensor {
  checkLive('logicalNot', x);
  if (x.dtype !== 'int32') return wrap(x, x.backend.unary('logicalNot', x.storage, 0), x.shape, x.dtype);
  // Every nonzero int32 stays nonzero in float32, so the cast keeps the answer.
  return opScope(() => logicalNot(cast(x, 'float32')));
}

// Every op of the table has its function here: an entry without one does not compile.
void ({
  neg, exp, log, sqrt, abs, sigmoid, tanh, relu, pow,
  gelu, geluTanh, silu, leakyRelu, elu, softplus, log1p, expm1, sin, cos, rsqrt, erf, reciprocal, sign, floor, ceil, round, logicalNot,
} satisfies Record<UnaryOp, unknown>);

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
