import type { Tensor } from '../tensor.js';
import { type ParamGroup, type Params, Optimizer } from './optimizer.js';
import type { StateSpec } from './state-dict.js';
import { checkBetas, nonNegative } from './validate.js';

/** Options of `optim.Adamax` (also accepted per param group). */
export interface AdamaxOptions {
  /** Learning rate (default 2e-3). */
  lr?: number;
  /** Decay rates of the first moment and of the infinity norm (default [0.9, 0.999]). */
  betas?: readonly [number, number];
  /** Added to the infinity norm for stability (default 1e-8). */
  eps?: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
}

/** What Adamax keeps for each parameter (its `state` entry). */
export type AdamaxState = {
  /** Steps taken with this parameter (1-based after the first step). */
  step: number;
  /** First moment: exponential moving average of the gradient. */
  expAvg: Tensor;
  /** Exponentially weighted infinity norm of the gradient. */
  expInf: Tensor;
};

/**
 * torch.optim.Adamax, fused in place: with g = grad + weightDecay·p,
 *   m = β1·m + (1-β1)·g;  u = max(β2·u, |g| + eps);  p -= lr/(1-β1ᵗ) · m/u
 */
export class Adamax extends Optimizer<Required<AdamaxOptions>, AdamaxState> {
  constructor(params: Params<Required<AdamaxOptions>>, opts?: AdamaxOptions) {
    super('Adamax', params, { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 }, opts);
  }

  protected validate(o: Required<AdamaxOptions>): void {
    nonNegative('Adamax', 'learning rate', o.lr);
    nonNegative('Adamax', 'eps', o.eps);
    checkBetas('Adamax', o.betas);
    nonNegative('Adamax', 'weightDecay', o.weightDecay);
  }

  protected stateSpec(_g: ParamGroup<Required<AdamaxOptions>>): StateSpec {
    return { tensors: ['expAvg', 'expInf'], numbers: ['step'] };
  }

  step(): void {
    this.forEachGrad((p, g, o) => {
      const s = this.stateOf(p, () => ({ step: 0, expAvg: this.zerosFor(p), expInf: this.zerosFor(p) }));
      s.step++;
      const [beta1, beta2] = o.betas;
      return {
        state: [s.expAvg, s.expInf],
        args: { kind: 'adamax', clr: o.lr / (1 - beta1 ** s.step), beta1, beta2, eps: o.eps, weightDecay: o.weightDecay },
      };
    });
  }
}
