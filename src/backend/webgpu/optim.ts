import optimSrc from '../../../shaders/optim.wgsl';
import { WebgradError } from '../../errors.js';
import type { AdamArgs, SgdArgs, Storage } from '../backend.js';
import { groupsFor } from './dims.js';
import { defineKernel } from './pipelines.js';
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
