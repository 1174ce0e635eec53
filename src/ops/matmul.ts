import type { MatmulArgs } from '../backend/backend.js';
import { WebgradError, check, fmtShape } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { add } from './binary.js';
import { type Shape, broadcastStrides, mergeDims, numelOf } from '../shape.js';
import { expandTo, reduceTo } from './shape-ops.js';
import { checkSameBackend, opScope, record, requireFloat, wrap } from './util.js';

/** The batch dims of an operand of rank >= 2 (everything before its matrix). */
const batchOf = (t: Tensor): number[] => t.shape.slice(0, -2);

/**
 * PyTorch's batch broadcast of two operands' batch dims, with an error naming both shapes
 * (the user's: a vector has no batch dims).
 */
function batchShape(op: string, a: Shape, b: Shape): number[] {
  const ab = a.slice(0, -2);
  const bb = b.slice(0, -2);
  const n = Math.max(ab.length, bb.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = ab[ab.length - n + i] ?? 1;
    const db = bb[bb.length - n + i] ?? 1;
    check(da === db || da === 1 || db === 1, op, () =>
      `batch dims of shapes ${fmtShape(a)} and ${fmtShape(b)} cannot be broadcast (batch dim ${i - n}: ${da} vs ${db})`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

/**
 * The backend's two batch levels for a broadcast batch: each operand's matrix strides over the
 * batch dims (0 where broadcast), merged by mergeDims into as few runs as possible. A full
 * [B,H] batch is one run of B·H, [B,1] against [1,H] two; null when more are needed.
 */
function batchLevels(outBatch: number[], a: Tensor, b: Tensor): Pick<MatmulArgs, 'aBatchStride' | 'bBatchStride' | 'inner' | 'aInnerStride' | 'bInnerStride'> | null {
  const matStrides = (t: Tensor): number[] => {
    const size = t.shape[t.ndim - 2] * t.shape[t.ndim - 1];
    return broadcastStrides(batchOf(t), outBatch).map((s) => s * size);
  };
  const runs = mergeDims(outBatch, [matStrides(a), matStrides(b)]);
  const [as, bs] = runs.strides;
  if (runs.shape.length === 0) return { aBatchStride: 0, bBatchStride: 0 };
  if (runs.shape.length === 1) return { aBatchStride: as[0], bBatchStride: bs[0] };
  if (runs.shape.length === 2) return { aBatchStride: as[0], bBatchStride: bs[0], inner: runs.shape[1], aInnerStride: as[1], bInnerStride: bs[1] };
  return null;
}

/**
 * C = op(A)·op(B) for operands of rank >= 2 with broadcast batch dims (checked by the caller);
 * `transA`/`transB` read an operand's matrices transposed in place, which is how backward
 * computes dA = dC·Bᵀ and dB = Aᵀ·dC with no transpose copy. Batches that two levels cannot
 * describe ([B,1,C] against [1,H,1]) are expanded to the full batch first: one copy, rare.
 */
function gemm(op: string, a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor {
  const [ar, ac] = a.shape.slice(-2);
  const [br, bc] = b.shape.slice(-2);
  const [m, k] = transA ? [ac, ar] : [ar, ac];
  const [k2, n] = transB ? [bc, br] : [br, bc];
  check(k === k2, op, () => `shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} cannot be multiplied (${k} != ${k2})`);
  const outBatch = batchShape(op, a.shape, b.shape);
  const shape = [...outBatch, m, n];
  const levels = batchLevels(outBatch, a, b);
  if (levels === null) {
    return opScope(() => gemm(op, expandTo(op, a, [...outBatch, ar, ac]), expandTo(op, b, [...outBatch, br, bc]), transA, transB));
  }
  // A transposed view (k.transpose(-2, -1)) is read in place: its flag flips the operand's.
  const sa = a.matmulOperand;
  const sb = b.matmulOperand;
  const args: MatmulArgs = { batch: numelOf(outBatch), m, k, n, transA: transA !== sa.transposed, transB: transB !== sb.transposed, ...levels };
  return wrap(a, a.backend.matmul(sa.storage, sb.storage, args), shape, a.dtype);
}

function checkOperands(op: string, a: Tensor, b: Tensor, ranks: number[] | 'any'): void {
  checkSameBackend(op, a, b);
  requireFloat(op, a);
  requireFloat(op, b);
  check(a.dtype === b.dtype, op, () => `dtypes differ (${a.dtype} and ${b.dtype})`);
  if (ranks === 'any') {
    check(a.ndim >= 1 && b.ndim >= 1, op, () => `both arguments need at least 1 dimension, got shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
    return;
  }
  check(ranks.includes(a.ndim) && ranks.includes(b.ndim), op, () =>
    `expected ${ranks.join('-D or ')}-D tensors, got shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
}

/** Product of two tensors of rank >= 2 with broadcast batch dims. */
function product(op: string, a: Tensor, b: Tensor): Tensor {
  const out = gemm(op, a, b, false, false);
  // An operand broadcast over the batch receives the sum of its per-batch gradients.
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

/** Batched product of two 3-D tensors with the same batch size (no broadcasting), as torch.bmm. */
export function bmm(a: Tensor, b: Tensor): Tensor {
  checkOperands('bmm', a, b, [3]);
  check(a.shape[0] === b.shape[0], 'bmm', () => `batch sizes of shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} differ (${a.shape[0]} != ${b.shape[0]})`);
  check(a.shape[2] === b.shape[1], 'bmm', () => `shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} cannot be multiplied (${a.shape[2]} != ${b.shape[1]})`);
  return product('bmm', a, b);
}

/**
 * PyTorch's matmul for any ranks >= 1: a 1-D operand is a vector (a row on the left, a column
 * on the right, its dim dropped from the result); batch dims broadcast.
 *
 * `k.transpose(-2, -1)` (and `.mT`, `.t()`, a matrix's `.T`) is a view that the product reads
 * in place through its transpose flag, forward and backward: `q.matmul(k.transpose(-2, -1))`
 * copies nothing.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  checkOperands('matmul', a, b, 'any');
  if (a.ndim === 1 && b.ndim === 1) {
    check(a.shape[0] === b.shape[0], 'matmul', () => `vectors of sizes ${a.shape[0]} and ${b.shape[0]} have no dot product`);
  }
  // Checked here, before the vectors are viewed as matrices, so a refusal leaves nothing behind.
  const ka = a.shape[a.ndim - 1];
  const kb = b.ndim === 1 ? b.shape[0] : b.shape[b.ndim - 2];
  check(ka === kb, 'matmul', () => `shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} cannot be multiplied (${ka} != ${kb})`);
  if (a.ndim > 2 || b.ndim > 2) batchShape('matmul', a.ndim === 1 ? [] : a.shape, b.ndim === 1 ? [] : b.shape);
  // [..., m, k] @ [k, n] is one [(...)·m, k] @ [k, n] product: one matrix, and dB = Aᵀ·dY as
  // one product over all rows instead of a batch of products summed by reduceTo.
  if (a.ndim > 2 && b.ndim === 2) {
    return opScope(() => product('matmul', a.reshape([-1, ka]), b).reshape([...a.shape.slice(0, -1), b.shape[1]]));
  }
  if (a.ndim > 1 && b.ndim > 1) return product('matmul', a, b);
  // A vector is viewed as a matrix, and the product's extra dim dropped.
  return opScope(() => {
    const a2 = a.ndim === 1 ? a.reshape([1, a.shape[0]]) : a;
    const b2 = b.ndim === 1 ? b.reshape([b.shape[0], 1]) : b;
    if (a2.ndim > 2 && b2.ndim === 2) {
      const out = product('matmul', a2.reshape([-1, ka]), b2);
      return out.reshape(a.shape.slice(0, -1));
    }
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
