import { WebgradError, check, fmtShape } from '../errors.js';
import { layoutAlong, normalizeDim } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkSameBackend, record, requireFloat, wrap } from './util.js';

/** Fused, max-subtracted forward; the fused backward reads only the saved output. */
function softmaxFamily(op: string, x: Tensor, dim: number, log: boolean): Tensor {
  requireFloat(op, x);
  if (dim === undefined) throw new WebgradError(op, 'dim is required');
  const d = normalizeDim(op, dim, x.ndim);
  const layout = layoutAlong(x.shape, x.ndim === 0 ? null : d);
  const y = wrap(x, x.backend.softmax(x.storage, layout, log), x.shape, x.dtype);
  return record(op, y, [x], [y], (dy) => [wrap(x, x.backend.softmaxGrad(y.storage, dy.storage, layout, log), x.shape, x.dtype)]);
}

export const softmax = (x: Tensor, dim: number): Tensor => softmaxFamily('softmax', x, dim, false);
export const logSoftmax = (x: Tensor, dim: number): Tensor => softmaxFamily('logSoftmax', x, dim, true);

/**
 * Per-sample softmax cross-entropy, logsumexp(x) - x[target], for logits [N, C] and int32
 * targets [N]: one fused kernel each way (stable for logits of ±1000).
 */
export function crossEntropyPerSample(logits: Tensor, targets: Tensor): Tensor {
  const op = 'crossEntropy';
  checkSameBackend(op, logits, targets);
  requireFloat(op, logits);
  check(logits.ndim === 2, op, () => `expected logits of shape [N, C], got ${fmtShape(logits.shape)}`);
  check(targets.dtype === 'int32', op, () => `expected int32 class indices as targets, got ${targets.dtype}; convert with .to('int32')`);
  check(targets.ndim === 1 && targets.shape[0] === logits.shape[0], op, () =>
    `targets of shape ${fmtShape(targets.shape)} do not match logits of shape ${fmtShape(logits.shape)} (expected [${logits.shape[0]}])`);
  const [rows, classes] = logits.shape;
  const out = wrap(logits, logits.backend.crossEntropy(logits.storage, targets.storage, rows, classes), [rows], logits.dtype);
  return record(op, out, [logits, targets], [logits, targets], (dy) => [
    wrap(logits, logits.backend.crossEntropyGrad(logits.storage, targets.storage, dy.storage, rows, classes), logits.shape, logits.dtype),
    null,
  ]);
}
