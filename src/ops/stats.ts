import { int32Accumulation } from './int-overflow.js';
import type { ScanOptions } from '../backend/backend.js';
import { noGrad } from '../autograd/grad-mode.js';
import { WebgradError, check, fmtShape } from '../errors.js';
import { options } from '../options.js';
import { type ReduceLayout, layoutAlong, normalizeDim } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkLive, opScope, record, requireFloat, wrap } from './util.js';

/** A reduction along `dim` (all elements when null): its layout, output shapes and size. */
interface Along {
  dim: number | null;
  layout: ReduceLayout;
  shape: number[];
  /** The output shape with the reduced dims kept as 1 (what broadcasts back over x). */
  kept: number[];
}

function along(op: string, x: Tensor, dim: number | null | undefined, keepdim: boolean): Along {
  checkLive(op, x);
  check(typeof keepdim === 'boolean', op, () => `keepdim must be a boolean, got ${typeof keepdim}`);
  if (dim === null || dim === undefined || x.ndim === 0) {
    if (dim !== null && dim !== undefined) normalizeDim(op, dim, x.ndim);
    const kept = x.shape.map(() => 1);
    return { dim: null, layout: layoutAlong(x.shape, null), shape: keepdim ? kept : [], kept };
  }
  check(typeof dim === 'number', op, () => `dim must be a number, got ${typeof dim}`);
  const d = normalizeDim(op, dim, x.ndim);
  const kept = x.shape.map((s, i) => (i === d ? 1 : s));
  return { dim: d, layout: layoutAlong(x.shape, d), shape: keepdim ? kept : x.shape.filter((_, i) => i !== d), kept };
}

/** A raw scan of x (no graph): a kernel's result as a tensor. */
const scanOf = (x: Tensor, layout: ReduceLayout, opts: ScanOptions): Tensor =>
  wrap(x, x.backend.scan(x.storage, layout, opts), x.shape, x.dtype);

/** The sign as -1, 0 or 1 (0 at 0 and NaN), for the gradients of norms. */
const sgn = (x: Tensor): Tensor => x.gt(0).sub(x.lt(0));

/** cumsum along a layout; its gradient is the reverse cumsum of dy (itself differentiable). */
function cumsumAlong(x: Tensor, layout: ReduceLayout, reverse: boolean): Tensor {
  const out = scanOf(x, layout, { op: 'sum', exclusive: false, reverse });
  return record('cumsum', out, [x], [], (dy) => [cumsumAlong(dy, layout, !reverse)]);
}

/** Running sum along `dim` (torch.cumsum); int32 stays int32. */
export function cumsum(x: Tensor, dim: number): Tensor {
  checkLive('cumsum', x);
  if (typeof dim !== 'number') throw new WebgradError('cumsum', `dim must be a number, got ${typeof dim}`);
  const d = normalizeDim('cumsum', dim, x.ndim);
  const layout = layoutAlong(x.shape, x.ndim === 0 ? null : d);
  const range = int32Accumulation('cumsum', x, layout.size);
  const out = cumsumAlong(x, layout, false);
  return range ? out.setHostRange(range) : out;
}

/**
 * Product along `dim`, or of all elements (torch.prod). The gradient is dy times the product of
 * every other element of the line, from an exclusive scan in each direction: exact with zeros
 * (one zero: only its own element gets a gradient; two: none), as PyTorch's.
 */
export function prod(x: Tensor, dim?: number | null, keepdim = false): Tensor {
  const p = along('prod', x, dim, keepdim);
  const { outer, size, inner } = p.layout;
  const range = int32Accumulation('prod', x, size);
  const result = opScope(() => {
    if (size === 0) return wrap(x, x.backend.full(outer * inner, x.dtype, 1), p.shape, x.dtype);
    const run = scanOf(x, p.layout, { op: 'prod', exclusive: false, reverse: false });
    // The last element of each line of the running product: [outer, inner] at (size-1)·inner.
    const out = wrap(x, x.backend.strided(run.storage, [outer, inner], [size * inner, 1], (size - 1) * inner), p.shape, x.dtype);
    return record('prod', out, [x], [x], (dy) => [opScope(() => {
      const before = scanOf(x, p.layout, { op: 'prod', exclusive: true, reverse: false });
      const after = scanOf(x, p.layout, { op: 'prod', exclusive: true, reverse: true });
      return before.mul(after).mul(dy.reshape(p.kept));
    })]);
  });
  return range ? result.setHostRange(range) : result;
}

/** Options of `var` and `std`. */
export interface VarOptions {
  /** Divide by n - correction (PyTorch's default 1: Bessel's correction; 0: population). */
  correction?: number;
  /** Keep the reduced dim as size 1 (default false). */
  keepdim?: boolean;
}

function varOptions(op: string, x: Tensor, opts: VarOptions | undefined): { correction: number; keepdim: boolean } {
  checkLive(op, x);
  const o = options(op, opts, ['correction', 'keepdim']);
  const correction = o.correction ?? 1;
  const keepdim = o.keepdim ?? false;
  check(typeof correction === 'number' && Number.isFinite(correction), op, () => `correction must be a finite number, got ${String(correction)}`);
  check(typeof keepdim === 'boolean', op, () => `keepdim must be a boolean, got ${typeof keepdim}`);
  requireFloat(op, x);
  return { correction, keepdim };
}

/**
 * Variance along `dim` (all elements when omitted): Σ(x - mean)² / max(0, n - correction), two
 * passes as PyTorch (no cancellation from Σx² - n·mean²). Composed, so its gradient
 * 2(x - mean)/(n - correction) comes from the ops'.
 */
