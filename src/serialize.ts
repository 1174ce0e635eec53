import { tensor } from './creation.js';
import { type ByteSource, isNode } from './data/source.js';
import { encodeSafetensors, readSafetensors } from './data/safetensors.js';
import { WebgradError } from './errors.js';
import { type StateTree, TREE_KEY, flattenTree, isFlat, unflattenTree } from './serialize-tree.js';
import { Tensor } from './tensor.js';

/**
 * Serialises named tensors as safetensors (what `safetensors.torch.load_file` reads), e.g. a
 * module's `stateDict()`. A tree of tensors and JSON values (an optimizer's `stateDict()`,
 * or `{ model: ..., optimizer: ... }`) is saved too: its tensors by dotted path, the rest as
 * JSON in the metadata, and `load` gives the tree back. With a path (Node) the bytes are also
 * written to that file. Reading the tensors back from the device is the one wait here.
 * `metadata` goes to the file's `__metadata__` strings.
 *
 * PyTorch equivalent: `safetensors.torch.save_file(model.state_dict(), path)` (`torch.save`
 * writes pickles, which webgrad does not).
 *
 * @example
 * ```ts
 * await wg.save(model.stateDict(), 'model.safetensors');       // Node
 * const bytes = await wg.save(model.stateDict());               // anywhere: the bytes
 * await wg.save({ model: model.stateDict(), optimizer: opt.stateDict(), epoch }, 'ckpt.safetensors');
 * ```
 */
export async function save(dict: Record<string, Tensor> | StateTree, path?: string, metadata?: Record<string, string>): Promise<Uint8Array> {
  if (typeof dict !== 'object' || dict === null || Array.isArray(dict) || dict instanceof Tensor) {
    const got = dict === null ? 'null' : Array.isArray(dict) ? 'an array' : dict instanceof Tensor ? 'a Tensor' : typeof dict;
    throw new WebgradError('save', `expected an object of tensors by name (or a tree of them), got ${got}`);
  }
  let tensors = dict as Record<string, Tensor>;
  if (!isFlat(dict)) {
    const flat = flattenTree(dict, 'save');
    tensors = flat.tensors;
    metadata = { ...metadata, [TREE_KEY]: flat.skeleton };
  }
  const entries: Parameters<typeof encodeSafetensors>[0] = {};
  for (const [name, t] of Object.entries(tensors)) {
    entries[name] = { dtype: t.dtype, shape: [...t.shape], data: await t.toArray() };
  }
  const bytes = encodeSafetensors(entries, metadata);
  if (path !== undefined) {
    if (!isNode) throw new WebgradError('save', 'writing to a path needs Node; in a browser, use the returned bytes');
    const fs = await import('node:fs/promises');
    try {
      await fs.writeFile(path, bytes);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'its directory does not exist' : (e as Error).message;
      throw new WebgradError('save', `cannot write '${path}': ${why}`);
    }
  }
  return bytes;
}

/**
 * Reads a safetensors file (a path in Node, a URL, or bytes) into tensors on the current
 * backend: the record of named tensors, or the tree `save` was given. float32, int32 and
 * float64 tensors are read; other dtypes are refused. `T` names what the caller expects (the
 * file decides what it is; `loadStateDict` checks it).
 *
 * PyTorch equivalent: `safetensors.torch.load_file(path)`.
 *
 * @example
 * ```ts
 * model.loadStateDict(await wg.load('model.safetensors'));
 * ```
 */
export async function load<T = Record<string, Tensor>>(source: ByteSource): Promise<T> {
  const { tensors, metadata } = await readSafetensors(source);
  const out: Record<string, Tensor> = Object.create(null) as Record<string, Tensor>;
  for (const [name, e] of Object.entries(tensors)) out[name] = tensor(e.data, { dtype: e.dtype }).reshape(e.shape);
  const skeleton = metadata?.[TREE_KEY];
  return (skeleton === undefined ? out : unflattenTree(skeleton, out, 'load')) as T;
}
