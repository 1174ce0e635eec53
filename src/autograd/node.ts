import { WebgradError } from '../errors.js';
import type { Tensor } from '../tensor.js';

/** Computes the gradients of a node's inputs from the gradient of its output. */
export type BackwardFn = (dy: Tensor, needs: readonly boolean[]) => (Tensor | null)[];

/**
 * One recorded op in the graph. It keeps its inputs (to send gradients to them) and the
 * tensors its backward needs, with their versions at record time: an in-place write to a saved
 * tensor afterwards would make the gradient silently wrong, so backward refuses instead.
 */
export class Node {
  #backward: BackwardFn | null;
  #saved: Tensor[];
  readonly #versions: number[];
  readonly needs: boolean[];

  constructor(
    readonly name: string,
    readonly inputs: readonly Tensor[],
    saved: Tensor[],
    backward: BackwardFn,
  ) {
    this.#backward = backward;
    this.#saved = saved;
    this.#versions = saved.map((t) => t.version);
    this.needs = inputs.map((t) => t.requiresGrad);
  }

  apply(dy: Tensor): (Tensor | null)[] {
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
            ? `a tensor saved by ${this.name} for backward was disposed`
            : `a tensor of shape [${t.shape.join(',')}] saved by ${this.name} for backward was modified by an in-place operation (version ${t.version}, expected ${this.#versions[i]})`,
        );
      }
    });
    return this.#backward(dy, this.needs);
  }

  /** Frees what backward needed; the node can no longer run. */
  release(): void {
    this.#backward = null;
    this.#saved = [];
  }
}
