import { mulberry32 } from '../../src/data/batch.js';

/**
 * n seeded standard normal values (Box-Muller over mulberry32), times `scale`: the same values
 * for the same seed in every test file.
 */
export function randn(n: number, seed: number, scale = 1): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => scale * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()));
}
