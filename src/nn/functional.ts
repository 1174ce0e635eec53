import { noGrad } from '../autograd/grad-mode.js';
import { WebgradError, check, fmtShape } from '../errors.js';
import { scope } from '../memory.js';
import { crossEntropyPerSample } from '../ops/softmax.js';
import { arange } from '../creation.js';
import { withBackend } from '../runtime.js';
import { options } from '../options.js';
import { checkSameBackend, hostValues, record, requireFloat } from '../ops/util.js';
import { sameShape } from '../shape.js';
import type { Tensor } from '../tensor.js';

export { relu, sigmoid, tanh } from '../ops/elementwise.js';
export { gelu, silu, leakyRelu, elu, softplus } from '../ops/elementwise.js';
export { linear } from '../ops/matmul.js';
export { softmax, logSoftmax } from '../ops/softmax.js';
export { pad, type PadOptions } from '../ops/slicing.js';
export { oneHot } from '../ops/indexing.js';
export { conv1d, conv2d, convTranspose2d, type ConvOptions, type ConvTransposeOptions, type ConvSize } from '../ops/conv.js';

// Losses leave their intermediates to the caller's scope(): the graph's saved tensors are
// among them, so disposing them here would break backward.

/** How a loss combines its per-element values: average, sum, or none (the loss keeps the input's shape). */
export type Reduction = 'mean' | 'sum' | 'none';

/** Options every loss takes. */
export interface LossOptions {
  /** 'mean' (default) averages over every element, 'sum' adds them, 'none' keeps them. */
  reduction?: Reduction;
}

/** Options of `crossEntropy` and `nllLoss` (and their modules). */
export interface NllOptions extends LossOptions {
  /** One weight per class [C]: each sample's loss is scaled by its target's weight. */
  weight?: Tensor | null;
  /** Samples with this target count for nothing, in the loss and in the mean (default -100). */
  ignoreIndex?: number;
}

/** Options of `huberLoss` / `nn.HuberLoss`. */
export interface HuberOptions extends LossOptions {
  /** Where the loss turns from quadratic to linear (default 1). */
  delta?: number;
}

/** Options of `smoothL1Loss` / `nn.SmoothL1Loss`. */
export interface SmoothL1Options extends LossOptions {
  /** Where the loss turns from quadratic to linear (default 1); 0 gives l1Loss. */
  beta?: number;
}

/** Options of `binaryCrossEntropy` / `nn.BCELoss`. */
export interface BceOptions extends LossOptions {
  /** Rescales each element's loss; broadcast to the input's shape. */
  weight?: Tensor | null;
}

/** Options of `binaryCrossEntropyWithLogits` / `nn.BCEWithLogitsLoss`. */
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
  options('mseLoss', opts, ['reduction']);
  const reduction = reductionOf('mseLoss', opts);
  checkPair('mseLoss', input, target);
  return reduce(input.sub(target).pow(2), reduction);
}

/** Options of `crossEntropy` / `nn.CrossEntropyLoss`. */
export interface CrossEntropyOptions extends NllOptions {
  /**
   * ε in [0, 1]: the target becomes (1 - ε)·one-hot + ε/C, so the loss is (1 - ε)·nll + ε/C·Σ_c -w_c·log p_c
   * (PyTorch's formula, default 0).
   */
  labelSmoothing?: number;
}

/**
 * Softmax cross-entropy of logits [N, C], [C] or [N, C, d1, …] against int32 class indices [N],
 * [] or [N, d1, …], as torch.nn.functional.cross_entropy. Without options the [N, C] case is one
 * fused kernel each way, stable for logits of ±1000 (the [N, C, d…] case moves C last and runs
 * the same kernel); class weights, an ignored index or label smoothing go through logSoftmax and
 * nllLoss, as PyTorch defines them.
 */
