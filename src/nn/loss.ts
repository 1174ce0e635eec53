import { WebgradError } from '../errors.js';
import { options } from '../options.js';
import type { Tensor } from '../tensor.js';
import * as F from './functional.js';
import { Module } from './module.js';

// The loss modules of torch.nn, each a Module whose forward(input, target) calls its functional
// form with the options given at construction. Class weights are registered as buffers, as
// PyTorch registers them, so they appear in stateDict() under 'weight' / 'posWeight'.

abstract class Loss<O extends F.LossOptions> extends Module {
  /** How the per-element losses are combined: 'mean' (default), 'sum' or 'none'. */
  readonly reduction: F.Reduction;
  /** The options given at construction (checked: unknown keys are refused). */
  protected readonly opts: O;

  constructor(op: string, opts: O | undefined, accepted: readonly (keyof O & string)[]) {
    super();
    this.opts = { ...options(op, opts, accepted) } as O;
    this.reduction = this.opts.reduction ?? 'mean';
    if (!['mean', 'sum', 'none'].includes(this.reduction)) {
      throw new WebgradError(op, `reduction must be 'mean', 'sum' or 'none', got '${String(this.reduction)}'`);
    }
  }

  /** The loss of `input` against `target`: a 0-d tensor, or per element with `reduction: 'none'`. */
  abstract override forward(input: Tensor, target: Tensor): Tensor;

  protected override extraRepr(): string {
    return this.reduction === 'mean' ? '' : `reduction=${this.reduction}`;
  }
}

/**
 * Mean squared error (input - target)², as torch.nn.MSELoss; the shapes must match (no broadcasting).
 *
 * PyTorch equivalent: `torch.nn.MSELoss`.
 *
 * @example
 * ```ts
 * const loss = new wg.nn.MSELoss().forward(pred, target);
 * ```
 */
export class MSELoss extends Loss<F.LossOptions> {
  constructor(opts?: F.LossOptions) {
    super('MSELoss', opts, ['reduction']);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.mseLoss(input, target, this.opts);
  }
}

/**
 * Mean absolute error |input - target|, as torch.nn.L1Loss (gradient 0 where equal).
 *
 * PyTorch equivalent: `torch.nn.L1Loss`.
 */
export class L1Loss extends Loss<F.LossOptions> {
  constructor(opts?: F.LossOptions) {
    super('L1Loss', opts, ['reduction']);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.l1Loss(input, target, this.opts);
  }
}

/**
 * 0.5·d² where |d| < delta, else delta·(|d| - 0.5·delta), for d = input - target.
 *
 * PyTorch equivalent: `torch.nn.HuberLoss`.
 */
export class HuberLoss extends Loss<F.HuberOptions> {
  constructor(opts?: F.HuberOptions) {
    super('HuberLoss', opts, ['reduction', 'delta']);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.huberLoss(input, target, this.opts);
  }
}

/**
 * 0.5·d²/beta where |d| < beta, else |d| - 0.5·beta, for d = input - target (beta 0 gives L1Loss).
 *
 * PyTorch equivalent: `torch.nn.SmoothL1Loss`.
 */
export class SmoothL1Loss extends Loss<F.SmoothL1Options> {
  constructor(opts?: F.SmoothL1Options) {
    super('SmoothL1Loss', opts, ['reduction', 'beta']);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.smoothL1Loss(input, target, this.opts);
  }
}

/**
 * Logits [N, C] (or [N, C, d1, …]) against int32 class indices [N] (or [N, d1, …]): logSoftmax
 * and nllLoss in one, with optional `labelSmoothing`, as torch.nn.CrossEntropyLoss.
 */
export class CrossEntropyLoss extends Loss<F.CrossEntropyOptions> {
  /** The class weights given as `weight` (a buffer, in `stateDict()`), or null. */
  declare readonly weight: Tensor | null;
  constructor(opts?: F.CrossEntropyOptions) {
    super('CrossEntropyLoss', opts, ['reduction', 'weight', 'ignoreIndex', 'labelSmoothing']);
    this.registerBuffer('weight', this.opts.weight ?? null);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.crossEntropy(input, target, { ...this.opts, weight: this.weight });
  }
}

/** Log-probabilities [N, C] (from logSoftmax) against int32 class indices [N], as torch.nn.NLLLoss. */
export class NLLLoss extends Loss<F.NllOptions> {
  /** The class weights given as `weight` (a buffer, in `stateDict()`), or null. */
  declare readonly weight: Tensor | null;
  constructor(opts?: F.NllOptions) {
    super('NLLLoss', opts, ['reduction', 'weight', 'ignoreIndex']);
    this.registerBuffer('weight', this.opts.weight ?? null);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.nllLoss(input, target, { ...this.opts, weight: this.weight });
  }
}

/** Probabilities in [0, 1] against targets in [0, 1], as torch.nn.BCELoss. */
export class BCELoss extends Loss<F.BceOptions> {
  /** The class weights given as `weight` (a buffer, in `stateDict()`), or null. */
  declare readonly weight: Tensor | null;
  constructor(opts?: F.BceOptions) {
    super('BCELoss', opts, ['reduction', 'weight']);
    this.registerBuffer('weight', this.opts.weight ?? null);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.binaryCrossEntropy(input, target, { ...this.opts, weight: this.weight });
  }
}

/** Sigmoid and binary cross-entropy in one stable expression, as torch.nn.BCEWithLogitsLoss. */
export class BCEWithLogitsLoss extends Loss<F.BceWithLogitsOptions> {
  /** The class weights given as `weight` (a buffer, in `stateDict()`), or null. */
  declare readonly weight: Tensor | null;
  /** The positive-term weights given as `posWeight` (a buffer, in `stateDict()`), or null. */
  declare readonly posWeight: Tensor | null;
  constructor(opts?: F.BceWithLogitsOptions) {
    super('BCEWithLogitsLoss', opts, ['reduction', 'weight', 'posWeight']);
    this.registerBuffer('weight', this.opts.weight ?? null);
    this.registerBuffer('posWeight', this.opts.posWeight ?? null);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.binaryCrossEntropyWithLogits(input, target, { ...this.opts, weight: this.weight, posWeight: this.posWeight });
  }
}
