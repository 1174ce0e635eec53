import { noGrad } from '../autograd/grad-mode.js';
import { WebgradError, fmtShape } from '../errors.js';
import { keep } from '../memory.js';
import { options } from '../options.js';
import { warnOnce } from '../warn.js';
import { Parameter } from './parameter.js';
import { sameShape } from '../shape.js';
import { Tensor } from '../tensor.js';

/** Options of `zeroGrad` (on a module or an optimizer). */
export interface ZeroGradOptions {
  /** Drop the gradients (PyTorch 2's default) instead of filling them with zeros. */
  setToNone?: boolean;
}

/** Options of `Module.loadStateDict`. */
export interface LoadStateDictOptions {
  /** Require the keys to match exactly (default true). Shapes must match either way. */
  strict?: boolean;
}

/** What `Module.loadStateDict` reports, as PyTorch's `_IncompatibleKeys` (both empty after a strict load). */
export interface LoadStateDictResult {
  /** Keys the module has but `dict` lacks (those entries kept their values). */
  missingKeys: string[];
  /** Keys in `dict` that the module has no entry for (ignored). */
  unexpectedKeys: string[];
}

/** Options of `Module.registerBuffer`. */
export interface RegisterBufferOptions {
  /** In `stateDict()` (default true); a non-persistent buffer is state that is recomputed. */
  persistent?: boolean;
}

type Kind = 'parameter' | 'buffer' | 'module';
type Entry = readonly [name: string, kind: Kind, value: Tensor | Module | null];

/**
 * Base class of layers and models, as torch.nn.Module. Submodules and `nn.Parameter`s assigned
 * to fields register themselves, under the field's name and in definition order, as in PyTorch:
 *
 *     class Net extends nn.Module {
 *       fc1 = new nn.Linear(4, 8);
 *       fc2 = new nn.Linear(8, 2);
 *       scale = new nn.Parameter(wg.ones(2));
 *       forward(x: Tensor): Tensor { return this.fc2.forward(this.fc1.forward(x).relu()).mul(this.scale); }
 *     }
 *
 * gives the state dict keys `fc1.weight, fc1.bias, fc2.weight, fc2.bias, scale`. Buffers
 * (state that is not trained) are registered with `registerBuffer`; `registerParameter` and
 * `registerModule` also register explicitly, under any name. Parameters are kept out of
 * `scope()`: they live until `dispose()`.
 *
 * How fields are found: by reading the instance's own enumerable properties each time
 * (parameters(), stateDict(), ...), not through a Proxy returned from the constructor. Own
 * properties keep insertion order, which is definition order for class fields and assignment
 * order in a constructor, the order PyTorch's __setattr__ records; the field's name is the
 * name PyTorch gives. A Proxy would break the class's #private fields (a method called on the
 * proxy cannot read them), slow every field read in forward(), and class fields are defined
 * with [[DefineOwnProperty]], which a `set` trap does not see. The register* methods define
 * the field too, so explicit and assigned entries share one order.
 *
 * TypeScript has no callable instances, so call `m.forward(x)` (or `m.call(x)`) where PyTorch
 * writes `m(x)`.
 */
export abstract class Module {
  /** Training mode (dropout, batch norm...): set with `train()` / `eval()`. */
  training = true;
  /** Names given to register* (a null value there is an absent optional entry, e.g. no bias). */
  readonly #registered = new Map<string, Kind>();
  readonly #nonPersistent = new Set<string>();

  /**
   * The computation the module performs; subclasses define it. Call it directly (or through
   * `call`) where PyTorch writes `m(x)`.
   *
   * PyTorch equivalent: `torch.nn.Module.forward`.
   */
  abstract forward(...inputs: Tensor[]): Tensor;

  /** Same as `forward`, the closest TypeScript gets to PyTorch's `m(x)`. */
  call(...inputs: Tensor[]): Tensor {
    return this.forward(...inputs);
  }

  /**
   * Registers `param` (or `null`, an absent optional parameter such as a missing bias) under
   * `name`, marks it as requiring grad, and returns it for assignment to a field.
   */
  protected registerParameter<T extends Tensor | null>(name: string, param: T): T {
    this.#checkName('registerParameter', name, param);
    if (param !== null) {
      if (!(param instanceof Tensor)) throw new WebgradError('registerParameter', `'${name}' must be a Tensor or null`);
      if (!param.isLeaf) throw new WebgradError('registerParameter', `'${name}' must be a leaf tensor (use detach() on a computed one)`);
      if (param.dtype === 'int32') throw new WebgradError('registerParameter', `'${name}' must be floating point, got int32`);
      param.requiresGrad = true;
      keep(param);
    }
    return this.#define(name, 'parameter', param);
  }

