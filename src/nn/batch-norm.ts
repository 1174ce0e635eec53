import { full } from '../creation.js';
import type { DType } from '../dtype.js';
import { WebgradError, check, fmtShape } from '../errors.js';
import { batchNorm } from '../ops/batch-norm.js';
import { hostValues } from '../ops/util.js';
import { options } from '../options.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

/** Options of `nn.BatchNorm1d` / `nn.BatchNorm2d`. */
export interface BatchNormModuleOptions {
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /** Weight of each new batch in the running statistics (default 0.1); null: their cumulative average. */
  momentum?: number | null;
  /** Learn a per-channel weight (ones) and bias (zeros) (default true). */
  affine?: boolean;
  /** Keep running statistics for eval mode (default true); without them eval uses the batch's. */
  trackRunningStats?: boolean;
  /** float32 (default), or float64 on the CPU backend. */
  dtype?: DType;
}

/**
 * What BatchNorm1d and BatchNorm2d share: PyTorch's _BatchNorm. State-dict names `weight`,
 * `bias`, `running_mean`, `running_var`, `num_batches_tracked` (a 0-d int32 tensor here,
 * int64 in PyTorch: its load_state_dict casts it), so a saved model loads into torch.
 */
abstract class BatchNormBase extends Module {
  /** Channels (dim 1 of the input). */
  readonly numFeatures: number;
  /** Added to the variance before the square root. */
  readonly eps: number;
  /** Weight of each new batch in the running statistics; null: cumulative average. */
  readonly momentum: number | null;
  /** Whether weight and bias are learned. */
  readonly affine: boolean;
  /** Whether running statistics are kept. */
  readonly trackRunningStats: boolean;
  /** Per-channel scale [numFeatures] (ones), or null without affine. */
  readonly weight: Tensor | null;
  /** Per-channel shift [numFeatures] (zeros), or null without affine. */
  readonly bias: Tensor | null;
  /** Running mean [numFeatures] (zeros at first), or null without trackRunningStats. */
  readonly runningMean: Tensor | null;
  /** Running (unbiased) variance [numFeatures] (ones at first), or null without trackRunningStats. */
  readonly runningVar: Tensor | null;
  /** Training batches seen (0-d int32), or null without trackRunningStats. */
  readonly numBatchesTracked: Tensor | null;
  /** The count on the host, for momentum null where the buffer's value is not known there. */
  #batches = 0;

  constructor(op: string, numFeatures: number, opts: BatchNormModuleOptions) {
    super();
    const o = options(op, opts, ['eps', 'momentum', 'affine', 'trackRunningStats', 'dtype']);
    check(Number.isInteger(numFeatures) && numFeatures > 0, op, () => `numFeatures must be a positive integer, got ${String(numFeatures)}`);
    const dtype = o.dtype ?? 'float32';
    if (dtype !== 'float32' && dtype !== 'float64') throw new WebgradError(op, `dtype must be float32 or float64, got ${String(dtype)}`);
    this.numFeatures = numFeatures;
    this.eps = o.eps ?? 1e-5;
    this.momentum = o.momentum === undefined ? 0.1 : o.momentum;
    this.affine = o.affine ?? true;
    this.trackRunningStats = o.trackRunningStats ?? true;
    check(typeof this.eps === 'number' && this.eps >= 0, op, () => `eps must be a non-negative number, got ${String(this.eps)}`);
    check(this.momentum === null || (typeof this.momentum === 'number' && Number.isFinite(this.momentum)), op, () =>
      `momentum must be a number or null, got ${String(this.momentum)}`);
    check(typeof this.affine === 'boolean' && typeof this.trackRunningStats === 'boolean', op, () => 'affine and trackRunningStats must be booleans');
    this.weight = this.registerParameter('weight', this.affine ? full([numFeatures], 1, { dtype }) : null);
    this.bias = this.registerParameter('bias', this.affine ? full([numFeatures], 0, { dtype }) : null);
    const track = this.trackRunningStats;
    this.runningMean = this.registerBuffer('running_mean', track ? full([numFeatures], 0, { dtype }) : null);
    this.runningVar = this.registerBuffer('running_var', track ? full([numFeatures], 1, { dtype }) : null);
    this.numBatchesTracked = this.registerBuffer('num_batches_tracked', track ? full([], 0, { dtype: 'int32' }) : null);
  }

  /** The input-rank check of the subclass (torch's _check_input_dim). */
  protected abstract checkInput(x: Tensor): void;

  /** Normalises `x` per channel (PyTorch's _BatchNorm.forward). */
  forward(x: Tensor): Tensor {
    this.checkInput(x);
    let factor = this.momentum ?? 0;
    if (this.training && this.numBatchesTracked !== null) {
      const count = this.#count() + 1;
      this.#batches = count;
      this.numBatchesTracked.fill_(count);
      if (this.momentum === null) factor = 1 / count;
    }
    const useBatch = this.training || this.runningMean === null;
    const keepRunning = !this.training || this.trackRunningStats;
    return batchNorm(x, keepRunning ? this.runningMean : null, keepRunning ? this.runningVar : null, this.weight, this.bias,
      { training: useBatch, momentum: factor, eps: this.eps });
  }

  /** The buffer's value where the host knows it (set by fill_, or CPU memory), else the host count. */
  #count(): number {
    const t = this.numBatchesTracked!;
    const r = t.hostRange;
    if (r && r.min === r.max) return r.min;
    const v = hostValues(t);
    return v ? v[0] : this.#batches;
  }

  protected override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.affine}, trackRunningStats=${this.trackRunningStats}`;
  }
}

/**
 * Batch normalisation of [N, C] or [N, C, L] over N (and L) per channel.
 *
 * PyTorch equivalent: `torch.nn.BatchNorm1d`.
 */
export class BatchNorm1d extends BatchNormBase {
  /** Weight ones, bias zeros, running mean zeros, running variance ones. */
  constructor(numFeatures: number, opts: BatchNormModuleOptions = {}) {
    super('BatchNorm1d', numFeatures, opts);
  }

  /** Refuses anything but [N, C] and [N, C, L], as torch's BatchNorm1d. */
  protected checkInput(x: Tensor): void {
    check(x.ndim === 2 || x.ndim === 3, 'BatchNorm1d', () => `expected a 2-D or 3-D input, got shape ${fmtShape(x.shape)}`);
  }
}

/**
 * Batch normalisation of [N, C, H, W] over N, H and W per channel.
 *
 * PyTorch equivalent: `torch.nn.BatchNorm2d`.
 */
export class BatchNorm2d extends BatchNormBase {
  /** Weight ones, bias zeros, running mean zeros, running variance ones. */
  constructor(numFeatures: number, opts: BatchNormModuleOptions = {}) {
    super('BatchNorm2d', numFeatures, opts);
  }

  /** Refuses anything but [N, C, H, W], as torch's BatchNorm2d. */
  protected checkInput(x: Tensor): void {
    check(x.ndim === 4, 'BatchNorm2d', () => `expected a 4-D input, got shape ${fmtShape(x.shape)}`);
  }
}
