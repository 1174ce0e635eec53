import { tensor } from '../creation.js';
import type { DType } from '../dtype.js';
import { typedArrayFor } from '../dtype.js';
import { WebgradError, check, fmtShape } from '../errors.js';
import { indexSelect } from '../ops/indexing.js';
import { checkSameBackend } from '../ops/util.js';
import { options } from '../options.js';
import { globalRng } from '../random.js';
import { checkShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

/** Options of `nn.Embedding`. */
export interface EmbeddingOptions {
  /** float32 (default), or float64 on the CPU backend. */
  dtype?: DType;
}

/**
 * The rows of `weight` [num, dim] at int32 `indices` of any shape, giving [...indices.shape, dim],
 * as torch.nn.functional.embedding. The backward adds each output row's gradient into its
 * weight row, repeated indices accumulated in a fixed order (indexSelect's sorted scatter-add),
 * so a training step gives the same gradient on every run.
 */
export function embedding(indices: Tensor, weight: Tensor): Tensor {
  const op = 'embedding';
  checkSameBackend(op, indices, weight);
  check(indices.dtype === 'int32', op, () =>
    `expected int32 indices, got ${indices.dtype} of shape ${fmtShape(indices.shape)}; convert with .to('int32')`);
  check(weight.ndim === 2, op, () => `expected a weight of shape [num, dim], got ${fmtShape(weight.shape)}`);
  const flat = indices.ndim === 1 ? indices : indices.reshape([-1]);
  const rows = indexSelect(weight, 0, flat);
  return indices.ndim === 1 ? rows : rows.reshape([...indices.shape, weight.shape[1]]);
}

/**
 * A lookup table of `num` learnable vectors of size `dim`, as torch.nn.Embedding: `forward(idx)`
 * gives `weight[idx]`, shape [...idx.shape, dim]. The weight is initialised N(0, 1) from the
 * seeded global RNG (`manualSeed`), as PyTorch does.
 */
export class Embedding extends Module {
  /** The number of rows (the vocabulary size). */
  readonly numEmbeddings: number;
  /** The size of each row. */
  readonly embeddingDim: number;
  /** The learnable table, shape [numEmbeddings, embeddingDim]. */
  readonly weight: Tensor;

  /**
   * Creates the table with N(0, 1) values; refuses a negative or fractional size and unknown
   * option keys.
   *
   * @example
   * ```ts
   * const emb = new wg.nn.Embedding(10, 4);
   * const x = emb.forward(wg.tensor([[1, 2], [3, 3]], { dtype: 'int32' })); // shape [2, 2, 4]
   * ```
   */
  constructor(numEmbeddings: number, embeddingDim: number, opts: EmbeddingOptions = {}) {
    super();
    const op = 'Embedding';
    const dtype = options(op, opts, ['dtype']).dtype ?? 'float32';
    for (const [name, n] of [['numEmbeddings', numEmbeddings], ['embeddingDim', embeddingDim]] as const) {
      if (!Number.isInteger(n) || n < 0) throw new WebgradError(op, `${name} must be a non-negative integer, got ${n}`);
    }
    if (dtype !== 'float32' && dtype !== 'float64') throw new WebgradError(op, `dtype must be float32 or float64, got ${String(dtype)}`);
    checkShape(op, [numEmbeddings, embeddingDim]);
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    const rng = globalRng();
    const data = typedArrayFor(dtype, numEmbeddings * embeddingDim);
    for (let i = 0; i < data.length; i++) data[i] = rng.normal();
    const flat = tensor(data, { dtype });
    const w = flat.reshape([numEmbeddings, embeddingDim]);
    flat.dispose(); // the reshaped view keeps the storage alive
    this.weight = this.registerParameter('weight', w);
  }

  /** The rows at int32 `indices` (any shape): shape [...indices.shape, embeddingDim]. */
  forward(indices: Tensor): Tensor {
    return embedding(indices, this.weight);
  }

  protected override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}`;
  }
}
