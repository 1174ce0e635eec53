import type { DType } from '../dtype.js';
import { WebgradError, check, fmtShape } from '../errors.js';
import { broadcastShapes, broadcastStrides, sameShape, type Shape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { compare, type Operand } from './binary.js';
import { reduceTo } from './shape-ops.js';
import { checkLive, checkSameBackend, opScope, promote, record, wrap } from './util.js';

/**
 * where, maskedFill, tril and triu: one select kernel (Backend.where, shaders/where.wgsl).
 *
 * A kernel rather than a composition: `cond·a + (1 - cond)·b` would turn an Inf or NaN in the
 * branch not taken into NaN (0·Inf), and masked_fill exists precisely to overwrite such values
 * (attention masks fill -Inf). A select copies the chosen value bit for bit, -0 and NaN
 * included. The backward is where itself: dy to a where cond holds, to b elsewhere, each summed
 * back to its operand's shape.
 */

const isOperand = (v: unknown): v is Operand => v instanceof Tensor || typeof v === 'number';

/** The dtype a number operand takes next to `like` (as in the binary ops). */
const scalarDtype = (v: number, like: DType | null): DType =>
  like === 'int32' && Number.isInteger(v) ? 'int32' : like === 'float64' ? 'float64' : 'float32';

function resultDtype(a: Operand, b: Operand): DType {
  if (a instanceof Tensor && b instanceof Tensor) return promote(a.dtype, b.dtype);
  if (a instanceof Tensor) return promote(a.dtype, scalarDtype(b as number, a.dtype));
  if (b instanceof Tensor) return promote(b.dtype, scalarDtype(a as number, b.dtype));
  return 'float32';
}

const shapeOf = (v: Operand): Shape => (v instanceof Tensor ? v.shape : []);

/** The operand as a tensor of `dtype` (a temporary of the calling op when converted). */
function asTensor(v: Operand, like: Tensor, dtype: DType): Tensor {
  if (v instanceof Tensor) return v.dtype === dtype ? v : v.to(dtype);
  return Tensor.fromStorage(like.backend.full(1, dtype, v), like.backend, [], dtype);
}

/**
 * a where cond is nonzero (NaN counts as nonzero), else b; all three broadcast together.
 * a or b may be a number. The gradient goes to a where cond holds and to b elsewhere.
 *
 * PyTorch equivalent: `torch.where(cond, a, b)`.
 */
export function where(cond: Tensor, a: Operand, b: Operand): Tensor {
  checkLive('where', cond);
  if (!isOperand(a) || !isOperand(b)) {
    const bad = isOperand(a) ? b : a;
    throw new WebgradError('where', `a and b must be Tensors or numbers, got ${bad === null ? 'null' : typeof bad}`);
  }
  checkSameBackend('where', cond, ...[a, b].filter((v): v is Tensor => v instanceof Tensor));
  const shape = broadcastShapes('where', broadcastShapes('where', cond.shape, shapeOf(a)), shapeOf(b));
  const dtype = resultDtype(a, b);
  return opScope(() => {
    const at = asTensor(a, cond, dtype);
    const bt = asTensor(b, cond, dtype);
    const storage = cond.backend.where(
      cond.storage, at.storage, bt.storage, shape,
      broadcastStrides(cond.shape, shape), broadcastStrides(at.shape, shape), broadcastStrides(bt.shape, shape),
    );
    const out = wrap(cond, storage, shape, dtype);
    return record('where', out, [at, bt], [cond], (dy, needs) => [
      needs[0] ? reduceTo(where(cond, dy, 0), at.shape) : null,
      needs[1] ? reduceTo(where(cond, 0, dy), bt.shape) : null,
    ]);
  });
}

/**
 * `value` where mask is nonzero, else x; mask broadcasts to x's shape, the result keeps x's
 * shape and dtype (a fractional value in an int32 tensor truncates, as in PyTorch).
 *
 * PyTorch equivalent: `x.masked_fill(mask, value)`.
 */
export function maskedFill(x: Tensor, mask: Tensor, value: number | Tensor): Tensor {
  checkLive('maskedFill', x);
  if (!(mask instanceof Tensor)) throw new WebgradError('maskedFill', `mask must be a Tensor, got ${mask === null ? 'null' : typeof mask}`);
  checkSameBackend('maskedFill', x, mask);
  if (value instanceof Tensor) {
    checkSameBackend('maskedFill', x, value);
    check(value.ndim === 0, 'maskedFill', () => `value must be a number or a 0-d tensor, got shape ${fmtShape(value.shape)}`);
  } else if (typeof value !== 'number') {
    throw new WebgradError('maskedFill', `value must be a number or a 0-d tensor, got ${value === null ? 'null' : typeof value}`);
  }
  const shape = broadcastShapes('maskedFill', x.shape, mask.shape);
  check(sameShape(shape, x.shape), 'maskedFill', () => `mask of shape ${fmtShape(mask.shape)} does not broadcast to the input's shape ${fmtShape(x.shape)}`);
  return opScope(() => where(mask, asTensor(value, x, x.dtype), x));
}

/** tril/triu: x where (col - row) is on the kept side of diagonal k, else 0. */
function triangle(op: 'tril' | 'triu', x: Tensor, k: number): Tensor {
  checkLive(op, x);
  check(typeof k === 'number' && Number.isInteger(k), op, () => `diagonal must be an integer, got ${String(k)}`);
  check(x.ndim >= 2, op, () => `expected a tensor of at least 2 dims, got shape ${fmtShape(x.shape)}`);
  const [rows, cols] = x.shape.slice(-2);
  // Past these the mask is all or nothing; clamping keeps row + k inside int32.
  const kk = Math.max(-rows - 1, Math.min(cols + 1, k));
  return opScope(() => {
    const b = x.backend;
    // Column indices [1, cols] against row + k [rows, 1]: the mask is one broadcast compare.
    const col = Tensor.fromStorage(b.upload(Int32Array.from({ length: cols }, (_, j) => j), 'int32'), b, [1, cols], 'int32');
    const row = Tensor.fromStorage(b.upload(Int32Array.from({ length: rows }, (_, i) => i + kk), 'int32'), b, [rows, 1], 'int32');
    return where(compare(op === 'tril' ? 'le' : 'ge', col, row), x, 0);
  });
}

/**
 * The lower triangle of the last two dims (col - row <= diagonal), zeros above.
 *
 * PyTorch equivalent: `torch.tril(x, diagonal)`.
 */
export const tril = (x: Tensor, diagonal = 0): Tensor => triangle('tril', x, diagonal);

/**
 * The upper triangle of the last two dims (col - row >= diagonal), zeros below.
 *
 * PyTorch equivalent: `torch.triu(x, diagonal)`.
 */
export const triu = (x: Tensor, diagonal = 0): Tensor => triangle('triu', x, diagonal);
