import { tensor } from '../creation.js';
import type { Tensor } from '../tensor.js';
import { ArrayLoader } from './batch.js';

export type { Batch, Dataset, DatasetLike, DataLoaderOptions, Normalize } from './batch.js';

/**
 * Batches a dataset into tensors, PyTorch style. Each loop over the loader is one epoch. Each
 * step makes its two tensors with one `tensor()` call each from a freshly gathered batch; the
 * loader never disposes them, so run the step in `wg.scope` (or dispose x and y) to give their
 * memory back.
 *
 * PyTorch equivalent: `torch.utils.data.DataLoader(dataset, batch_size=64, shuffle=True)`.
 *
 * @example
 * ```ts
 * const train = await wg.data.loadMnist({ train: true });
 * const loader = new wg.data.DataLoader(train, { batchSize: 64, shuffle: true, seed: 0 });
 * for (let epoch = 0; epoch < 5; epoch++) {
 *   for await (const { x, y } of loader) {   // x float32 [64, 784], y int32 [64]
 *     await wg.scope(async () => { ... train on x, y ... });
 *   }
 * }
 * ```
 */
export class DataLoader extends ArrayLoader {
  /** One epoch of `{ x, y }` batches: x float32 `[B, features]`, y int32 `[B]`. */
  async *[Symbol.asyncIterator](): AsyncGenerator<{
    /** float32 `[B, features]`. */
    x: Tensor;
    /** int32 `[B]`. */
    y: Tensor;
  }> {
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
