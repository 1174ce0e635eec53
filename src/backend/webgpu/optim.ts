import optimSrc from '../../../shaders/optim.wgsl';
import adadeltaSrc from '../../../shaders/optim_adadelta.wgsl';
import adagradSrc from '../../../shaders/optim_adagrad.wgsl';
import adamaxSrc from '../../../shaders/optim_adamax.wgsl';
import adamwSrc from '../../../shaders/optim_adamw.wgsl';
import nadamSrc from '../../../shaders/optim_nadam.wgsl';
import rmspropSrc from '../../../shaders/optim_rmsprop.wgsl';
import { WebgradError } from '../../errors.js';
import type { AdamArgs, OptimizerKind, OptimizerStepArgs, SgdArgs, Storage } from '../backend.js';
import { groupsFor } from './dims.js';
import { defineKernel, type KernelDef } from './pipelines.js';
import type { Params } from './uniforms.js';
import type { GpuRuntime } from './runtime.js';

const SGD = defineKernel('sgdStep', optimSrc, 'sgd', [[1, 'w'], [2, 'r']]);
const SGD_MOMENTUM = defineKernel('sgdStep', optimSrc, 'sgd_momentum', [[1, 'w'], [2, 'r'], [3, 'w']]);
const ADAM = defineKernel('adamStep', optimSrc, 'adam', [[1, 'w'], [2, 'r'], [3, 'w'], [4, 'w']]);
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
  gpu.run(
    bb === null ? SGD : SGD_MOMENTUM,
    { constants: { WG, NESTEROV: args.nesterov } },
    bb === null ? [pb, gb] : [pb, gb, bb],
    (p) =>
      p.u32(n).f32(args.lr).f32(args.weightDecay).f32(args.momentum).f32(args.dampening).u32(args.firstStep ? 1 : 0)
        .f32(0).f32(0).f32(0).f32(0).f32(1 - args.dampening),
    groupsFor(n, WG),
    name,
  );
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
    [pb, gb, mb, vb],
    (p) =>
      p.u32(n).f32(args.lr).f32(args.weightDecay).f32(0).f32(0).u32(0)
        .f32(args.beta1).f32(args.beta2).f32(1 - args.beta1).f32(1 - args.beta2).f32(0)
        .f32(args.eps).f32(stepSize).f32(bc2Sqrt),
    groupsFor(n, WG),
    name,
  );
}

// The optimizers after SGD and Adam: shaders/optim_<name>.wgsl, one entry point per set of
// state buffers bound. Bindings: 1 param, 2 grad, 3.. state in OptimizerStepArgs' order.
const W = 'w' as const;
const ADAMW = defineKernel('adamwStep', adamwSrc, 'adamw', [[1, W], [2, 'r'], [3, W], [4, W]]);
const ADAMW_AMSGRAD = defineKernel('adamwStep', adamwSrc, 'adamw_amsgrad', [[1, W], [2, 'r'], [3, W], [4, W], [5, W]]);
const RMSPROP = defineKernel('rmspropStep', rmspropSrc, 'rmsprop', [[1, W], [2, 'r'], [3, W]]);
const RMSPROP_M = defineKernel('rmspropStep', rmspropSrc, 'rmsprop_momentum', [[1, W], [2, 'r'], [3, W], [4, W]]);
const RMSPROP_C = defineKernel('rmspropStep', rmspropSrc, 'rmsprop_centered', [[1, W], [2, 'r'], [3, W], [5, W]]);
const RMSPROP_CM = defineKernel('rmspropStep', rmspropSrc, 'rmsprop_centered_momentum', [[1, W], [2, 'r'], [3, W], [4, W], [5, W]]);
const ADAGRAD = defineKernel('adagradStep', adagradSrc, 'adagrad', [[1, W], [2, 'r'], [3, W]]);
const ADADELTA = defineKernel('adadeltaStep', adadeltaSrc, 'adadelta', [[1, W], [2, 'r'], [3, W], [4, W]]);
const ADAMAX = defineKernel('adamaxStep', adamaxSrc, 'adamax', [[1, W], [2, 'r'], [3, W], [4, W]]);
const NADAM = defineKernel('nadamStep', nadamSrc, 'nadam', [[1, W], [2, 'r'], [3, W], [4, W]]);

/** The kernel for one step and its parameters after `n`, word by word as its `struct Params`. */
type Launch<A> = (args: A) => { kernel: KernelDef; write: (p: Params) => void };
type Arg<K extends OptimizerKind> = Extract<OptimizerStepArgs, { kind: K }>;

const LAUNCH: { [K in OptimizerKind]: Launch<Arg<K>> } = {
  adamw: (a) => ({
    kernel: a.amsgrad ? ADAMW_AMSGRAD : ADAMW,
    write: (p) => p.f32(1 - a.lr * a.weightDecay).f32(a.beta1).f32(a.beta2).f32(1 - a.beta1).f32(1 - a.beta2).f32(a.eps).f32(a.stepSize).f32(a.bc2Sqrt),
  }),
  rmsprop: (a) => ({
    kernel: a.centered ? (a.momentum > 0 ? RMSPROP_CM : RMSPROP_C) : a.momentum > 0 ? RMSPROP_M : RMSPROP,
    write: (p) => p.f32(a.lr).f32(a.alpha).f32(1 - a.alpha).f32(a.eps).f32(a.weightDecay).f32(a.momentum),
  }),
  adagrad: (a) => ({ kernel: ADAGRAD, write: (p) => p.f32(a.clr).f32(a.eps).f32(a.weightDecay) }),
  adadelta: (a) => ({ kernel: ADADELTA, write: (p) => p.f32(a.lr).f32(a.rho).f32(1 - a.rho).f32(a.eps).f32(a.weightDecay) }),
  adamax: (a) => ({
    kernel: ADAMAX,
    write: (p) => p.f32(a.clr).f32(a.beta1).f32(1 - a.beta1).f32(a.beta2).f32(a.eps).f32(a.weightDecay),
  }),
  nadam: (a) => ({
    kernel: NADAM,
    write: (p) =>
      p.f32(a.beta1).f32(1 - a.beta1).f32(a.beta2).f32(1 - a.beta2).f32(a.eps).f32(a.weightDecay)
        .f32(a.biasCorrection2).f32(a.gradStep).f32(a.avgStep),
  }),
};

export function optimizerStep(gpu: GpuRuntime, param: Storage, grad: Storage, state: readonly Storage[], args: OptimizerStepArgs): void {
  const name = `${args.kind}Step`;
  const buffers = [param, grad, ...state].map((s) => gpu.buf(s, name));
  distinct(name, ...buffers);
  const { kernel, write } = (LAUNCH[args.kind] as Launch<OptimizerStepArgs>)(args);
  if (kernel.storage.length !== buffers.length) {
    throw new WebgradError(name, `expected ${kernel.storage.length - 2} state storages, got ${state.length}`);
  }
  const n = param.numel;
  gpu.run(kernel, { constants: { WG } }, buffers, (p) => write(p.u32(n)), groupsFor(n, WG), name);
}
