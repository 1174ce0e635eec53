import { isGradEnabled } from '../autograd/grad-mode.js';
import { WebgradError, fmtShape } from '../errors.js';
import { Tensor } from '../tensor.js';
import { resultOf } from './binary.js';
import { checkSameBackend } from './util.js';

const OP = 'foreachMul_';

/**
 * @internal In place: every target *= factor (one element), as `for (const t of targets)
 * t.mul_(factor)` with the same bits, but with one backend call (`Backend.scaleInPlace`; on
 * WebGPU several targets to a dispatch) for the targets that share the factor's backend and
 * float dtype: torch's `_foreach_mul_` with a 0-d tensor. Not recorded for autograd. Each
 * target's version is bumped as `mul_` bumps it.
 *
 * The rest take `mul_` one by one: permuted views (their storage holds the values in another
 * layout, and `mul_` writes back through it) and targets of another dtype (a float64 target
 * times a float32 factor on the CPU). A factor that shares storage with a target makes the
 * whole call the loop of `mul_`, in order: the targets after it see it scaled. Every check
 * runs before any target is written, so a refused call changes nothing.
 */
export function foreachMul_(targets: readonly Tensor[], factor: Tensor): void {
  if (!(factor instanceof Tensor)) throw new WebgradError(OP, 'factor is not a Tensor');
  targets.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new WebgradError(OP, `target ${i} is not a Tensor`);
  });
  checkSameBackend(OP, factor, ...targets);
  if (factor.numel !== 1) throw new WebgradError(OP, `factor must have one element, got shape ${fmtShape(factor.shape)}`);
  if (isGradEnabled() && (factor.requiresGrad || targets.some((t) => t.requiresGrad))) {
    throw new WebgradError(OP, 'in-place operations are not recorded for autograd; wrap the update in noGrad(() => ...)');
  }
  const fast = (t: Tensor): boolean => t.dtype === factor.dtype && t.dtype !== 'int32' && t.layout.perm === null;
  for (const t of targets) {
    if (fast(t)) continue;
    // What mul_ would refuse (an int32 target: its product is float), refused before any write.
    const want = resultOf(OP, t, factor);
    if (want.dtype !== t.dtype || want.shape.length > t.ndim) {
      throw new WebgradError(OP, `result of shape ${fmtShape(want.shape)} (${want.dtype}) cannot be written into a tensor of shape ${fmtShape(t.shape)} (${t.dtype})`);
    }
  }
  // The storage itself (layout never materializes a view's copy).
  const raw = (t: Tensor) => t.layout.storage;
  if (targets.some((t) => raw(t) === raw(factor))) {
    for (const t of targets) t.mul_(factor);
    return;
  }
  const batch = targets.filter(fast);
  if (batch.length > 0) {
    factor.backend.scaleInPlace(batch.map((t) => t.storage), factor.storage);
    for (const t of batch) t.markModified();
  }
  for (const t of targets) if (!fast(t)) t.mul_(factor);
}
