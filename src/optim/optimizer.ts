import { noGrad } from '../autograd/grad-mode.js';
import type { Backend, OptimizerStepArgs, OptimizerUpdate } from '../backend/backend.js';
import { zerosLike } from '../creation.js';
import { WebgradError, fmtShape } from '../errors.js';
import { keep } from '../memory.js';
import { zeroGrads, type ZeroGradOptions } from '../nn/module.js';
import { options } from '../options.js';
import { Tensor } from '../tensor.js';
import { checkBoolean } from './validate.js';
import { type OptimizerStateDict, type StateSpec, readStateDict } from './state-dict.js';

export { checkNumber } from './validate.js';
export type { OptimizerStateDict, StateSpec } from './state-dict.js';

/**
 * One group of parameters sharing option values (PyTorch's param_groups entry). `initialLr`
 * is set by the first lr scheduler attached, as torch's `initial_lr`.
 *
 * @property params The group's parameters.
 * @property initialLr The lr before any scheduler changed it.
 */
export type ParamGroup<O> = O & {
  /** The group's parameters. */
  params: Tensor[];
  /** The lr a scheduler started from (set by the first scheduler attached). */
  initialLr?: number;
};

/**
 * A group as passed in: options not given fall back to the optimizer's.
 *
 * @property params The group's parameters, e.g. `model.fc.parameters()`.
 */
export type ParamGroupSpec<O> = Partial<O> & {
  /** The group's parameters. */
  params: Iterable<Tensor>;
};

/** Parameters (e.g. `model.parameters()`) or an array of groups with their own options. */
export type Params<O> = Iterable<Tensor> | ParamGroupSpec<O>[];

/** One parameter's state: counters as numbers, buffers as tensors (PyTorch's names, camelCase). */
export type ParamState = { [key: string]: number | Tensor | undefined };

/**
 * One parameter's step as an optimizer hands it to the backend: its state tensors, in the
 * order its kind lists them (see OptimizerStepArgs), and the step's scalars.
 */
export interface ParamUpdate {
  /** The state the kernel updates in place, in its kind's order. */
  readonly state: readonly Tensor[];
  /** The kind and the step's scalars. */
  readonly args: OptimizerStepArgs;
}

/**
 * Base of the optimizers, as torch.optim.Optimizer: parameter groups, per-parameter state
 * created lazily on the first step (kept out of `scope()`), `zeroGrad`, `addParamGroup` and
 * `stateDict`/`loadStateDict`. Subclasses update parameters with the backend's fused
 * in-place kernels, all parameters in one backend call (several to a dispatch on WebGPU), and
 * never read the device back.
 */
export abstract class Optimizer<O extends object, S extends ParamState> {
  /** The parameter groups, each with its own option values (e.g. `lr`, which the lr schedulers set). */
  readonly paramGroups: ParamGroup<O>[] = [];
  /** The optimizer's option defaults (its constructor's options over its own defaults). */
  readonly defaults: O;
  /** Per-parameter state (momentum buffers, moments...), created on the first step. */
  protected readonly state = new Map<Tensor, S>();
  /** The optimizer's class name, used in error messages. */
  protected readonly name: string;