  /**
   * Registers `buffer`, a tensor that is part of the module's state but not trained (running
   * statistics, a fixed mask), as torch's register_buffer: it is in `stateDict()` unless
   * `{ persistent: false }`, never in `parameters()`, and kept out of `scope()`.
   */
  protected registerBuffer<T extends Tensor | null>(name: string, buffer: T, opts: RegisterBufferOptions = {}): T {
    const { persistent = true } = options('registerBuffer', opts, ['persistent']);
    this.#checkName('registerBuffer', name, buffer);
    if (buffer !== null) {
      if (!(buffer instanceof Tensor)) throw new WebgradError('registerBuffer', `'${name}' must be a Tensor or null`);
      buffer.assertLive('registerBuffer');
      keep(buffer);
    }
    if (!persistent) this.#nonPersistent.add(name);
    return this.#define(name, 'buffer', buffer);
  }

  /** Registers a child module under `name` and returns it for assignment to a field. */
  protected registerModule<M extends Module>(name: string, module: M): M {
    this.#checkName('registerModule', name, module);
    if (!(module instanceof Module)) throw new WebgradError('registerModule', `'${name}' must be a Module`);
    return this.#define(name, 'module', module);
  }

  #checkName(op: string, name: string, value: unknown): void {
    if (typeof name !== 'string' || name === '' || name.includes('.')) {
      throw new WebgradError(op, `name must be a non-empty string without '.', got '${String(name)}'`);
    }
    if (this.#registered.has(name)) throw new WebgradError(op, `'${name}' is already registered`);
    // A declared field not yet assigned (undefined) is the slot this registration fills.
    const own = Object.getOwnPropertyDescriptor(this, name);
    const free = own ? own.value === undefined || own.value === null || own.value === value : !(name in this);
    if (!free) throw new WebgradError(op, `attribute '${name}' already exists on ${this.constructor.name}`);
  }

