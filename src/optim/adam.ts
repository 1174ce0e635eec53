import { zerosLike } from '../creation.js';
import { WebgradError } from '../errors.js';
import { keep } from '../memory.js';
import type { Tensor } from '../tensor.js';
import { Optimizer, type Params, checkNumber } from './optimizer.js';

export interface AdamOptions {
  lr?: number;
  betas?: readonly [number, number];
  eps?: number;
  /** L2 penalty added to the gradient (Adam's, not AdamW's decoupled decay). */
  weightDecay?: number;
}

interface AdamState {
  step: number;
  m: Tensor;
  v: Tensor;
}

/**
 * torch.optim.Adam, one fused in-place kernel per parameter: with g = grad + weightDecay·p,
 *   m = β1·m + (1-β1)·g;  v = β2·v + (1-β2)·g²;
 *   p -= lr/(1-β1ᵗ) · m / (√v/√(1-β2ᵗ) + eps)
 */
export class Adam extends Optimizer<Required<AdamOptions>, AdamState> {
  constructor(params: Params<Required<AdamOptions>>, opts: AdamOptions = {}) {
    super('Adam', params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, ...opts });
  }

  protected validate(o: Required<AdamOptions>): void {
    checkNumber('Adam', 'learning rate', o.lr, (v) => v >= 0, 'a finite number >= 0');
    checkNumber('Adam', 'eps', o.eps, (v) => v >= 0, 'a finite number >= 0');
    checkNumber('Adam', 'weightDecay', o.weightDecay, (v) => v >= 0, 'a finite number >= 0');
    if (!Array.isArray(o.betas) || o.betas.length !== 2) throw new WebgradError('Adam', `betas must be a pair [beta1, beta2], got ${String(o.betas)}`);
    o.betas.forEach((b, i) => checkNumber('Adam', `beta parameter at index ${i}`, b, (v) => v >= 0 && v < 1, 'a number in [0, 1)'));
  }

  step(): void {
    this.forEachGrad((p, g, o) => {
      let s = this.state.get(p);
      if (!s) {
        s = { step: 0, m: keep(zerosLike(p)), v: keep(zerosLike(p)) };
        this.state.set(p, s);
      }
      s.step++;
      p.backend.adamStep(p.storage, g.storage, s.m.storage, s.v.storage, {
        lr: o.lr,
        beta1: o.betas[0],
        beta2: o.betas[1],
        eps: o.eps,
        weightDecay: o.weightDecay,
        step: s.step,
      });
    });
  }

  protected stateTensors(s: AdamState): Tensor[] {
    return [s.m, s.v];
  }
}