  protected constructor(name: string, params: Params<O>, defaults: O, opts: Partial<O> | undefined) {
    this.name = name;
    const given = options<Partial<O>>(name, opts, Object.keys(defaults) as (keyof O & string)[]);
    this.defaults = { ...defaults, ...definedOnly(given) };
    const iterable = typeof params === 'object' && params !== null && !(params instanceof Tensor) &&
      typeof (params as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function';
    if (!iterable) {
      const got = params === null ? 'null' : params instanceof Tensor ? `a Tensor of shape ${fmtShape(params.shape)}` : typeof params;
      throw new WebgradError(name, `params must be an iterable of tensors or groups (e.g. model.parameters(), or [w, b]), got ${got}`);
    }
    const items = [...(params as Iterable<Tensor | ParamGroupSpec<O>>)];
    if (items.length === 0) throw new WebgradError(name, 'got an empty parameter list');
    const specs: ParamGroupSpec<O>[] = items.every((p) => p instanceof Tensor)
      ? [{ params: items as Tensor[] } as unknown as ParamGroupSpec<O>]
      : items.map((g, i) => {
          if (g instanceof Tensor || typeof g !== 'object' || g === null || !('params' in g)) {
            throw new WebgradError(name, `params must be tensors or groups { params, ...options }; item ${i} is neither (do not mix the two)`);
          }
          return g;
        });
    const seen = new Set<Tensor>();
    for (const spec of specs) this.paramGroups.push(this.#makeGroup(spec, this.paramGroups.length, seen));
  }

  /** Throws a WebgradError for an invalid option value. */
  protected abstract validate(options: O): void;

  /** Updates every parameter that has a gradient, in place. */
  abstract step(): void;

  /** The state entries a parameter of `group` holds once stepped, for `loadStateDict` to check. */
  protected abstract stateSpec(group: ParamGroup<O>): StateSpec;

  /** Adds a group of parameters, with options over the optimizer's defaults (torch's add_param_group). */
  addParamGroup(spec: ParamGroupSpec<O>): void {
    if (typeof spec !== 'object' || spec === null || !('params' in spec)) {
      throw new WebgradError(this.name, 'addParamGroup takes a group { params, ...options }');
    }
    const seen = new Set(this.paramGroups.flatMap((g) => g.params));
    this.paramGroups.push(this.#makeGroup(spec, this.paramGroups.length, seen));
  }

  #makeGroup(spec: ParamGroupSpec<O>, gi: number, seen: Set<Tensor>): ParamGroup<O> {
    const name = this.name;
    const accepted = [...Object.keys(this.defaults), 'params', 'initialLr'] as (keyof ParamGroupSpec<O> & string)[];
    const { params, ...overrides } = options(`${name} (param group ${gi})`, spec, accepted) as ParamGroupSpec<O>;
    if (params === null || typeof params !== 'object' || !(Symbol.iterator in params)) {
      throw new WebgradError(name, `params of group ${gi} must be an iterable of tensors`);
    }
    const group = { ...this.defaults, ...definedOnly(overrides as Partial<O>), params: [...params] } as ParamGroup<O>;
    this.validate(group);
    if (group.params.length === 0) throw new WebgradError(name, `group ${gi} has an empty parameter list`);
    const fresh = new Set<Tensor>();
    group.params.forEach((p, i) => {
      const where = `parameter ${i} of group ${gi}`;
      if (!(p instanceof Tensor)) throw new WebgradError(name, `${where} is not a Tensor`);
      if (!p.isLeaf) throw new WebgradError(name, `can't optimize a non-leaf tensor (${where}, shape [${p.shape.join(',')}])`);
      if (p.dtype === 'int32') throw new WebgradError(name, `${where} is int32; only floating point tensors can be optimized`);
      if (seen.has(p) || fresh.has(p)) throw new WebgradError(name, `${where} appears more than once`);
      fresh.add(p);
    });
    for (const p of fresh) seen.add(p);
    return group;
  }

  /** Clears the gradients: sets them to null (the default, as PyTorch 2.x) or, with `{ setToNone: false }`, to zeros. */
  zeroGrad(opts?: ZeroGradOptions): void {
    const o = options('zeroGrad', opts, ['setToNone']);
    if (o.setToNone !== undefined) checkBoolean('zeroGrad', 'setToNone', o.setToNone);
    for (const g of this.paramGroups) zeroGrads(g.params, o);
  }

  /** The parameter's state, created by `init` on its first step. */
  protected stateOf(p: Tensor, init: () => S): S {
    let s = this.state.get(p);
    if (s === undefined) {
      s = init();
      this.state.set(p, s);
    }
    return s;
  }

  /** A zero-filled state buffer shaped like `p`, kept out of any `scope()`. */
  protected zerosFor(p: Tensor): Tensor {
    return keep(zerosLike(p));
  }

  /**
   * @internal The step of every parameter whose gradient is not null: `fn` returns each one's update
   * (its state tensors, in the order its kind lists them, and the step's scalars), then one
   * backend call applies them all (on WebGPU several parameters to a dispatch) and each
   * parameter is marked as written. Every gradient is checked first, and the backend checks
   * every update before it runs any, so a refused step updates no parameter.
   */
  protected forEachGrad(fn: (param: Tensor, grad: Tensor, group: ParamGroup<O>) => ParamUpdate): void {
    const work: [Tensor, Tensor, ParamGroup<O>][] = [];
    this.paramGroups.forEach((group, gi) => {
      group.params.forEach((p, i) => {
        const g = p.grad;
        if (!g) return;
        if (g.numel !== p.numel || g.dtype !== p.dtype) {
          throw new WebgradError(this.name, `the gradient of parameter ${i} of group ${gi} (shape [${g.shape.join(',')}], ${g.dtype}) does not match it (shape [${p.shape.join(',')}], ${p.dtype})`);
        }
        work.push([p, g, group]);
      });
    });
    const updates = new Map<Backend, OptimizerUpdate[]>();
    for (const [p, g, group] of work) {
      const { state, args } = fn(p, g, group);
      const update = { param: p.storage, grad: g.storage, state: state.map((t) => t.storage), args };
      const list = updates.get(p.backend);
      if (list === undefined) updates.set(p.backend, [update]);
      else list.push(update);
    }
    for (const [backend, list] of updates) backend.optimizerStep(list);
    for (const [p] of work) p.markModified();
  }

  /**
   * PyTorch's state_dict: `state` keyed by parameter index (counting through the groups in
   * order) and `param_groups` with each group's options and `params` as index lists. Tensors
   * share storage with the optimizer's state (as PyTorch's do); `wg.save` writes the whole
   * dict to one safetensors file. Dispose the tensors when done, as a module's stateDict.
   */
  stateDict(): OptimizerStateDict {
    const state: OptimizerStateDict['state'] = {};
    let next = 0;
    const paramGroups = this.paramGroups.map((group) => {
      const { params, ...hyper } = group;
      const indices = params.map((p) => {
        const i = next++;
        const s = this.state.get(p);
        if (s !== undefined) {
          const entry: Record<string, number | Tensor> = {};
          for (const [k, v] of Object.entries(s)) if (v !== undefined) entry[k] = v instanceof Tensor ? v.detach() : v;
          state[String(i)] = entry;
        }
        return i;
      });
      return { ...(JSON.parse(JSON.stringify(hyper)) as Record<string, number | boolean | number[]>), params: indices };
    });
    return { state, param_groups: paramGroups };
  }

  /**
   * Replaces the groups' options and the state with `dict`'s (from `stateDict()`, directly or
   * through `wg.save`/`wg.load`): the groups must hold as many parameters as this optimizer's,
   * every state tensor must have its parameter's shape. Tensors are copied (cast to the
   * parameter's dtype). Everything is checked before anything changes.
   */
  loadStateDict(dict: OptimizerStateDict): void {
    const all = this.paramGroups.flatMap((g) => g.params.map((p) => ({ p, group: g })));
    const { groups, entries } = readStateDict(this.name, dict, this.paramGroups, all, (g) => {
      const merged = { ...g } as ParamGroup<O>;
      this.validate(merged);
      return this.stateSpec(merged);
    }, [...Object.keys(this.defaults), 'initialLr']);
    const loaded = new Map<Tensor, S>();
    noGrad(() => {
      for (const [index, entry] of entries) {
        const p = all[index].p;
        const s: ParamState = {};
        for (const [k, v] of Object.entries(entry)) s[k] = v instanceof Tensor ? keep(v.to(p.dtype)) : v;
        loaded.set(p, s as S);
      }
    });
    this.dispose();
    this.paramGroups.forEach((g, i) => {
      if (!('initialLr' in groups[i])) delete g.initialLr;
      Object.assign(g, JSON.parse(JSON.stringify(groups[i]))); // no arrays shared with `dict`
    });
    for (const [p, s] of loaded) this.state.set(p, s);
  }

  /** Frees the optimizer state; the next step starts it afresh. */
  dispose(): void {
    for (const s of this.state.values()) for (const t of Object.values(s)) if (t instanceof Tensor) t.dispose();
    this.state.clear();
  }
}

/** `{ a: 1, b: undefined }` -> `{ a: 1 }`: an option given as undefined keeps its default. */
function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
