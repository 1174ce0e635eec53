import type { DType } from '../dtype.js';
import { WebgradError, check } from '../errors.js';
import { conv1d, conv2d, convTranspose2d, type ConvSize } from '../ops/conv.js';
import { options } from '../options.js';
import { checkShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { uniform } from './layers.js';
import { Module } from './module.js';

/** Options of `nn.Conv1d` and `nn.Conv2d` (PyTorch's keyword arguments). */
export interface ConvModuleOptions {
  /** Step between windows (default 1). */
  stride?: ConvSize;
  /** Zeros on both sides of each spatial dim (default 0), or 'same' / 'valid'. */
  padding?: ConvSize | 'same' | 'valid';
  /** Spacing between kernel taps (default 1). */
  dilation?: ConvSize;
  /** Channel groups (default 1); both channel counts must be multiples of it. */
  groups?: number;
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** Only 'zeros' (PyTorch's default) is supported. */
  paddingMode?: 'zeros';
  /** float32 (default), or float64 on the CPU backend. */
  dtype?: DType;
}

/** Options of `nn.ConvTranspose2d` (PyTorch's keyword arguments). */
export interface ConvTransposeModuleOptions {
  /** Step of the convolution this transposes (default 1). */
  stride?: ConvSize;
  /** That convolution's padding (default 0). */
  padding?: ConvSize;
  /** Extra rows/columns on the bottom/right of the output (default 0). */
  outputPadding?: ConvSize;
  /** Channel groups (default 1). */
  groups?: number;
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** Spacing between kernel taps (default 1). */
  dilation?: ConvSize;
  /** Only 'zeros' (PyTorch's default) is supported. */
  paddingMode?: 'zeros';
  /** float32 (default), or float64 on the CPU backend. */
  dtype?: DType;
}

function positive(op: string, name: string, v: unknown): number {
  check(typeof v === 'number' && Number.isInteger(v) && v >= 1, op, () => `${name} must be a positive integer, got ${String(v)}`);
  return v as number;
}

function kernelOf(op: string, k: unknown, dims: number): number[] {
  const list = typeof k === 'number' ? Array<number>(dims).fill(k) : k;
  check(Array.isArray(list) && list.length === dims && list.every((e) => Number.isInteger(e) && e >= 1), op, () =>
    `kernelSize must be a positive integer or a list of ${dims}, got ${Array.isArray(k) ? `[${k.join(', ')}]` : String(k)}`);
  return list;
}

/**
 * The parameters PyTorch's conv layers make: weight then bias, both U(-1/√fanIn, 1/√fanIn)
 * (kaiming_uniform with a = √5, then the bias rule), from the seeded global RNG; fanIn is the
 * weight's dim 1 times the kernel's size.
 */
function convParams(op: string, shape: number[], biasSize: number | null, dtype: unknown): [Tensor, Tensor | null] {
  if (dtype !== 'float32' && dtype !== 'float64') throw new WebgradError(op, `dtype must be float32 or float64, got ${String(dtype)}`);
  checkShape(op, shape);
  const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  const weight = uniform(shape, bound, dtype);
  return [weight, biasSize === null ? null : uniform([biasSize], bound, dtype)];
}

/** The channel checks every conv layer makes, before drawing anything. */
function channels(op: string, inC: unknown, outC: unknown, groups: unknown): [number, number, number] {
  const g = positive(op, 'groups', groups);
  const i = positive(op, 'inChannels', inC);
  const o = positive(op, 'outChannels', outC);
  check(i % g === 0, op, () => `inChannels (${i}) must be divisible by groups (${g})`);
  check(o % g === 0, op, () => `outChannels (${o}) must be divisible by groups (${g})`);
  return [i, o, g];
}

const MODULE_KEYS = ['stride', 'padding', 'dilation', 'groups', 'bias', 'paddingMode', 'dtype'] as const;

function checkPaddingMode(op: string, mode: unknown): void {
  check(mode === undefined || mode === 'zeros', op, () => `paddingMode '${String(mode)}' is not supported (only 'zeros')`);
}

/** Conv1d and Conv2d: one class body, `dims` spatial dims. */
abstract class ConvNd extends Module {
  /** Channels of the input. */
  readonly inChannels: number;
  /** Channels of the output. */
  readonly outChannels: number;
  /** The kernel's size per spatial dim. */
  readonly kernelSize: number[];
  /** The options the forward passes to the functional form. */
  readonly stride: ConvSize;
  /** Padding per spatial dim, or 'same' / 'valid'. */
  readonly padding: ConvSize | 'same' | 'valid';
  /** Spacing between kernel taps. */
  readonly dilation: ConvSize;
  /** Channel groups. */
  readonly groups: number;
  /** The learnable weight, [outChannels, inChannels/groups, ...kernelSize]. */
  readonly weight: Tensor;
  /** The learnable bias [outChannels], or null when built with `{ bias: false }`. */
  readonly bias: Tensor | null;

  constructor(op: string, dims: number, inChannels: number, outChannels: number, kernelSize: ConvSize, opts: ConvModuleOptions) {
    super();
    const o = options(op, opts, MODULE_KEYS);
    checkPaddingMode(op, o.paddingMode);
    const [i, out, g] = channels(op, inChannels, outChannels, o.groups ?? 1);
    this.kernelSize = kernelOf(op, kernelSize, dims);
    this.inChannels = i;
    this.outChannels = out;
    this.groups = g;
    this.stride = o.stride ?? 1;
    this.padding = o.padding ?? 0;
    this.dilation = o.dilation ?? 1;
    // PyTorch refuses 'same' with a stride when the layer is built, not at its first call.
    if (this.padding === 'same') {
      const s = typeof this.stride === 'number' ? [this.stride] : this.stride;
      check(s.every((v) => v === 1), op, () => `padding='same' is not supported for strided convolutions`);
    }
    const [w, b] = convParams(op, [out, i / g, ...this.kernelSize], (o.bias ?? true) ? out : null, o.dtype ?? 'float32');
    this.weight = this.registerParameter('weight', w);
    this.bias = this.registerParameter('bias', b);
  }

  protected override extraRepr(): string {
    const pad = typeof this.padding === 'string' ? `'${this.padding}'` : String(this.padding);
    return `${this.inChannels}, ${this.outChannels}, kernelSize=[${this.kernelSize.join(', ')}], stride=${String(this.stride)}, padding=${pad}, dilation=${String(this.dilation)}, groups=${this.groups}, bias=${this.bias !== null}`;
  }
}

/**
 * 1-D convolution over [N, C, L] (or [C, L]) inputs, as torch.nn.Conv1d; weight
 * [outChannels, inChannels/groups, kernelSize], bias [outChannels], PyTorch's initialisation.
 *
 * PyTorch equivalent: `torch.nn.Conv1d`.
 */
export class Conv1d extends ConvNd {
  /**
   * Creates the layer with freshly initialised parameters; refuses channel counts groups does
   * not divide, a stride with padding 'same', a paddingMode other than 'zeros', unknown options.
   *
   * @example
   * ```ts
   * const conv = new wg.nn.Conv1d(3, 8, 5, { padding: 2 });
   * const y = conv.forward(wg.randn(4, 3, 50)); // shape [4, 8, 50]
   * ```
   */
  constructor(inChannels: number, outChannels: number, kernelSize: ConvSize, opts: ConvModuleOptions = {}) {
    super('Conv1d', 1, inChannels, outChannels, kernelSize, opts);
  }

  /** Applies the convolution to x [N, inChannels, L] (or [inChannels, L]). */
  forward(x: Tensor): Tensor {
    return conv1d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }
}

/**
 * 2-D convolution over [N, C, H, W] (or [C, H, W]) inputs, as torch.nn.Conv2d; weight
 * [outChannels, inChannels/groups, kH, kW], bias [outChannels], PyTorch's initialisation.
 *
 * PyTorch equivalent: `torch.nn.Conv2d`.
 */
export class Conv2d extends ConvNd {
  /**
   * Creates the layer with freshly initialised parameters; refuses channel counts groups does
   * not divide, a stride with padding 'same', a paddingMode other than 'zeros', unknown options.
   *
   * @example
   * ```ts
   * const conv = new wg.nn.Conv2d(1, 8, 5, { padding: 2 });
   * const y = conv.forward(wg.randn(64, 1, 28, 28)); // shape [64, 8, 28, 28]
   * ```
   */
  constructor(inChannels: number, outChannels: number, kernelSize: ConvSize, opts: ConvModuleOptions = {}) {
    super('Conv2d', 2, inChannels, outChannels, kernelSize, opts);
  }

  /** Applies the convolution to x [N, inChannels, H, W] (or [inChannels, H, W]). */
  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }
}

/**
 * Transposed 2-D convolution, as torch.nn.ConvTranspose2d; weight
 * [inChannels, outChannels/groups, kH, kW], bias [outChannels], PyTorch's initialisation
 * (fanIn = outChannels/groups · kH · kW, as torch computes it from the weight's dim 1).
 *
 * PyTorch equivalent: `torch.nn.ConvTranspose2d`.
 */
export class ConvTranspose2d extends Module {
  /** Channels of the input. */
  readonly inChannels: number;
  /** Channels of the output. */
  readonly outChannels: number;
  /** The kernel's [height, width]. */
  readonly kernelSize: number[];
  /** Step of the convolution this transposes. */
  readonly stride: ConvSize;
  /** That convolution's padding. */
  readonly padding: ConvSize;
  /** Extra rows/columns on the bottom/right of the output. */
  readonly outputPadding: ConvSize;
  /** Spacing between kernel taps. */
  readonly dilation: ConvSize;
  /** Channel groups. */
  readonly groups: number;
  /** The learnable weight, [inChannels, outChannels/groups, kH, kW]. */
  readonly weight: Tensor;
  /** The learnable bias [outChannels], or null when built with `{ bias: false }`. */
  readonly bias: Tensor | null;

  /**
   * Creates the layer with freshly initialised parameters; refuses channel counts groups does
   * not divide, a paddingMode other than 'zeros' and unknown options.
   *
   * @example
   * ```ts
   * const up = new wg.nn.ConvTranspose2d(16, 8, 2, { stride: 2 });
   * const y = up.forward(wg.randn(4, 16, 7, 7)); // shape [4, 8, 14, 14]
   * ```
   */
  constructor(inChannels: number, outChannels: number, kernelSize: ConvSize, opts: ConvTransposeModuleOptions = {}) {
    super();
    const op = 'ConvTranspose2d';
    const o = options(op, opts, ['stride', 'padding', 'outputPadding', 'groups', 'bias', 'dilation', 'paddingMode', 'dtype']);
    checkPaddingMode(op, o.paddingMode);
    const [i, out, g] = channels(op, inChannels, outChannels, o.groups ?? 1);
    this.kernelSize = kernelOf(op, kernelSize, 2);
    this.inChannels = i;
    this.outChannels = out;
    this.groups = g;
    this.stride = o.stride ?? 1;
    this.padding = o.padding ?? 0;
    this.outputPadding = o.outputPadding ?? 0;
    this.dilation = o.dilation ?? 1;
    const [w, b] = convParams(op, [i, out / g, ...this.kernelSize], (o.bias ?? true) ? out : null, o.dtype ?? 'float32');
    this.weight = this.registerParameter('weight', w);
    this.bias = this.registerParameter('bias', b);
  }

  /** Applies the transposed convolution to x [N, inChannels, H, W] (or [inChannels, H, W]). */
  forward(x: Tensor): Tensor {
    return convTranspose2d(x, this.weight, this.bias, {
      stride: this.stride, padding: this.padding, outputPadding: this.outputPadding, groups: this.groups, dilation: this.dilation,
    });
  }

  protected override extraRepr(): string {
    return `${this.inChannels}, ${this.outChannels}, kernelSize=[${this.kernelSize.join(', ')}], stride=${String(this.stride)}, padding=${String(this.padding)}, outputPadding=${String(this.outputPadding)}, groups=${this.groups}, bias=${this.bias !== null}`;
  }
}
