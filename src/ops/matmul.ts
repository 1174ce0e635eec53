import type { MatmulArgs } from '../backend/backend.js';
import { WebgradError, check, fmtShape } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { add } from './binary.js';
import { reduceTo } from './shape-ops.js';
import { checkSameBackend, opScope, record, requireFloat, wrap } from './util.js';

/**
 * C = op(A)·op(B) for 2-D or 3-D operands; `transA`/`transB` read an operand transposed in
 * place, which is how backward computes dA = dC·Bᵀ and dB = Aᵀ·dC with no transpose copy.
 */
function gemm(op: string, a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor {
  const [ar, ac] = a.shape.slice(-2);
  const [br, bc] = b.shape.slice(-2);
  const [m, k] = transA ? [ac, ar] : [ar, ac];
  const [k2, n] = transB ? [bc, br] : [br, bc];
  const aBatch = a.ndim === 3 ? a.shape[0] : 1;
  const bBatch = b.ndim === 3 ? b.shape[0] : 1;
  check(k === k2, op, () => `shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} cannot be multiplied (${k} != ${k2})`);
  check(aBatch === bBatch || aBatch === 1 || bBatch === 1, op, () =>
    `batch sizes of ${fmtShape(a.shape)} and ${fmtShape(b.shape)} cannot be broadcast (${aBatch} vs ${bBatch})`);
  const batch = Math.max(aBatch, bBatch);
  const args: MatmulArgs = {
    batch, m, k, n, transA, transB,
    aBatchStride: aBatch === 1 ? 0 : m * k,
    bBatchStride: bBatch === 1 ? 0 : k * n,
  };
  const shape = a.ndim === 3 || b.ndim === 3 ? [batch, m, n] : [m, n];
  return wrap(a, a.backend.matmul(a.storage, b.storage, args), shape, a.dtype);
}

function checkOperands(op: string, a: Tensor, b: Tensor, ranks: number[]): void {
  checkSameBackend(op, a, b);
  requireFloat(op, a);
  requireFloat(op, b);
  check(a.dtype === b.dtype, op, () => `dtypes differ (${a.dtype} and ${b.dtype})`);
  check(ranks.includes(a.ndim) && ranks.includes(b.ndim), op, () =>
    `expected ${ranks.join('-D or ')}-D tensors, got shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
}

/** Product of two 2-D or 3-D tensors (a 2-D operand is broadcast over the other's batch). */
function product(op: string, a: Tensor, b: Tensor): Tensor {
  const out = gemm(op, a, b, false, false);
  // A broadcast over the batch receives the sum of its per-batch gradients.
  return record(op, out, [a, b], [a, b], (dy, needs) => [
    needs[0] ? reduceTo(gemm(op, dy, b, false, true), a.shape) : null,
    needs[1] ? reduceTo(gemm(op, a, dy, true, false), b.shape) : null,
  ]);
}

/**
 * Matrix product of two 2-D float tensors: [n, k] × [k, m] gives [n, m].
 *
 * PyTorch equivalent: `torch.mm`.
 */
export function mm(a: Tensor, b: Tensor): Tensor {
  checkOperands('mm', a, b, [2]);
  return product('mm', a, b);
}

/** PyTorch's matmul for 1-D, 2-D and 3-D operands (a 1-D operand is a vector). */
export function matmul(a: Tensor, b: Tensor): Tensor {
  checkOperands('matmul', a, b, [1, 2, 3]);
  if (a.ndim === 1 && b.ndim === 1) {
    check(a.shape[0] === b.shape[0], 'matmul', () => `vectors of sizes ${a.shape[0]} and ${b.shape[0]} have no dot product`);
  }
  // Checked here, before the vectors are viewed as matrices, so a refusal leaves nothing behind.
  const ka = a.shape[a.ndim - 1];
  const kb = b.ndim === 1 ? b.shape[0] : b.shape[b.ndim - 2];
  check(ka === kb, 'matmul', () => `shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} cannot be multiplied (${ka} != ${kb})`);
  if (a.ndim > 1 && b.ndim > 1) return product('matmul', a, b);
  // A vector is viewed as a matrix, and the product's extra dim dropped.
  return opScope(() => {
    const a2 = a.ndim === 1 ? a.reshape([1, a.shape[0]]) : a;
    const b2 = b.ndim === 1 ? b.reshape([b.shape[0], 1]) : b;
    const out = product('matmul', a2, b2);
    return out.reshape(out.shape.filter((_, i) => !((a.ndim === 1 && i === out.ndim - 2) || (b.ndim === 1 && i === out.ndim - 1))));
  });
}

/** y = x·Wᵀ + b with W stored [out, in] (PyTorch's layout): W is read transposed, never copied. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  checkOperands('linear', x, weight, [2]);
  if (weight.shape[1] !== x.shape[1]) {
    throw new WebgradError('linear', `input of shape ${fmtShape(x.shape)} does not match weight of shape ${fmtShape(weight.shape)} (expected ${weight.shape[1]} features, got ${x.shape[1]})`);
  }
  if (bias) {
    checkSameBackend('linear', x, bias);
    check(bias.ndim === 1 && bias.shape[0] === weight.shape[0], 'linear', () => `bias of shape ${fmtShape(bias.shape)} does not match weight of shape ${fmtShape(weight.shape)}`);
  }
  return opScope(() => {
    const y = gemm('linear', x, weight, false, true);
    const out = record('linear', y, [x, weight], [x, weight], (dy, needs) => [
      needs[0] ? gemm('linear', dy, weight, false, false) : null,
      needs[1] ? gemm('linear', dy, x, true, false) : null,
    ]);
    return bias ? add(out, bias) : out;
  });
}
