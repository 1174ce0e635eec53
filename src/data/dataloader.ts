import { tensor } from '../creation.js';
import type { Tensor } from '../tensor.js';
import { ArrayLoader } from './batch.js';

export type { Batch, Dataset, DatasetLike, DataLoaderOptions, Normalize } from './batch.js';

/**
 * Batches a dataset into tensors, PyTorch style:
 *
 *   for await (const { x, y } of loader) { ... }   // x float32 [B, features], y int32 [B]
 *
 * Each loop over the loader is one epoch. Each step makes its two tensors with one `tensor()`
 * call each from a freshly gathered batch; the loader never disposes them, so run the step in
 * `wg.scope` (or dispose x and y) to give their memory back.
 */
export class DataLoader extends ArrayLoader {
  async *[Symbol.asyncIterator](): AsyncGenerator<{ x: Tensor; y: Tensor }> {
    const { features } = this.dataset;
    for (const batch of this.arrays()) {
      const flat = tensor(batch.x);
      const x = flat.reshape([batch.batchSize, features]);
      flat.dispose(); // x shares its storage, so disposing x alone then frees it
      const y = tensor(batch.y, { dtype: 'int32' });
      yield { x, y };
    }
  }
}
