import type { ArithOp, BinaryOp, CompareOp } from '../kernels/binary.js';
import type { DType } from '../dtype.js';
import { WebgradError } from '../errors.js';
import { broadcastShapes, broadcastStrides } from '../shape.js';
import { Tensor } from '../tensor.js';
import { reduceTo } from './shape-ops.js';
import { where } from './where.js';
import { checkLive, checkSameBackend, opScope, promote, record, wrap } from './util.js';

/** The second operand of a binary op: a tensor (broadcast) or a number (a scalar). */
export type Operand = Tensor | number;

/** The dtype a number operand takes: an integer stays int32 next to an int32 tensor. */
const scalarDtype = (v: number, like: DType): DType =>
  like === 'int32' && Number.isInteger(v) ? 'int32' : like === 'float64' ? 'float64' : 'float32';

/**
 * Shape and dtype of a broadcasting op's result, from the arguments alone: every check runs
 * here, before any kernel (in-place ops call it to refuse a result they could not hold).
 */
export function resultOf(op: string, a: Tensor, b: Operand, floatOnly = false): { shape: number[]; dtype: DType } {
  if (b instanceof Tensor) checkSameBackend(op, a, b);
  else {
    checkLive(op, a);
    if (typeof b !== 'number') throw new WebgradError(op, `expected a Tensor or a number, got ${b === null ? 'null' : typeof b}`);
  }
  let dtype = promote(a.dtype, b instanceof Tensor ? b.dtype : scalarDtype(b, a.dtype));
  if (floatOnly && dtype === 'int32') dtype = 'float32';
  return { shape: broadcastShapes(op, a.shape, b instanceof Tensor ? b.shape : []), dtype };
}

/** A number operand becomes a 0-d tensor (a temporary of the op). */
function operand(v: Operand, like: Tensor): Tensor {
  if (v instanceof Tensor) return v;
  const dtype = scalarDtype(v, like.dtype);
  return Tensor.fromStorage(like.backend.full(1, dtype, v), like.backend, [], dtype);
}

function castTo(t: Tensor, dtype: DType): Tensor {
  return t.dtype === dtype ? t : t.to(dtype);
}

/** Runs a broadcasting kernel on checked arguments (inside the caller's opScope). */
function launch(kernel: BinaryOp, a: Tensor, b: Tensor, shape: number[], compute: DType, outDtype: DType): Tensor {
  const ac = castTo(a, compute);
  const bc = castTo(b, compute);
  const storage = a.backend.binary(kernel, ac.storage, bc.storage, shape, broadcastStrides(a.shape, shape), broadcastStrides(b.shape, shape), outDtype);
  return wrap(a, storage, shape, outDtype);
}

type Grads = (dy: Tensor, a: Tensor, b: Tensor, out: Tensor, needs: readonly boolean[]) => (Tensor | null)[];

function arith(op: ArithOp, a: Tensor, bv: Operand, floatOnly: boolean, grads: Grads): Tensor {
  const { shape, dtype } = resultOf(op, a, bv, floatOnly);
  return opScope(() => {
    const b = operand(bv, a);
    const out = launch(op, a, b, shape, dtype, dtype);
    // Only what backward reads is saved: mul needs both inputs, div the output too.
    const saved = op === 'div' ? [a, b, out] : op === 'mul' || op === 'maximum' || op === 'minimum' ? [a, b] : [];
    return record(op, out, [a, b], saved, (dy, needs) => grads(dy, a, b, out, needs));
  });
}

/** a + alpha·b (or a - alpha·b). */
function scaled(op: 'add' | 'sub', a: Tensor, b: Operand, alpha: number, grads: Grads): Tensor {
  if (typeof alpha !== 'number') throw new WebgradError(op, `alpha must be a number, got ${typeof alpha}`);
  if (typeof b === 'number' || alpha === 1) return arith(op, a, typeof b === 'number' ? b * alpha : b, false, grads);
  resultOf(op, a, b); // refuse before computing b·alpha
  return opScope(() => arith(op, a, mul(b, alpha), false, grads));
}

/**
 * a + alpha·b elementwise with broadcasting; the function form of `Tensor.add`.
 *
 * PyTorch equivalent: `torch.add`.
 */
