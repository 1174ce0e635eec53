import type { TypedArray } from '../../dtype.js';
import type { AdamArgs, SgdArgs } from '../backend.js';

// In-place optimizer steps following torch.optim's update formulas term by term. Arithmetic
// runs in float64; state (param, momentum buffer, moments) is rounded where PyTorch stores a
// tensor, and re-read from storage afterwards so the next term sees the stored value too.

/** torch.optim.SGD. `buf` is the momentum buffer, null when momentum is 0. */
export function sgdStep(param: TypedArray, grad: TypedArray, buf: TypedArray | null, args: SgdArgs): void {
  const { lr, momentum, dampening, nesterov, weightDecay, firstStep } = args;
  const n = param.length;
  for (let i = 0; i < n; i++) {
    let d = grad[i];
    if (weightDecay !== 0) d += weightDecay * param[i];
    if (buf !== null) {
      // PyTorch starts the buffer as a copy of the first gradient, undamped.
      buf[i] = firstStep ? d : momentum * buf[i] + (1 - dampening) * d;
      d = nesterov ? d + momentum * buf[i] : buf[i];
    }
    param[i] -= lr * d;
  }
}

/** torch.optim.Adam (not AdamW: weight decay is L2, added to the gradient). */
export function adamStep(param: TypedArray, grad: TypedArray, m: TypedArray, v: TypedArray, args: AdamArgs): void {
  const { lr, beta1, beta2, eps, weightDecay, step } = args;
  const stepSize = lr / (1 - Math.pow(beta1, step));
  const bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, step));
  const w = 1 - beta1;
  const n = param.length;
  for (let i = 0; i < n; i++) {
    let g = grad[i];
    if (weightDecay !== 0) g += weightDecay * param[i];
    // PyTorch's exp_avg.lerp_(grad, 1 - beta1): m + w*(g - m), the form it picks for w < 0.5.
    const mi = m[i];
    m[i] = w < 0.5 ? mi + w * (g - mi) : g - (g - mi) * (1 - w);
    v[i] = beta2 * v[i] + (1 - beta2) * g * g;
    param[i] -= stepSize * (m[i] / (Math.sqrt(v[i]) / bc2Sqrt + eps));
  }
}
