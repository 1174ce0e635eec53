import { noGrad } from '../autograd/grad-mode.js';
import { WebgradError, check, fmtShape } from '../errors.js';
import { scope } from '../memory.js';
import { crossEntropyPerSample } from '../ops/softmax.js';
import { record, requireFloat } from '../ops/util.js';
import { sameShape } from '../shape.js';
import type { Tensor } from '../tensor.js';

export { relu, sigmoid, tanh } from '../ops/elementwise.js';
export { linear } from '../ops/matmul.js';
export { softmax, logSoftmax } from '../ops/softmax.js';
export { oneHot } from '../ops/indexing.js';

// Losses leave their intermediates to the caller's scope(): the graph's saved tensors are
// among them, so disposing them here would break backward.

export type Reduction = 'mean' | 'sum' | 'none';

export interface LossOptions {
  /** 'mean' (default) averages over every element, 'sum' adds them, 'none' keeps them. */
  reduction?: Reduction;
}

export interface BceOptions extends LossOptions {
  /** Rescales each element's loss; broadcast to the input's shape. */
  weight?: Tensor | null;
}

export interface BceWithLogitsOptions extends BceOptions {
  /** Weight of the positive term, one per class (broadcast along the last dim). */
  posWeight?: Tensor | null;
}

function reductionOf(op: string, opts: LossOptions): Reduction {
  const r = opts.reduction ?? 'mean';
  if (r !== 'mean' && r !== 'sum' && r !== 'none') {
    throw new WebgradError(op, `reduction must be 'mean', 'sum' or 'none', got '${String(r)}'`);
  }
  return r;
}

function reduce(loss: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'none') return loss;
  return reduction === 'sum' ? loss.sum() : loss.mean();
}

function checkPair(op: string, input: Tensor, target: Tensor): void {
  requireFloat(op, input);
  requireFloat(op, target);
  // PyTorch broadcasts here with a warning; a mismatch is nearly always a bug, so refuse.
  check(sameShape(input.shape, target.shape), op, () =>
    `target of shape ${fmtShape(target.shape)} does not match input of shape ${fmtShape(input.shape)}`);
}

/** Squared error (input - target)², as torch.nn.functional.mse_loss. */
export function mseLoss(input: Tensor, target: Tensor, opts: LossOptions = {}): Tensor {
  const reduction = reductionOf('mseLoss', opts);
  checkPair('mseLoss', input, target);
  return reduce(input.sub(target).pow(2), reduction);
}

/**
 * Softmax cross-entropy of logits [N, C] (or [C]) against int32 class indices [N] (or []), as
 * torch.nn.functional.cross_entropy: one fused kernel each way, stable for logits of ±1000.
 */
export function crossEntropy(logits: Tensor, targets: Tensor, opts: LossOptions = {}): Tensor {
  const reduction = reductionOf('crossEntropy', opts);
  if (logits.ndim === 1) {
    // Unbatched: one sample.
    check(targets.ndim === 0, 'crossEntropy', () => `for logits of shape ${fmtShape(logits.shape)} the target must be a 0-d class index, got shape ${fmtShape(targets.shape)}`);
    const [batchLogits, batchTargets] = [logits.reshape([1, -1]), targets.reshape([1])];
    let loss: Tensor;
    try {
      loss = crossEntropyPerSample(batchLogits, batchTargets);
    } catch (e) {
      // Refused: the views would otherwise live on until the garbage collector finds them.
      batchLogits.dispose();
      batchTargets.dispose();
      throw e;
    }
    return reduction === 'none' ? loss.reshape([]) : reduce(loss, reduction);
  }
  return reduce(crossEntropyPerSample(logits, targets), reduction);
}

/**
 * Elementwise (y - 1)·max(log(1 - p), -100) - y·max(log p, -100), PyTorch's formula, with its
 * backward written out: dp = (p - y) / max(p(1 - p), 1e-12). Composing log and clamp instead
 * would give 0/0 = NaN at p = 0 or 1, which float32 sigmoid reaches for inputs above ~17.
 */
function bceElementwise(p: Tensor, y: Tensor): Tensor {
  const logs = (): [Tensor, Tensor] => [p.log().clamp(-100), p.neg().add(1).log().clamp(-100)];
  const loss = noGrad(() =>
    scope(() => {
      const [logP, log1mP] = logs();
      return y.sub(1).mul(log1mP).sub(y.mul(logP));
    }),
  );
  return record('binaryCrossEntropy', loss, [p, y], [p, y], (dy, needs) => {
    const [logP, log1mP] = needs[1] ? logs() : [null, null];
    return [
      needs[0] ? dy.mul(p.sub(y)).div(p.neg().add(1).mul(p).clamp(1e-12)) : null,
      logP && log1mP ? dy.mul(log1mP.sub(logP)) : null,
    ];
  });
}

/**
 * Binary cross-entropy of probabilities in [0, 1] against targets in [0, 1], as
 * torch.nn.functional.binary_cross_entropy (each log is clamped to >= -100, so p = 0 or 1
 * gives a loss of at most 100 and a finite gradient).
 */
export function binaryCrossEntropy(probs: Tensor, targets: Tensor, opts: BceOptions = {}): Tensor {
  const reduction = reductionOf('binaryCrossEntropy', opts);
  checkPair('binaryCrossEntropy', probs, targets);
  const loss = bceElementwise(probs, targets);
  return reduce(opts.weight ? loss.mul(opts.weight) : loss, reduction);
}

/**
 * Sigmoid + binary cross-entropy in one stable expression, as
 * torch.nn.functional.binary_cross_entropy_with_logits. With h = |x|/2 + log(1 + exp(-|x|))
 * (so softplus(±x) = h ± x/2), the loss softplus(x) - x·y is x·(1/2 - y) + h, and with
 * posWeight pw (lw = 1 + (pw - 1)·y) it is (1 - y)·x + lw·(h - x/2). exp never sees a
 * positive argument, and h is smooth at 0, so the gradient there is exact (sigmoid(0) - y)
 * even though |x| has a kink: the common max(x,0) - x·y + log(1 + exp(-|x|)) composed from
 * relu and abs would give -y at x = 0.
 */
export function binaryCrossEntropyWithLogits(logits: Tensor, targets: Tensor, opts: BceWithLogitsOptions = {}): Tensor {
  const reduction = reductionOf('binaryCrossEntropyWithLogits', opts);
  checkPair('binaryCrossEntropyWithLogits', logits, targets);
  const x = logits;
  const y = targets;
  const a = x.abs();
  const h = a.mul(0.5).add(a.neg().exp().add(1).log());
  const loss = opts.posWeight
    ? y.neg().add(1).mul(x).add(opts.posWeight.sub(1).mul(y).add(1).mul(h.sub(x.mul(0.5))))
    : y.neg().add(0.5).mul(x).add(h);
  return reduce(opts.weight ? loss.mul(opts.weight) : loss, reduction);
}