export function crossEntropy(logits: Tensor, targets: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  const op = 'crossEntropy';
  const { weight = null, ignoreIndex, labelSmoothing = 0 } = options(op, opts, ['reduction', 'weight', 'ignoreIndex', 'labelSmoothing']);
  const reduction = reductionOf(op, opts);
  check(typeof labelSmoothing === 'number' && labelSmoothing >= 0 && labelSmoothing <= 1, op, () =>
    `labelSmoothing must be a number in [0, 1], got ${String(labelSmoothing)}`);
  const plain = weight === null && ignoreIndex === undefined;
  if (logits.ndim <= 2 && labelSmoothing === 0) {
    // Class weights or an ignored index: logSoftmax then nllLoss (PyTorch's definition), which
    // the fused kernel does not cover.
    if (!plain) {
      requireFloat(op, logits);
      return nllLoss(logits.logSoftmax(logits.ndim === 1 ? 0 : 1), targets, { reduction, weight, ignoreIndex }, op);
    }
    if (logits.ndim === 2) return reduce(crossEntropyPerSample(logits, targets), reduction);
  }
  // Everything else is checked here, on the shapes the caller gave, before any view is made.
  checkSameBackend(op, logits, targets);
  requireFloat(op, logits);
  check(logits.ndim >= 1, op, () => `expected logits of shape [N, C], [C] or [N, C, d1, ...], got ${fmtShape(logits.shape)}`);
  check(targets.dtype === 'int32', op, () => `expected int32 class indices as targets, got ${targets.dtype}; convert with .to('int32')`);
  const classes = logits.ndim === 1 ? logits.shape[0] : logits.shape[1];
  const outShape = logits.ndim === 1 ? [] : [logits.shape[0], ...logits.shape.slice(2)];
  check(sameShape(targets.shape, outShape), op, () =>
    `targets of shape ${fmtShape(targets.shape)} do not match logits of shape ${fmtShape(logits.shape)} (expected ${fmtShape(outShape)})`);
  const ignored = ignoreIndex ?? -100;
  check(Number.isInteger(ignored), op, () => `ignoreIndex must be an integer, got ${ignored}`);
  if (weight !== null) {
    checkSameBackend(op, logits, weight);
    requireFloat(op, weight);
    check(weight.ndim === 1 && weight.shape[0] === classes, op, () => `weight must have shape [${classes}] (one per class), got ${fmtShape(weight.shape)}`);
  }
  checkNllTargets(op, targets, classes, ignored);
  // Classes last, one row per sample: [N, C, d1, ...] -> [N, d1, ..., C] -> [N·d1·..., C].
  const rows = logits.ndim <= 2 ? logits : logits.permute([0, ...logits.shape.slice(2).map((_, i) => i + 2), 1]);
  const x = rows.reshape([-1, classes]);
  const t = targets.reshape([-1]);
  let loss: Tensor;
  if (labelSmoothing > 0) loss = smoothedCrossEntropy(x, t, weight, ignored, labelSmoothing, reduction);
  else if (plain) loss = reduce(crossEntropyPerSample(x, t), reduction);
  else loss = nllLoss(x.logSoftmax(1), t, { reduction, weight, ignoreIndex: ignored }, op);
  return reduction === 'none' ? loss.reshape(outShape) : loss;
}

/**
 * torch 1.13's cross_entropy_loss_label_smoothing for rows x [M, C] and targets [M]:
 * (1 - ε)·nll + ε/C·smooth, where smooth_m = -Σ_c w_c·log p_mc (0 for an ignored target);
 * 'mean' divides both terms by the summed weights w[t_m] of the counted samples (their count
 * without weights), as nllLoss's weighted mean does.
 */
