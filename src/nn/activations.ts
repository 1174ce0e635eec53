import { WebgradError } from '../errors.js';
import { elu, gelu, leakyRelu, silu, softplus } from '../ops/elementwise.js';
import { options } from '../options.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

/** Refused at construction, so a bad module never reaches a training loop. */
function numberOpt(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || Number.isNaN(v)) throw new WebgradError(op, `${name} must be a number, got ${Number.isNaN(v) ? 'NaN' : v === null ? 'null' : typeof v}`);
  return v;
}

/** x·Φ(x). PyTorch equivalent: `torch.nn.GELU(approximate='none' | 'tanh')`. */
export class GELU extends Module {
  /** 'none' (exact, with erf) or 'tanh' (PyTorch's tanh approximation). */
  readonly approximate: 'none' | 'tanh';
  constructor(opts: { approximate?: 'none' | 'tanh' } = {}) {
    super();
    const { approximate = 'none' } = options('GELU', opts, ['approximate']);
    if (approximate !== 'none' && approximate !== 'tanh') throw new WebgradError('GELU', `approximate must be 'none' or 'tanh', got '${String(approximate)}'`);
    this.approximate = approximate;
  }
  forward(x: Tensor): Tensor {
    return gelu(x, { approximate: this.approximate });
  }
  protected override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}

/** x·σ(x). PyTorch equivalent: `torch.nn.SiLU`. */
export class SiLU extends Module {
  forward(x: Tensor): Tensor {
    return silu(x);
  }
}

/** PyTorch equivalent: `torch.nn.LeakyReLU(negative_slope=0.01)`. */
export class LeakyReLU extends Module {
  /** The slope for negative inputs (default 0.01). */
  readonly negativeSlope: number;
  constructor(negativeSlope = 0.01) {
    super();
    this.negativeSlope = numberOpt('LeakyReLU', 'negativeSlope', negativeSlope);
  }
  forward(x: Tensor): Tensor {
    return leakyRelu(x, this.negativeSlope);
  }
  protected override extraRepr(): string {
    return `negativeSlope=${this.negativeSlope}`;
  }
}

/** PyTorch equivalent: `torch.nn.ELU(alpha=1.0)`. */
export class ELU extends Module {
  /** The scale of the negative branch, alpha·(eˣ − 1) (default 1). */
  readonly alpha: number;
  constructor(alpha = 1) {
    super();
    this.alpha = numberOpt('ELU', 'alpha', alpha);
  }
  forward(x: Tensor): Tensor {
    return elu(x, this.alpha);
  }
  protected override extraRepr(): string {
    return `alpha=${this.alpha}`;
  }
}

/** PyTorch equivalent: `torch.nn.Softplus(beta=1, threshold=20)`. */
export class Softplus extends Module {
  /** β in log(1 + e^(βx))/β (default 1). */
  readonly beta: number;
  /** Past β·x > threshold the result is x itself (default 20). */
  readonly threshold: number;
  constructor(opts: { beta?: number; threshold?: number } = {}) {
    super();
    const o = options('Softplus', opts, ['beta', 'threshold']);
    this.beta = numberOpt('Softplus', 'beta', o.beta ?? 1);
    this.threshold = numberOpt('Softplus', 'threshold', o.threshold ?? 20);
    if (this.beta === 0) throw new WebgradError('Softplus', 'beta must be nonzero');
  }
  forward(x: Tensor): Tensor {
    return softplus(x, { beta: this.beta, threshold: this.threshold });
  }
  protected override extraRepr(): string {
    return `beta=${this.beta}, threshold=${this.threshold}`;
  }
}
