import type { TypedArray } from '../../dtype.js';
import type { ReduceLayout } from '../../shape.js';
import type { ScanOptions } from '../backend.js';
import { allocLike } from './storage.js';

/**
 * Running sum or product along the middle axis of [outer, size, inner], accumulated in float64
 * and rounded once per stored element (so a float32 cumsum is the exact prefix sum of its
 * inputs, rounded: at least as accurate as PyTorch's float32 one). Walks x in memory order
 * with one running value per inner position, as reduce.ts does.
 */
export function scan(x: TypedArray, { outer, size, inner }: ReduceLayout, { op, exclusive, reverse }: ScanOptions): TypedArray {
  const out = allocLike(x, outer * size * inner);
  const identity = op === 'sum' ? 0 : 1;
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    acc.fill(identity);
    for (let j = 0; j < size; j++) {
      const row = (o * size + (reverse ? size - 1 - j : j)) * inner;
      for (let i = 0; i < inner; i++) {
        const v = x[row + i];
        if (exclusive) out[row + i] = acc[i];
        acc[i] = op === 'sum' ? acc[i] + v : acc[i] * v;
        if (!exclusive) out[row + i] = acc[i];
      }
    }
  }
  return out;
}