function smoothedCrossEntropy(x: Tensor, t: Tensor, weight: Tensor | null, ignoreIndex: number, eps: number, reduction: Reduction): Tensor {
  const classes = x.shape[1];
  const logP = x.logSoftmax(1);
  const nll = nllLoss(logP, t, { reduction: 'none', weight, ignoreIndex }, 'crossEntropy');
  const counted = t.ne(ignoreIndex);
  const smooth = (weight === null ? logP : logP.mul(weight)).sum(1).neg().mul(counted);
  const loss = nll.mul(1 - eps).add(smooth.mul(eps / classes));
  if (reduction !== 'mean') return reduce(loss, reduction);
  const counts = weight === null ? counted : t.unsqueeze(1).eq(withBackend(t.backend, () => arange(classes))).mul(weight).sum(1).mul(counted);
  return loss.sum().div(counts.sum());
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
  options('binaryCrossEntropy', opts, ['reduction', 'weight']);
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
  options('binaryCrossEntropyWithLogits', opts, ['reduction', 'weight', 'posWeight']);
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

/**
 * The ignore index may be among the targets; every other target must be a class in [0, C):
 * checked on the host (bounds known from tensor(), the DataLoader..., or the values on the CPU
 * backend) before anything runs, as crossEntropy checks them.
 */
function checkNllTargets(op: string, targets: Tensor, classes: number, ignoreIndex: number): void {
  if (targets.numel === 0) return;
  let range = targets.hostRange;
  const values = range ? null : hostValues(targets);
  if (values) {
    let [min, max] = [Infinity, -Infinity];
    for (const v of values) {
      if (v === ignoreIndex) continue;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    range = min === Infinity ? null : { min, max };
    if (!range) return; // every target is ignored
  }
  if (!range) {
    throw new WebgradError(op, `the values of targets of shape ${fmtShape(targets.shape)} were computed on the ${targets.backend.name} device, so they cannot be checked against the ${classes} classes without a readback; make targets with wg.tensor(data, { dtype: 'int32' }) or the DataLoader`);
  }
  const okMin = range.min >= 0 || range.min === ignoreIndex;
  const okMax = range.max < classes || range.max === ignoreIndex;
  check(okMin && okMax, op, () =>
    `targets must be class indices in [0, ${classes - 1}] (or ignoreIndex ${ignoreIndex}) for ${classes} classes, but targets of shape ${fmtShape(targets.shape)} range over [${range.min}, ${range.max}]`);
}

/**
 * Negative log-likelihood of log-probabilities [N, C] (or [C]) at int32 class targets [N] (or
 * []), as torch.nn.functional.nll_loss: loss_n = -w[t_n]·input[n, t_n], 0 where t_n is
 * ignoreIndex; 'mean' divides by the summed weights of the counted samples (PyTorch's
 * weighted mean). Picks input[n, t_n] with a one-hot mask (no gather op), so its gradient is
 * -w[t_n] at the target and 0 elsewhere; an input of -Infinity off the target would give NaN.
 */
export function nllLoss(input: Tensor, targets: Tensor, opts: NllOptions = {}, op = 'nllLoss'): Tensor {
  const { weight = null, ignoreIndex = -100 } = options(op, opts, ['reduction', 'weight', 'ignoreIndex']);
  const reduction = reductionOf(op, opts);
  checkSameBackend(op, input, targets);
  requireFloat(op, input);
  check(input.ndim === 1 || input.ndim === 2, op, () => `expected input of shape [N, C] or [C], got ${fmtShape(input.shape)}`);
  check(targets.dtype === 'int32', op, () => `expected int32 class indices as targets, got ${targets.dtype}; convert with .long() or .to('int32')`);
  const batched = input.ndim === 2;
  check(batched ? targets.ndim === 1 && targets.shape[0] === input.shape[0] : targets.ndim === 0, op, () =>
    `targets of shape ${fmtShape(targets.shape)} do not match input of shape ${fmtShape(input.shape)} (expected ${batched ? `[${input.shape[0]}]` : 'a 0-d class index'})`);
  check(Number.isInteger(ignoreIndex), op, () => `ignoreIndex must be an integer, got ${ignoreIndex}`);
  const classes = input.shape.at(-1)!;
  if (weight !== null) {
    checkSameBackend(op, input, weight);
    requireFloat(op, weight);
    check(weight.ndim === 1 && weight.shape[0] === classes, op, () => `weight must have shape [${classes}] (one per class), got ${fmtShape(weight.shape)}`);
  }
  checkNllTargets(op, targets, classes, ignoreIndex);
  const x = batched ? input : input.reshape(1, classes);
  const t = batched ? targets : targets.reshape(1);
  const onehot = t.unsqueeze(1).eq(withBackend(t.backend, () => arange(classes)));
  const counted = t.ne(ignoreIndex);
  const w = weight === null ? counted : onehot.mul(weight).sum(1).mul(counted);
  const loss = x.mul(onehot).sum(1).neg().mul(w);
  if (reduction === 'none') return batched ? loss : loss.reshape([]);
  return reduction === 'sum' ? loss.sum() : loss.sum().div(w.sum());
}

/** Absolute error |input - target|, as torch.nn.functional.l1_loss (gradient 0 where equal). */
export function l1Loss(input: Tensor, target: Tensor, opts: LossOptions = {}): Tensor {
  options('l1Loss', opts, ['reduction']);
  const reduction = reductionOf('l1Loss', opts);
  checkPair('l1Loss', input, target);
  return reduce(input.sub(target).abs(), reduction);
}

/**
 * 0.5·d² where |d| < delta, else delta·(|d| - 0.5·delta), for d = input - target, as
 * torch.nn.functional.huber_loss; written 0.5·c² + delta·(|d| - c) with c = min(|d|, delta),
 * which is the same function with the same gradient (clamp passes it at its bound, where both
 * branches have slope delta) and needs no select op.
 */
export function huberLoss(input: Tensor, target: Tensor, opts: HuberOptions = {}): Tensor {
  const { delta = 1 } = options('huberLoss', opts, ['reduction', 'delta']);
  const reduction = reductionOf('huberLoss', opts);
  check(typeof delta === 'number' && delta > 0, 'huberLoss', () => `delta must be a positive number, got ${String(delta)}`);
  checkPair('huberLoss', input, target);
  return reduce(huber(input, target, delta), reduction);
}

function huber(input: Tensor, target: Tensor, delta: number): Tensor {
  const a = input.sub(target).abs();
  const c = a.clamp(null, delta);
  return c.square().mul(0.5).add(a.sub(c).mul(delta));
}

/**
 * 0.5·d²/beta where |d| < beta, else |d| - 0.5·beta, as torch.nn.functional.smooth_l1_loss:
 * huberLoss with delta = beta, divided by beta; beta = 0 is l1Loss.
 */
export function smoothL1Loss(input: Tensor, target: Tensor, opts: SmoothL1Options = {}): Tensor {
  const { beta = 1 } = options('smoothL1Loss', opts, ['reduction', 'beta']);
  const reduction = reductionOf('smoothL1Loss', opts);
  check(typeof beta === 'number' && beta >= 0, 'smoothL1Loss', () => `beta must be a non-negative number, got ${String(beta)}`);
  checkPair('smoothL1Loss', input, target);
  if (beta === 0) return reduce(input.sub(target).abs(), reduction);
  return reduce(huber(input, target, beta).div(beta), reduction);
}

// ---- pooling, batch norm, dropout (issue 12) ----
export { maxPool2d, maxPool1d, avgPool2d, avgPool1d, adaptiveAvgPool2d } from '../ops/pooling.js';
export type { MaxPool2dOptions, MaxPool1dOptions, AvgPool2dOptions, AvgPool1dOptions } from '../ops/pooling.js';
export { batchNorm, type BatchNormOptions } from '../ops/batch-norm.js';
export { dropout, dropout2d } from '../ops/dropout.js';
export { scaledDotProductAttention, type AttentionOptions } from '../ops/attention.js';
export { embedding } from './embedding.js';
export { layerNorm, type LayerNormFnOptions } from './layer-norm.js';
