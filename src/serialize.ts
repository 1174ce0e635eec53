import { tensor } from './creation.js';
import { type ByteSource, isNode } from './data/source.js';
import { encodeSafetensors, readSafetensors } from './data/safetensors.js';
import { WebgradError } from './errors.js';
import type { Tensor } from './tensor.js';

/**
 * Serialises named tensors as safetensors (what `safetensors.torch.load_file` reads), e.g. a
 * module's `stateDict()`. With a path (Node) the bytes are also written to that file.
 * Reading the tensors back from the device is the one wait here. `metadata` goes to the file's
 * `__metadata__` strings.
 *
 * PyTorch equivalent: `safetensors.torch.save_file(model.state_dict(), path)` (`torch.save`
 * writes pickles, which webgrad does not).
 *
 * @example
 * ```ts
 * await wg.save(model.stateDict(), 'model.safetensors');       // Node
 * const bytes = await wg.save(model.stateDict());               // anywhere: the bytes
 * ```
 */
export async function save(tensors: Record<string, Tensor>, path?: string, metadata?: Record<string, string>): Promise<Uint8Array> {
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
 * Reads a safetensors file (a path in Node, a URL, or bytes) into tensors on the current
 * backend, by name. float32, int32 and float64 tensors are read; other dtypes are refused.
 *
 * PyTorch equivalent: `safetensors.torch.load_file(path)`.
 *
 * @example
 * ```ts
 * model.loadStateDict(await wg.load('model.safetensors'));
 * ```
 */
export async function load(source: ByteSource): Promise<Record<string, Tensor>> {
  const { tensors } = await readSafetensors(source);
  const out: Record<string, Tensor> = {};
  for (const [name, e] of Object.entries(tensors)) out[name] = tensor(e.data, { dtype: e.dtype }).reshape(e.shape);
  return out;
}
