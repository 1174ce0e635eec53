import optimSrc from '../../../shaders/optim.wgsl';
import { WebgradError } from '../../errors.js';
import type { AdamArgs, SgdArgs, Storage } from '../backend.js';
import { groupsFor } from './dims.js';
import { defineKernel } from './pipelines.js';
import { type ParamValues, shaderInterface } from './shader-interface.js';
import type { GpuRuntime } from './runtime.js';

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
