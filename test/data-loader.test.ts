import { describe, expect, test } from 'vitest';
import { WebgradError } from '../src/errors.js';
import { ArrayLoader, type Dataset, makeBatch, mulberry32, shuffledIndices, toDataset } from '../src/data/batch.js';
import { DataLoader } from '../src/data/dataloader.js';
import { memory } from '../src/memory.js';

/** n samples of `features` values; sample i is [i, i + 0.5, ...] and its label is i. */
function numbered(n: number, features = 2): Dataset {
  const x = new Float32Array(n * features);
  for (let i = 0; i < n; i++) for (let j = 0; j < features; j++) x[i * features + j] = i + j / 2;
  return { x, y: Int32Array.from({ length: n }, (_, i) => i), n, features };
}

const labelsOf = (loader: ArrayLoader) => Array.from(loader.arrays(), (b) => Array.from(b.y));

describe('seeded shuffling', () => {
  test('mulberry32 and the shuffle are pinned, so runs (and engines) agree', () => {
    expect(mulberry32(0)()).toBe(0.26642920868471265);
    expect(Array.from(shuffledIndices(10, 0))).toEqual([3, 8, 6, 4, 5, 9, 7, 1, 0, 2]);
    expect(Array.from(shuffledIndices(10, 1))).toEqual([7, 8, 3, 2, 1, 5, 9, 4, 0, 6]);
  });

  test('a permutation; same seed same order, another seed another', () => {
    const a = shuffledIndices(1000, 7);
    expect(Array.from(a).sort((p, q) => p - q)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(shuffledIndices(1000, 7)).toEqual(a);
    expect(shuffledIndices(1000, 8)).not.toEqual(a);
    expect(shuffledIndices(0, 1).length).toBe(0);
    expect(Array.from(shuffledIndices(1, 1))).toEqual([0]);
  });
});

describe('makeBatch', () => {
  test('gathers rows in the given order', () => {
    const ds = numbered(5, 3);
    const b = makeBatch(ds, [4, 0, 2, 1, 3], 1, 4);
    expect(b.batchSize).toBe(3);
    expect(Array.from(b.x)).toEqual([0, 0.5, 1, 2, 2.5, 3, 1, 1.5, 2]);
    expect(b.y).toEqual(new Int32Array([0, 2, 1]));
  });

  test('normalises as (x - mean) / std in float32', () => {
    const b = makeBatch(numbered(2, 1), [0, 1], 0, 2, { mean: 0.1307, std: 0.3081 });
    expect(Array.from(b.x)).toEqual([Math.fround((0 - 0.1307) / 0.3081), Math.fround((1 - 0.1307) / 0.3081)]);
  });

  test('an out-of-range batch is an error', () => {
    expect(() => makeBatch(numbered(3), [0, 1, 2], 2, 4)).toThrow('DataLoader: batch range [2, 4) is outside the 3 indices');
  });
});

describe('ArrayLoader (the DataLoader without tensors)', () => {
  test('batches in order, last batch smaller, length counts it', () => {
    const loader = new ArrayLoader(numbered(10), { batchSize: 4 });
    expect(loader.length).toBe(3);
    const batches = Array.from(loader.arrays());
    expect(batches.map((b) => b.batchSize)).toEqual([4, 4, 2]);
    expect(batches.map((b) => Array.from(b.y))).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    expect(Array.from(batches[2].x)).toEqual([8, 8.5, 9, 9.5]);
  });

  test('dropLast drops the short batch only', () => {
    expect(labelsOf(new ArrayLoader(numbered(10), { batchSize: 4, dropLast: true }))).toEqual([[0, 1, 2, 3], [4, 5, 6, 7]]);
    expect(new ArrayLoader(numbered(10), { batchSize: 4, dropLast: true }).length).toBe(2);
    expect(new ArrayLoader(numbered(8), { batchSize: 4, dropLast: true }).length).toBe(2);
    expect(new ArrayLoader(numbered(3), { batchSize: 4, dropLast: true }).length).toBe(0);
    expect(labelsOf(new ArrayLoader(numbered(3), { batchSize: 4, dropLast: true }))).toEqual([]);
  });

  test('shuffle: every sample exactly once per epoch, a new order each epoch', () => {
    const ds = numbered(103);
    const loader = new ArrayLoader(ds, { batchSize: 10, shuffle: true, seed: 42 });
    const epochs: number[][] = [];
    for (let e = 0; e < 3; e++) {
      expect(loader.epoch).toBe(e);
      const seen: number[] = [];
      for (const b of loader.arrays()) {
        for (let r = 0; r < b.batchSize; r++) {
          // x and y stay paired: row r of x is sample y[r].
          expect(b.x[r * 2]).toBe(b.y[r]);
          seen.push(b.y[r]);
        }
      }
      expect(seen.slice().sort((p, q) => p - q)).toEqual(Array.from({ length: 103 }, (_, i) => i));
      epochs.push(seen);
    }
    expect(epochs[0]).not.toEqual(epochs[1]);
    expect(epochs[1]).not.toEqual(epochs[2]);
    expect(epochs[0]).toEqual(Array.from(shuffledIndices(103, 42)));
    expect(epochs[2]).toEqual(Array.from(shuffledIndices(103, 44)));
  });

  test('deterministic: two loaders with one seed agree epoch by epoch; dropLast skips a different tail', () => {
    const mk = (seed: number, dropLast = false) => new ArrayLoader(numbered(50), { batchSize: 8, shuffle: true, seed, dropLast });
    const [a, b, c] = [mk(1), mk(1), mk(2)];
    for (let e = 0; e < 2; e++) expect(labelsOf(a)).toEqual(labelsOf(b));
    expect(labelsOf(mk(1))).not.toEqual(labelsOf(c));
    const dropped = new Set(labelsOf(mk(1, true)).flat());
    expect(dropped.size).toBe(48);
    const full = labelsOf(mk(1));
    expect(full.slice(0, 6)).toEqual(labelsOf(mk(1, true)));
    expect(full[6].every((l) => !dropped.has(l))).toBe(true);
  });

  test('takes what loadMnist returns', () => {
    const images = new Float32Array(3 * 784).map((_, i) => (i % 784) / 784);
    const loader = new ArrayLoader({ images, labels: new Int32Array([7, 2, 1]), count: 3 }, { batchSize: 2 });
    expect(loader.dataset.features).toBe(784);
    const [first] = loader.arrays();
    expect(first.x.length).toBe(2 * 784);
    expect(Array.from(first.y)).toEqual([7, 2]);
  });

  test('bad options and datasets are clear errors', () => {
    const e = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        expect(err).toBeInstanceOf(WebgradError);
        return (err as Error).message;
      }
      throw new Error('expected an error');
    };
    expect(e(() => new ArrayLoader(numbered(4), { batchSize: 0 }))).toBe('DataLoader: batchSize must be a positive integer, got 0');
    expect(e(() => new ArrayLoader(numbered(4), { batchSize: 2, normalize: { mean: 0, std: 0 } }))).toBe(
      'DataLoader: normalize needs a finite mean and a positive std, got mean 0, std 0');
    expect(e(() => toDataset({ x: new Float32Array(5), y: new Int32Array(3), n: 3, features: 2 }))).toBe(
      'DataLoader: x holds 5 values, fewer than 3 samples * 2 features');
    expect(e(() => toDataset({ images: new Float32Array(10), labels: new Int32Array(3), count: 3 }))).toMatch(
      /^DataLoader: feature size must be a non-negative integer, got 3\.33/);
  });
});

