import { tensor } from '../creation.js';
import type { DType } from '../dtype.js';
import { typedArrayFor } from '../dtype.js';
import { WebgradError } from '../errors.js';
import { relu, sigmoid, tanh } from '../ops/elementwise.js';
import { linear } from '../ops/matmul.js';
import { flatten } from '../ops/shape-ops.js';
import { logSoftmax, softmax } from '../ops/softmax.js';
import { checkShape, normalizeDim } from '../shape.js';
import { globalRng } from '../random.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';
import { options } from '../options.js';

/** Options of `nn.Linear`. */
export interface LinearOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** float32 (default), or float64 on the CPU backend. */
  dtype?: DType;
}

/** A leaf tensor of `shape` with values uniform in [-bound, bound), drawn from the global RNG. */
export function uniform(shape: number[], bound: number, dtype: DType): Tensor {
  const rng = globalRng();
  const data = typedArrayFor(dtype, shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = (2 * rng.uniform() - 1) * bound;
  const flat = tensor(data, { dtype });
  const out = flat.reshape(shape);
  flat.dispose(); // the reshaped view keeps the storage alive
  return out;
}

function checkFeatures(op: string, name: string, n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new WebgradError(op, `${name} must be a non-negative integer, got ${n}`);
}

/**
 * y = x·Wᵀ + b, as torch.nn.Linear: `weight` is stored [outFeatures, inFeatures] and read
 * transposed by the matmul kernel, never copied. Initialised like PyTorch
 * (kaiming_uniform(a=√5)), which works out to weight and bias both U(-1/√in, 1/√in), weight
 * drawn first, from the seeded global RNG (`manualSeed`).
 */
export class Linear extends Module {
  /** Size of each input's last dim. */
  readonly inFeatures: number;
  /** Size of each output's last dim. */
  readonly outFeatures: number;
  /** The learnable weight, shape [outFeatures, inFeatures]. */
  readonly weight: Tensor;
  /** The learnable bias, shape [outFeatures], or null when built with `{ bias: false }`. */
  readonly bias: Tensor | null;

  /**
   * Creates the layer with freshly initialised parameters; refuses a negative or fractional
   * feature count, int32, and unknown option keys.
   *
   * @example
   * ```ts
   * const fc = new wg.nn.Linear(4, 2);
   * const y = fc.forward(wg.randn(3, 4)); // shape [3, 2]
   * ```
   */
  constructor(inFeatures: number, outFeatures: number, opts: LinearOptions = {}) {
    super();
    checkFeatures('Linear', 'inFeatures', inFeatures);
    checkFeatures('Linear', 'outFeatures', outFeatures);
    const dtype = options('Linear', opts, ['bias', 'dtype']).dtype ?? 'float32';
    if (dtype !== 'float32' && dtype !== 'float64') throw new WebgradError('Linear', `dtype must be float32 or float64, got ${String(dtype)}`);
    // Checked before drawing: Linear(46341, 46341) drew random numbers for 34 s before the
    // allocation failed, and Linear(1e5, 1e5) threw a raw RangeError.
    checkShape('Linear', [outFeatures, inFeatures]);
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const bound = inFeatures > 0 ? 1 / Math.sqrt(inFeatures) : 0;
    this.weight = this.registerParameter('weight', uniform([outFeatures, inFeatures], bound, dtype));
    this.bias = this.registerParameter('bias', (opts.bias ?? true) ? uniform([outFeatures], bound, dtype) : null);
  }

  /** Applies the layer to `x` of shape [..., inFeatures], giving [..., outFeatures]. */
  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }

  protected override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}

/**
 * max(x, 0) elementwise, as torch.nn.ReLU.
 *
 * PyTorch equivalent: `torch.nn.ReLU`.
 */
export class ReLU extends Module {
  /** Applies ReLU to `x` elementwise; the output has `x`'s shape. */
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

/**
 * 1 / (1 + exp(-x)) elementwise, as torch.nn.Sigmoid.
 *
 * PyTorch equivalent: `torch.nn.Sigmoid`.
 */
export class Sigmoid extends Module {
  /** Applies the sigmoid to `x` elementwise; the output has `x`'s shape. */
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

/**
 * tanh(x) elementwise, as torch.nn.Tanh.
 *
 * PyTorch equivalent: `torch.nn.Tanh`.
 */
export class Tanh extends Module {
  /** Applies tanh to `x` elementwise; the output has `x`'s shape. */
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

/** Flattens dims startDim..endDim (default: all but the batch dim), as torch.nn.Flatten. */
export class Flatten extends Module {
  /**
   * @param startDim First dim to flatten (default 1, after the batch dim); negative counts from the end.
   * @param endDim Last dim to flatten, inclusive (default -1, the last).
   */
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }

