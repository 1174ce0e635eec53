import type { AttentionArgs, Storage } from '../backend/backend.js';
import { check, fmtShape } from '../errors.js';
import { options } from '../options.js';
import { broadcastShapes, contiguousMatrices, type MatrixLayout, matrixLayoutOf, sameShape, type Shape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { compare } from './binary.js';
import { matmul } from './matmul.js';
import { softmax } from './softmax.js';
import { checkSameBackend, opScope, record, requireFloat, wrap } from './util.js';
import { where } from './where.js';

/** Options of {@link scaledDotProductAttention}. */
export interface AttentionOptions {
  /**
   * Broadcastable to [..., L, S]. A float mask (the inputs' dtype) is added to the scores, as
   * PyTorch's float masks are; an int32 mask is PyTorch's bool mask: nonzero = this key takes
   * part, 0 = masked out. webgrad has no bool dtype and its comparisons give float32 0/1, so
   * turn such a mask into a boolean one with `.to('int32')` (added as a float it would only
   * shift scores by 1).
   */
  attnMask?: Tensor | null;
  /** Query i sees keys j <= i (top-left aligned, also when L != S); not with attnMask. Default false. */
  isCausal?: boolean;
  /** Multiplies q·kᵀ; default 1/√E. */
  scale?: number | null;
}

/** The checked arguments: shapes, the scale and the mask as an additive float tensor. */
interface Plan {
  batch: Shape;
  l: number;
  s: number;
  e: number;
  ev: number;
  scale: number;
  causal: boolean;
  mask: Tensor | null;
}

const OP = 'scaledDotProductAttention';

function plan(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions): Plan {
  const { attnMask = null, isCausal = false, scale = null } = options(OP, opts, ['attnMask', 'isCausal', 'scale']);
  checkSameBackend(OP, q, k, v, ...(attnMask === null ? [] : [attnMask]));
  for (const t of [q, k, v]) requireFloat(OP, t);
  check(q.dtype === k.dtype && q.dtype === v.dtype, OP, () => `q, k and v must have one dtype, got ${q.dtype}, ${k.dtype} and ${v.dtype}`);
  const shapes = `q ${fmtShape(q.shape)}, k ${fmtShape(k.shape)} and v ${fmtShape(v.shape)}`;
  check(q.ndim >= 2 && k.ndim >= 2 && v.ndim >= 2, OP, () => `expected q [..., L, E], k [..., S, E] and v [..., S, Ev], got ${shapes}`);
  const [l, e] = q.shape.slice(-2);
  const [s, ek] = k.shape.slice(-2);
  const [sv, ev] = v.shape.slice(-2);
  check(ek === e, OP, () => `q and k must have the same last dim E, got ${shapes} (${e} != ${ek})`);
  check(sv === s, OP, () => `k and v must have the same number of keys S, got ${shapes} (${s} != ${sv})`);
  const batch = broadcastShapes(OP, broadcastShapes(OP, q.shape.slice(0, -2), k.shape.slice(0, -2)), v.shape.slice(0, -2));
  check(typeof isCausal === 'boolean', OP, () => `isCausal must be a boolean, got ${String(isCausal)}`);
  check(!(isCausal && attnMask !== null), OP, () => 'isCausal and attnMask cannot both be given (PyTorch refuses them together); put the causal mask into attnMask');
  check(scale === null || (typeof scale === 'number' && Number.isFinite(scale)), OP, () => `scale must be a finite number, got ${String(scale)}`);
  let mask: Tensor | null = null;
  if (attnMask !== null) {
    check(attnMask instanceof Tensor, OP, () => `attnMask must be a Tensor, got ${typeof attnMask}`);
    check(attnMask.dtype === 'int32' || attnMask.dtype === q.dtype, OP, () =>
      `attnMask must be int32 (a boolean mask) or ${q.dtype} (an additive mask, the dtype of q), got ${attnMask.dtype}`);
    const scores = [...batch, l, s];
    const off = scores.length - attnMask.ndim;
    const fits = off >= 0 && attnMask.shape.every((d, i) => d === 1 || d === scores[i + off]);
    check(fits, OP, () => `attnMask of shape ${fmtShape(attnMask.shape)} does not broadcast to the scores' shape ${fmtShape(scores)} ([..., L, S])`);
    mask = attnMask;
  }
  return { batch, l, s, e, ev, scale: scale ?? 1 / Math.sqrt(e), causal: isCausal, mask };
}

/** A boolean (int32) mask as the additive one: 0 where it is nonzero, -Infinity elsewhere. */
function additive(mask: Tensor, like: Tensor): Tensor {
  return mask.dtype === 'int32' ? where(mask, 0, -Infinity).to(like.dtype) : mask;
}

/**
 * The composed form, the reference of the fused kernel: softmax(scale·q·kᵀ + mask)·v from
 * matmul, where and softmax, with the [..., L, S] scores and probabilities materialised. A row
 * with every key masked out gives 0 (and gradient 0): its scores are replaced by 0 before the
 * softmax and its probabilities by 0 after, so no NaN reaches the graph.
 */
export function attentionComposed(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): Tensor {
  const p = plan(q, k, v, opts);
  return opScope(() => composed(q, k, v, p));
}

/**
 * matmul with a batch dim on b whenever a has some: matmul's [..., m, k] @ [k, n] form runs in
 * an opScope of its own whose node chain the enclosing opScope does not walk, so the
 * temporaries saved before it (the mask, the probabilities) would be disposed before backward.
 */
const bmatmul = (a: Tensor, b: Tensor): Tensor => matmul(a, a.ndim > 2 && b.ndim === 2 ? b.unsqueeze(0) : b);

function composed(q: Tensor, k: Tensor, v: Tensor, p: Plan): Tensor {
  let scores = bmatmul(q, k.transpose(-2, -1)).mul(p.scale);
  if (p.causal) {
    const b = q.backend;
    const col = Tensor.fromStorage(b.upload(Int32Array.from({ length: p.s }, (_, j) => j), 'int32'), b, [1, p.s], 'int32');
    const row = Tensor.fromStorage(b.upload(Int32Array.from({ length: p.l }, (_, i) => i), 'int32'), b, [p.l, 1], 'int32');
    scores = where(compare('le', col, row), scores, -Infinity);
  }
  if (p.mask) scores = scores.add(additive(p.mask, q));
  // NaN != -Infinity, so a NaN row stays NaN, as in the fused kernel.
  const seen = compare('ne', scores.detach().amax(-1, true), -Infinity);
  const probs = where(seen, softmax(where(seen, scores, 0), -1), 0);
  return bmatmul(probs, v);
}

/**
 * Attention on [..., T, d] as PyTorch 2.x's `torch.nn.functional.scaled_dot_product_attention`:
 * softmax(scale·q·kᵀ + mask)·v for q [..., L, E], k [..., S, E], v [..., S, Ev] (batch dims
 * broadcast), giving [..., L, Ev]. `scale` defaults to 1/√E; `isCausal` lets query i see keys
 * j <= i (top-left aligned); `attnMask` is additive when float and boolean when int32 (nonzero
 * = take part; see {@link AttentionOptions}). A query row with every key masked out gives 0 and
 * gradient 0 (PyTorch >= 2.5's math backend; 2.0-2.4 gave NaN).
 *
 * Where the backend has a fused kernel for the inputs (`attentionFits`: float32 with head dims
 * up to 128 on WebGPU, any float on the CPU) and the mask needs no gradient, the op is that one
 * kernel forward and two backward (online softmax; the backward recomputes the probabilities
 * from the saved logsumexp), never storing the [L, S] matrix; otherwise it composes matmul,
 * where and softmax.
 *
 * PyTorch equivalent: `torch.nn.functional.scaled_dot_product_attention` (2.x).
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): Tensor {
  const p = plan(q, k, v, opts);
  const sizes = [p.l, p.s, p.e, p.ev, ...p.batch];
  const fused = q.backend.attentionFits(q.dtype, p.e, p.ev) && sizes.every((n) => n > 0) && !(p.mask?.requiresGrad ?? false);
  return opScope(() => (fused ? fusedAttention(q, k, v, p) : composed(q, k, v, p)));
}

/**
 * How the fused kernels read t ([...batch, rows, cols]): in place through its layout when it is
 * a view whose rows are contiguous and whose batch dims fold into two strides (a head split
 * `[B, T, H, d] -> [B, H, T, d]`), else its contiguous values. `perm` and `baseShape` say how a
 * result written in this layout is seen as a tensor of t's shape.
 */
interface Operand {
  readonly storage: () => Storage;
  readonly layout: MatrixLayout;
  readonly baseShape: Shape;
  readonly perm: readonly number[] | null;
}

function operand(t: Tensor): Operand {
  const [rows, cols] = t.shape.slice(-2);
  const view = t.layout;
  if (view.perm !== null) {
    const layout = matrixLayoutOf(t.shape, view.strides);
    if (layout !== null) return { storage: () => t.layout.storage, layout, baseShape: view.baseShape, perm: view.perm };
  }
  return { storage: () => t.storage, layout: contiguousMatrices(rows, cols), baseShape: t.shape, perm: null };
}

function fusedAttention(q: Tensor, k: Tensor, v: Tensor, p: Plan): Tensor {
  const { batch, l, s, e, ev } = p;
  const n = batch.reduce((a, b) => a * b, 1);
  // Broadcast batch dims are copied out (their gradients sum back through expand's node).
  const full = (t: Tensor, rows: number, cols: number): Tensor => {
    const shape = [...batch, rows, cols];
    return sameShape(t.shape, shape) ? t : t.expand(shape);
  };
  const [qe, ke, ve] = [full(q, l, e), full(k, s, e), full(v, s, ev)];
  const [qo, ko, vo] = [operand(qe), operand(ke), operand(ve)];
  let mask: Tensor | null = null;
  let maskBatchStride = 0;
  if (p.mask) {
    const m = additive(p.mask, q);
    // One [L, S] mask for every matrix unless the mask varies along a batch dim.
    const shared = m.shape.slice(0, -2).every((d) => d === 1);
    const last = m.shape.slice(-2);
    if (shared) mask = sameShape(last, [l, s]) ? m.reshape([l, s]) : m.reshape(last).expand([l, s]);
    else mask = sameShape(m.shape, [...batch, l, s]) ? m : m.expand([...batch, l, s]);
    maskBatchStride = shared ? 0 : l * s;
  }
  // The output lies as q does when it has q's shape (PyTorch's rule too): a head split read in
  // place is written back as heads, so the usual `.transpose(1, 2).reshape([B, T, C])` after it
  // is a view, not a copy; and its gradient comes back in that layout.
  const outLike = ev === e ? qo : null;
  const o = outLike?.layout ?? contiguousMatrices(l, ev);
  const layouts = { q: qo.layout, k: ko.layout, v: vo.layout, o, dout: o };
  const args: AttentionArgs = { batch: n, l, s, e, ev, scale: p.scale, causal: p.causal, maskBatchStride, layouts };
  const b = q.backend;
  const r = b.attention(qo.storage(), ko.storage(), vo.storage(), mask?.storage ?? null, args);
  const out = outLike === null ? wrap(q, r.out, [...batch, l, ev], q.dtype) : Tensor.fromLayout(r.out, b, outLike.baseShape, outLike.perm, q.dtype);
  const lse = wrap(q, r.lse, [n, l], q.dtype);
  const saved = [qe, ke, ve, out, lse, ...(mask ? [mask] : [])];
  return record(OP, out, [qe, ke, ve], saved, (dy) => {
    const go = operand(dy);
    const back = { ...args, layouts: { ...layouts, dout: go.layout } };
    const g = b.attentionBackward(qo.storage(), ko.storage(), vo.storage(), mask?.storage ?? null, out.layout.storage, lse.storage, go.storage(), back);
    const grad = (x: Storage, of: Operand) => Tensor.fromLayout(x, b, of.baseShape, of.perm, q.dtype);
    return [grad(g.dq, qo), grad(g.dk, ko), grad(g.dv, vo)];
  });
}
