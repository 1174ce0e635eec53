import entrySrc from '../../../shaders/optim.wgsl';
import adadeltaSrc from '../../../shaders/optim_adadelta.wgsl';
import adagradSrc from '../../../shaders/optim_adagrad.wgsl';
import adamSrc from '../../../shaders/optim_adam.wgsl';
import adamaxSrc from '../../../shaders/optim_adamax.wgsl';
import adamwSrc from '../../../shaders/optim_adamw.wgsl';
import nadamSrc from '../../../shaders/optim_nadam.wgsl';
import rmspropSrc from '../../../shaders/optim_rmsprop.wgsl';
import sgdSrc from '../../../shaders/optim_sgd.wgsl';
import { WebgradError } from '../../errors.js';
import type { OptimizerKind, OptimizerStepArgs, OptimizerUpdate } from '../backend.js';
import type { PooledBuffer } from './buffer-pool.js';
import { defineKernel, type KernelDef, UNIFORM_SLOT_BYTES } from './pipelines.js';
import type { GpuRuntime } from './runtime.js';
import { type BindingDecl, type Field, shaderInterface } from './shader-interface.js';
import { elementwiseShape } from './tuner-elementwise.js';

/**
 * Optimizer steps, several parameters per dispatch (multi-tensor, as torch.optim's
 * `foreach=True`): an optimizer step of the GPT bench (30 AdamW parameters) was 30 dispatches
 * at ~45 µs each on lavapipe (25-70 µs on real drivers); with 4 parameters a dispatch it is 8.
 *
 * Each kind is declared once below: its shader (shaders/optim_<kind>.wgsl, an `update` of one
 * element), its per-parameter uniform values (`Args`), its state buffers and the override
 * flag that binds each. A dispatch's kernel is generated from the declaration for k slots
 * (shaders/optim.wgsl says what it holds): every slot has its own bindings and its own copy of
 * the values, so parameters of different groups (lr, weight decay, betas) and with different
 * step counts (bias corrections) share a dispatch. k is what the device's storage-buffer limit
 * and the 256-byte uniform slot allow (lavapipe, 16 storage buffers: 4 AdamW parameters, 8 of
 * plain SGD; the portable minimum of 8: 2 AdamW parameters).
 */

/** A uniform field of `Args`: every value is a float but SGD's first-step flag. */
type ArgField = 'f32' | 'u32';

interface Decl<A extends OptimizerStepArgs> {
  /** shaders/optim_<kind>.wgsl: `fn update(a: Args, e: Elem) -> Elem` and its override flags. */
  readonly src: string;
  /** The fields of `Args`, in order: one parameter's uniform values. */
  readonly args: Readonly<Record<string, ArgField>>;
  /**
   * The state buffers, in the order the kind's args type lists them, each with the override
   * flag that binds it (null: always bound). They are the fields of `Elem` after param, grad.
   */
  readonly state: Readonly<Record<string, string | null>>;
  /** The override flags of a step (those in `state` and any other, e.g. NESTEROV). */
  flags(a: A): Record<string, boolean>;
  /** One parameter's values of the fields in `args`, computed in float64 on the host. */
  values(a: A): Record<string, number>;
}

type DeclOf<K extends OptimizerKind> = Decl<Extract<OptimizerStepArgs, { kind: K }>>;

