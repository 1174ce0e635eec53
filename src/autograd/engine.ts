import { WebgradError, fmtShape } from '../errors.js';
import { keep, knownConstant, scope } from '../memory.js';
import { sameShape } from '../shape.js';
import { onesLike } from '../creation.js';
import { checkSameBackend } from '../ops/util.js';
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
  // A .grad the user disposed (or a scope closed over) counts as none.
  if (t.grad && !t.grad.isDisposed) {
    const into = t.grad;
    // A gradient zeroed with zero_() (the usual loop) takes g's values: no add kernel, and
    // usually no copy either (g's storage is taken over). The values are those of 0 + g,
    // except that an element of g that is -0 stays -0.
    if (knownConstant(into) === 0 && sameShape(into.shape, g.shape) && into.dtype === g.dtype) {
      into.assignFrom('backward', g);
      return;
    }
    into.add_(g);
    g.dispose();
  } else {
    t.grad = keep(g);
  }
}

export function runBackward(root: Tensor, gradient: Tensor | undefined, retainGraph: boolean): void {
  if (!root.requiresGrad) {
    throw new WebgradError('backward', `the tensor of shape ${fmtShape(root.shape)} does not require grad and has no grad_fn`);
  }
  if (!gradient && root.numel !== 1) {
    throw new WebgradError(
      'backward',
      `grad can be implicitly created only for scalar outputs; got shape ${fmtShape(root.shape)}: pass a gradient of that shape`,
    );
  }
  if (gradient !== undefined) {
    checkSameBackend('backward', root, gradient);
    if (!sameShape(gradient.shape, root.shape)) {
      throw new WebgradError('backward', `gradient of shape ${fmtShape(gradient.shape)} does not match the output shape ${fmtShape(root.shape)}`);
    }
    if (gradient.dtype !== root.dtype) {
      throw new WebgradError('backward', `gradient has dtype ${gradient.dtype} but the output of shape ${fmtShape(root.shape)} is ${root.dtype}`);
    }
  }
  // Every node is checked before the first kernel runs: a freed graph or a saved tensor
  // changed in place is refused with nothing computed and no gradient half-accumulated.
  const order = root.gradFn ? topoOrder(root.gradFn) : [];
  for (const node of order) node.check();
  noGrad(() => {
    // The implicit seed is known to be all ones (hostRange): sum's and mean's backward then
    // write a constant instead of broadcasting it with a kernel.
    const seed = gradient ? gradient.clone() : onesLike(root).setHostRange({ min: 1, max: 1 });
    if (!root.gradFn) {
      accumulateInto(root, seed);
      return;
    }
    const grads: Grads = new Map();
    handOn(grads, root, seed);
    try {
      walk(order, grads, retainGraph);
    } finally {
      // After an error (a saved tensor was modified, a freed graph), the pending gradients
      // would otherwise stay allocated: the library must stay usable.
      for (const gs of grads.values()) for (const g of gs) g?.dispose();
    }
  });
}

/** The pending gradient of each output of each node (null: none arrived yet). */
type Grads = Map<Node, (Tensor | null)[]>;

/** Adds `g` to the pending gradient of `t`, the output of a recorded node. */
function handOn(grads: Grads, t: Tensor, g: Tensor): void {
  const node = t.gradFn!;
  let slots = grads.get(node);
  if (!slots) grads.set(node, (slots = new Array<Tensor | null>(node.outputs).fill(null)));
  const i = node.slot(t);
  const prev = slots[i];
  if (prev) {
    prev.add_(g);
    g.dispose();
  } else slots[i] = g;
}

/** Runs each node's backward in topological order, handing gradients down to the leaves. */
function walk(order: Node[], grads: Grads, retainGraph: boolean): void {
  for (const node of order) {
    const dys = grads.get(node);
    if (!dys) continue;
    // Temporaries made inside one node's backward die with it; only the input grads live on.
    // Each gradient handed on must be a tensor of its own: a backward may pass `dy` through
    // (add) or return one tensor for two inputs, and handed-on tensors get disposed or mutated.
    const seen = new Set<Tensor>();
    const inputGrads = scope(() => node.apply(dys)).map((g) => (g && seen.has(g) ? g.clone() : (g && seen.add(g), g)));
    grads.delete(node);
    for (const dy of dys) if (dy && !seen.has(dy)) dy.dispose();
    node.inputs.forEach((input, i) => {
      const g = inputGrads[i];
      // A disposed leaf can no longer show a gradient: drop it rather than keep it alive.
      if (!g || !node.needs[i] || (input.isDisposed && !input.gradFn)) {
        g?.dispose();
        return;
      }
      if (input.retainsGrad && !input.isDisposed) accumulateInto(input, input.gradFn ? g.clone() : g);
      if (input.gradFn) {
        handOn(grads, input, g);
      } else if (!input.retainsGrad) {
        accumulateInto(input, g);
      }
    });
    if (!retainGraph) node.release();
  }
}
