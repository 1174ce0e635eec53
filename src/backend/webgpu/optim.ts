import optimSrc from '../../../shaders/optim.wgsl';
import adadeltaSrc from '../../../shaders/optim_adadelta.wgsl';
import adagradSrc from '../../../shaders/optim_adagrad.wgsl';
import adamaxSrc from '../../../shaders/optim_adamax.wgsl';
import adamwSrc from '../../../shaders/optim_adamw.wgsl';
import nadamSrc from '../../../shaders/optim_nadam.wgsl';
import rmspropSrc from '../../../shaders/optim_rmsprop.wgsl';
import { WebgradError } from '../../errors.js';
import type { AdamArgs, OptimizerKind, OptimizerStepArgs, SgdArgs, Storage } from '../backend.js';
import type { PooledBuffer } from './buffer-pool.js';
import { groupsFor } from './dims.js';
import { defineKernel, type KernelDef } from './pipelines.js';
import type { GpuRuntime } from './runtime.js';
import { type BindingDecl, type Field, type ParamValues, shaderInterface } from './shader-interface.js';

const OPTIM_IO = shaderInterface(
  {
    n: 'u32',
    lr: 'f32',
    weight_decay: 'f32',
    momentum: 'f32',
    dampening: 'f32',
    first_step: 'u32',        // SGD: the momentum buffer starts as the gradient, undamped
    beta1: 'f32',
    beta2: 'f32',
    one_minus_beta1: 'f32',   // 1 - beta1 etc. in float64 on the host: 1 - f32(0.999) is 1.3e-5 off
    one_minus_beta2: 'f32',
    one_minus_dampening: 'f32',
    eps: 'f32',
    step_size: 'f32',         // Adam: lr / (1 - beta1^step)
    bc2_sqrt: 'f32',          //       sqrt(1 - beta2^step)
  },
  {
    param: { binding: 1, access: 'w', type: 'f32' },
    grad: { binding: 2, access: 'r', type: 'f32' },
    buf: { binding: 3, access: 'w', type: 'f32' },   // SGD momentum / Adam m
    v: { binding: 4, access: 'w', type: 'f32' },     // Adam second moment
  },
);
type OptimParams = ParamValues<typeof OPTIM_IO.params>;
const NONE: OptimParams = {
  n: 0, lr: 0, weight_decay: 0, momentum: 0, dampening: 0, first_step: 0, beta1: 0, beta2: 0,
  one_minus_beta1: 0, one_minus_beta2: 0, one_minus_dampening: 0, eps: 0, step_size: 0, bc2_sqrt: 0,
};
const SGD = defineKernel('sgdStep', optimSrc, 'sgd', OPTIM_IO, ['param', 'grad']);
const SGD_MOMENTUM = defineKernel('sgdStep', optimSrc, 'sgd_momentum', OPTIM_IO, ['param', 'grad', 'buf']);
const ADAM = defineKernel('adamStep', optimSrc, 'adam', OPTIM_IO, ['param', 'grad', 'buf', 'v']);
const WG = 256;

function distinct(op: string, ...bufs: unknown[]): void {
  if (new Set(bufs).size !== bufs.length) throw new WebgradError(op, 'param, grad and state must be different storages');
}

export function sgdStep(gpu: GpuRuntime, param: Storage, grad: Storage, buf: Storage | null, args: SgdArgs): void {
  const name = 'sgdStep';
  const pb = gpu.buf(param, name);
  const gb = gpu.buf(grad, name);
  const bb = buf === null ? null : gpu.buf(buf, name);
  distinct(name, pb, gb, ...(bb ? [bb] : []));
  const n = param.numel;
  const params: OptimParams = {
    ...NONE, n, lr: args.lr, weight_decay: args.weightDecay, momentum: args.momentum, dampening: args.dampening,
    first_step: args.firstStep ? 1 : 0, one_minus_dampening: 1 - args.dampening,
  };
  const variant = { constants: { WG, NESTEROV: args.nesterov } };
  if (bb === null) gpu.run(SGD, variant, { param: pb, grad: gb }, params, groupsFor(n, WG), name);
  else gpu.run(SGD_MOMENTUM, variant, { param: pb, grad: gb, buf: bb }, params, groupsFor(n, WG), name);
}

