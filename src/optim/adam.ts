import type { Tensor } from '../tensor.js';
import { type ParamGroup, type Params, Optimizer } from './optimizer.js';
import type { StateSpec } from './state-dict.js';
import { checkBetas, nonNegative } from './validate.js';

/** Options of `optim.Adam` (also accepted per param group). */
export interface AdamOptions {
  /** Learning rate (default 1e-3). */
  lr?: number;
  /** Decay rates of the first and second moment averages (default [0.9, 0.999]). */
  betas?: readonly [number, number];
  /** Added to the denominator for stability (default 1e-8). */
  eps?: number;
  /** L2 penalty added to the gradient (Adam's, not AdamW's decoupled decay). */
  weightDecay?: number;
}

/** What Adam keeps for each parameter (its `state` entry). */
export type AdamState = {
  /** Steps taken with this parameter (1-based after the first step). */
  step: number;
  /** First moment: exponential moving average of the gradient. */
  expAvg: Tensor;
  /** Second moment: exponential moving average of the squared gradient. */
  expAvgSq: Tensor;
};

/**
 * torch.optim.Adam, fused in place: with g = grad + weightDecay·p,
 *   m = β1·m + (1-β1)·g;  v = β2·v + (1-β2)·g²;
 *   p -= lr/(1-β1ᵗ) · m / (√v/√(1-β2ᵗ) + eps)
 */
export class Adam extends Optimizer<Required<AdamOptions>, AdamState> {
  constructor(params: Params<Required<AdamOptions>>, opts?: AdamOptions) {
    super('Adam', params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 }, opts);
  }

  protected validate(o: Required<AdamOptions>): void {
    nonNegative('Adam', 'learning rate', o.lr);
    nonNegative('Adam', 'eps', o.eps);
    nonNegative('Adam', 'weightDecay', o.weightDecay);
    checkBetas('Adam', o.betas);
  }

  protected stateSpec(_g: ParamGroup<Required<AdamOptions>>): StateSpec {
    return { tensors: ['expAvg', 'expAvgSq'], numbers: ['step'] };
  }

  step(): void {
    this.forEachGrad((p, g, o) => {
      const s = this.stateOf(p, () => ({ step: 0, expAvg: this.zerosFor(p), expAvgSq: this.zerosFor(p) }));
      s.step++;
      return {
        state: [s.expAvg, s.expAvgSq],
        args: { kind: 'adam', lr: o.lr, beta1: o.betas[0], beta2: o.betas[1], eps: o.eps, weightDecay: o.weightDecay, step: s.step },
      };
    });
  }
}