export function variance(x: Tensor, dim?: number | null, opts?: VarOptions): Tensor {
  const { correction, keepdim } = varOptions('var', x, opts);
  const p = along('var', x, dim, keepdim);
  return opScope(() => {
    const d = x.sub(x.mean(p.dim, true));
    return d.mul(d).sum(p.dim, keepdim).div(Math.max(0, p.layout.size - correction));
  });
}

/** Standard deviation: sqrt of `variance`, with PyTorch's gradient 0 where it is 0 (not NaN). */
export function std(x: Tensor, dim?: number | null, opts?: VarOptions): Tensor {
  varOptions('std', x, opts);
  along('std', x, dim, false);
  return opScope(() => {
    const v = variance(x, dim, opts);
    const s = wrap(v, v.backend.unary('sqrt', v.storage, 0), v.shape, v.dtype);
    return record('std', s, [v], [s], (dy) => [opScope(() => dy.div(s.mul(2).add(s.eq(0))).mul(s.ne(0)))]);
  });
}

/**
 * log Σ exp(x) along `dim`, with the line's maximum subtracted first (finite at ±1000). The
 * maximum is clamped to the largest finite value so that rows of -inf give -inf and rows
 * with +inf give +inf instead of NaN (inf - inf), as PyTorch. Gradient: dy·exp(x - out).
 */
export function logsumexp(x: Tensor, dim: number, keepdim = false): Tensor {
  requireFloat('logsumexp', x);
  if (typeof dim !== 'number') throw new WebgradError('logsumexp', `dim must be a number, got ${dim === undefined ? 'nothing' : typeof dim}`);
  const p = along('logsumexp', x, dim, keepdim);
  return opScope(() => {
    let out: Tensor;
    if (p.layout.size === 0) {
      out = wrap(x, x.backend.full(p.layout.outer * p.layout.inner, x.dtype, -Infinity), p.shape, x.dtype);
    } else {
      const big = x.dtype === 'float32' ? 3.4028234663852886e38 : Number.MAX_VALUE;
      const m = wrap(x, x.backend.reduce('max', x.storage, p.layout), p.kept, x.dtype);
      out = noGrad(() => {
        const mc = m.clamp(-big, big);
        return x.sub(mc).exp().sum(p.dim, true).log().add(mc).reshape(p.shape);
      });
    }
    return record('logsumexp', out, [x], [x, out], (dy) => [opScope(() => x.sub(out.reshape(p.kept)).exp().mul(dy.reshape(p.kept)))]);
  });
}

/**
 * The vector p-norm along `dim` (all elements when omitted): p = 1, 2, Infinity or any other
 * positive number. Gradients as PyTorch's: 0 where the norm is 0 (p = 2 and others), and for
 * p = Infinity shared equally by the elements whose |x| equals the norm.
 */
export function norm(x: Tensor, p = 2, dim?: number | null, keepdim = false): Tensor {
  requireFloat('norm', x);
  check(typeof p === 'number' && p > 0, 'norm', () => `p must be a positive number or Infinity, got ${String(p)}`);
  const a = along('norm', x, dim, keepdim);
  if (p === 1) return opScope(() => x.abs().sum(a.dim, keepdim));
  if (p === Infinity) {
    check(a.layout.size > 0, 'norm', () => `the infinity norm of an empty tensor of shape ${fmtShape(x.shape)} has no identity`);
    return opScope(() => {
      const ax = noGrad(() => x.abs());
      const out = wrap(x, x.backend.reduce('max', ax.storage, a.layout), a.shape, x.dtype);
      return record('norm', out, [x], [x, out], (dy) => [opScope(() => {
        const ab = x.abs();
        const ties = ab.eq(out.reshape(a.kept)).add(ab.ne(ab)).gt(0);
        return sgn(x).mul(ties).mul(dy.reshape(a.kept).div(ties.sum(a.dim, true)));
      })]);
    });
  }
  return opScope(() => {
    const out = noGrad(() => (p === 2 ? x.mul(x).sum(a.dim, keepdim).sqrt() : x.abs().pow(p).sum(a.dim, keepdim).pow(1 / p)));
    return record('norm', out, [x], [x, out], (dy) => [opScope(() => {
      const n = out.reshape(a.kept);
      // Where the norm is 0 every x is 0: the divisor becomes 1 and the numerator is 0.
      const scale = dy.reshape(a.kept).div((p === 2 ? n : n.pow(p - 1)).add(n.eq(0)));
      return (p === 2 ? x : sgn(x).mul(x.abs().pow(p - 1))).mul(scale);
    })]);
  });
}

function truth(op: 'all' | 'any', x: Tensor, dim: number | null | undefined, keepdim: boolean): Tensor {
  const p = along(op, x, dim, keepdim);
  const { outer, size, inner } = p.layout;
  return opScope(() => {
    if (size === 0) return wrap(x, x.backend.full(outer * inner, 'float32', op === 'all' ? 1 : 0), p.shape, 'float32');
    const nonzero = x.ne(0);
    return wrap(x, x.backend.reduce(op === 'all' ? 'min' : 'max', nonzero.storage, p.layout), p.shape, 'float32');
  });
}

/** 1 where every element (along `dim`) is nonzero, else 0, as float32 (NaN counts as true). */
export const all = (x: Tensor, dim?: number | null, keepdim = false): Tensor => truth('all', x, dim, keepdim);
/** 1 where any element (along `dim`) is nonzero, else 0, as float32. */
export const any = (x: Tensor, dim?: number | null, keepdim = false): Tensor => truth('any', x, dim, keepdim);
