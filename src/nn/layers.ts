import { tensor } from '../creation.js';
import type { DType } from '../dtype.js';
import { typedArrayFor } from '../dtype.js';
import { WebgradError } from '../errors.js';
import { relu, sigmoid, tanh } from '../ops/elementwise.js';
import { linear } from '../ops/matmul.js';
import { flatten } from '../ops/shape-ops.js';
import { logSoftmax, softmax } from '../ops/softmax.js';
import { normalizeDim } from '../shape.js';
import { globalRng } from '../random.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';
import { options } from '../options.js';

export interface LinearOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** float32 (default), or float64 on the CPU backend. */
  dtype?: DType;
}

/** A leaf tensor of `shape` with values uniform in [-bound, bound), drawn from the global RNG. */
function uniform(shape: number[], bound: number, dtype: DType): Tensor {
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
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(inFeatures: number, outFeatures: number, opts: LinearOptions = {}) {
    super();
    checkFeatures('Linear', 'inFeatures', inFeatures);
    checkFeatures('Linear', 'outFeatures', outFeatures);
    const dtype = options('Linear', opts, ['bias', 'dtype']).dtype ?? 'float32';
    if (dtype === 'int32') throw new WebgradError('Linear', 'dtype must be float32 or float64, got int32');
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const bound = inFeatures > 0 ? 1 / Math.sqrt(inFeatures) : 0;
    this.weight = this.registerParameter('weight', uniform([outFeatures, inFeatures], bound, dtype));
    this.bias = this.registerParameter('bias', (opts.bias ?? true) ? uniform([outFeatures], bound, dtype) : null);
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }

  protected override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

/** Flattens dims startDim..endDim (default: all but the batch dim), as torch.nn.Flatten. */
export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }

  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }

  protected override extraRepr(): string {
    return `startDim=${this.startDim}, endDim=${this.endDim}`;
  }
}

/** Runs its modules in order; they are registered as '0', '1', ... like torch.nn.Sequential. */
export class Sequential extends Module {
  readonly layers: readonly Module[];

  constructor(...modules: Module[]) {
    super();
    this.layers = modules.map((m, i) => this.registerModule(String(i), m));
  }

  get length(): number {
    return this.layers.length;
  }

  at(index: number): Module {
    const m = this.layers.at(index);
    if (!m) throw new WebgradError('Sequential', `index ${index} is out of range for ${this.layers.length} modules`);
    return m;
  }

  forward(x: Tensor): Tensor {
    return this.layers.reduce((h, m) => m.forward(h), x);
  }
}

/** Returns its input, as torch.nn.Identity (a placeholder where a layer is optional). */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

/** softmax along `dim`, as torch.nn.Softmax (the dim is required: PyTorch's implicit one is deprecated). */
export class Softmax extends Module {
  constructor(readonly dim: number) {
    super();
    checkDim('Softmax', dim);
  }

  forward(x: Tensor): Tensor {
    return softmax(x, this.dim);
  }

  protected override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

export class LogSoftmax extends Module {
  constructor(readonly dim: number) {
    super();
    checkDim('LogSoftmax', dim);
  }

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
  readonly unflattenedSize: readonly number[];

  constructor(readonly dim: number, unflattenedSize: readonly number[]) {
    super();
    checkDim('Unflatten', dim);
    if (!Array.isArray(unflattenedSize) || !unflattenedSize.every((d) => Number.isInteger(d) && d >= -1)) {
      throw new WebgradError('Unflatten', `unflattenedSize must be an array of sizes like [1, 28, 28], got ${String(unflattenedSize)}`);
    }
    this.unflattenedSize = [...unflattenedSize];
  }

  forward(x: Tensor): Tensor {
    const d = normalizeDim('Unflatten', this.dim, x.ndim);
    return x.reshape([...x.shape.slice(0, d), ...this.unflattenedSize, ...x.shape.slice(d + 1)]);
  }

  protected override extraRepr(): string {
    return `dim=${this.dim}, unflattenedSize=[${this.unflattenedSize.join(', ')}]`;
  }
}