export function adamStep(gpu: GpuRuntime, param: Storage, grad: Storage, m: Storage, v: Storage, args: AdamArgs): void {
  const name = 'adamStep';
  const pb = gpu.buf(param, name);
  const gb = gpu.buf(grad, name);
  const mb = gpu.buf(m, name);
  const vb = gpu.buf(v, name);
  distinct(name, pb, gb, mb, vb);
  const n = param.numel;
  // Bias corrections in float64 on the host, as the CPU backend computes them.
  const stepSize = args.lr / (1 - Math.pow(args.beta1, args.step));
  const bc2Sqrt = Math.sqrt(1 - Math.pow(args.beta2, args.step));
  gpu.run(
    ADAM,
    { constants: { WG } },
    { param: pb, grad: gb, buf: mb, v: vb },
    {
      ...NONE, n, lr: args.lr, weight_decay: args.weightDecay, beta1: args.beta1, beta2: args.beta2,
      one_minus_beta1: 1 - args.beta1, one_minus_beta2: 1 - args.beta2, eps: args.eps, step_size: stepSize, bc2_sqrt: bc2Sqrt,
    },
    groupsFor(n, WG),
    name,
  );
}

// The optimizers after SGD and Adam: shaders/optim_<name>.wgsl, one entry point per set of
// state buffers bound. Every one binds the parameter (read-write) at 1 and its gradient at 2;
// the state storages follow in OptimizerStepArgs' order, named as the shader names them.
const io = <const P extends Record<string, Field>, const S extends readonly string[]>(params: P, state: S) =>
  shaderInterface({ n: 'u32', ...params } as { n: 'u32' } & P, {
    param: { binding: 1, access: 'w', type: 'f32' },
    grad: { binding: 2, access: 'r', type: 'f32' },
    ...(Object.fromEntries(state.map((name, i) => [name, { binding: 3 + i, access: 'w', type: 'f32' }])) as Record<S[number], BindingDecl>),
  });

const ADAMW_IO = io(
  {
    decay: 'f32',             // 1 - lr * weight_decay
    beta1: 'f32',
    beta2: 'f32',
    one_minus_beta1: 'f32',   // in float64 on the host: 1 - f32(0.999) is 1.3e-5 off
    one_minus_beta2: 'f32',
    eps: 'f32',
    step_size: 'f32',         // lr / (1 - beta1^step)
    bc2_sqrt: 'f32',          // sqrt(1 - beta2^step)
  },
  ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'],
);
const RMSPROP_IO = io(
  { lr: 'f32', alpha: 'f32', one_minus_alpha: 'f32', eps: 'f32', weight_decay: 'f32', momentum: 'f32' },
  ['square_avg', 'momentum_buffer', 'grad_avg'],
);
const ADAGRAD_IO = io(
  { clr: 'f32', eps: 'f32', weight_decay: 'f32' },   // clr: lr / (1 + (step - 1) * lr_decay)
  ['state_sum'],
);
const ADADELTA_IO = io(
  { lr: 'f32', rho: 'f32', one_minus_rho: 'f32', eps: 'f32', weight_decay: 'f32' },
  ['square_avg', 'acc_delta'],
);
const ADAMAX_IO = io(
  { clr: 'f32', beta1: 'f32', one_minus_beta1: 'f32', beta2: 'f32', eps: 'f32', weight_decay: 'f32' },   // clr: lr / (1 - beta1^step)
  ['exp_avg', 'exp_inf'],
);
const NADAM_IO = io(
  {
    beta1: 'f32',
    one_minus_beta1: 'f32',
    beta2: 'f32',
    one_minus_beta2: 'f32',
    eps: 'f32',
    weight_decay: 'f32',
    bias_correction2: 'f32',  // 1 - beta2^step
    grad_step: 'f32',         // lr * (1 - mu) / (1 - mu_product)
    avg_step: 'f32',          // lr * mu_next / (1 - mu_product * mu * mu_next), as torch 1.13
  },
  ['exp_avg', 'exp_avg_sq'],
);

const ADAMW = defineKernel('adamwStep', adamwSrc, 'adamw', ADAMW_IO, ['param', 'grad', 'exp_avg', 'exp_avg_sq']);
const ADAMW_AMSGRAD = defineKernel('adamwStep', adamwSrc, 'adamw_amsgrad', ADAMW_IO, ['param', 'grad', 'exp_avg', 'exp_avg_sq', 'max_exp_avg_sq']);
const RMSPROP = defineKernel('rmspropStep', rmspropSrc, 'rmsprop', RMSPROP_IO, ['param', 'grad', 'square_avg']);
const RMSPROP_M = defineKernel('rmspropStep', rmspropSrc, 'rmsprop_momentum', RMSPROP_IO, ['param', 'grad', 'square_avg', 'momentum_buffer']);
const RMSPROP_C = defineKernel('rmspropStep', rmspropSrc, 'rmsprop_centered', RMSPROP_IO, ['param', 'grad', 'square_avg', 'grad_avg']);
const RMSPROP_CM = defineKernel('rmspropStep', rmspropSrc, 'rmsprop_centered_momentum', RMSPROP_IO, [
  'param', 'grad', 'square_avg', 'momentum_buffer', 'grad_avg',
]);
const ADAGRAD = defineKernel('adagradStep', adagradSrc, 'adagrad', ADAGRAD_IO, ['param', 'grad', 'state_sum']);
const ADADELTA = defineKernel('adadeltaStep', adadeltaSrc, 'adadelta', ADADELTA_IO, ['param', 'grad', 'square_avg', 'acc_delta']);
const ADAMAX = defineKernel('adamaxStep', adamaxSrc, 'adamax', ADAMAX_IO, ['param', 'grad', 'exp_avg', 'exp_inf']);
const NADAM = defineKernel('nadamStep', nadamSrc, 'nadam', NADAM_IO, ['param', 'grad', 'exp_avg', 'exp_avg_sq']);

