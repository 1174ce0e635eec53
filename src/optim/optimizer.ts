import { WebgradError } from '../errors.js';
import { zeroGrads, type ZeroGradOptions } from '../nn/module.js';
import { Tensor } from '../tensor.js';

/** One group of parameters sharing option values (PyTorch's param_groups entry). */
export type ParamGroup<O> = O & { params: Tensor[] };

/** A group as passed in: options not given fall back to the optimizer's. */
export type ParamGroupSpec<O> = Partial<O> & { params: Iterable<Tensor> };

/** Parameters (e.g. `model.parameters()`) or an array of groups with their own options. */
export type Params<O> = Iterable<Tensor> | ParamGroupSpec<O>[];

/**
 * Base of the optimizers, as torch.optim.Optimizer: parameter groups, per-parameter state
 * created lazily on the first step (kept out of `scope()`), and `zeroGrad`. Subclasses update
 * parameters with the backend's fused in-place kernels.
 */
export abstract class Optimizer<O extends object, S> {
  readonly paramGroups: ParamGroup<O>[];
  /** Per-parameter state (momentum buffers, moments...), created on the first step. */
  protected readonly state = new Map<Tensor, S>();
  readonly #name: string;

  protected constructor(name: string, params: Params<O>, defaults: O) {
    this.#name = name;
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
    this.paramGroups = specs.map((spec, gi) => {
      const { params, ...overrides } = spec;
      const group = { ...defaults, ...overrides, params: [...params] } as ParamGroup<O>;
      this.validate(group);
      group.params.forEach((p, i) => {
        const where = `parameter ${i} of group ${gi}`;
        if (!(p instanceof Tensor)) throw new WebgradError(name, `${where} is not a Tensor`);
        if (!p.isLeaf) throw new WebgradError(name, `can't optimize a non-leaf tensor (${where}, shape [${p.shape.join(',')}])`);
        if (p.dtype === 'int32') throw new WebgradError(name, `${where} is int32; only floating point tensors can be optimized`);
        if (seen.has(p)) throw new WebgradError(name, `${where} appears more than once`);
        seen.add(p);
      });
      return group;
    });
  }

  /** Throws a WebgradError for an invalid option value. */
  protected abstract validate(options: O): void;

  /** Updates every parameter that has a gradient, in place. */
  abstract step(): void;

  /** The tensors held in one parameter's state, for `dispose()`. */
  protected abstract stateTensors(state: S): Tensor[];

  /** Clears the gradients: sets them to null (the default) or, with `{ setToNone: false }`, to zeros. */
  zeroGrad(opts: ZeroGradOptions = {}): void {
    for (const g of this.paramGroups) zeroGrads(g.params, opts);
  }

  /** Calls `fn` for each parameter whose gradient is not null, then marks it as written. */
  protected forEachGrad(fn: (param: Tensor, grad: Tensor, group: ParamGroup<O>) => void): void {
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        if (!p.grad) continue;
        if (p.grad.numel !== p.numel || p.grad.dtype !== p.dtype) {
          throw new WebgradError(this.#name, `the gradient (shape [${p.grad.shape.join(',')}], ${p.grad.dtype}) does not match its parameter (shape [${p.shape.join(',')}], ${p.dtype})`);
        }
        fn(p, p.grad, group);
        markModified(p);
      }
    }
  }

  /** Frees the optimizer state; the next step starts it afresh. */
  dispose(): void {
    for (const s of this.state.values()) for (const t of this.stateTensors(s)) t.dispose();
    this.state.clear();
  }
}

/**
 * The fused kernels write a parameter's storage in place without going through Tensor, so
 * its version counter (which makes backward refuse stale saved tensors) must be bumped by
 * hand. Tensor has no public hook for that yet; use `markModified()` once it exists.
 */
function markModified(t: Tensor): void {
  (t as Tensor & { markModified?: () => void }).markModified?.();
}

export function checkNumber(op: string, name: string, value: unknown, ok: (v: number) => boolean, expected: string): void {
  // Infinity is refused too: an infinite lr or decay turns every parameter into ±Inf/NaN.
  if (typeof value !== 'number' || !Number.isFinite(value) || !ok(value)) {
    throw new WebgradError(op, `invalid ${name}: ${String(value)} (expected ${expected})`);
  }
}
