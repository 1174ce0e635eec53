import type { TypedArray } from '../../dtype.js';
import type { ReduceLayout } from '../../shape.js';

/**
 * The oracle of Backend.sortIndices: each line's positions in a stable sort (Array.prototype.sort
 * is stable), NaN above +Infinity, -0 equal to +0 (PyTorch's order).
 */
export function sortIndices(x: TypedArray, layout: ReduceLayout, k: number, descending: boolean): Int32Array {
  const { outer, size, inner } = layout;
  const out = new Int32Array(outer * k * inner);
  const pos = new Array<number>(size);
  const vals = new Float64Array(size);
  const sign = descending ? -1 : 1;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      for (let r = 0; r < size; r++) {
        pos[r] = r;
        vals[r] = x[(o * size + r) * inner + i];
      }
      pos.sort((p, q) => {
        const a = vals[p];
        const b = vals[q];
        const an = Number.isNaN(a);
        const bn = Number.isNaN(b);
        if (an || bn) return an && bn ? 0 : (an ? 1 : -1) * sign;
        return a < b ? -sign : a > b ? sign : 0;
      });
      for (let r = 0; r < k; r++) out[(o * k + r) * inner + i] = pos[r];
    }
  }
  return out;
}
