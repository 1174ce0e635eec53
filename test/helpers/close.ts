import { expect } from 'vitest';
import type { Tensor } from 'webgrad-gpu';

type Nested = number | Nested[];

const flatten = (v: Nested | ArrayLike<number>): number[] =>
  typeof v === 'number' ? [v] : Array.isArray(v) ? v.flatMap((x) => flatten(x as Nested)) : Array.from(v as ArrayLike<number>);

/**
 * Elementwise |actual - expected| <= atol + rtol*|expected|, NaN matching NaN and infinities
 * matching exactly. Checks the shape too when `expected` is nested.
 */
export async function expectClose(t: Tensor, expected: Nested | ArrayLike<number>, atol = 1e-6, rtol = 1e-5): Promise<void> {
  const actual = Array.from(await t.toArray());
  const want = flatten(expected);
  expect(actual.length, `numel of ${t}`).toBe(want.length);
  actual.forEach((a, i) => {
    const e = want[i];
    if (Number.isNaN(e)) expect(a, `element ${i}`).toBeNaN();
    else if (!Number.isFinite(e)) expect(a, `element ${i}`).toBe(e);
    else expect(Math.abs(a - e), `element ${i}: ${a} vs ${e}`).toBeLessThanOrEqual(atol + rtol * Math.abs(e));
  });
}

/** Relative error in the 2-norm: ‖a-b‖ / max(‖b‖, tiny). */
export function relNormError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
}
