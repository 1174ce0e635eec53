import { WebgradError } from '../errors.js';
import { options } from '../options.js';
import type { Tensor } from '../tensor.js';
import * as F from './functional.js';
import { Module } from './module.js';

// The loss modules of torch.nn, each a Module whose forward(input, target) calls its functional
// form with the options given at construction. Class weights are registered as buffers, as
// PyTorch registers them, so they appear in stateDict() under 'weight' / 'posWeight'.

abstract class Loss<O extends F.LossOptions> extends Module {
  readonly reduction: F.Reduction;
  protected readonly opts: O;

  constructor(op: string, opts: O | undefined, accepted: readonly (keyof O & string)[]) {
    super();
    this.opts = { ...options(op, opts, accepted) } as O;
    this.reduction = this.opts.reduction ?? 'mean';
    if (!['mean', 'sum', 'none'].includes(this.reduction)) {
      throw new WebgradError(op, `reduction must be 'mean', 'sum' or 'none', got '${String(this.reduction)}'`);
    }
  }

  abstract override forward(input: Tensor, target: Tensor): Tensor;

  protected override extraRepr(): string {
    return this.reduction === 'mean' ? '' : `reduction=${this.reduction}`;
  }
}

export class MSELoss extends Loss<F.LossOptions> {
  constructor(opts?: F.LossOptions) {
    super('MSELoss', opts, ['reduction']);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.mseLoss(input, target, this.opts);
  }
}

export class L1Loss extends Loss<F.LossOptions> {
  constructor(opts?: F.LossOptions) {
    super('L1Loss', opts, ['reduction']);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.l1Loss(input, target, this.opts);
  }
}

export class HuberLoss extends Loss<F.HuberOptions> {
  constructor(opts?: F.HuberOptions) {
    super('HuberLoss', opts, ['reduction', 'delta']);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.huberLoss(input, target, this.opts);
  }
}

export class SmoothL1Loss extends Loss<F.SmoothL1Options> {
  constructor(opts?: F.SmoothL1Options) {
    super('SmoothL1Loss', opts, ['reduction', 'beta']);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.smoothL1Loss(input, target, this.opts);
  }
}

/** Logits [N, C] against int32 class indices [N]: logSoftmax and nllLoss in one, as torch.nn.CrossEntropyLoss. */
export class CrossEntropyLoss extends Loss<F.NllOptions> {
  declare readonly weight: Tensor | null;
  constructor(opts?: F.NllOptions) {
    super('CrossEntropyLoss', opts, ['reduction', 'weight', 'ignoreIndex']);
    this.registerBuffer('weight', this.opts.weight ?? null);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.crossEntropy(input, target, { ...this.opts, weight: this.weight });
  }
}

/** Log-probabilities [N, C] (from logSoftmax) against int32 class indices [N], as torch.nn.NLLLoss. */
export class NLLLoss extends Loss<F.NllOptions> {
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
  declare readonly weight: Tensor | null;
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
