import type { TypedArray } from '../../dtype.js';
import type {
  AdadeltaArgs,
  AdagradArgs,
  AdamArgs,
  AdamaxArgs,
  AdamWArgs,
  NadamArgs,
  OptimizerKind,
  OptimizerStepArgs,
  RmspropArgs,
  SgdArgs,
} from '../backend.js';

// In-place optimizer steps following torch.optim's update formulas term by term. Arithmetic
// runs in float64; state (param, momentum buffer, moments) is rounded where PyTorch stores a
// tensor, and re-read from storage afterwards so the next term sees the stored value too.

type Step<A> = (param: TypedArray, grad: TypedArray, state: readonly TypedArray[], args: A) => void;

/** torch.optim.SGD. state: [momentumBuffer] with momentum, else []. */
const sgd: Step<SgdArgs> = (param, grad, state, args) => {
  const { lr, momentum, dampening, nesterov, weightDecay, firstStep } = args;
  const buf = state.length > 0 ? state[0] : null;
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
};

/** torch.optim.Adam (not AdamW: weight decay is L2, added to the gradient). */
const adam: Step<AdamArgs> = (param, grad, [m, v], args) => {
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
};

/** PyTorch's grad.add(param, alpha=weightDecay), skipped at 0 as it does (Inf*0 would be NaN). */
const decayed = (g: number, p: number, weightDecay: number): number => (weightDecay !== 0 ? g + weightDecay * p : g);

/** torch.amax of the two: NaN wins. */
const maxNaN = (a: number, b: number): number => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b));

/** torch.optim.AdamW: the decay multiplies the parameter, the moments see the raw gradient. */
const adamw: Step<AdamWArgs> = (param, grad, [m, v, vmax], a) => {
  const decay = 1 - a.lr * a.weightDecay;
  for (let i = 0; i < param.length; i++) {
    param[i] *= decay;
    const g = grad[i];
    m[i] = a.beta1 * m[i] + (1 - a.beta1) * g;
    v[i] = a.beta2 * v[i] + (1 - a.beta2) * g * g;
    let second = v[i];
    if (a.amsgrad) second = vmax[i] = maxNaN(vmax[i], v[i]);
    param[i] -= a.stepSize * (m[i] / (Math.sqrt(second) / a.bc2Sqrt + a.eps));
  }
};

/** torch.optim.RMSprop; state holds momentumBuffer only when momentum > 0, gradAvg only when centered. */
const rmsprop: Step<RmspropArgs> = (param, grad, state, a) => {
  const sq = state[0];
  const buf = a.momentum > 0 ? state[1] : null;
  const gAvg = a.centered ? state[a.momentum > 0 ? 2 : 1] : null;
  for (let i = 0; i < param.length; i++) {
    const g = decayed(grad[i], param[i], a.weightDecay);
    sq[i] = a.alpha * sq[i] + (1 - a.alpha) * g * g;
    let avg: number;
    if (gAvg !== null) {
      gAvg[i] = a.alpha * gAvg[i] + (1 - a.alpha) * g;
      avg = Math.sqrt(sq[i] - gAvg[i] * gAvg[i]);
    } else {
      avg = Math.sqrt(sq[i]);
    }
    avg += a.eps;
    if (buf !== null) {
      buf[i] = a.momentum * buf[i] + g / avg;
      param[i] -= a.lr * buf[i];
    } else {
      param[i] -= a.lr * (g / avg);
    }
  }
};

/** torch.optim.Adagrad (dense gradients). */
const adagrad: Step<AdagradArgs> = (param, grad, [sum], a) => {
  for (let i = 0; i < param.length; i++) {
    const g = decayed(grad[i], param[i], a.weightDecay);
    sum[i] += g * g;
    param[i] -= a.clr * (g / (Math.sqrt(sum[i]) + a.eps));
  }
};

/** torch.optim.Adadelta. */
const adadelta: Step<AdadeltaArgs> = (param, grad, [sq, acc], a) => {
  for (let i = 0; i < param.length; i++) {
    const g = decayed(grad[i], param[i], a.weightDecay);
    sq[i] = a.rho * sq[i] + (1 - a.rho) * g * g;
    const delta = (Math.sqrt(acc[i] + a.eps) / Math.sqrt(sq[i] + a.eps)) * g;
    acc[i] = a.rho * acc[i] + (1 - a.rho) * delta * delta;
    param[i] -= a.lr * delta;
  }
};

/** torch.optim.Adamax: the infinity norm is max(beta2 * u, |g| + eps). */
const adamax: Step<AdamaxArgs> = (param, grad, [m, u], a) => {
  for (let i = 0; i < param.length; i++) {
    const g = decayed(grad[i], param[i], a.weightDecay);
    m[i] = a.beta1 * m[i] + (1 - a.beta1) * g;
    u[i] = maxNaN(a.beta2 * u[i], Math.abs(g) + a.eps);
    param[i] -= a.clr * (m[i] / u[i]);
  }
};

/** torch.optim.NAdam: two addcdiv_ on the parameter, each stored. */
const nadam: Step<NadamArgs> = (param, grad, [m, v], a) => {
  for (let i = 0; i < param.length; i++) {
    const g = decayed(grad[i], param[i], a.weightDecay);
    m[i] = a.beta1 * m[i] + (1 - a.beta1) * g;
    v[i] = a.beta2 * v[i] + (1 - a.beta2) * g * g;
    const denom = Math.sqrt(v[i] / a.biasCorrection2) + a.eps;
    param[i] -= a.gradStep * (g / denom);
    param[i] -= a.avgStep * (m[i] / denom);
  }
};

const STEPS: { [K in OptimizerKind]: Step<Extract<OptimizerStepArgs, { kind: K }>> } = { sgd, adam, adamw, rmsprop, adagrad, adadelta, adamax, nadam };

export function optimizerStep(param: TypedArray, grad: TypedArray, state: readonly TypedArray[], args: OptimizerStepArgs): void {
  (STEPS[args.kind] as Step<OptimizerStepArgs>)(param, grad, state, args);
}
