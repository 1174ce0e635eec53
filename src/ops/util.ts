import type { Storage } from '../backend/backend.js';
import type { TypedArray } from '../dtype.js';
import { isGradEnabled } from '../autograd/grad-mode.js';
import { type BackwardFn, type MultiBackwardFn, Node } from '../autograd/node.js';
import type { DType } from '../dtype.js';
import { WebgradError, fmtShape } from '../errors.js';
import { closeCollect, heldTensors, type HostRange, openCollect } from '../memory.js';
import type { Shape } from '../shape.js';
import { Tensor } from '../tensor.js';

/** Wraps a kernel's output storage as a tensor on `like`'s backend. */
export const wrap = (like: Tensor, storage: Storage, shape: Shape, dtype: DType = storage.dtype): Tensor =>
  Tensor.fromStorage(storage, like.backend, shape, dtype);

/**
 * Records `out` as produced by `name` from `inputs` when grad mode is on and an input needs a
 * gradient. `saved` are the tensors `backward` reads, checked against in-place writes.
 */
export function record(name: string, out: Tensor, inputs: Tensor[], saved: Tensor[], backward: BackwardFn): Tensor {
  if (isGradEnabled() && inputs.some((t) => t.requiresGrad)) out.setGradFn(new Node(name, inputs, saved, backward));
  return out;
}

/**
 * `record` for an op with several outputs (split, chunk, unbind): one node for all of them, so
 * backward runs once with every output's gradient (null where none arrived).
 */
export function recordMulti(name: string, outs: Tensor[], inputs: Tensor[], saved: Tensor[], backward: MultiBackwardFn): Tensor[] {
  if (isGradEnabled() && inputs.some((t) => t.requiresGrad)) {
    const node = new Node(name, inputs, saved, { outputs: outs, backward });
    for (const t of outs) t.setGradFn(node);
  }
  return outs;
}

/**
 * Runs an op's body so that no op does its own memory bookkeeping. Every tensor the body
 * creates is collected; when it returns, what it returns (a tensor, or tensors in an array or
 * object) survives into the caller's scope, the tensors the result's graph still needs (the
 * inputs and saved tensors of nodes recorded inside: a scalar operand, a view, an intermediate
 * product) go to the result's graph node, which frees them when it is released after
 * backward, and everything else (casts, scaled copies, intermediates no graph kept) is
 * disposed at once. On an error, everything the body created is disposed.
 */
export function opScope<R>(body: () => R): R {
  const created = openCollect();
  let result: R;
  try {
    result = body();
  } catch (e) {
    closeCollect(created, []);
    for (const t of created) t.dispose();
    throw e;
  }
  const results = heldTensors(result);
  const survivors: Tensor[] = [];
  // Each temporary the graph needs goes to the node that saves it for backward (which must
  // outlive that node's backward), else to the node that takes it as an input.
  const owners = new Map<Tensor, Node>();
  for (const r of results) {
    if (!(r instanceof Tensor) || !created.has(r)) continue;
    survivors.push(r);
    // Walk the nodes recorded inside the body, from this result back to the op's inputs.
    const stack = r.gradFn ? [r.gradFn] : [];
    const seen = new Set(stack);
    while (stack.length > 0) {
      const node = stack.pop()!;
      const visit = (t: Tensor, saves: boolean): void => {
        if (!created.has(t) || results.has(t)) return;
        if (saves || !owners.has(t)) owners.set(t, node);
        if (t.gradFn && !seen.has(t.gradFn)) {
          seen.add(t.gradFn);
          stack.push(t.gradFn);
        }
      };
      for (const t of node.inputs) visit(t, false);
      for (const t of node.saved) visit(t, true);
    }
  }
  for (const [t, node] of owners) node.own(t);
  closeCollect(created, survivors);
  for (const t of created) if (!results.has(t) && !owners.has(t as Tensor) && !t.isDisposed) t.dispose();
  return result;
}

/**
 * Every argument must be a Tensor that was not disposed: checked at the start of each op, so
 * the error names the op and nothing has run yet.
 */
export function checkLive(op: string, ...ts: Tensor[]): void {
  ts.forEach((t, i) => {
    if (!(t instanceof Tensor)) {
      throw new WebgradError(op, `expected a Tensor${ts.length > 1 ? ` as argument ${i + 1}` : ''}, got ${t === null ? 'null' : typeof t}`);
    }
    t.assertLive(op);
  });
}

/** The inputs must be live and on the same backend (a tensor stays on the one it was made on). */
export function checkSameBackend(op: string, ...ts: Tensor[]): void {
  checkLive(op, ...ts);
  const b = ts[0].backend;
  for (const t of ts) {
    if (t.backend !== b) {
      const kinds = b.name === t.backend.name ? `two ${b.name} backends from different init() calls` : `${b.name} and ${t.backend.name}`;
      throw new WebgradError(op, `tensors of shapes ${fmtShape(ts[0].shape)} and ${fmtShape(t.shape)} are on different backends (${kinds}); create both after the same init()`);
    }
  }
}

export function requireFloat(op: string, t: Tensor): void {
  checkLive(op, t);
  if (t.dtype === 'int32') throw new WebgradError(op, `expected a floating point tensor, got int32 of shape ${fmtShape(t.shape)}`);
}

/** Checks up front that the tensor's backend can hold `dtype` (float64 is CPU-only). */
export function requireSupported(op: string, backendLike: Tensor | { supports(d: DType): boolean; name: string }, dtype: DType): void {
  const b = backendLike instanceof Tensor ? backendLike.backend : backendLike;
  if (!b.supports(dtype)) {
    throw new WebgradError(op, `dtype ${dtype} is not supported on the ${b.name} backend (float64 is available on the CPU backend, for gradient checks)`);
  }
}

/** PyTorch-like promotion for our three dtypes: float64 > float32 > int32. */
export function promote(a: DType, b: DType): DType {
  if (a === 'float64' || b === 'float64') return 'float64';
  if (a === 'float32' || b === 'float32') return 'float32';
  return 'int32';
}

/**
 * Checks values headed for an int32 tensor (finite, within int32; fractions truncate toward
 * zero as in PyTorch) and returns their bounds after that truncation, for `Tensor.hostRange`.
 * Without the check 3e9 would wrap to -1294967296 and NaN would become 0, silently.
 */
export function int32Bounds(op: string, values: ArrayLike<number>): HostRange {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!(v >= -2147483648 && v < 2147483648)) {
      throw new WebgradError(op, `value ${v} at index ${i} does not fit in int32 (expected a finite number in [-2147483648, 2147483647])`);
    }
    const t = Math.trunc(v);
    if (t < min) min = t;
    if (t > max) max = t;
  }
  return { min, max };
}

/** The values of a tensor whose storage is host memory (the CPU backend), else null. */
export function hostValues(t: Tensor): TypedArray | null {
  return t.backend.hostData(t.storage);
}
