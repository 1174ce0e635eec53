import { fullLike } from '../creation.js';
import { keep } from '../memory.js';
import type { Tensor } from '../tensor.js';
import { type ParamGroup, type Params, Optimizer } from './optimizer.js';
import type { StateSpec } from './state-dict.js';
import { nonNegative } from './validate.js';

/** Options of `optim.Adagrad` (also accepted per param group). */
export interface AdagradOptions {
  /** Learning rate (default 1e-2). */
  lr?: number;
  /** Learning-rate decay per step (default 0). */
  lrDecay?: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
  /** The sum of squared gradients starts here. */
  initialAccumulatorValue?: number;
  /** Added to the denominator for stability (default 1e-10). */
  eps?: number;
}

/** What Adagrad keeps for each parameter (its `state` entry). */
export type AdagradState = {
  /** Steps taken with this parameter (1-based after the first step). */
  step: number;
  /** Sum of squared gradients (plus the initial accumulator value). */
  sum: Tensor;
};

/**
 * torch.optim.Adagrad (dense gradients), fused in place: with
 * g = grad + weightDecay·p and clr = lr / (1 + (t-1)·lrDecay),
 *   sum += g²;  p -= clr · g / (√sum + eps)
 */
export class Adagrad extends Optimizer<Required<AdagradOptions>, AdagradState> {
  constructor(params: Params<Required<AdagradOptions>>, opts?: AdagradOptions) {
    super('Adagrad', params, { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10 }, opts);
  }

  protected validate(o: Required<AdagradOptions>): void {
    nonNegative('Adagrad', 'learning rate', o.lr);
    nonNegative('Adagrad', 'lrDecay', o.lrDecay);
    nonNegative('Adagrad', 'weightDecay', o.weightDecay);
    nonNegative('Adagrad', 'initialAccumulatorValue', o.initialAccumulatorValue);
    nonNegative('Adagrad', 'eps', o.eps);
  }

  protected stateSpec(_g: ParamGroup<Required<AdagradOptions>>): StateSpec {
    return { tensors: ['sum'], numbers: ['step'] };
  }

  step(): void {
    this.forEachGrad((p, g, o) => {
      const s = this.stateOf(p, () => ({ step: 0, sum: keep(fullLike(p, o.initialAccumulatorValue)) }));
      s.step++;
      return {
        state: [s.sum],
        args: { kind: 'adagrad', clr: o.lr / (1 + (s.step - 1) * o.lrDecay), eps: o.eps, weightDecay: o.weightDecay },
      };
    });
  }
}