export function add(a: Tensor, b: Operand, alpha = 1): Tensor {
  return scaled('add', a, b, alpha, (dy, a, b, _o, needs) => [
    needs[0] ? reduceTo(dy, a.shape) : null,
    needs[1] ? reduceTo(dy, b.shape) : null,
  ]);
}

/**
 * a - alpha·b elementwise with broadcasting; the function form of `Tensor.sub`.
 *
 * PyTorch equivalent: `torch.sub`.
 */
export function sub(a: Tensor, b: Operand, alpha = 1): Tensor {
  return scaled('sub', a, b, alpha, (dy, a, b, _o, needs) => [
    needs[0] ? reduceTo(dy, a.shape) : null,
    needs[1] ? reduceTo(dy.neg(), b.shape) : null,
  ]);
}

/**
 * a · b elementwise with broadcasting; the function form of `Tensor.mul`.
 *
 * PyTorch equivalent: `torch.mul`.
 */
export function mul(a: Tensor, b: Operand): Tensor {
  return arith('mul', a, b, false, (dy, a, b, _o, needs) => [
    needs[0] ? reduceTo(mul(dy, b), a.shape) : null,
    needs[1] ? reduceTo(mul(dy, a), b.shape) : null,
  ]);
}

/** True division: integer inputs give a float32 result, as in PyTorch. */
export function div(a: Tensor, b: Operand): Tensor {
  return arith('div', a, b, true, (dy, a, b, out, needs) => [
    needs[0] ? reduceTo(div(dy, b), a.shape) : null,
    // d(a/b)/db = -a/b² = -out/b
    needs[1] ? reduceTo(div(mul(dy, out), b).neg(), b.shape) : null,
  ]);
}

export type { CompareOp };

/** Elementwise comparison: 1 where it holds, else 0, as float32 (webgrad has no bool dtype). */
export function compare(op: CompareOp, a: Tensor, bv: Operand): Tensor {
  const { shape, dtype } = resultOf(op, a, bv);
  return opScope(() => launch(op, a, operand(bv, a), shape, dtype, 'float32'));
}

// ---- issue 11: maximum/minimum and the logical ops ----

/**
 * The larger of a and b elementwise, broadcasting; NaN if either is NaN. On a tie each side
 * gets half the gradient (PyTorch 1.13: `where(a == b, dy/2, dy)` masked to 0 where a < b for
 * a); NaN passes dy to both, as torch's masks are false there.
 *
 * PyTorch equivalent: `torch.maximum(a, b)`.
 */
export function maximum(a: Tensor, b: Operand): Tensor {
  return arith('maximum', a, b, false, (dy, a, b, _o, needs) => [
    needs[0] ? reduceTo(tieSplit(dy, a, b, 'lt'), a.shape) : null,
    needs[1] ? reduceTo(tieSplit(dy, a, b, 'gt'), b.shape) : null,
  ]);
}

/** The smaller of a and b elementwise; as {@link maximum}. PyTorch equivalent: `torch.minimum(a, b)`. */
export function minimum(a: Tensor, b: Operand): Tensor {
  return arith('minimum', a, b, false, (dy, a, b, _o, needs) => [
    needs[0] ? reduceTo(tieSplit(dy, a, b, 'gt'), a.shape) : null,
    needs[1] ? reduceTo(tieSplit(dy, a, b, 'lt'), b.shape) : null,
  ]);
}

/** dy, halved where a == b, zero where `a loses b` (a select, so an Inf or NaN dy is zeroed too). */
function tieSplit(dy: Tensor, a: Tensor, b: Tensor, loses: 'lt' | 'gt'): Tensor {
  return where(compare(loses, a, b), 0, where(compare('eq', a, b), mul(dy, 0.5), dy));
}

/** 1 where both are nonzero (NaN is nonzero), else 0, as float32. PyTorch: `torch.logical_and`. */
export const logicalAnd = (a: Tensor, b: Operand): Tensor => compare('logicalAnd', a, b);
/** 1 where either is nonzero (NaN is nonzero), else 0, as float32. PyTorch: `torch.logical_or`. */
export const logicalOr = (a: Tensor, b: Operand): Tensor => compare('logicalOr', a, b);