describe('DataLoader (tensors, on the default CPU backend)', () => {
  test('for await yields x float32 [B, features] and y int32 [B] matching the array batches', async () => {
    const opts = { batchSize: 4, shuffle: true, seed: 3, normalize: { mean: 1, std: 2 } };
    const loader = new DataLoader(numbered(10, 3), opts);
    const expected = Array.from(new ArrayLoader(numbered(10, 3), opts).arrays());
    expect(loader.length).toBe(3);
    let step = 0;
    const before = memory();
    for await (const { x, y } of loader) {
      expect(memory().liveTensors).toBe(before.liveTensors + 2);
      const want = expected[step++];
      expect(x.shape).toEqual([want.batchSize, 3]);
      expect(x.dtype).toBe('float32');
      expect(y.shape).toEqual([want.batchSize]);
      expect(y.dtype).toBe('int32');
      expect(await x.toArray()).toEqual(want.x);
      expect(await y.toArray()).toEqual(want.y);
      x.dispose();
      y.dispose();
    }
    expect(step).toBe(3);
    expect(loader.epoch).toBe(1);
    // Disposing what it yields frees everything a step made.
    expect(memory().liveTensors).toBe(before.liveTensors);
    expect(memory().bytesInUse).toBe(before.bytesInUse);
  });

  test('breaking out of a loop ends that epoch; the next loop is the next epoch', async () => {
    const loader = new DataLoader(numbered(8, 1), { batchSize: 2, shuffle: true, seed: 0 });
    for await (const { x, y } of loader) {
      x.dispose();
      y.dispose();
      break;
    }
    const seen: number[] = [];
    for await (const { x, y } of loader) {
      seen.push(...(await y.toArray()));
      x.dispose();
      y.dispose();
    }
    expect(seen).toEqual(Array.from(shuffledIndices(8, 1)));
  });
});
