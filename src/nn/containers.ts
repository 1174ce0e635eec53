import { WebgradError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

/**
 * Holds modules in a list, registered as '0', '1', ... (state-dict keys `h.0.ln1.weight`), as
 * torch.nn.ModuleList. It has no forward: iterate it and call each module.
 */
export class ModuleList extends Module {
  #items: Module[] = [];

  /** @param modules The initial modules, registered in order. */
  constructor(modules: Iterable<Module> = []) {
    super();
    for (const m of modules) this.append(m);
  }

  /** The number of modules, as `len(list)` in PyTorch. */
  get length(): number {
    return this.#items.length;
  }

  /** Adds `module` at the end under the next index and returns this list, as PyTorch's append. */
  append(module: Module): this {
    if (!(module instanceof Module)) throw new WebgradError('ModuleList', `append expects a Module, got ${typeof module}`);
    this.#items.push(this.registerModule(String(this.#items.length), module));
    return this;
  }

  /** The module at `index` (negative counts from the end), as `list[i]`; throws when out of range. */
  at(index: number): Module {
    const m = this.#items.at(index);
    if (!m) throw new WebgradError('ModuleList', `index ${index} is out of range for ${this.#items.length} modules`);
    return m;
  }

  /** The modules in order, as iterating a ModuleList in PyTorch. */
  [Symbol.iterator](): Iterator<Module> {
    return this.#items[Symbol.iterator]();
  }

  /** Refused, as in PyTorch: a ModuleList only holds modules; call them in your own forward. */
  forward(..._inputs: Tensor[]): Tensor {
    throw new WebgradError('ModuleList', 'a ModuleList has no forward; iterate it and call each module');
  }
}

/**
 * Holds modules by name, registered under those names in insertion order, as
 * torch.nn.ModuleDict. It has no forward: look modules up with `get`.
 */
export class ModuleDict extends Module {
  #items = new Map<string, Module>();

  /** @param modules The initial modules by name, registered in the object's key order. */
  constructor(modules: Record<string, Module> = {}) {
    super();
    for (const [k, m] of Object.entries(modules)) this.set(k, m);
  }

  /** The number of modules, as `len(dict)` in PyTorch. */
  get size(): number {
    return this.#items.size;
  }

  /** Registers `module` under `key` (a new key; no '.'), as `dict[key] = module`. */
  set(key: string, module: Module): this {
    if (!(module instanceof Module)) throw new WebgradError('ModuleDict', `'${key}' must be a Module, got ${typeof module}`);
    if (this.#items.has(key)) throw new WebgradError('ModuleDict', `'${key}' is already in the ModuleDict`);
    this.#items.set(key, this.registerModule(key, module));
    return this;
  }

  /** The module under `key`, as `dict[key]`; throws naming the keys when there is none. */
  get(key: string): Module {
    const m = this.#items.get(key);
    if (!m) throw new WebgradError('ModuleDict', `no module '${key}' (keys: ${[...this.#items.keys()].join(', ') || 'none'})`);
    return m;
  }

  /** Whether `key` is present, as `key in dict`. */
  has(key: string): boolean {
    return this.#items.has(key);
  }

  /** The keys in insertion order. */
  keys(): string[] {
    return [...this.#items.keys()];
  }

  /** [key, module] pairs in insertion order, as PyTorch's items(). */
  [Symbol.iterator](): Iterator<[string, Module]> {
    return this.#items[Symbol.iterator]();
  }

  /** Refused, as in PyTorch: a ModuleDict only holds modules; call them in your own forward. */
  forward(..._inputs: Tensor[]): Tensor {
    throw new WebgradError('ModuleDict', 'a ModuleDict has no forward; get each module and call it');
  }
}
