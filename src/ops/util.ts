import type { Storage } from '../backend/backend.js';
import { isGradEnabled } from '../autograd/grad-mode.js';
import { type BackwardFn, Node } from '../autograd/node.js';
import type { DType } from '../dtype.js';
import { WebgradError, fmtShape } from '../errors.js';
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

export function checkSameBackend(op: string, ...ts: Tensor[]): void {
  const b = ts[0].backend;
  for (const t of ts) {
    if (t.backend !== b) {
      throw new WebgradError(op, `tensors are on different backends or devices (${b.name} and ${t.backend.name}); create them after the same init()`);
    }
  }
}

export function requireFloat(op: string, t: Tensor): void {
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
