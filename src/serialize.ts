import { tensor } from './creation.js';
import { type ByteSource, isNode } from './data/source.js';
import { encodeSafetensors, readSafetensors } from './data/safetensors.js';
import { WebgradError } from './errors.js';
import { type StateTree, TREE_KEY, flattenTree, isFlat, unflattenTree } from './serialize-tree.js';
import type { Tensor } from './tensor.js';

/**
 * Serialises named tensors as safetensors (what `safetensors.torch.load_file` reads), e.g. a
 * module's `stateDict()`. A tree of tensors and JSON values (an optimizer's `stateDict()`,
 * or `{ model: ..., optimizer: ... }`) is saved too: its tensors by dotted path, the rest as
 * JSON in the metadata, and `load` gives the tree back. With a path (Node) the bytes are also
 * written to that file. Reading the tensors back from the device is the one wait here.
 */
export async function save(dict: Record<string, Tensor> | StateTree, path?: string, metadata?: Record<string, string>): Promise<Uint8Array> {
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
    await fs.writeFile(path, bytes);
  }
  return bytes;
}

/**
 * Reads a safetensors file (path, URL or bytes) into tensors on the current backend: the
 * record of named tensors, or the tree `save` was given. `T` names what the caller expects
 * (the file decides what it is; `loadStateDict` checks it).
 */
export async function load<T = Record<string, Tensor>>(source: ByteSource): Promise<T> {
  const { tensors, metadata } = await readSafetensors(source);
  const out: Record<string, Tensor> = {};
  for (const [name, e] of Object.entries(tensors)) out[name] = tensor(e.data, { dtype: e.dtype }).reshape(e.shape);
  const skeleton = metadata?.[TREE_KEY];
  return (skeleton === undefined ? out : unflattenTree(skeleton, out, 'load')) as T;
}
