import { WebgradError } from './errors.js';
import { Tensor } from './tensor.js';

/**
 * What `wg.save` writes besides a flat name -> tensor record: a tree of objects and arrays
 * whose leaves are tensors or JSON values, such as an optimizer's `stateDict()` or
 * `{ model: model.stateDict(), optimizer: opt.stateDict(), epoch: 3 }`. The tensors go into
 * the safetensors body under their dotted paths; the tree, with each tensor replaced by
 * `{ "$tensor": path }`, goes as JSON into the `__metadata__` entry TREE_KEY, so the file
 * stays a valid safetensors file that any reader opens.
 */
export type StateValue = Tensor | number | string | boolean | null | undefined | readonly StateValue[] | StateTree;
/** A JSON-like object whose leaves may be tensors: what `wg.save` writes and `wg.load` gives back. */
export type StateTree = { readonly [key: string]: StateValue };

export const TREE_KEY = 'webgrad.tree';

/** True when every value is a tensor: the flat record every version of save() wrote. */
export function isFlat(tree: StateTree): tree is Record<string, Tensor> {
  return Object.values(tree).every((v) => v instanceof Tensor);
}

/** Splits a tree into its tensors (by dotted path) and the JSON skeleton that points at them. */
export function flattenTree(tree: StateTree, op: string): { tensors: Record<string, Tensor>; skeleton: string } {
  const tensors: Record<string, Tensor> = Object.create(null) as Record<string, Tensor>;
  const walk = (v: StateValue, path: string[]): unknown => {
    if (v instanceof Tensor) {
      const name = path.join('.');
      if (name in tensors) throw new WebgradError(op, `two tensors would both be saved as '${name}'; rename one of the keys`);
      tensors[name] = v;
      return { $tensor: name };
    }
    if (typeof v === 'number') return Number.isFinite(v) ? v : { $number: String(v) };
    if (v === null || v === undefined || typeof v === 'string' || typeof v === 'boolean') return v;
    if (Array.isArray(v)) return v.map((x, i) => walk(x, [...path, String(i)]));
    // Null-prototype objects too: load() gives trees back as such (a key '__proto__' is a name).
    if (typeof v === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(v) as object | null)) {
      const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
      for (const [k, x] of Object.entries(v as StateTree)) if (x !== undefined) out[k] = walk(x, [...path, k]);
      return out;
    }
    throw new WebgradError(op, `can't save '${path.join('.')}': ${typeof v} is not a tensor, number, string, boolean, array or plain object`);
  };
  return { tensors, skeleton: JSON.stringify(walk(tree, [])) };
}

/** The tree `flattenTree` split, with its tensors put back. */
export function unflattenTree(skeleton: string, tensors: Record<string, Tensor>, op: string): StateTree {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v !== 'object' || v === null) return v;
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && typeof o.$tensor === 'string') {
      const t = Object.hasOwn(tensors, o.$tensor) ? tensors[o.$tensor] : undefined;
      if (t === undefined) throw new WebgradError(op, `the file's tree names a tensor '${o.$tensor}' that the file does not hold`);
      return t;
    }
    if (keys.length === 1 && typeof o.$number === 'string') return Number(o.$number);
    // Null prototype: a key '__proto__' from the file stays an ordinary key.
    const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (const k of keys) out[k] = walk(o[k]);
    return out;
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(skeleton);
  } catch (e) {
    throw new WebgradError(op, `the metadata entry '${TREE_KEY}' is not valid JSON (${(e as Error).message})`);
  }
  return walk(parsed) as StateTree;
}
