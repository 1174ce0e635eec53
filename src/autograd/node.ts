import { WebgradError, fmtShape } from '../errors.js';
import type { Tensor } from '../tensor.js';

/** Computes the gradients of a node's inputs from the gradient of its output. */
export type BackwardFn = (dy: Tensor, needs: readonly boolean[]) => (Tensor | null)[];

/**
 * One recorded op in the graph. It keeps its inputs (to send gradients to them) and the
 * tensors its backward needs, with their versions at record time: an in-place write to a saved
 * tensor afterwards would make the gradient silently wrong, so backward refuses instead.
 *
 * PyTorch equivalent: a tensor's `grad_fn` (`t.gradFn.name` is what PyTorch prints, e.g.
 * `'mm'`; `t.gradFn.inputs` are the op's inputs).
 */
export class Node {
  #backward: BackwardFn | null;
  #saved: Tensor[];
  /** Temporaries of the op (opScope) that the graph still needs; disposed on release. */
  #owned: Tensor[];
  readonly #versions: number[];
  /** For each input, whether it required grad when the op ran (backward skips the others). */
  readonly needs: boolean[];
  /** Emptied by `release()`, so a freed graph no longer keeps its tensors reachable. */
  inputs: readonly Tensor[];

  /** @internal Ops record nodes (src/ops/util.ts `record`); users never construct one. */
  constructor(
    /** The op that made the tensor: 'mm', 'add', 'relu', ... */
    readonly name: string,
    inputs: readonly Tensor[],
    saved: Tensor[],
    backward: BackwardFn,
  ) {
    this.inputs = inputs;
    this.#backward = backward;
    this.#saved = saved;
    this.#owned = [];
    this.#versions = saved.map((t) => t.version);
    this.needs = inputs.map((t) => t.requiresGrad);
  }

  /** @internal Runs the backward: the gradients of the inputs from the output's. */
  apply(dy: Tensor): (Tensor | null)[] {
    this.check();
    return this.#backward!(dy, this.needs);
  }

  /** @internal Throws if backward cannot run: the node was released, or a saved tensor changed. */
  check(): void {
    if (!this.#backward) {
      throw new WebgradError(
        'backward',
        `trying to backward through the graph a second time (through ${this.name}): its saved tensors were freed after the first backward; pass { retainGraph: true } to the first backward() to keep them`,
      );
    }
    this.#saved.forEach((t, i) => {
      if (t.isDisposed || t.version !== this.#versions[i]) {
        throw new WebgradError(
          'backward',
          t.isDisposed
            ? `a tensor of shape ${fmtShape(t.shape)} saved by ${this.name} for backward was disposed (by dispose() or a scope() that closed before backward ran)`
            : `a tensor of shape ${fmtShape(t.shape)} saved by ${this.name} for backward was modified by an in-place operation (version ${t.version}, expected ${this.#versions[i]})`,
        );
      }
    });
  }

  /** @internal The tensors backward reads (empty once released). */
  get saved(): readonly Tensor[] {
    return this.#saved;
  }

  /** @internal Hands the node more temporaries to dispose on release (made after it was recorded). */
  own(...ts: Tensor[]): void {
    this.#owned.push(...ts);
  }

  /** @internal Frees what backward needed and the node's own temporaries; the node can no longer run. */
  release(): void {
    this.#backward = null;
    this.#saved = [];
    this.inputs = [];
    for (const t of this.#owned) t.dispose();
    this.#owned = [];
  }
}
