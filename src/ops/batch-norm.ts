import type { ChannelLayout } from '../backend/backend.js';
import { noGrad } from '../autograd/grad-mode.js';
import { check, fmtShape } from '../errors.js';
import { options } from '../options.js';
import type { Tensor } from '../tensor.js';
import { checkSameBackend, opScope, record, requireFloat, requireSupported, wrap } from './util.js';

/** Options of `batchNorm`. */
export interface BatchNormOptions {
  /** Normalise with the batch's statistics and update the running ones (default false, as PyTorch's F.batch_norm). */
  training?: boolean;
  /** Weight of the new batch in the running statistics (default 0.1). */
  momentum?: number;
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
}

/**
 * Batch normalisation over the channel dim 1 of [N, C], [N, C, L] or [N, C, H, W]:
 * y = (x - mean)/√(var + eps)·weight + bias per channel. Training uses the batch's mean and
 * biased variance (one statistics kernel) and updates `runningMean` / `runningVar` in place
 * (not recorded) with `momentum` and the unbiased variance; eval uses the running statistics.
 * The backward is the closed form dx = w/σ·(dy - mean(dy) - x̂·mean(dy·x̂)) (two kernels).
 *
 * PyTorch equivalent: `torch.nn.functional.batch_norm(x, running_mean, running_var, weight, bias, training, momentum, eps)`.
 */
export function batchNorm(x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, weight?: Tensor | null,
  bias?: Tensor | null, opts?: BatchNormOptions): Tensor {
  const op = 'batchNorm';
  const o = options(op, opts, ['training', 'momentum', 'eps']);
  const training = o.training ?? false;
  const momentum = o.momentum ?? 0.1;
  const eps = o.eps ?? 1e-5;
  check(typeof training === 'boolean', op, () => `training must be a boolean, got ${typeof training}`);
  check(typeof momentum === 'number' && Number.isFinite(momentum), op, () => `momentum must be a finite number, got ${String(momentum)}`);
  check(typeof eps === 'number' && eps >= 0 && Number.isFinite(eps), op, () => `eps must be a finite non-negative number, got ${String(eps)}`);
  requireFloat(op, x);
  requireSupported(op, x, x.dtype);
  check(x.ndim >= 2, op, () => `expected an input of shape [N, C], [N, C, L] or [N, C, H, W], got ${fmtShape(x.shape)}`);
  const C = x.shape[1];
  const per = [weight ?? null, bias ?? null, runningMean, runningVar];
  const names = ['weight', 'bias', 'runningMean', 'runningVar'];
  per.forEach((t, i) => {
    if (t === null) return;
    requireFloat(op, t);
    checkSameBackend(op, x, t);
    check(t.ndim === 1 && t.shape[0] === C, op, () =>
      `${names[i]} of shape ${fmtShape(t.shape)} does not match the ${C} channels of input ${fmtShape(x.shape)} (expected [${C}])`);
    check(t.dtype === x.dtype, op, () => `${names[i]} is ${t.dtype} but the input is ${x.dtype}`);
  });
  check((runningMean === null) === (runningVar === null), op, () => 'runningMean and runningVar must both be given or both be null');
  check(training || runningMean !== null, op, () => 'eval mode (training false) needs runningMean and runningVar');
  const layout: ChannelLayout = { outer: x.shape[0], size: C, inner: x.shape.slice(2).reduce((a, b) => a * b, 1) };
  const n = layout.outer * layout.inner;
  check(!training || n > 1, op, () => `expected more than 1 value per channel when training, got input of shape ${fmtShape(x.shape)}`);
  const w = weight ?? null;
  const b = bias ?? null;
  return opScope(() => {
    let mean: Tensor;
    let variance: Tensor;
    if (training) {
      const stats = wrap(x, x.backend.batchNormStats(x.storage, layout), [2, C], x.dtype);
      mean = wrap(x, x.backend.strided(stats.storage, [C], [1], 0), [C], x.dtype);
      variance = wrap(x, x.backend.strided(stats.storage, [C], [1], C), [C], x.dtype);
      if (runningMean !== null && runningVar !== null) {
        noGrad(() => {
          runningMean.copy_(runningMean.mul(1 - momentum).add(mean.mul(momentum)));
          runningVar.copy_(runningVar.mul(1 - momentum).add(variance.mul((momentum * n) / (n - 1))));
        });
      }
    } else {
      mean = runningMean!;
      variance = runningVar!;
    }
    const out = wrap(x, x.backend.batchNormForward(x.storage, mean.storage, variance.storage, w?.storage ?? null, b?.storage ?? null, layout, eps), x.shape, x.dtype);
    const inputs = [x, ...(w ? [w] : []), ...(b ? [b] : [])];
    return record(op, out, inputs, [x, mean, variance], (dy, needs) => {
      const bk = dy.backend;
      const wantSums = training || needs.slice(1).some(Boolean);
      const sums = wantSums ? wrap(dy, bk.batchNormGradSums(x.storage, dy.storage, mean.storage, variance.storage, layout, eps), [2, C], dy.dtype) : null;
      const dx = needs[0]
        ? wrap(dy, bk.batchNormInputGrad(x.storage, dy.storage, mean.storage, variance.storage, w?.storage ?? null, training ? sums!.storage : null, layout, eps), x.shape, dy.dtype)
        : null;
      const grads: (Tensor | null)[] = [dx];
      if (w) grads.push(needs[1] ? wrap(dy, bk.strided(sums!.storage, [C], [1], C), [C], dy.dtype) : null);
      if (b) grads.push(needs[inputs.length - 1] ? wrap(dy, bk.strided(sums!.storage, [C], [1], 0), [C], dy.dtype) : null);
      sums?.dispose();
      return grads;
    });
  });
}
