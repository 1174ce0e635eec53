import { WebgradError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { type ParamGroup, type Params, Optimizer } from './optimizer.js';
import type { StateSpec } from './state-dict.js';
import { checkBoolean, checkNumber, nonNegative } from './validate.js';

/** Options of `optim.SGD` (also accepted per param group). */
export interface SGDOptions {
  /** Learning rate (required). */
  lr: number;
  /** Momentum factor (default 0: plain SGD). */
  momentum?: number;
  /** Dampening of the momentum (default 0). */
  dampening?: number;
  /** Nesterov momentum (default false; needs momentum > 0 and dampening 0). */
  nesterov?: boolean;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
}

/** What SGD keeps for each parameter (its `state` entry). */
export type SGDState = {
  /** Momentum buffer, once momentum is used. */
  momentumBuffer?: Tensor;
};

/**
 * torch.optim.SGD, fused in place:
 *   d = g + weightDecay·p;  buf = momentum·buf + (1 - dampening)·d (buf = d on the first step);
 *   d = nesterov ? d + momentum·buf : buf;  p -= lr·d
 */
export class SGD extends Optimizer<Required<SGDOptions>, SGDState> {
  constructor(params: Params<Required<SGDOptions>>, opts: SGDOptions) {
    if (opts === undefined || opts === null || opts.lr === undefined) throw new WebgradError('SGD', 'lr is required, e.g. new SGD(model.parameters(), { lr: 0.01 })');
    super('SGD', params, { lr: 0, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 }, opts);
  }

  protected validate(o: Required<SGDOptions>): void {
    nonNegative('SGD', 'learning rate', o.lr);
    nonNegative('SGD', 'momentum', o.momentum);
    checkNumber('SGD', 'dampening', o.dampening, Number.isFinite, 'a finite number');
    nonNegative('SGD', 'weightDecay', o.weightDecay);
    checkBoolean('SGD', 'nesterov', o.nesterov);
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
      throw new WebgradError('SGD', `nesterov momentum requires a momentum > 0 and zero dampening (got momentum=${o.momentum}, dampening=${o.dampening})`);
    }
  }

  protected stateSpec(g: ParamGroup<Required<SGDOptions>>): StateSpec {
    return { tensors: g.momentum !== 0 ? ['momentumBuffer'] : [], numbers: [] };
  }

  step(): void {
    this.forEachGrad((p, g, o) => {
      let buf: Tensor | null = null;
      let firstStep = false;
      if (o.momentum !== 0) {
        const s = this.stateOf(p, () => ({}));
        if (s.momentumBuffer === undefined) {
          firstStep = true;
          s.momentumBuffer = this.zerosFor(p);
        }
        buf = s.momentumBuffer;
      }
      return {
        state: buf === null ? [] : [buf],
        args: { kind: 'sgd', lr: o.lr, momentum: o.momentum, dampening: o.dampening, nesterov: o.nesterov, weightDecay: o.weightDecay, firstStep },
      };
    });
  }
}
