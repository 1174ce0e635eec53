import { WebgradError, check } from '../errors.js';
import { options } from '../options.js';

/**
 * The tensor-free half of the DataLoader: dataset shapes, seeded shuffling and batch assembly
 * on typed arrays, so it can be tested (and reused) without a backend.
 */
export interface Dataset {
  /** `n * features` values, row-major: sample i is `x[i*features .. (i+1)*features)`. */
  x: Float32Array;
  /** `n` integer targets. */
  y: Int32Array;
  /** The number of samples. */
  n: number;
  /** Values per sample. */
  features: number;
}

/** What `loadMnist` returns fits too: `featureSize` defaults to `images.length / count`. */
export interface ImageDataset {
  /** `count * featureSize` values, one image after another. */
  images: Float32Array;
  /** `count` integer labels. */
  labels: Int32Array;
  /** The number of images. */
  count: number;
  /** Values per image (default `images.length / count`). */
  featureSize?: number;
}

/**
 * Anything a {@link DataLoader} can batch: a {@link Dataset} (`x`, `y`, `n`, `features`) or an
 * {@link ImageDataset} such as what {@link loadMnist} returns.
 *
 * PyTorch equivalent: a map-style `torch.utils.data.Dataset` of (input, target) pairs, here held
 * as two flat typed arrays.
 */
export type DatasetLike = Dataset | ImageDataset;

/**
 * Per-value normalisation applied to each batch: `(x - mean) / std`.
 *
 * PyTorch equivalent: `torchvision.transforms.Normalize(mean, std)` with one channel.
 */
export interface Normalize {
  /** Subtracted from every value. */
  mean: number;
  /** Every value is divided by it after the subtraction; positive. */
  std: number;
}

/** One batch as typed arrays, gathered by {@link ArrayLoader.arrays} or {@link makeBatch}. */
export interface Batch {
  /** `batchSize * features` values. */
  x: Float32Array;
  /** `batchSize` targets. */
  y: Int32Array;
  /** Samples in this batch (the last one of an epoch may be smaller than the loader's). */
  batchSize: number;
}

const OP = 'DataLoader';

/**
 * Options of {@link DataLoader} and {@link ArrayLoader}.
 *
 * PyTorch equivalent: `DataLoader(dataset, batch_size, shuffle, drop_last, generator)`.
 */
export interface DataLoaderOptions {
  /** Samples per batch, a positive integer. */
  batchSize: number;
  /** Visit the samples in a new seeded order each epoch (default false: dataset order). */
  shuffle?: boolean;
  /** Epoch k is shuffled with seed + k, so runs repeat exactly (default 0). */
  seed?: number;
  /** Skip the last batch when it would be smaller than batchSize (default false). */
  dropLast?: boolean;
  /** Yield (x - mean) / std instead of x. */
  normalize?: Normalize;
}

/**
 * The DataLoader without tensors: epochs of batches as typed arrays. Each `arrays()` loop is one
 * epoch; epoch k visits the samples in `order(k)`.
 */
export class ArrayLoader {
  /** The samples, as given (an {@link ImageDataset} is seen as a {@link Dataset}). */
  readonly dataset: Dataset;
  /** Samples per batch. */
  readonly batchSize: number;
  /** Whether each epoch visits the samples in a new seeded order. */
  readonly shuffle: boolean;
  /** Epoch k is shuffled with `seed + k`. */
  readonly seed: number;
  /** Whether a last batch smaller than `batchSize` is skipped. */
  readonly dropLast: boolean;
  /** The normalisation applied to x, if any. */
  readonly normalize: Normalize | undefined;
  #epoch = 0;

  /** Refuses a non-positive or fractional `batchSize`, a fractional seed and a bad `normalize`. */
  constructor(dataset: DatasetLike, opts: DataLoaderOptions) {
    this.dataset = toDataset(dataset);
    check(opts !== null && typeof opts === 'object', OP, () => 'expected options with at least { batchSize }');
    const { batchSize, shuffle = false, seed = 0, dropLast = false, normalize } = options(OP, opts, ['batchSize', 'shuffle', 'seed', 'dropLast', 'normalize']) as DataLoaderOptions;
    check(Number.isInteger(batchSize) && batchSize > 0, OP, () => `batchSize must be a positive integer, got ${batchSize}`);
    check(Number.isInteger(seed), OP, () => `seed must be an integer, got ${seed}`);
    check(normalize === undefined || (Number.isFinite(normalize.mean) && normalize.std > 0 && Number.isFinite(normalize.std)), OP, () =>
      `normalize needs a finite mean and a positive std, got mean ${normalize?.mean}, std ${normalize?.std}`);
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.seed = seed;
    this.dropLast = dropLast;
    this.normalize = normalize;
  }

