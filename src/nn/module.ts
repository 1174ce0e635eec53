import { noGrad } from '../autograd/grad-mode.js';
import { WebgradError, fmtShape } from '../errors.js';
import { keep } from '../memory.js';
import { sameShape } from '../shape.js';
import { Tensor } from '../tensor.js';

export interface ZeroGradOptions {
  /** Drop the gradients (PyTorch 2's default) instead of filling them with zeros. */
  setToNone?: boolean;
}

export interface LoadStateDictOptions {
  /** Require the keys to match exactly (default true). Shapes must match either way. */
  strict?: boolean;
}

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/**
 * Base class of layers and models, as torch.nn.Module. Parameters and submodules are
 * registered explicitly, in order, under the names PyTorch would give them, so a state dict
 * reads `0.weight`, `0.bias`, `2.weight`... for `Sequential(Linear, ReLU, Linear)`:
 *
 *     class Net extends Module {
 *       readonly fc = this.registerModule('fc', new Linear(4, 2));
 *       forward(x: Tensor): Tensor { return this.fc.forward(x).relu(); }
 *     }
 *
 * Registered parameters are kept out of `scope()`: they live until `dispose()`.
 *
 * TypeScript has no callable instances, so call `m.forward(x)` (or `m.call(x)`) where PyTorch
 * writes `m(x)`.
 */
export abstract class Module {
  /** Training mode (dropout, batch norm...): set with `train()` / `eval()`. */
  training = true;
  readonly #params = new Map<string, Tensor | null>();
  readonly #modules = new Map<string, Module>();

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
    this.#checkName('registerParameter', name);
    if (param !== null) {
      if (!(param instanceof Tensor)) throw new WebgradError('registerParameter', `'${name}' must be a Tensor or null`);
      if (!param.isLeaf) throw new WebgradError('registerParameter', `'${name}' must be a leaf tensor (use detach() on a computed one)`);
      if (param.dtype === 'int32') throw new WebgradError('registerParameter', `'${name}' must be floating point, got int32`);
      param.requiresGrad = true;
      keep(param);
    }
    this.#params.set(name, param);
    return param;
  }

  /** Registers a child module under `name` and returns it for assignment to a field. */
  protected registerModule<M extends Module>(name: string, module: M): M {
    this.#checkName('registerModule', name);
    if (!(module instanceof Module)) throw new WebgradError('registerModule', `'${name}' must be a Module`);
    this.#modules.set(name, module);
    return module;
  }

  #checkName(op: string, name: string): void {
    if (typeof name !== 'string' || name === '' || name.includes('.')) {
      throw new WebgradError(op, `name must be a non-empty string without '.', got '${String(name)}'`);
    }
    if (this.#params.has(name) || this.#modules.has(name)) throw new WebgradError(op, `'${name}' is already registered`);
  }

  /** Direct submodules with their names, in registration order. */
  *namedChildren(): Generator<[string, Module]> {
    yield* this.#modules;
  }

  *children(): Generator<Module> {
    yield* this.#modules.values();
  }

  /** This module and every descendant, each once, with dotted names ('' for this one). */
  *namedModules(prefix = '', seen = new Set<Module>()): Generator<[string, Module]> {
    if (seen.has(this)) return;
    seen.add(this);
    yield [prefix, this];
    for (const [name, m] of this.#modules) yield* m.namedModules(prefix ? `${prefix}.${name}` : name, seen);
  }

  *modules(): Generator<Module> {
    for (const [, m] of this.namedModules()) yield m;
  }

  /** Every parameter of this module and its descendants, each once, with dotted names. */
  *namedParameters(): Generator<[string, Tensor]> {
    const seen = new Set<Tensor>();
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, p] of m.#params) {
        if (p === null || seen.has(p)) continue;
        seen.add(p);
        yield [prefix ? `${prefix}.${name}` : name, p];
      }
    }
  }

  *parameters(): Generator<Tensor> {
    for (const [, p] of this.namedParameters()) yield p;
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

  eval(): this {
    return this.train(false);
  }

  /**
   * The parameters by dotted name. Values share storage with the parameters (as PyTorch's
   * state_dict does) but are cut from the graph; dispose them when done.
   */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [name, p] of this.namedParameters()) out[name] = p.detach();
    return out;
  }

  /**
   * Copies `dict`'s values into the parameters (cast to each parameter's dtype). Every shape
   * must match; with `strict` (the default) the key sets must match too. Nothing is written
   * unless every check passes.
   */
  loadStateDict(dict: Record<string, Tensor>, opts: LoadStateDictOptions = {}): LoadStateDictResult {
    const strict = opts.strict ?? true;
    const params = new Map(this.namedParameters());
    const missingKeys = [...params.keys()].filter((k) => !(k in dict));
    const unexpectedKeys = Object.keys(dict).filter((k) => !params.has(k));
    const problems: string[] = [];
    for (const [name, p] of params) {
      const src = dict[name];
      if (src === undefined) continue;
      if (!(src instanceof Tensor)) problems.push(`'${name}' is not a Tensor`);
      else if (!sameShape(src.shape, p.shape)) {
        problems.push(`size mismatch for '${name}': the checkpoint has shape ${fmtShape(src.shape)}, the module has ${fmtShape(p.shape)}`);
      }
    }
    if (strict && missingKeys.length) problems.push(`missing keys: ${missingKeys.map((k) => `'${k}'`).join(', ')}`);
    if (strict && unexpectedKeys.length) problems.push(`unexpected keys: ${unexpectedKeys.map((k) => `'${k}'`).join(', ')}`);
    if (problems.length) throw new WebgradError('loadStateDict', `cannot load the state dict into ${this.constructor.name}: ${problems.join('; ')}`);
    noGrad(() => {
      for (const [name, p] of params) if (dict[name] !== undefined) p.copy_(dict[name]);
    });
    return { missingKeys, unexpectedKeys };
  }

  /** Disposes every parameter (and its gradient); the module is unusable afterwards. */
  dispose(): void {
    for (const p of this.parameters()) {
      p.grad?.dispose();
      p.grad = null;
      p.dispose();
    }
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  toString(): string {
    const lines = [...this.#modules].map(([name, m]) => `  (${name}): ${m.toString().replace(/\n/g, '\n  ')}`);
    const head = `${this.constructor.name}(${this.extraRepr()}`;
    return lines.length ? `${head}\n${lines.join('\n')}\n)` : `${head})`;
  }

  /** What `toString` shows between the parentheses, e.g. `in=4, out=2, bias=true`. */
  protected extraRepr(): string {
    return '';
  }
}

/** Shared by Module.zeroGrad and Optimizer.zeroGrad. */
export function zeroGrads(params: Iterable<Tensor>, opts: ZeroGradOptions = {}): void {
  const setToNone = opts.setToNone ?? true;
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
