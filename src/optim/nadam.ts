import type { Tensor } from '../tensor.js';
import { type ParamGroup, type Params, Optimizer } from './optimizer.js';
import type { StateSpec } from './state-dict.js';
import { checkBetas, nonNegative } from './validate.js';

/** Options of `optim.NAdam` (also accepted per param group). */
export interface NAdamOptions {
  /** Learning rate (default 2e-3). */
  lr?: number;
  /** Decay rates of the first and second moment averages (default [0.9, 0.999]). */
  betas?: readonly [number, number];
  /** Added to the denominator for stability (default 1e-8). */
  eps?: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
  /** Momentum decay ψ of the μₜ schedule (default 4e-3). */
  momentumDecay?: number;
}

/** What NAdam keeps for each parameter (its `state` entry). */
export type NAdamState = {
  /** Steps taken with this parameter (1-based after the first step). */
  step: number;
  /** Product of the momentum schedule so far (a host number). */
  muProduct: number;
  /** First moment: exponential moving average of the gradient. */
  expAvg: Tensor;
  /** Second moment: exponential moving average of the squared gradient. */
  expAvgSq: Tensor;
};

/**
 * torch.optim.NAdam, fused in place: with g = grad + weightDecay·p,
 * μₜ = β1·(1 - ½·0.96^(t·momentumDecay)) and Πₜ = μ1···μₜ,
 *   m = β1·m + (1-β1)·g;  v = β2·v + (1-β2)·g²;  d = √(v/(1-β2ᵗ)) + eps;
 *   p -= lr·(1-μₜ)/(1-Πₜ) · g/d;  p -= lr·μₜ₊₁/(1-Πₜ·μₜ·μₜ₊₁) · m/d   (1.13's product, see below)
 */
export class NAdam extends Optimizer<Required<NAdamOptions>, NAdamState> {
  constructor(params: Params<Required<NAdamOptions>>, opts?: NAdamOptions) {
    super('NAdam', params, { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, momentumDecay: 4e-3 }, opts);
  }

  protected validate(o: Required<NAdamOptions>): void {
    nonNegative('NAdam', 'learning rate', o.lr);
    nonNegative('NAdam', 'eps', o.eps);
    checkBetas('NAdam', o.betas);
    nonNegative('NAdam', 'weightDecay', o.weightDecay);
    nonNegative('NAdam', 'momentumDecay', o.momentumDecay);
  }

  protected stateSpec(_g: ParamGroup<Required<NAdamOptions>>): StateSpec {
    return { tensors: ['expAvg', 'expAvgSq'], numbers: ['step', 'muProduct'] };
  }

  step(): void {
    this.forEachGrad((p, g, o) => {
      const s = this.stateOf(p, () => ({ step: 0, muProduct: 1, expAvg: this.zerosFor(p), expAvgSq: this.zerosFor(p) }));
      s.step++;
      const [beta1, beta2] = o.betas;
      const mu = beta1 * (1 - 0.5 * 0.96 ** (s.step * o.momentumDecay));
      const muNext = beta1 * (1 - 0.5 * 0.96 ** ((s.step + 1) * o.momentumDecay));
      // torch keeps mu_product in a float32 tensor (torch.tensor(1.)): its products round to
      // float32. 1.13 multiplies the updated product by mu once more for the next one
      // (mu_product * mu * mu_next); torch 2.x dropped that factor. This follows 1.13.
      s.muProduct = Math.fround(s.muProduct * Math.fround(mu));
      const muProductNext = Math.fround(Math.fround(s.muProduct * Math.fround(mu)) * Math.fround(muNext));
      return {
        state: [s.expAvg, s.expAvgSq],
        args: {
          kind: 'nadam',
          beta1,
          beta2,
          eps: o.eps,
          weightDecay: o.weightDecay,
          biasCorrection2: 1 - beta2 ** s.step,
          gradStep: (o.lr * (1 - mu)) / (1 - s.muProduct),
          avgStep: (o.lr * muNext) / (1 - muProductNext),
        },
      };
    });
  }
}
