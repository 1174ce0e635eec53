import { WebgradError, check, fmtShape } from '../errors.js';
import { layoutAlong, normalizeDim } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkSameBackend, hostValues, record, requireFloat, wrap } from './util.js';

/** Fused, max-subtracted forward; the fused backward reads only the saved output. */
function softmaxFamily(op: string, x: Tensor, dim: number, log: boolean): Tensor {
  requireFloat(op, x);
  if (dim === undefined) throw new WebgradError(op, 'dim is required');
  const d = normalizeDim(op, dim, x.ndim);
  const layout = layoutAlong(x.shape, x.ndim === 0 ? null : d);
  const y = wrap(x, x.backend.softmax(x.storage, layout, log), x.shape, x.dtype);
  return record(op, y, [x], [y], (dy) => [wrap(x, x.backend.softmaxGrad(y.storage, dy.storage, layout, log), x.shape, x.dtype)]);
}

/**
 * exp(x) / sum(exp(x)) along `dim` (required), max-subtracted for stability (float tensors).
 *
 * PyTorch equivalent: `torch.softmax`.
 */
export const softmax = (x: Tensor, dim: number): Tensor => softmaxFamily('softmax', x, dim, false);
/**
 * log(softmax(x)) along `dim` (required), computed stably in one kernel (float tensors).
 *
 * PyTorch equivalent: `torch.log_softmax`.
 */
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
  checkTargetRange(op, targets, classes);
  const out = wrap(logits, logits.backend.crossEntropy(logits.storage, targets.storage, rows, classes), [rows], logits.dtype);
  return record(op, out, [logits, targets], [logits, targets], (dy) => [
    wrap(logits, logits.backend.crossEntropyGrad(logits.storage, targets.storage, dy.storage, rows, classes), logits.shape, logits.dtype),
    null,
  ]);
}

/**
 * A target outside [0, classes) would make the kernel read past its row: on the GPU that is an
 * undefined (silently wrong) loss. So every target is checked before launching, without ever
 * reading the device: against `targets.hostRange` (bounds known on the host, from tensor(), the
 * DataLoader, arange or argmax), else, on the CPU backend, against the values themselves. On
 * WebGPU, targets computed on the device have no known bounds and are refused.
 */
function checkTargetRange(op: string, targets: Tensor, classes: number): void {
  if (targets.numel === 0) return;
  let range = targets.hostRange;
  if (!range) {
    const values = hostValues(targets);
    if (!values) {
      throw new WebgradError(op, `the values of targets of shape ${fmtShape(targets.shape)} were computed on the ${targets.backend.name} device, so they cannot be checked against the ${classes} classes without a readback; make targets with wg.tensor(data, { dtype: 'int32' }) or the DataLoader (or re-create them: wg.tensor(await targets.toArray())), whose bounds are known on the host`);
    }
    let min = Infinity;
    let max = -Infinity;
    for (const v of values) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    range = { min, max };
  }
  const { min, max } = range;
  check(min >= 0 && max < classes, op, () =>
    `targets must be class indices in [0, ${classes - 1}] for logits with ${classes} classes, but targets of shape ${fmtShape(targets.shape)} range over [${min}, ${max}]`);
}