  /** Flattens `x`'s dims startDim..endDim into one. */
  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }

  protected override extraRepr(): string {
    return `startDim=${this.startDim}, endDim=${this.endDim}`;
  }
}

/** Runs its modules in order; they are registered as '0', '1', ... like torch.nn.Sequential. */
export class Sequential extends Module {
  /** The modules in the order they run (registered as '0', '1', ...). */
  readonly layers: readonly Module[];

  constructor(...modules: Module[]) {
    super();
    this.layers = modules.map((m, i) => this.registerModule(String(i), m));
  }

  /** The number of modules, as `len(seq)` in PyTorch. */
  get length(): number {
    return this.layers.length;
  }

  /**
   * The module at `index` (negative counts from the end), as `seq[i]` in PyTorch; throws when out of range.
   */
  at(index: number): Module {
    const m = this.layers.at(index);
    if (!m) throw new WebgradError('Sequential', `index ${index} is out of range for ${this.layers.length} modules`);
    return m;
  }

  /** Runs `x` through each module in turn and returns the last output. */
  forward(x: Tensor): Tensor {
    return this.layers.reduce((h, m) => m.forward(h), x);
  }
}

/** Returns its input, as torch.nn.Identity (a placeholder where a layer is optional). */
export class Identity extends Module {
  /** Returns `x` itself (the same tensor, not a copy). */
  forward(x: Tensor): Tensor {
    return x;
  }
}

/** softmax along `dim`, as torch.nn.Softmax (the dim is required: PyTorch's implicit one is deprecated). */
export class Softmax extends Module {
  /** @param dim The dim to normalise over; negative counts from the end. */
  constructor(readonly dim: number) {
    super();
    checkDim('Softmax', dim);
  }

  /** softmax of `x` along `dim`; the output has `x`'s shape. */
  forward(x: Tensor): Tensor {
    return softmax(x, this.dim);
  }

  protected override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

/**
 * log(softmax(x)) along `dim`, computed stably, as torch.nn.LogSoftmax (the dim is required).
 * Pair it with `nn.NLLLoss`, or use `nn.CrossEntropyLoss` on the raw scores.
 *
 * PyTorch equivalent: `torch.nn.LogSoftmax`.
 */
export class LogSoftmax extends Module {
  /** @param dim The dim to normalise over; negative counts from the end. */
  constructor(readonly dim: number) {
    super();
    checkDim('LogSoftmax', dim);
  }

  /** log-softmax of `x` along `dim`; the output has `x`'s shape. */
  forward(x: Tensor): Tensor {
    return logSoftmax(x, this.dim);
  }

  protected override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

function checkDim(op: string, dim: number): void {
  if (!Number.isInteger(dim)) throw new WebgradError(op, `dim must be an integer, got ${String(dim)}; e.g. new nn.${op}(1) for [N, C] inputs`);
}

/** Splits dim `dim` into `unflattenedSize` (one entry may be -1), as torch.nn.Unflatten. */
export class Unflatten extends Module {
  /** The sizes dim `dim` is split into (one may be -1, inferred). */
  readonly unflattenedSize: readonly number[];

  /**
   * @param dim The dim to split; negative counts from the end.
   * @param unflattenedSize The sizes it becomes (their product must equal its size; one may be -1).
   */
  constructor(readonly dim: number, unflattenedSize: readonly number[]) {
    super();
    checkDim('Unflatten', dim);
    if (!Array.isArray(unflattenedSize) || !unflattenedSize.every((d) => Number.isInteger(d) && d >= -1)) {
      throw new WebgradError('Unflatten', `unflattenedSize must be an array of sizes like [1, 28, 28], got ${String(unflattenedSize)}`);
    }
    this.unflattenedSize = [...unflattenedSize];
  }

  /** Reshapes `x`, replacing dim `dim` by `unflattenedSize`. */
  forward(x: Tensor): Tensor {
    const d = normalizeDim('Unflatten', this.dim, x.ndim);
    return x.reshape([...x.shape.slice(0, d), ...this.unflattenedSize, ...x.shape.slice(d + 1)]);
  }

  protected override extraRepr(): string {
    return `dim=${this.dim}, unflattenedSize=[${this.unflattenedSize.join(', ')}]`;
  }
}
