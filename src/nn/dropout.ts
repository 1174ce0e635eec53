import { WebgradError } from '../errors.js';
import { dropout, dropout2d } from '../ops/dropout.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

function checkP(op: string, p: number): void {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new WebgradError(op, `dropout probability has to be between 0 and 1, but got ${String(p)}`);
}

/**
 * Zeroes elements with probability p in training mode (scaling the rest by 1/(1-p)), identity
 * in eval mode (`eval()`).
 *
 * PyTorch equivalent: `torch.nn.Dropout`.
 */
export class Dropout extends Module {
  /** The probability of zeroing an element. */
  readonly p: number;

  /** Refuses p outside [0, 1]. */
  constructor(p = 0.5) {
    super();
    checkP('Dropout', p);
    this.p = p;
  }

  /** `nn.functional.dropout(x, p, this.training)`. */
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training);
  }

  protected override extraRepr(): string {
    return `p=${this.p}`;
  }
}

/**
 * Zeroes whole channels of [N, C, H, W] with probability p in training mode (scaling the rest
 * by 1/(1-p)), identity in eval mode.
 *
 * PyTorch equivalent: `torch.nn.Dropout2d`.
 */
export class Dropout2d extends Module {
  /** The probability of zeroing a channel. */
  readonly p: number;

  /** Refuses p outside [0, 1]. */
  constructor(p = 0.5) {
    super();
    checkP('Dropout2d', p);
    this.p = p;
  }

  /** `nn.functional.dropout2d(x, p, this.training)`. */
  forward(x: Tensor): Tensor {
    return dropout2d(x, this.p, this.training);
  }

  protected override extraRepr(): string {
    return `p=${this.p}`;
  }
}
