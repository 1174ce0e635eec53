import { isGradEnabled } from '../autograd/grad-mode.js';
import type { ArgReduceOp, ReduceOp } from '../backend/backend.js';
import { WebgradError, fmtShape } from '../errors.js';
import { contiguousStrides, type ReduceLayout, layoutAlong, normalizeDim } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { knownConstant } from '../memory.js';
import { expandTo } from './shape-ops.js';
import { checkLive, opScope, record, wrap } from './util.js';

interface Plan {
  dim: number | null;
  layout: ReduceLayout;
  /** The output shape, and the same with the reduced dim kept as 1 (for broadcasting back). */
  shape: number[];
  keptShape: number[];
}

function plan(op: string, x: Tensor, dim: number | null | undefined, keepdim: boolean): Plan {
  checkLive(op, x);
  if (dim === null || dim === undefined) {
    const kept = x.shape.map(() => 1);
    return { dim: null, layout: layoutAlong(x.shape, null), shape: keepdim ? kept : [], keptShape: kept };
  }
  if (typeof dim !== 'number') throw new WebgradError(op, `dim must be a number, got ${typeof dim}`);
  const d = normalizeDim(op, dim, x.ndim);
  const kept = x.shape.map((s, i) => (i === d ? 1 : s));
  const shape = keepdim ? kept : x.shape.filter((_, i) => i !== d);
  return { dim: x.ndim === 0 ? null : d, layout: layoutAlong(x.shape, x.ndim === 0 ? null : d), shape, keptShape: kept };
}

/**
 * `dy` broadcast back over the reduced dims, times `scale`. A `dy` known to be one constant
 * (backward's seed for `loss.sum()` or `loss.mean()`) gives a constant: a `full`, which small
 * tensors get with no kernel at all, instead of a broadcast kernel and a multiply.
 */
function spread(op: string, dy: Tensor, p: Plan, x: Tensor, scale: number | null): Tensor {
  const v = knownConstant(dy);
  if (v !== null) {
    // The value the kernels below would compute: dy · (1/n) rounded as x's dtype rounds.
    const r = x.dtype === 'float32' ? Math.fround : (a: number): number => a;
    const value = scale === null ? v : r(r(v) * r(scale));
    // dy's backend: x itself may be disposed by now (backward does not need its values).
    return wrap(dy, dy.backend.full(x.numel, x.dtype, value), x.shape, x.dtype).setHostRange(Number.isNaN(value) ? null : { min: value, max: value });
  }
  return opScope(() => {
    const out = expandTo(op, dy.reshape(p.keptShape), x.shape);
    return scale === null ? out : out.mul(scale);
  });
}

/** sum's gradient is its incoming gradient broadcast back over the reduced dim. */
export function sum(x: Tensor, dim?: number | null, keepdim = false): Tensor {
  const p = plan('sum', x, dim, keepdim);
  const out = wrap(x, x.backend.reduce('sum', x.storage, p.layout), p.shape, x.dtype);
  return record('sum', out, [x], [], (dy) => [spread('sum', dy, p, x, null)]);
}

/** mean of an empty tensor is NaN (0/0), as in PyTorch. */
export function mean(x: Tensor, dim?: number | null, keepdim = false): Tensor {
  const p = plan('mean', x, dim, keepdim);
  if (x.dtype === 'int32') throw new WebgradError('mean', `expected a floating point tensor, got int32 of shape ${fmtShape(x.shape)}; cast with .to('float32')`);
  const n = p.layout.size;
  return opScope(() => {
    // The sum times 1/n, as its own tensors: nothing of them is recorded.
    const total = wrap(x, x.backend.reduce('sum', x.storage, p.layout), p.shape, x.dtype);
    const scale = wrap(x, x.backend.full(1, x.dtype, 1 / n), [], x.dtype);
    const out = wrap(x, x.backend.binary('mul', total.storage, scale.storage, p.shape, contiguousStrides(p.shape), p.shape.map(() => 0), x.dtype), p.shape, x.dtype);
    return record('mean', out, [x], [], (dy) => [spread('mean', dy, p, x, 1 / n)]);
  });
}

function extreme(op: 'max' | 'min', x: Tensor, dim: number | null | undefined, keepdim: boolean): Tensor {
  const p = plan(op, x, dim, keepdim);
  if (p.layout.size === 0) {
    throw new WebgradError(op, `cannot reduce an empty tensor of shape ${fmtShape(x.shape)}${p.dim === null ? '' : ` along dim ${p.dim}`}: the operation has no identity`);
  }
  return opScope(() => {
    const out = wrap(x, x.backend.reduce(op as ReduceOp, x.storage, p.layout), p.shape, x.dtype);
    if (p.dim === null) {
      // Full reduction: ties share the gradient equally (PyTorch's max()/min()). A NaN result
      // counts the NaN elements as the ties (x.ne(x) is isnan), which no x.eq(NaN) would find.
      return record(op, out, [x], [x, out], (dy) => {
        const m = out.reshape(p.keptShape);
        const mask = x.eq(m).add(x.ne(x).mul(m.ne(m)));
        return [mask.mul(dy.reshape(p.keptShape).div(mask.sum()))];
      });
    }
    // Along a dim: the gradient goes to the first extreme index (PyTorch's max(dim)); the
    // indices are the graph's alone, freed when it is released after backward.
    if (!(isGradEnabled() && x.requiresGrad)) return out;
    const idx = wrap(x, x.backend.argReduce(op === 'max' ? 'argmax' : 'argmin', x.storage, p.layout), p.shape, 'int32');
    return record(op, out, [x], [idx], (dy) => [wrap(x, x.backend.scatterIndex(dy.storage, idx.storage, p.layout), x.shape, x.dtype)]);
  });
}

export const max = (x: Tensor, dim?: number | null, keepdim = false): Tensor => extreme('max', x, dim, keepdim);
export const min = (x: Tensor, dim?: number | null, keepdim = false): Tensor => extreme('min', x, dim, keepdim);

function argReduce(op: ArgReduceOp, x: Tensor, dim: number | null | undefined, keepdim: boolean): Tensor {
  const p = plan(op, x, dim, keepdim);
  if (p.layout.size === 0) throw new WebgradError(op, `cannot take ${op} of an empty tensor of shape ${fmtShape(x.shape)}`);
  // The indices are bounded by the reduced size, known here without a readback.
  return wrap(x, x.backend.argReduce(op, x.storage, p.layout), p.shape, 'int32').setHostRange({ min: 0, max: p.layout.size - 1 });
}

/** Index of the first maximal element (of the flattened tensor when dim is omitted). */
export const argmax = (x: Tensor, dim?: number | null, keepdim = false): Tensor => argReduce('argmax', x, dim, keepdim);
export const argmin = (x: Tensor, dim?: number | null, keepdim = false): Tensor => argReduce('argmin', x, dim, keepdim);
