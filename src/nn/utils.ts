import { noGrad } from '../autograd/grad-mode.js';
import { fullLike, zeros } from '../creation.js';
import { WebgradError } from '../errors.js';
import { scope } from '../memory.js';
import { foreachMul_ } from '../ops/foreach.js';
import { cat } from '../ops/joining.js';
import { options } from '../options.js';
import { Tensor } from '../tensor.js';

/** Options of `clipGradNorm_`. */
export interface ClipGradNormOptions {
  /** The p of the p-norm (> 0), or Infinity for the largest absolute value. Default 2. */
  normType?: number;
}

const OP = 'clipGradNorm_';
/** The largest float32: a stand-in for Infinity where Inf·0 would turn into NaN. */
const FLT_MAX = 3.4028234663852886e38;

/**
 * torch.nn.utils.clip_grad_norm_: the norm of all the gradients together and, where it exceeds `maxNorm`, every gradient scaled in place by
 * maxNorm / (norm + 1e-6). Computed and applied on the device: the norm comes back as a 0-d
 * tensor, read only if you ask (`await norm.item()`). Parameters without a gradient are
 * skipped. A NaN or Inf gradient makes the norm NaN or Inf (torch's errorIfNonfinite would
 * need a readback inside the training step, so it is not offered).
 */
export function clipGradNorm_(parameters: Iterable<Tensor> | Tensor, maxNorm: number, opts?: ClipGradNormOptions): Tensor {
  const o = options(OP, opts, ['normType']);
  const normType = o.normType ?? 2;
  if (typeof normType !== 'number' || Number.isNaN(normType) || normType <= 0) {
    throw new WebgradError(OP, `invalid normType: ${String(normType)} (expected a number > 0, or Infinity)`);
  }
  if (typeof maxNorm !== 'number' || Number.isNaN(maxNorm) || maxNorm < 0) {
    throw new WebgradError(OP, `invalid maxNorm: ${String(maxNorm)} (expected a number >= 0)`);
  }
  const params = parameters instanceof Tensor ? [parameters] : [...parameters];
  params.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw new WebgradError(OP, `parameter ${i} is not a Tensor`);
  });
  const grads = params.map((p) => p.grad).filter((g): g is Tensor => g !== null);
  if (grads.length === 0) return zeros([]);
  return noGrad(() =>
    scope(() => {
      const total = normType === Infinity ? infNorm(grads) : pNorm(grads, normType);
      const coef = fullLike(total.reshape([]), maxNorm).div(total.add(1e-6)).clamp(null, 1);
      // One backend call for all of them (torch's _foreach_mul_): on WebGPU k gradients a
      // dispatch instead of one each (see src/backend/webgpu/foreach.ts).
      foreachMul_(grads, coef);
      return total;
    }),
  );
}

/**
 * (Σ_i Σ|g_i|^p)^(1/p): torch's norm of the per-parameter norms, without taking each root
 * and raising it again (the same value, two dispatches fewer per parameter: 56 -> 36 for 10
 * parameters, measured with the WebGPU backend's dispatch counter).
 */
function pNorm(grads: Tensor[], p: number): Tensor {
  const power = (t: Tensor) => (p === 1 ? t.abs() : p === 2 ? t.mul(t) : t.abs().pow(p));
  const total = joined(grads).map((g) => power(g).sum()).reduce((a, b) => a.add(b));
  return p === 1 ? total : p === 2 ? total.sqrt() : total.pow(1 / p);
}

/**
 * Elements up to which the gradients are joined into one vector before their norm: one
 * reduction instead of one per parameter, for the price of one copy per parameter (buffer
 * copies, not dispatches). The bench's GPT step (30 parameters, 0.2 M elements) went from 402
 * to 318 dispatches (a dispatch costs ~45 µs on lavapipe, 25-70 µs on real drivers); far above
 * this size the copy's memory traffic would outweigh the dispatches saved.
 */
const JOIN_MAX_ELEMS = 1 << 22;

/** The gradients flattened into one tensor (when they share a dtype and are small), else as they are. */
function joined(grads: Tensor[]): Tensor[] {
  const n = grads.reduce((s, g) => s + g.numel, 0);
  if (grads.length < 2 || n > JOIN_MAX_ELEMS || grads.some((g) => g.dtype !== grads[0].dtype)) return grads;
  return [cat(grads.map((g) => g.reshape([-1])))];
}

/**
 * max_i max|g_i|. There is no stack to reduce the per-parameter maxima in one op, so they are
 * combined pairwise by selecting with 0/1 masks, exact for finite values; an Inf maximum is
 * first replaced by FLT_MAX (Inf·0 is NaN) and restored at the end by dividing by 0. NaN
 * propagates, as torch.max does.
 */
function infNorm(grads: Tensor[]): Tensor {
  const maxima = grads.map((g) => g.abs().max());
  const finite = maxima.map((m) => m.clamp(0, FLT_MAX));
  const largest = finite.reduce((a, b) => {
    const aWins = a.ge(b).to(a.dtype);
    return a.mul(aWins).add(b.mul(aWins.neg().add(1)));
  });
  const anyInf = maxima.map((m) => m.eq(Infinity).to(m.dtype)).reduce((a, b) => a.add(b)).clamp(0, 1);
  return largest.div(anyInf.neg().add(1));
}
