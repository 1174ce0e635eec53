import { options } from '../options.js';
import {
  adaptiveAvgPool2d, avgPool1d, avgPool2d, maxPool1d, maxPool2d,
  type AvgPool1dOptions, type AvgPool2dOptions, type MaxPool1dOptions, type MaxPool2dOptions,
} from '../ops/pooling.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

// The pooling modules hold their arguments; a wrong one is refused by the first forward (the
// options' keys are checked at construction).

/**
 * 2-D max pooling as a module: `forward(x)` is `nn.functional.maxPool2d(x, kernelSize, opts)`.
 *
 * PyTorch equivalent: `torch.nn.MaxPool2d`.
 */
export class MaxPool2d extends Module {
  /** The window size, a number or [h, w]. */
  readonly kernelSize: number | readonly number[];
  /** stride, padding, dilation and ceilMode as given. */
  readonly opts: MaxPool2dOptions;

  /** Keeps the arguments; refuses unknown option keys. */
  constructor(kernelSize: number | readonly number[], opts: MaxPool2dOptions = {}) {
    super();
    this.kernelSize = kernelSize;
    this.opts = { ...options('MaxPool2d', opts, ['stride', 'padding', 'dilation', 'ceilMode']) };
  }

  /** Pools the last two dims of [N, C, H, W] or [C, H, W]. */
  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernelSize, this.opts);
  }

  protected override extraRepr(): string {
    return `kernelSize=${JSON.stringify(this.kernelSize)}, ${JSON.stringify(this.opts)}`;
  }
}

/**
 * 1-D max pooling as a module: `forward(x)` is `nn.functional.maxPool1d(x, kernelSize, opts)`.
 *
 * PyTorch equivalent: `torch.nn.MaxPool1d`.
 */
export class MaxPool1d extends Module {
  /** The window size. */
  readonly kernelSize: number | readonly number[];
  /** stride, padding, dilation and ceilMode as given. */
  readonly opts: MaxPool1dOptions;

  /** Keeps the arguments; refuses unknown option keys. */
  constructor(kernelSize: number | readonly number[], opts: MaxPool1dOptions = {}) {
    super();
    this.kernelSize = kernelSize;
    this.opts = { ...options('MaxPool1d', opts, ['stride', 'padding', 'dilation', 'ceilMode']) };
  }

  /** Pools the last dim of [N, C, L] or [C, L]. */
  forward(x: Tensor): Tensor {
    return maxPool1d(x, this.kernelSize, this.opts);
  }
}

/**
 * 2-D average pooling as a module: `forward(x)` is `nn.functional.avgPool2d(x, kernelSize, opts)`.
 *
 * PyTorch equivalent: `torch.nn.AvgPool2d`.
 */
export class AvgPool2d extends Module {
  /** The window size, a number or [h, w]. */
  readonly kernelSize: number | readonly number[];
  /** stride, padding, ceilMode, countIncludePad and divisorOverride as given. */
  readonly opts: AvgPool2dOptions;

  /** Keeps the arguments; refuses unknown option keys. */
  constructor(kernelSize: number | readonly number[], opts: AvgPool2dOptions = {}) {
    super();
    this.kernelSize = kernelSize;
    this.opts = { ...options('AvgPool2d', opts, ['stride', 'padding', 'ceilMode', 'countIncludePad', 'divisorOverride']) };
  }

  /** Pools the last two dims of [N, C, H, W] or [C, H, W]. */
  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, this.opts);
  }
}

/**
 * 1-D average pooling as a module: `forward(x)` is `nn.functional.avgPool1d(x, kernelSize, opts)`.
 *
 * PyTorch equivalent: `torch.nn.AvgPool1d`.
 */
export class AvgPool1d extends Module {
  /** The window size. */
  readonly kernelSize: number | readonly number[];
  /** stride, padding, ceilMode and countIncludePad as given. */
  readonly opts: AvgPool1dOptions;

  /** Keeps the arguments; refuses unknown option keys. */
  constructor(kernelSize: number | readonly number[], opts: AvgPool1dOptions = {}) {
    super();
    this.kernelSize = kernelSize;
    this.opts = { ...options('AvgPool1d', opts, ['stride', 'padding', 'ceilMode', 'countIncludePad']) };
  }

  /** Pools the last dim of [N, C, L] or [C, L]. */
  forward(x: Tensor): Tensor {
    return avgPool1d(x, this.kernelSize, this.opts);
  }
}

/**
 * Adaptive average pooling to a fixed size: `forward(x)` is `nn.functional.adaptiveAvgPool2d(x, outputSize)`.
 *
 * PyTorch equivalent: `torch.nn.AdaptiveAvgPool2d`.
 */
export class AdaptiveAvgPool2d extends Module {
  /** The output size, a number or [h, w] (null keeps that input size). */
  readonly outputSize: number | readonly (number | null)[];

  /** Keeps the output size. */
  constructor(outputSize: number | readonly (number | null)[]) {
    super();
    this.outputSize = outputSize;
  }

  /** Pools the last two dims of [N, C, H, W] or [C, H, W] to outputSize. */
  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }
}
