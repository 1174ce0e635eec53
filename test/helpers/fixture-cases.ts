import { readFileSync } from 'node:fs';

/**
 * The PyTorch fixture files (test/fixtures/gen_*_fixtures.py): numbers are JSON numbers, and
 * the values JSON cannot hold are written as strings.
 */
export type Num = number | 'NaN' | 'Infinity' | '-Infinity';

export const num = (v: Num): number => (typeof v === 'number' ? v : v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : -Infinity);

/** One recorded case: inputs, the op's output, and the gradients for `gradOutput` (or ones). */
export interface FixtureCase<Args = Record<string, unknown>> {
  name: string;
  op: string;
  args: Args;
  inputs: { name: string; dtype?: 'float32' | 'int32'; shape: number[]; data: Num[] }[];
  output: { shape: number[]; data: Num[] };
  gradOutput?: Num[];
  grads?: Record<string, Num[]>;
  tol: { atol: number; rtol: number };
}

/** test/fixtures/`file`, parsed: `{ cases, ... }` as its generator wrote it. */
export function loadFixtures<T extends { cases: unknown[] }>(file: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/${file}`, import.meta.url), 'utf8')) as T;
}