  #define<T>(name: string, kind: Kind, value: T): T {
    this.#registered.set(name, kind);
    Object.defineProperty(this, name, { value, writable: true, enumerable: true, configurable: true });
    return value;
  }

  /**
   * This module's own modules, parameters and buffers, in definition order: its enumerable own
   * fields holding a Module or an nn.Parameter, and the names given to register* (which hold
   * their value as a field too). A field's current value counts, so reassigning one replaces it.
   */
  #entries(): Entry[] {
    const out: Entry[] = [];
    const fields = this as unknown as Record<string, unknown>;
    for (const name of Object.keys(this)) {
      const v = fields[name];
      const kind = this.#registered.get(name);
      if (v instanceof Module) out.push([name, 'module', v]);
      else if (v instanceof Tensor) {
        if (v instanceof Parameter || kind === 'parameter') out.push([name, 'parameter', v]);
        else if (kind === 'buffer') out.push([name, 'buffer', v]);
        else if (v.requiresGrad && v.isLeaf && !v.isDisposed) {
          warnOnce(
            `plain-tensor-field:${this.constructor.name}.${name}`,
            `${this.constructor.name}.${name} is a Tensor that requires grad but not an nn.Parameter, so it is not registered (not in parameters() or stateDict(), as in PyTorch); assign new nn.Parameter(t) instead`,
          );
        }
      } else if (v === null && kind !== undefined) out.push([name, kind, null]);
      else if (Array.isArray(v) && v.some((m) => m instanceof Module && !this.#hasChild(m))) {
        warnOnce(
          `module-array-field:${this.constructor.name}.${name}`,
          `${this.constructor.name}.${name} is an array of Modules, which registers none of them (as in PyTorch); use nn.Sequential, or registerModule for each`,
        );
      }
    }
    return out;
  }

  #hasChild(m: Module): boolean {
    const fields = this as unknown as Record<string, unknown>;
    return Object.keys(this).some((k) => fields[k] === m);
  }

  /** Direct submodules with their names, in definition order. */
  *namedChildren(): Generator<[string, Module]> {
    const seen = new Set<Module>();
    for (const [name, kind, v] of this.#entries()) {
      if (kind !== 'module' || !(v instanceof Module) || seen.has(v)) continue;
      seen.add(v);
      yield [name, v];
    }
  }

  /**
   * Direct submodules, in definition order, each once.
   *
   * PyTorch equivalent: `torch.nn.Module.children`.
   */
  *children(): Generator<Module> {
    for (const [, m] of this.namedChildren()) yield m;
  }

  /** This module and every descendant, each once, with dotted names ('' for this one). */
  *namedModules(prefix = '', seen = new Set<Module>()): Generator<[string, Module]> {
    if (seen.has(this)) return;
    seen.add(this);
    yield [prefix, this];
    for (const [name, m] of this.namedChildren()) yield* m.namedModules(prefix ? `${prefix}.${name}` : name, seen);
  }

  /**
   * This module and every descendant, each once (this one first, then depth first).
   *
   * PyTorch equivalent: `torch.nn.Module.modules`.
   */
  *modules(): Generator<Module> {
    for (const [, m] of this.namedModules()) yield m;
  }

  /** Every parameter of this module and its descendants, each once, with dotted names. */
  *namedParameters(): Generator<[string, Tensor]> {
    const seen = new Set<Tensor>();
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, kind, p] of m.#entries()) {
        if (kind !== 'parameter' || !(p instanceof Tensor) || seen.has(p)) continue;
        seen.add(p);
        yield [prefix ? `${prefix}.${name}` : name, p];
      }
    }
  }

  /**
   * Every parameter of this module and its descendants, each once (a shared parameter is
   * yielded once), in the order of `namedParameters()`: what an optimizer is given.
   *
   * PyTorch equivalent: `torch.nn.Module.parameters`.
   *
   * @example
   * ```ts
   * const model = new wg.nn.Linear(4, 2);
   * const opt = new wg.optim.SGD(model.parameters(), { lr: 0.1 });
   * ```
   */
  *parameters(): Generator<Tensor> {
    for (const [, p] of this.namedParameters()) yield p;
  }

  /** Every buffer of this module and its descendants, each once, with dotted names. */
  *namedBuffers(): Generator<[string, Tensor]> {
    const seen = new Set<Tensor>();
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, kind, b] of m.#entries()) {
        if (kind !== 'buffer' || !(b instanceof Tensor) || seen.has(b)) continue;
        seen.add(b);
        yield [prefix ? `${prefix}.${name}` : name, b];
      }
    }
  }

  /**
   * Every buffer of this module and its descendants, each once, persistent or not.
   *
   * PyTorch equivalent: `torch.nn.Module.buffers`.
   */
  *buffers(): Generator<Tensor> {
    for (const [, b] of this.namedBuffers()) yield b;
  }

  /** What stateDict() holds, in PyTorch's order: each module's parameters, then its persistent buffers. */
  *#stateEntries(): Generator<[string, Tensor]> {
    const seen = new Set<Tensor>();
    for (const [prefix, m] of this.namedModules()) {
      const entries = m.#entries();
      for (const want of ['parameter', 'buffer'] as const) {
        for (const [name, kind, t] of entries) {
          if (kind !== want || !(t instanceof Tensor) || seen.has(t)) continue;
          if (kind === 'buffer' && m.#nonPersistent.has(name)) continue;
          seen.add(t);
          yield [prefix ? `${prefix}.${name}` : name, t];
        }
      }
    }
  }

  /**
   * Clears every parameter's gradient: by default sets `.grad` to null and disposes the old
   * one (PyTorch 2's `set_to_none=True`), or fills it with zeros with `{ setToNone: false }`.
   */
  zeroGrad(opts: ZeroGradOptions = {}): void {
    zeroGrads(this.parameters(), opts);
  }

  /** Sets training mode on this module and every descendant. */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /**
   * Sets evaluation mode on this module and every descendant; same as `train(false)`.
   *
   * PyTorch equivalent: `torch.nn.Module.eval`.
   */
  eval(): this {
    return this.train(false);
  }

  /**
   * The parameters and persistent buffers by dotted name. Values share storage with them (as
   * PyTorch's state_dict does) but are cut from the graph; dispose them when done.
   */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [name, t] of this.#stateEntries()) out[name] = t.detach();
    return out;
  }

  /**
   * Copies `dict`'s values into the parameters and persistent buffers (cast to each one's
   * dtype). Every shape must match; with `strict` (the default) the key sets must match too.
   * Nothing is written unless every check passes.
   */
  loadStateDict(dict: Record<string, Tensor>, opts: LoadStateDictOptions = {}): LoadStateDictResult {
    if (typeof dict !== 'object' || dict === null || Array.isArray(dict) || dict instanceof Tensor) {
      const got = dict === null ? 'null' : Array.isArray(dict) ? 'an array' : dict instanceof Tensor ? 'a Tensor' : typeof dict;
      throw new WebgradError('loadStateDict', `expected a state dict (an object of tensors by name, as stateDict() or load() returns), got ${got}`);
    }
    const strict = options('loadStateDict', opts, ['strict']).strict ?? true;
    const params = new Map(this.#stateEntries());
    // Own properties only: a name like 'constructor' must not find Object.prototype's.
    const has = (k: string): boolean => Object.hasOwn(dict, k) && dict[k] !== undefined;
    const missingKeys = [...params.keys()].filter((k) => !has(k));
    const unexpectedKeys = Object.keys(dict).filter((k) => !params.has(k));
    const problems: string[] = [];
    // Everything a copy could fail on is checked here, before the first write: a refused
    // load leaves every parameter as it was (copying one at a time used to overwrite '0.weight'
    // and then fail on a disposed '0.bias').
    for (const [name, p] of params) {
      if (!has(name)) continue;
      const src = dict[name];
      if (!(src instanceof Tensor)) problems.push(`'${name}' is not a Tensor`);
      else if (src.isDisposed) problems.push(`'${name}' was disposed`);
      else if (p.isDisposed) problems.push(`the module's '${name}' was disposed`);
      else if (src.backend !== p.backend) problems.push(`'${name}' is on the ${src.backend.name} backend, the module on ${p.backend.name}`);
      else if (!sameShape(src.shape, p.shape)) {
        problems.push(`size mismatch for '${name}': the checkpoint has shape ${fmtShape(src.shape)}, the module has ${fmtShape(p.shape)}`);
      } else if (p.dtype === 'int32' && src.dtype !== 'int32') {
        problems.push(`'${name}' is ${src.dtype} in the checkpoint but int32 in the module (the cast would truncate)`);
      }
    }
    if (strict && missingKeys.length) problems.push(`missing keys: ${missingKeys.map((k) => `'${k}'`).join(', ')}`);
    if (strict && unexpectedKeys.length) problems.push(`unexpected keys: ${unexpectedKeys.map((k) => `'${k}'`).join(', ')}`);
    if (problems.length) throw new WebgradError('loadStateDict', `cannot load the state dict into ${this.constructor.name}: ${problems.join('; ')}`);
    noGrad(() => {
      for (const [name, p] of params) if (has(name)) p.copy_(dict[name]);
    });
    return { missingKeys, unexpectedKeys };
  }

  /** Disposes every parameter (and its gradient) and buffer; the module is unusable afterwards. */
  dispose(): void {
    for (const p of [...this.parameters()]) {
      p.grad?.dispose();
      p.grad = null;
      p.dispose();
    }
    for (const b of [...this.buffers()]) b.dispose();
  }

  /** Same as `dispose()`, so `using model = new Net()` frees the parameters at the end of the block. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /**
   * The module tree as PyTorch prints it: the class name with `extraRepr()` in parentheses, then
   * each child module indented on its own line, e.g. `Linear(inFeatures=4, outFeatures=2, bias=true)`.
   *
   * PyTorch equivalent: `repr(module)`.
   */
  toString(): string {
    const lines = [...this.namedChildren()].map(([name, m]) => `  (${name}): ${m.toString().replace(/\n/g, '\n  ')}`);
    const head = `${this.constructor.name}(${this.extraRepr()}`;
    return lines.length ? `${head}\n${lines.join('\n')}\n)` : `${head})`;
  }

  /** `console.log(m)` in Node shows `toString()`, as PyTorch prints a module. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  /** What `toString` shows between the parentheses, e.g. `in=4, out=2, bias=true`. */
  protected extraRepr(): string {
    return '';
  }
}

/** Shared by Module.zeroGrad and Optimizer.zeroGrad. */
export function zeroGrads(params: Iterable<Tensor>, opts: ZeroGradOptions = {}): void {
  const setToNone = options('zeroGrad', opts, ['setToNone']).setToNone ?? true;
  noGrad(() => {
    for (const p of params) {
      if (!p.grad) continue;
      if (setToNone) {
        p.grad.dispose();
        p.grad = null;
      } else {
        p.grad.zero_();
      }
    }
  });
}
