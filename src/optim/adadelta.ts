import type { Tensor } from '../tensor.js';
import { type ParamGroup, type Params, Optimizer } from './optimizer.js';
import type { StateSpec } from './state-dict.js';
import { closedUnitInterval, nonNegative } from './validate.js';

/** Options of `optim.Adadelta` (also accepted per param group). */
export interface AdadeltaOptions {
  /** Scale of the computed update (default 1.0). */
  lr?: number;
  /** Decay rate of the running averages (default 0.9). */
  rho?: number;
  /** Added inside the square roots for stability (default 1e-6). */
  eps?: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
}

/** What Adadelta keeps for each parameter (its `state` entry). */
export type AdadeltaState = {
  /** Steps taken with this parameter (1-based after the first step). */
  step: number;
  /** Moving average of the squared gradient. */
  squareAvg: Tensor;
  /** Moving average of the squared updates. */
  accDelta: Tensor;
};

/**
 * torch.optim.Adadelta, fused in place: with g = grad + weightDecay·p,
 *   sq = ρ·sq + (1-ρ)·g²;  δ = √(acc + eps) / √(sq + eps) · g;  acc = ρ·acc + (1-ρ)·δ²;  p -= lr·δ
 */
export class Adadelta extends Optimizer<Required<AdadeltaOptions>, AdadeltaState> {
  constructor(params: Params<Required<AdadeltaOptions>>, opts?: AdadeltaOptions) {
    super('Adadelta', params, { lr: 1.0, rho: 0.9, eps: 1e-6, weightDecay: 0 }, opts);
  }

  protected validate(o: Required<AdadeltaOptions>): void {
    nonNegative('Adadelta', 'learning rate', o.lr);
    closedUnitInterval('Adadelta', 'rho', o.rho);
    nonNegative('Adadelta', 'eps', o.eps);
    nonNegative('Adadelta', 'weightDecay', o.weightDecay);
  }

  protected stateSpec(_g: ParamGroup<Required<AdadeltaOptions>>): StateSpec {
    return { tensors: ['squareAvg', 'accDelta'], numbers: ['step'] };
  }

  step(): void {
    this.forEachGrad((p, g, o) => {
      const s = this.stateOf(p, () => ({ step: 0, squareAvg: this.zerosFor(p), accDelta: this.zerosFor(p) }));
      s.step++;
      return {
        state: [s.squareAvg, s.accDelta],
        args: { kind: 'adadelta', lr: o.lr, rho: o.rho, eps: o.eps, weightDecay: o.weightDecay },
      };
    });
  }
}