  /** Batches per epoch. */
  get length(): number {
    const { n } = this.dataset;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The epoch the next loop will run (0 for the first). */
  get epoch(): number {
    return this.#epoch;
  }

  /**
   * Makes the next loop run epoch `epoch` (its shuffled order), as when resuming from a
   * checkpoint saved after `epoch` epochs.
   *
   * PyTorch equivalent: `DistributedSampler.set_epoch` (PyTorch's DataLoader reshuffles from
   * its generator's state instead).
   */
  setEpoch(epoch: number): void {
    check(Number.isInteger(epoch) && epoch >= 0, 'DataLoader.setEpoch', () => `epoch must be a non-negative integer, got ${String(epoch)}`);
    this.#epoch = epoch;
  }

  /** The sample order of epoch `k`. */
  order(k: number): Uint32Array {
    const { n } = this.dataset;
    if (this.shuffle) return shuffledIndices(n, this.seed + k);
    const idx = new Uint32Array(n);
    for (let i = 0; i < n; i++) idx[i] = i;
    return idx;
  }

  /** One epoch of batches as typed arrays (no tensors); advances the epoch like a loop does. */
  *arrays(): Generator<Batch> {
    const order = this.order(this.#epoch++);
    for (let b = 0; b < this.length; b++) {
      const start = b * this.batchSize;
      yield makeBatch(this.dataset, order, start, Math.min(start + this.batchSize, order.length), this.normalize);
    }
  }
}

export function toDataset(ds: DatasetLike): Dataset {
  check(typeof ds === 'object' && ds !== null, OP, () =>
    `expected a dataset ({ x, y, n, features } or what loadMnist returns) and options with at least { batchSize }, got ${ds === null ? 'null' : typeof ds}`);
  const d: Dataset = 'images' in ds
    ? { x: ds.images, y: ds.labels, n: ds.count, features: ds.featureSize ?? (ds.count > 0 ? ds.images.length / ds.count : 0) }
    : ds;
  check(Number.isInteger(d.n) && d.n >= 0, OP, () => `sample count must be a non-negative integer, got ${d.n}`);
  check(Number.isInteger(d.features) && d.features >= 0, OP, () =>
    `feature size must be a non-negative integer, got ${d.features} (${d.x.length} values for ${d.n} samples?)`);
  check(d.x.length >= d.n * d.features, OP, () =>
    `x holds ${d.x.length} values, fewer than ${d.n} samples * ${d.features} features`);
  check(d.y.length >= d.n, OP, () => `y holds ${d.y.length} targets, fewer than ${d.n} samples`);
  // Labels that are not an Int32Array are copied into one per batch, which would turn NaN
  // into 0, 1.5 into 1 and 3e9 into -1294967296: refused here, as tensor() refuses them.
  if (!(d.y instanceof Int32Array)) {
    const y: ArrayLike<number> = d.y;
    for (let i = 0; i < d.n; i++) {
      const v = y[i];
      check(Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31, OP, () =>
        `label ${String(v)} at index ${i} is not an int32 class index (expected an integer in [-2147483648, 2147483647])`);
    }
  }
  return d;
}

/** mulberry32: a tiny 32-bit PRNG, plenty for shuffling and identical on every JS engine. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A permutation of 0..n-1: Fisher–Yates driven by mulberry32(seed). */
export function shuffledIndices(n: number, seed: number): Uint32Array {
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  const rand = mulberry32(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
  return idx;
}

/** Gathers samples `order[start..end)` into one contiguous batch, normalising x if asked. */
export function makeBatch(ds: Dataset, order: ArrayLike<number>, start: number, end: number, normalize?: Normalize): Batch {
  if (!(start >= 0 && start <= end && end <= order.length)) {
    throw new WebgradError(OP, `batch range [${start}, ${end}) is outside the ${order.length} indices`);
  }
  const { features: f } = ds;
  const b = end - start;
  const x = new Float32Array(b * f);
  const y = new Int32Array(b);
  for (let r = 0; r < b; r++) {
    const i = order[start + r];
    x.set(ds.x.subarray(i * f, (i + 1) * f), r * f);
    y[r] = ds.y[i];
  }
  if (normalize) {
    const { mean, std } = normalize;
    for (let k = 0; k < x.length; k++) x[k] = (x[k] - mean) / std;
  }
  return { x, y, batchSize: b };
}
