import { ones, zeros } from '../creation.js';
import type { DType } from '../dtype.js';
import { WebgradError, check, fmtShape } from '../errors.js';
import type { Storage } from '../backend/backend.js';
import { checkSameBackend, opScope, record, requireFloat, wrap } from '../ops/util.js';
import { options } from '../options.js';
import { checkShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

/** Options of `F.layerNorm`. */
export interface LayerNormFnOptions {
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
}

/** Options of `nn.LayerNorm`. */
export interface LayerNormOptions extends LayerNormFnOptions {
  /** Learn a per-element scale (ones) and shift (zeros) (default true). */
  elementwiseAffine?: boolean;
  /** float32 (default), or float64 on the CPU backend. */
  dtype?: DType;
}

function shapeList(op: string, normalizedShape: number | readonly number[]): number[] {
  const s = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
  check(Array.isArray(s) && s.length > 0 && s.every((d) => Number.isInteger(d) && d > 0), op, () =>
    `normalizedShape must be a positive integer or a non-empty list of them, got ${JSON.stringify(normalizedShape)}`);
  return s;
}

interface LayerNormArgs {
  readonly shape: readonly number[];
  readonly eps: number;
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
}

/** layerNorm's checks, shared by the fused and the composed forms. */
function checkArgs(op: string, x: Tensor, normalizedShape: number | readonly number[], weight: Tensor | null | undefined,
  bias: Tensor | null | undefined, opts: LayerNormFnOptions): LayerNormArgs {
  const { eps = 1e-5 } = options(op, opts, ['eps']);
  check(typeof eps === 'number' && eps >= 0, op, () => `eps must be a non-negative number, got ${String(eps)}`);
  const shape = shapeList(op, normalizedShape);
  requireFloat(op, x);
  const k = shape.length;
  check(x.ndim >= k && shape.every((d, i) => x.shape[x.ndim - k + i] === d), op, () =>
    `expected an input whose last dims are ${fmtShape(shape)} (normalizedShape), got ${fmtShape(x.shape)}`);
  for (const [name, p] of [['weight', weight], ['bias', bias]] as const) {
    if (p === undefined || p === null) continue;
    checkSameBackend(op, x, p);
    check(p.dtype === x.dtype, op, () => `${name} of dtype ${p.dtype} does not match the input's dtype ${x.dtype}`);
    check(p.ndim === k && shape.every((d, i) => p.shape[i] === d), op, () =>
      `${name} of shape ${fmtShape(p.shape)} must have the normalizedShape ${fmtShape(shape)}`);
  }
  return { shape, eps, weight: weight ?? null, bias: bias ?? null };
}

function composed(x: Tensor, { shape, eps, weight, bias }: LayerNormArgs): Tensor {
  const dims = shape.map((_, i) => x.ndim - shape.length + i);
  const centered = x.sub(x.mean(dims, true));
  let y = centered.mul(centered.square().mean(dims, true).add(eps).rsqrt());
  if (weight) y = y.mul(weight);
  if (bias) y = y.add(bias);
  return y;
}

/**
 * (x - mean) / √(var + eps) · weight + bias over the last `normalizedShape.length` dims, with
 * the biased variance, as torch.nn.functional.layer_norm. One fused kernel forward (x viewed
 * as [rows, cols], cols the product of normalizedShape; each row's mean and 1/√(var + eps)
 * saved) and one fused backward (dx, and the weight and bias gradients as column sums), as
 * torch's native_layer_norm. The backward is not itself differentiable (no double backward;
 * `layerNormComposed` is).
 */
export function layerNorm(x: Tensor, normalizedShape: number | readonly number[], weight?: Tensor | null, bias?: Tensor | null, opts: LayerNormFnOptions = {}): Tensor {
  const op = 'layerNorm';
  const a = checkArgs(op, x, normalizedShape, weight, bias, opts);
  if (x.numel === 0 || !x.backend.supports(x.dtype)) return composed(x, a);
  const cols = a.shape.reduce((p, d) => p * d, 1);
  const rows = x.numel / cols;
  const { eps, weight: w, bias: b } = a;
  return opScope(() => {
    const r = x.backend.layerNorm(x.storage, w?.storage ?? null, b?.storage ?? null, rows, cols, eps);
    const y = wrap(x, r.y, x.shape, x.dtype);
    const mean = wrap(x, r.mean, [rows]);
    const rstd = wrap(x, r.rstd, [rows]);
    const inputs = [x, ...(w ? [w] : []), ...(b ? [b] : [])];
    return record(op, y, inputs, [x, mean, rstd], (dy, needs) => {
      const wantW = w !== null && needs[1];
      const wantB = b !== null && needs[inputs.length - 1];
      const g = dy.backend.layerNormBackward(dy.storage, x.storage, mean.storage, rstd.storage, w?.storage ?? null, rows, cols,
        wantW || wantB);
      const keep = (s: Storage | null, want: boolean, shape: readonly number[]): Tensor | null => {
        if (s === null) return null;
        if (!want) {
          dy.backend.release(s);
          return null;
        }
        return wrap(dy, s, shape, dy.dtype);
      };
      const grads = [keep(g.dx, needs[0], x.shape)];
      const dw = keep(g.dweight, wantW, a.shape);
      const db = keep(g.dbias, wantB, a.shape);
      if (w) grads.push(dw);
      if (b) grads.push(db);
      return grads;
    });
  });
}

/**
 * layerNorm composed from reductions and elementwise ops (mean, sub, square, mean, add eps,
 * rsqrt, mul, mul weight, add bias), autograd deriving the backward (twice differentiable):
 * the reference of the fused kernels in tests.
 */
export function layerNormComposed(x: Tensor, normalizedShape: number | readonly number[], weight?: Tensor | null, bias?: Tensor | null,
  opts: LayerNormFnOptions = {}): Tensor {
  return composed(x, checkArgs('layerNorm', x, normalizedShape, weight, bias, opts));
}

/**
 * Layer normalisation over the last dims, as torch.nn.LayerNorm: `weight` (ones) and `bias`
 * (zeros) of shape `normalizedShape` when `elementwiseAffine` (the default), else none.
 */
export class LayerNorm extends Module {
  /** The trailing dims normalised over. */
  readonly normalizedShape: readonly number[];
  /** Added to the variance before the square root. */
  readonly eps: number;
  /** Whether `weight` and `bias` exist. */
  readonly elementwiseAffine: boolean;
  /** The learnable scale (ones at first), or null without elementwiseAffine. */
  readonly weight: Tensor | null;
  /** The learnable shift (zeros at first), or null without elementwiseAffine. */
  readonly bias: Tensor | null;

  /**
   * @example
   * ```ts
   * const ln = new wg.nn.LayerNorm(64);
   * const y = ln.forward(wg.randn(2, 5, 64)); // each row of 64 has mean 0 and variance 1
   * ```
   */
  constructor(normalizedShape: number | readonly number[], opts: LayerNormOptions = {}) {
    super();
    const op = 'LayerNorm';
    const { eps = 1e-5, elementwiseAffine = true, dtype = 'float32' } = options(op, opts, ['eps', 'elementwiseAffine', 'dtype']);
    const shape = shapeList(op, normalizedShape);
    if (typeof eps !== 'number' || !(eps >= 0)) throw new WebgradError(op, `eps must be a non-negative number, got ${String(eps)}`);
    if (dtype !== 'float32' && dtype !== 'float64') throw new WebgradError(op, `dtype must be float32 or float64, got ${String(dtype)}`);
    checkShape(op, shape);
    this.normalizedShape = shape;
    this.eps = eps;
    this.elementwiseAffine = elementwiseAffine;
    this.weight = this.registerParameter('weight', elementwiseAffine ? ones(shape, { dtype }) : null);
    this.bias = this.registerParameter('bias', elementwiseAffine ? zeros(shape, { dtype }) : null);
  }

  /** Normalises `x` of shape [..., *normalizedShape]; the output has `x`'s shape. */
  forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, { eps: this.eps });
  }

  protected override extraRepr(): string {
    return `[${this.normalizedShape.join(', ')}], eps=${this.eps}, elementwiseAffine=${this.elementwiseAffine}`;
  }
}