/** One step's kernel (bound in OptimizerStepArgs' state order) and its uniform values. */
interface Launch {
  readonly kernel: KernelDef<Record<string, Field>, string>;
  readonly params: Record<string, number>;
}
type Arg<K extends OptimizerKind> = Extract<OptimizerStepArgs, { kind: K }>;

// Each entry's params must be the kernel's (checked by `satisfies`), n excepted.
const LAUNCH: { [K in OptimizerKind]: (a: Arg<K>) => Launch } = {
  adamw: (a) => ({
    kernel: a.amsgrad ? ADAMW_AMSGRAD : ADAMW,
    params: {
      decay: 1 - a.lr * a.weightDecay, beta1: a.beta1, beta2: a.beta2, one_minus_beta1: 1 - a.beta1, one_minus_beta2: 1 - a.beta2,
      eps: a.eps, step_size: a.stepSize, bc2_sqrt: a.bc2Sqrt,
    } satisfies Omit<ParamValues<typeof ADAMW_IO.params>, 'n'>,
  }),
  rmsprop: (a) => ({
    kernel: a.centered ? (a.momentum > 0 ? RMSPROP_CM : RMSPROP_C) : a.momentum > 0 ? RMSPROP_M : RMSPROP,
    params: {
      lr: a.lr, alpha: a.alpha, one_minus_alpha: 1 - a.alpha, eps: a.eps, weight_decay: a.weightDecay, momentum: a.momentum,
    } satisfies Omit<ParamValues<typeof RMSPROP_IO.params>, 'n'>,
  }),
  adagrad: (a) => ({
    kernel: ADAGRAD,
    params: { clr: a.clr, eps: a.eps, weight_decay: a.weightDecay } satisfies Omit<ParamValues<typeof ADAGRAD_IO.params>, 'n'>,
  }),
  adadelta: (a) => ({
    kernel: ADADELTA,
    params: {
      lr: a.lr, rho: a.rho, one_minus_rho: 1 - a.rho, eps: a.eps, weight_decay: a.weightDecay,
    } satisfies Omit<ParamValues<typeof ADADELTA_IO.params>, 'n'>,
  }),
  adamax: (a) => ({
    kernel: ADAMAX,
    params: {
      clr: a.clr, beta1: a.beta1, one_minus_beta1: 1 - a.beta1, beta2: a.beta2, eps: a.eps, weight_decay: a.weightDecay,
    } satisfies Omit<ParamValues<typeof ADAMAX_IO.params>, 'n'>,
  }),
  nadam: (a) => ({
    kernel: NADAM,
    params: {
      beta1: a.beta1, one_minus_beta1: 1 - a.beta1, beta2: a.beta2, one_minus_beta2: 1 - a.beta2, eps: a.eps,
      weight_decay: a.weightDecay, bias_correction2: a.biasCorrection2, grad_step: a.gradStep, avg_step: a.avgStep,
    } satisfies Omit<ParamValues<typeof NADAM_IO.params>, 'n'>,
  }),
};

export function optimizerStep(gpu: GpuRuntime, param: Storage, grad: Storage, state: readonly Storage[], args: OptimizerStepArgs): void {
  const name = `${args.kind}Step`;
  const bufs = [param, grad, ...state].map((s) => gpu.buf(s, name));
  distinct(name, ...bufs);
  const { kernel, params } = (LAUNCH[args.kind] as (a: OptimizerStepArgs) => Launch)(args);
  if (kernel.uses.length !== bufs.length) {
    throw new WebgradError(name, `expected ${kernel.uses.length - 2} state storages, got ${state.length}`);
  }
  const buffers: Record<string, PooledBuffer> = {};
  kernel.uses.forEach((u, i) => (buffers[u] = bufs[i]));
  const n = param.numel;
  gpu.run(kernel, { constants: { WG } }, buffers, { n, ...params }, groupsFor(n, WG), name);
}