// 1 - beta1 and the like are computed in float64 on the host: 1 - f32(0.999) is 1.3e-5 off.
const DECLS: { [K in OptimizerKind]: DeclOf<K> } = {
  sgd: {
    src: sgdSrc,
    // first_step: the momentum buffer starts as the gradient, undamped.
    args: { lr: 'f32', weight_decay: 'f32', momentum: 'f32', one_minus_dampening: 'f32', first_step: 'u32' },
    state: { momentum_buffer: 'MOMENTUM' },
    flags: (a) => ({ MOMENTUM: a.momentum !== 0, NESTEROV: a.nesterov }),
    values: (a) => ({
      lr: a.lr, weight_decay: a.weightDecay, momentum: a.momentum, one_minus_dampening: 1 - a.dampening, first_step: a.firstStep ? 1 : 0,
    }),
  },
  adam: {
    src: adamSrc,
    args: { weight_decay: 'f32', beta2: 'f32', one_minus_beta1: 'f32', one_minus_beta2: 'f32', eps: 'f32', step_size: 'f32', bc2_sqrt: 'f32' },
    state: { exp_avg: null, exp_avg_sq: null },
    flags: () => ({}),
    values: (a) => {
      // Bias corrections in float64 on the host, as the CPU backend computes them.
      const stepSize = a.lr / (1 - Math.pow(a.beta1, a.step));
      const bc2Sqrt = Math.sqrt(1 - Math.pow(a.beta2, a.step));
      return {
        weight_decay: a.weightDecay, beta2: a.beta2, one_minus_beta1: 1 - a.beta1, one_minus_beta2: 1 - a.beta2, eps: a.eps,
        step_size: stepSize, bc2_sqrt: bc2Sqrt,
      };
    },
  },
  adamw: {
    src: adamwSrc,
    // decay: 1 - lr * weight_decay; step_size: lr / (1 - beta1^step); bc2_sqrt: sqrt(1 - beta2^step).
    args: { decay: 'f32', beta1: 'f32', beta2: 'f32', one_minus_beta1: 'f32', one_minus_beta2: 'f32', eps: 'f32', step_size: 'f32', bc2_sqrt: 'f32' },
    state: { exp_avg: null, exp_avg_sq: null, max_exp_avg_sq: 'AMSGRAD' },
    flags: (a) => ({ AMSGRAD: a.amsgrad }),
    values: (a) => ({
      decay: 1 - a.lr * a.weightDecay, beta1: a.beta1, beta2: a.beta2, one_minus_beta1: 1 - a.beta1, one_minus_beta2: 1 - a.beta2,
      eps: a.eps, step_size: a.stepSize, bc2_sqrt: a.bc2Sqrt,
    }),
  },
  rmsprop: {
    src: rmspropSrc,
    args: { lr: 'f32', alpha: 'f32', one_minus_alpha: 'f32', eps: 'f32', weight_decay: 'f32', momentum: 'f32' },
    state: { square_avg: null, momentum_buffer: 'MOMENTUM', grad_avg: 'CENTERED' },
    flags: (a) => ({ MOMENTUM: a.momentum > 0, CENTERED: a.centered }),
    values: (a) => ({ lr: a.lr, alpha: a.alpha, one_minus_alpha: 1 - a.alpha, eps: a.eps, weight_decay: a.weightDecay, momentum: a.momentum }),
  },
  adagrad: {
    src: adagradSrc,
    args: { clr: 'f32', eps: 'f32', weight_decay: 'f32' },   // clr: lr / (1 + (step - 1) * lr_decay)
    state: { state_sum: null },
    flags: () => ({}),
    values: (a) => ({ clr: a.clr, eps: a.eps, weight_decay: a.weightDecay }),
  },
  adadelta: {
    src: adadeltaSrc,
    args: { lr: 'f32', rho: 'f32', one_minus_rho: 'f32', eps: 'f32', weight_decay: 'f32' },
    state: { square_avg: null, acc_delta: null },
    flags: () => ({}),
    values: (a) => ({ lr: a.lr, rho: a.rho, one_minus_rho: 1 - a.rho, eps: a.eps, weight_decay: a.weightDecay }),
  },
  adamax: {
    src: adamaxSrc,
    args: { clr: 'f32', beta1: 'f32', one_minus_beta1: 'f32', beta2: 'f32', eps: 'f32', weight_decay: 'f32' },   // clr: lr / (1 - beta1^step)
    state: { exp_avg: null, exp_inf: null },
    flags: () => ({}),
    values: (a) => ({ clr: a.clr, beta1: a.beta1, one_minus_beta1: 1 - a.beta1, beta2: a.beta2, eps: a.eps, weight_decay: a.weightDecay }),
  },
  nadam: {
    src: nadamSrc,
    // bias_correction2: 1 - beta2^step; grad_step: lr * (1 - mu) / (1 - mu_product);
    // avg_step: lr * mu_next / (1 - mu_product * mu * mu_next), as torch 1.13.
    args: {
      beta1: 'f32', one_minus_beta1: 'f32', beta2: 'f32', one_minus_beta2: 'f32', eps: 'f32', weight_decay: 'f32',
      bias_correction2: 'f32', grad_step: 'f32', avg_step: 'f32',
    },
    state: { exp_avg: null, exp_avg_sq: null },
    flags: () => ({}),
    values: (a) => ({
      beta1: a.beta1, one_minus_beta1: 1 - a.beta1, beta2: a.beta2, one_minus_beta2: 1 - a.beta2, eps: a.eps,
      weight_decay: a.weightDecay, bias_correction2: a.biasCorrection2, grad_step: a.gradStep, avg_step: a.avgStep,
    }),
  },
};

