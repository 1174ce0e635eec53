// The data API, for `export * as data from './data/index.js'` in src/index.ts.
export { readIdx, parseIdx, type IdxArray, type IdxData, type IdxDtype } from './idx.js';
export { loadMnist, type Mnist, type MnistOptions } from './mnist.js';
export {
  encodeSafetensors,
  decodeSafetensors,
  parseSafetensors,
  readSafetensors,
  type SafetensorsDtype,
  type SafetensorsEntry,
} from './safetensors.js';
export { DataLoader } from './dataloader.js';
export {
  ArrayLoader,
  makeBatch,
  shuffledIndices,
  type Batch,
  type Dataset,
  type DatasetLike,
  type ImageDataset,
  type DataLoaderOptions,
  type Normalize,
} from './batch.js';
export type { ByteSource } from './source.js';
export { loadMobyDick, CharTokenizer, trainValSplit, TextBatches, type TextBatchesOptions, type TextBatch, type TrainValSplit } from './text.js';
