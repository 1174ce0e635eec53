import { zerosLike } from '../creation.js';
import { WebgradError } from '../errors.js';
import { keep } from '../memory.js';
import type { Tensor } from '../tensor.js';
import { Optimizer, type Params, checkNumber } from './optimizer.js';

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
}

/**
 * torch.optim.SGD, one fused in-place kernel per parameter:
 *   d = g + weightDecay·p;  buf = momentum·buf + (1 - dampening)·d (buf = d on the first step);
 *   d = nesterov ? d + momentum·buf : buf;  p -= lr·d
 */
export class SGD extends Optimizer<Required<SGDOptions>, Tensor> {
  constructor(params: Params<Required<SGDOptions>>, opts: SGDOptions) {
    if (opts === undefined || opts.lr === undefined) throw new WebgradError('SGD', 'lr is required, e.g. new SGD(model.parameters(), { lr: 0.01 })');
    super('SGD', params, { momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, ...opts });
  }

  protected validate(o: Required<SGDOptions>): void {
    checkNumber('SGD', 'learning rate', o.lr, (v) => v >= 0, 'a finite number >= 0');
    checkNumber('SGD', 'momentum', o.momentum, (v) => v >= 0, 'a finite number >= 0');
    checkNumber('SGD', 'dampening', o.dampening, Number.isFinite, 'a finite number');
    checkNumber('SGD', 'weightDecay', o.weightDecay, (v) => v >= 0, 'a finite number >= 0');
    if (typeof o.nesterov !== 'boolean') throw new WebgradError('SGD', `nesterov must be a boolean, got ${String(o.nesterov)}`);
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
      throw new WebgradError('SGD', `nesterov momentum requires a momentum > 0 and zero dampening (got momentum=${o.momentum}, dampening=${o.dampening})`);
    }
  }

  step(): void {
    this.forEachGrad((p, g, o) => {
      let buf: Tensor | null = null;
      let firstStep = false;
      if (o.momentum !== 0) {
        buf = this.state.get(p) ?? null;
        if (!buf) {
          firstStep = true;
          buf = keep(zerosLike(p));
          this.state.set(p, buf);
        }
      }
      p.backend.sgdStep(p.storage, g.storage, buf?.storage ?? null, {
        lr: o.lr,
        momentum: o.momentum,
        dampening: o.dampening,
        nesterov: o.nesterov,
        weightDecay: o.weightDecay,
        firstStep,
      });
    });
  }

  protected stateTensors(buf: Tensor): Tensor[] {
    return [buf];
  }
}
