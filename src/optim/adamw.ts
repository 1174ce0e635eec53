import type { Tensor } from '../tensor.js';
import { type ParamGroup, type Params, Optimizer } from './optimizer.js';
import type { StateSpec } from './state-dict.js';
import { checkBetas, checkBoolean, nonNegative } from './validate.js';

/** Options of `optim.AdamW` (also accepted per param group). */
export interface AdamWOptions {
  /** Learning rate (default 1e-3). */
  lr?: number;
  /** Decay rates of the first and second moment averages (default [0.9, 0.999]). */
  betas?: readonly [number, number];
  /** Added to the denominator for stability (default 1e-8). */
  eps?: number;
  /** Decoupled decay: p *= 1 - lr·weightDecay before the Adam update (default 0.01). */
  weightDecay?: number;
  /** Divide by the running maximum of the second moment (Reddi et al.). */
  amsgrad?: boolean;
}

/** What AdamW keeps for each parameter (its `state` entry). */
export type AdamWState = {
  /** Steps taken with this parameter (1-based after the first step). */
  step: number;
  /** First moment: exponential moving average of the gradient. */
  expAvg: Tensor;
  /** Second moment: exponential moving average of the squared gradient. */
  expAvgSq: Tensor;
  /** With `amsgrad`: the running maximum of the second moment. */
  maxExpAvgSq?: Tensor;
};

/**
 * torch.optim.AdamW, fused in place:
 *   p *= 1 - lr·weightDecay;  m = β1·m + (1-β1)·g;  v = β2·v + (1-β2)·g²;
 *   v̂ = amsgrad ? (vmax = max(vmax, v)) : v;  p -= lr/(1-β1ᵗ) · m / (√v̂/√(1-β2ᵗ) + eps)
 * Give biases and norm weights their own group with `weightDecay: 0`, as nanoGPT does.
 */
export class AdamW extends Optimizer<Required<AdamWOptions>, AdamWState> {
  constructor(params: Params<Required<AdamWOptions>>, opts?: AdamWOptions) {
    super('AdamW', params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false }, opts);
  }

  protected validate(o: Required<AdamWOptions>): void {
    nonNegative('AdamW', 'learning rate', o.lr);
    nonNegative('AdamW', 'eps', o.eps);
    nonNegative('AdamW', 'weightDecay', o.weightDecay);
    checkBetas('AdamW', o.betas);
    checkBoolean('AdamW', 'amsgrad', o.amsgrad);
  }

  protected stateSpec(g: ParamGroup<Required<AdamWOptions>>): StateSpec {
    return { tensors: ['expAvg', 'expAvgSq', ...(g.amsgrad ? ['maxExpAvgSq'] : [])], numbers: ['step'] };
  }

  step(): void {
    this.forEachGrad((p, g, o) => {
      const s = this.stateOf(p, () => ({ step: 0, expAvg: this.zerosFor(p), expAvgSq: this.zerosFor(p) }));
      if (o.amsgrad) s.maxExpAvgSq ??= this.zerosFor(p);
      s.step++;
      const [beta1, beta2] = o.betas;
      return {
        state: [s.expAvg, s.expAvgSq, ...(o.amsgrad ? [s.maxExpAvgSq!] : [])],
        args: {
          kind: 'adamw',
          lr: o.lr,
          weightDecay: o.weightDecay,
          beta1,
          beta2,
          eps: o.eps,
          amsgrad: o.amsgrad,
          stepSize: o.lr / (1 - beta1 ** s.step),
          bc2Sqrt: Math.sqrt(1 - beta2 ** s.step),
        },
      };
    });
  }
}
