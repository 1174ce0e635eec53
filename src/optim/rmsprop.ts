import type { Tensor } from '../tensor.js';
import { type ParamGroup, type Params, Optimizer } from './optimizer.js';
import type { StateSpec } from './state-dict.js';
import { checkBoolean, closedUnitInterval, nonNegative } from './validate.js';

/** Options of `optim.RMSprop` (also accepted per param group). */
export interface RMSpropOptions {
  /** Learning rate (default 1e-2). */
  lr?: number;
  /** Smoothing constant of the squared-gradient average (default 0.99). */
  alpha?: number;
  /** Added to the denominator for stability (default 1e-8). */
  eps?: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
  /** Momentum factor (default 0). */
  momentum?: number;
  /** Normalise by the gradient's estimated variance instead of its second moment. */
  centered?: boolean;
}

/** What RMSprop keeps for each parameter (its `state` entry). */
export type RMSpropState = {
  /** Steps taken with this parameter (1-based after the first step). */
  step: number;
  /** Moving average of the squared gradient. */
  squareAvg: Tensor;
  /** Momentum buffer, once momentum is used. */
  momentumBuffer?: Tensor;
  /** With `centered`: moving average of the gradient. */
  gradAvg?: Tensor;
};

/**
 * torch.optim.RMSprop, fused in place: with g = grad + weightDecay·p,
 *   sq = α·sq + (1-α)·g²;  avg = √(sq - ḡ²) (centered, ḡ = α·ḡ + (1-α)·g) or √sq;  avg += eps;
 *   momentum > 0: buf = momentum·buf + g/avg, p -= lr·buf;  else p -= lr·g/avg
 */
export class RMSprop extends Optimizer<Required<RMSpropOptions>, RMSpropState> {
  constructor(params: Params<Required<RMSpropOptions>>, opts?: RMSpropOptions) {
    super('RMSprop', params, { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false }, opts);
  }

  protected validate(o: Required<RMSpropOptions>): void {
    nonNegative('RMSprop', 'learning rate', o.lr);
    closedUnitInterval('RMSprop', 'alpha', o.alpha);
    nonNegative('RMSprop', 'eps', o.eps);
    nonNegative('RMSprop', 'weightDecay', o.weightDecay);
    nonNegative('RMSprop', 'momentum', o.momentum);
    checkBoolean('RMSprop', 'centered', o.centered);
  }

  protected stateSpec(g: ParamGroup<Required<RMSpropOptions>>): StateSpec {
    return {
      tensors: ['squareAvg', ...(g.momentum > 0 ? ['momentumBuffer'] : []), ...(g.centered ? ['gradAvg'] : [])],
      numbers: ['step'],
    };
  }

  step(): void {
    this.forEachGrad((p, g, o) => {
      const s = this.stateOf(p, () => ({ step: 0, squareAvg: this.zerosFor(p) }));
      const state = [s.squareAvg];
      if (o.momentum > 0) state.push((s.momentumBuffer ??= this.zerosFor(p)));
      if (o.centered) state.push((s.gradAvg ??= this.zerosFor(p)));
      s.step++;
      return {
        state,
        args: { kind: 'rmsprop', lr: o.lr, alpha: o.alpha, eps: o.eps, weightDecay: o.weightDecay, momentum: o.momentum, centered: o.centered },
      };
    });
  }
}
