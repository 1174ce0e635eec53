import { check, fmtShape } from '../errors.js';
import { globalRng } from '../random.js';
import { typedArrayFor } from '../dtype.js';
import type { Tensor } from '../tensor.js';
import { opScope, requireFloat, wrap } from './util.js';

// Dropout draws its mask on the host from manualSeed's generator, one uniform u per mask entry
// on bernoulli's 2⁻²³ grid (src/random-ops.ts), and uploads mask·1/(1-p): the device only
// multiplies, so one seed gives the same mask on every backend. The gradient is the same
// multiplication (mul's backward), no kernel of its own.

function checkP(op: string, p: number, training: boolean): void {
  check(typeof p === 'number' && p >= 0 && p <= 1, op, () => `dropout probability has to be between 0 and 1, but got ${String(p)}`);
  check(typeof training === 'boolean', op, () => `training must be a boolean, got ${typeof training}`);
}

/** x · mask, the mask of `maskShape` (broadcast over x) kept with probability 1 - p, scaled by 1/(1-p). */
function masked(x: Tensor, p: number, maskShape: number[]): Tensor {
  const rng = globalRng();
  const n = maskShape.reduce((a, b) => a * b, 1);
  const mask = typedArrayFor(x.dtype, n);
  const keep = 1 - p;
  const scale = p === 1 ? 0 : 1 / keep;
  for (let i = 0; i < n; i++) mask[i] = (rng.nextU32() >>> 9) / 2 ** 23 < keep ? scale : 0;
  return opScope(() => x.mul(wrap(x, x.backend.upload(mask, x.dtype), maskShape, x.dtype)));
}

/**
 * Zeroes each element with probability p (from manualSeed's generator, the same mask on every
 * backend) and scales the rest by 1/(1-p); the input itself when not training. p = 1 gives zeros.
 *
 * PyTorch equivalent: `torch.nn.functional.dropout(x, p, training)`.
 */
export function dropout(x: Tensor, p = 0.5, training = true): Tensor {
  checkP('dropout', p, training);
  requireFloat('dropout', x);
  if (!training) return x;
  return masked(x, p, [...x.shape]);
}

/**
 * Zeroes whole channels: each [n, c] plane of [N, C, H, W] (or, as PyTorch 1.13 reads a 3-D
 * input, of [N, C, L]) with probability p, scaling the rest by 1/(1-p); the input when not training.
 *
 * PyTorch equivalent: `torch.nn.functional.dropout2d(x, p, training)`.
 */
export function dropout2d(x: Tensor, p = 0.5, training = true): Tensor {
  checkP('dropout2d', p, training);
  requireFloat('dropout2d', x);
  check(x.ndim === 3 || x.ndim === 4, 'dropout2d', () => `expected a 3-D or 4-D input, got shape ${fmtShape(x.shape)}`);
  if (!training) return x;
  return masked(x, p, [x.shape[0], x.shape[1], ...x.shape.slice(2).map(() => 1)]);
}