const declOf = (a: OptimizerStepArgs): Decl<OptimizerStepArgs> => DECLS[a.kind] as Decl<OptimizerStepArgs>;

/** The state buffers a step binds, in its args type's order. */
function boundState(a: OptimizerStepArgs): string[] {
  const decl = declOf(a);
  const flags = decl.flags(a);
  return Object.entries(decl.state).filter(([, flag]) => flag === null || flags[flag]).map(([name]) => name);
}

/**
 * How many parameters of this kind and variant one dispatch updates: as many as the storage
 * buffers per shader stage bind (param, grad and the bound state each) and the uniform slot
 * holds (each slot's n and values).
 */
export function slotsPerDispatch(a: OptimizerStepArgs, maxStorageBuffers: number): number {
  const buffers = 2 + boundState(a).length;
  const words = 1 + Object.keys(declOf(a).args).length;
  return Math.max(1, Math.min(Math.floor(maxStorageBuffers / buffers), Math.floor(UNIFORM_SLOT_BYTES / 4 / words)));
}

/** Generated kernels by (kind, bound state, slots): an optimizer's steps repeat them. */
const KERNELS = new Map<string, KernelDef>();

/** The kernel updating `slots` parameters of `kind` with `state` bound (see shaders/optim.wgsl). */
function kernelFor(kind: OptimizerKind, state: readonly string[], slots: number): KernelDef {
  const key = `${kind}|${state.join(',')}|${slots}`;
  let def = KERNELS.get(key);
  if (def !== undefined) return def;
  const decl = DECLS[kind] as Decl<OptimizerStepArgs>;
  const argNames = Object.keys(decl.args);
  const elemNames = ['param', 'grad', ...Object.keys(decl.state)];
  const fields: Record<string, Field> = {};
  const bindings: Record<string, BindingDecl> = {};
  let binding = 1;
  for (let s = 0; s < slots; s++) {
    fields[`n_${s}`] = 'u32';
    for (const f of argNames) fields[`${f}_${s}`] = decl.args[f];
    bindings[`param_${s}`] = { binding: binding++, access: 'w', type: 'f32' };
    bindings[`grad_${s}`] = { binding: binding++, access: 'r', type: 'f32' };
    for (const name of state) bindings[`${name}_${s}`] = { binding: binding++, access: 'w', type: 'f32' };
  }
  const written = ['param', ...state];
  let body =
    `struct Args {\n${argNames.map((f) => `  ${f}: ${decl.args[f]},\n`).join('')}}\n` +
    `struct Elem {\n${elemNames.map((f) => `  ${f}: f32,\n`).join('')}}\n` +
    `fn update_slots(first: u32, stride: u32) {\n`;
  for (let s = 0; s < slots; s++) {
    const args = argNames.map((f) => `P.${f}_${s}`).join(', ');
    // A state buffer this variant does not bind reads as 0 (its flag keeps update from using it).
    const elem = elemNames.map((f) => (f === 'param' || f === 'grad' || state.includes(f) ? `${f}_${s}[i]` : '0.0')).join(', ');
    body +=
      `  for (var i = first; i < P.n_${s}; i += stride) {\n` +
      `    let r = update(Args(${args}), Elem(${elem}));\n` +
      written.map((f) => `    ${f}_${s}[i] = r.${f};\n`).join('') +
      `  }\n`;
  }
  body += '}\n';
  const iface = shaderInterface(fields, bindings);
  def = defineKernel(`${kind}Step`, entrySrc + decl.src, 'main', iface, Object.keys(bindings), body);
  KERNELS.set(key, def);
  return def;
}

