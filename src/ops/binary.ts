import type { BinaryOp } from '../backend/backend.js';
import type { DType } from '../dtype.js';
import { WebgradError } from '../errors.js';
import { broadcastShapes, broadcastStrides } from '../shape.js';
import { Tensor } from '../tensor.js';
import { reduceTo } from './shape-ops.js';
import { checkSameBackend, promote, record, wrap } from './util.js';

export type Operand = Tensor | number;

/** A number operand becomes a 0-d tensor: an integer stays int32 next to an int32 tensor. */
function operand(op: string, v: Operand, like: Tensor): Tensor {
  if (v instanceof Tensor) {
    checkSameBackend(op, like, v);
    return v;
  }
  if (typeof v !== 'number') throw new WebgradError(op, `expected a Tensor or a number, got ${typeof v}`);
  const dtype: DType = like.dtype === 'int32' && Number.isInteger(v) ? 'int32' : like.dtype === 'float64' ? 'float64' : 'float32';
  return Tensor.fromStorage(like.backend.full(1, dtype, v), like.backend, [], dtype);
}

function castTo(t: Tensor, dtype: DType): Tensor {
  return t.dtype === dtype ? t : t.to(dtype);
}

/** Runs a broadcasting kernel; the caller records the result. */
function launch(op: string, kernel: BinaryOp, a: Tensor, b: Tensor, compute: DType, outDtype: DType): Tensor {
  const shape = broadcastShapes(op, a.shape, b.shape);
  const ac = castTo(a, compute);
  const bc = castTo(b, compute);
  const storage = a.backend.binary(kernel, ac.storage, bc.storage, shape, broadcastStrides(a.shape, shape), broadcastStrides(b.shape, shape), outDtype);
  if (ac !== a) ac.dispose();
  if (bc !== b) bc.dispose();
  return wrap(a, storage, shape, outDtype);
}

/** Disposes number operands' temporaries once the op no longer needs them. */
function arith(op: BinaryOp, a: Tensor, bv: Operand, floatOnly: boolean, grads: (dy: Tensor, a: Tensor, b: Tensor, out: Tensor, needs: readonly boolean[]) => (Tensor | null)[]): Tensor {
  const b = operand(op, bv, a);
  let dtype = promote(a.dtype, b.dtype);
  if (floatOnly && dtype === 'int32') dtype = 'float32';
  const out = launch(op, op, a, b, dtype, dtype);
  record(op, out, [a, b], op === 'mul' || op === 'div' ? [a, b, out] : [], (dy, needs) => grads(dy, a, b, out, needs));
  if (!(bv instanceof Tensor) && !out.gradFn) b.dispose();
  return out;
}

export function add(a: Tensor, b: Operand, alpha = 1): Tensor {
  if (alpha !== 1) return add(a, typeof b === 'number' ? b * alpha : mul(b, alpha));
  return arith('add', a, b, false, (dy, a, b, _o, needs) => [
    needs[0] ? reduceTo(dy, a.shape) : null,
    needs[1] ? reduceTo(dy, b.shape) : null,
  ]);
}

export function sub(a: Tensor, b: Operand, alpha = 1): Tensor {
  if (alpha !== 1) return sub(a, typeof b === 'number' ? b * alpha : mul(b, alpha));
  return arith('sub', a, b, false, (dy, a, b, _o, needs) => [
    needs[0] ? reduceTo(dy, a.shape) : null,
    needs[1] ? reduceTo(dy.neg(), b.shape) : null,
  ]);
}

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

export type CompareOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

/** Elementwise comparison: 1 where it holds, else 0, as float32 (webgrad has no bool dtype). */
export function compare(op: CompareOp, a: Tensor, bv: Operand): Tensor {
  const b = operand(op, bv, a);
  const out = launch(op, op, a, b, promote(a.dtype, b.dtype), 'float32');
  if (!(bv instanceof Tensor)) b.dispose();
  return out;
}
