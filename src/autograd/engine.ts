import { WebgradError, fmtShape } from '../errors.js';
import { keep, scope } from '../memory.js';
import { sameShape } from '../shape.js';
import { onesLike } from '../creation.js';
import type { Tensor } from '../tensor.js';
import { noGrad } from './grad-mode.js';
import type { Node } from './node.js';

/** Nodes reachable from `root`, each after every node that consumes its output. */
function topoOrder(root: Node): Node[] {
  const order: Node[] = [];
  const visited = new Set<Node>();
  // Iterative post-order DFS: deep graphs (long training unrolls) must not overflow the stack.
  const stack: [Node, number][] = [[root, 0]];
  visited.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [node, i] = top;
    if (i < node.inputs.length) {
      top[1]++;
      const child = node.inputs[i].gradFn;
      if (child && !visited.has(child)) {
        visited.add(child);
        stack.push([child, 0]);
      }
    } else {
      stack.pop();
      order.push(node);
    }
  }
  return order.reverse();
}

/** Gradients accumulate (`+=`), never overwrite: a tensor used twice gets the sum. */
function accumulateInto(t: Tensor, g: Tensor): void {
  if (t.grad) {
    t.grad.add_(g);
    g.dispose();
  } else {
    t.grad = keep(g);
  }
}

export function runBackward(root: Tensor, gradient: Tensor | undefined, retainGraph: boolean): void {
  if (!root.requiresGrad) {
    throw new WebgradError('backward', 'the tensor does not require grad and has no grad_fn');
  }
  if (!gradient && root.numel !== 1) {
    throw new WebgradError(
      'backward',
      `grad can be implicitly created only for scalar outputs; got shape ${fmtShape(root.shape)}: pass a gradient of that shape`,
    );
  }
  if (gradient && !sameShape(gradient.shape, root.shape)) {
    throw new WebgradError('backward', `gradient of shape ${fmtShape(gradient.shape)} does not match the output shape ${fmtShape(root.shape)}`);
  }
  noGrad(() => {
    const seed = gradient ? gradient.clone() : onesLike(root);
    if (!root.gradFn) {
      accumulateInto(root, seed);
      return;
    }
    const grads = new Map<Node, Tensor>([[root.gradFn, seed]]);
    for (const node of topoOrder(root.gradFn)) {
      const dy = grads.get(node);
      grads.delete(node);
      if (!dy) continue;
      // Temporaries made inside one node's backward die with it; only the input grads live on.
      // Each gradient handed on must be a tensor of its own: a backward may pass `dy` through
      // (add) or return one tensor for two inputs, and handed-on tensors get disposed or mutated.
      const seen = new Set<Tensor>();
      const inputGrads = scope(() => node.apply(dy)).map((g) => (g && seen.has(g) ? g.clone() : (g && seen.add(g), g)));
      if (!seen.has(dy)) dy.dispose();
      node.inputs.forEach((input, i) => {
        const g = inputGrads[i];
        if (!g || !node.needs[i]) {
          g?.dispose();
          return;
        }
        if (input.retainsGrad) accumulateInto(input, input.gradFn ? g.clone() : g);
        if (input.gradFn) {
          const prev = grads.get(input.gradFn);
          if (prev) {
            prev.add_(g);
            g.dispose();
          } else grads.set(input.gradFn, g);
        } else if (!input.retainsGrad) {
          accumulateInto(input, g);
        }
      });
      if (!retainGraph) node.release();
    }
  });
}