/** One update with its buffers resolved and checked. */
interface Checked {
  readonly update: OptimizerUpdate;
  readonly buffers: readonly PooledBuffer[];
  readonly state: readonly string[];
  /** Updates that may share a dispatch: same kind, bound state and flags. */
  readonly variant: string;
}

function check(gpu: GpuRuntime, u: OptimizerUpdate): Checked {
  const name = `${u.args.kind}Step`;
  const buffers = [u.param, u.grad, ...u.state].map((s) => gpu.buf(s, name));
  if (new Set(buffers).size !== buffers.length) throw new WebgradError(name, 'param, grad and state must be different storages');
  const state = boundState(u.args);
  if (u.state.length !== state.length) throw new WebgradError(name, `expected ${state.length} state storages, got ${u.state.length}`);
  if (u.grad.numel !== u.param.numel || u.state.some((s) => s.numel !== u.param.numel)) {
    const sizes = `param (${u.param.numel} elements), grad (${u.grad.numel}) and state (${u.state.map((s) => s.numel).join(', ')})`;
    throw new WebgradError(name, `${sizes} must have as many elements`);
  }
  const flags = declOf(u.args).flags(u.args);
  const variant = `${u.args.kind}|${Object.keys(flags).sort().map((f) => `${f}=${flags[f]}`).join(',')}`;
  return { update: u, buffers, state, variant };
}

/**
 * Backend.optimizerStep: every update is checked first; then updates of one variant run k to
 * a dispatch, in their order. Updates that share a storage with another update run one per
 * dispatch in the given order (one dispatch cannot bind a buffer twice when it writes it).
 */
export function optimizerStep(gpu: GpuRuntime, updates: readonly OptimizerUpdate[]): void {
  const checked = updates.map((u) => check(gpu, u));
  const all = checked.flatMap((c) => c.buffers);
  const shared = new Set(all).size !== all.length;
  const groups = new Map<string, Checked[]>();
  for (const c of checked) {
    if (c.update.param.numel === 0) continue;   // an empty parameter: nothing to dispatch
    const key = shared ? `${groups.size}` : c.variant;
    const list = groups.get(key);
    if (list === undefined) groups.set(key, [c]);
    else list.push(c);
  }
  const maxBuffers = gpu.limits.maxStorageBuffersPerShaderStage;
  for (const list of groups.values()) {
    const k = slotsPerDispatch(list[0].update.args, maxBuffers);
    for (let at = 0; at < list.length; at += k) launch(gpu, list.slice(at, at + k));
  }
}

/** One dispatch updating `slots` (one variant, at most slotsPerDispatch of them). */
function launch(gpu: GpuRuntime, slots: readonly Checked[]): void {
  const args0 = slots[0].update.args;
  const decl = declOf(args0);
  const state = slots[0].state;
  const def = kernelFor(args0.kind, state, slots.length);
  const buffers: Record<string, PooledBuffer> = {};
  const params: Record<string, number> = {};
  let most = 0;
  slots.forEach((c, s) => {
    const names = ['param', 'grad', ...state];
    names.forEach((b, j) => (buffers[`${b}_${s}`] = c.buffers[j]));
    const n = c.update.param.numel;
    most = Math.max(most, n);
    params[`n_${s}`] = n;
    for (const [f, v] of Object.entries(decl.values(c.update.args))) params[`${f}_${s}`] = v;
  });
  const { wg, groups } = elementwiseShape(most, gpu.profile);
  const constants = { WG: wg, ...decl.flags(args0) };
  gpu.run(def, { constants }, buffers as never, params as never, [groups, 1, 1], `${args0.kind}Step`);
}
