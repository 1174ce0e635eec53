import { expect } from 'vitest';
import { Tensor } from 'webgrad-gpu';

type Nested = number | Nested[];

/** The shape of a nested array (a number is shape []); throws on a ragged one, naming where. */
export function shapeOf(v: Nested, path = 'expected'): number[] {
  if (!Array.isArray(v)) return [];
  if (v.length === 0) return [0];
  const inner = shapeOf(v[0], `${path}[0]`);
  v.forEach((x, i) => {
    const s = shapeOf(x, `${path}[${i}]`);
    if (s.join() !== inner.join()) throw new Error(`${path} is ragged: ${path}[${i}] has shape [${s}] but ${path}[0] has [${inner}]`);
  });
  return [v.length, ...inner];
}

const flatten = (v: Nested | ArrayLike<number>): number[] =>
  typeof v === 'number' ? [v] : Array.isArray(v) ? v.flatMap((x) => flatten(x as Nested)) : Array.from(v as ArrayLike<number>);

/**
 * Elementwise |actual - expected| <= atol + rtol*|expected|, NaN matching NaN and infinities
 * matching exactly, after checking the tensor's shape: a number expects shape [], a nested
 * array the shape of its nesting (so [[1, 2]] is [1, 2] and [1, 2] is [2]), a typed array
 * [length] unless `shape` is given, a Tensor its own shape. `shape` overrides the inferred
 * shape, for flat data.
 */
export async function expectClose(
  t: Tensor,
  expected: Nested | ArrayLike<number> | Tensor,
  atol = 1e-6,
  rtol = 1e-5,
  shape?: readonly number[],
): Promise<void> {
  if (expected instanceof Tensor) {
    shape ??= expected.shape;
    expected = await expected.toArray();
  }
  const want = flatten(expected);
  const wantShape = shape ?? (typeof expected === 'number' || Array.isArray(expected) ? shapeOf(expected as Nested) : [want.length]);
  expect([...t.shape], `shape of ${t}`).toEqual([...wantShape]);
  const actual = Array.from(await t.toArray());
  expect(actual.length, `numel of ${t}`).toBe(want.length);
  actual.forEach((a, i) => {
    const e = want[i];
    if (Number.isNaN(e)) expect(a, `element ${i}`).toBeNaN();
    else if (!Number.isFinite(e)) expect(a, `element ${i}`).toBe(e);
    else expect(Math.abs(a - e), `element ${i}: ${a} vs ${e}`).toBeLessThanOrEqual(atol + rtol * Math.abs(e));
  });
}

/** Relative error in the 2-norm: ‖a-b‖ / max(‖b‖, tiny). Throws when the lengths differ. */
export function relNormError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`relNormError: ${a.length} elements compared with ${b.length}`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
}
