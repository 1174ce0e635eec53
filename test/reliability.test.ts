// Reliability II (issue 15): inputs a careless or hostile user can give that used to read
// stale memory, allocate without bound or fail with a raw TypeError/RangeError. Each case
// must end in a WebgradError that names the op, before anything is allocated or changed.
import { expect, it } from 'vitest';
import * as wg from 'webgrad-gpu';
import { backendsUnderTest, describeEachBackend } from './helpers/backends.js';

const backends = await backendsUnderTest();

/** Runs `fn`, expecting a WebgradError whose message matches `re`. */
function refused(fn: () => unknown, re: RegExp): void {
  let err: unknown = null;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(wg.WebgradError);
  expect((err as Error).message).toMatch(re);
}

async function refusedAsync(fn: () => Promise<unknown>, re: RegExp): Promise<void> {
  let err: unknown = null;
  try {
    await fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(wg.WebgradError);
  expect((err as Error).message).toMatch(re);
}

describeEachBackend(backends, 'tensor() data', () => {
  it('refuses holes in sparse arrays, naming the index', () => {
    // eslint-disable-next-line no-sparse-arrays
    refused(() => wg.tensor([1, , 3] as number[]), /^tensor: data\[1\] is a hole/);
    // eslint-disable-next-line no-sparse-arrays
    refused(() => wg.tensor([[1, 2], , [5, 6]] as number[][]), /^tensor: data\[1\] is a hole/);
    const holey = [[1, 2], [3, 4]];
    delete (holey[1] as number[])[0];
    refused(() => wg.tensor(holey), /^tensor: data\[1\]\[0\] is a hole/);
  });

  it('refuses non-number elements, naming the index', () => {
    refused(() => wg.tensor([1, 'x', 3] as unknown as number[]), /^tensor: data\[1\] is string, expected a number/);
    refused(() => wg.tensor([[1], [null]] as unknown as number[][]), /^tensor: data\[1\]\[0\] is null/);
    refused(() => wg.tensor([1, {}] as unknown as number[]), /^tensor: data\[1\] is object/);
  });

  it('refuses nesting 20,000 deep without a stack overflow', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 20000; i++) deep = [deep];
    refused(() => wg.tensor(deep as number[]), /^tensor: nested arrays deeper than 64 levels/);
  });

  it('a buffer reused from the pool shows no stale values', async () => {
    // A freed tensor of 7s leaves its buffer in the pool; the next tensor of the same size
    // class must see only its own data, in every lane a vec4 kernel reads.
    for (const n of [1, 3, 5, 17, 65, 257]) {
      const sevens = wg.full([n + 3], 7);
      await sevens.toArray();
      sevens.dispose();
      const t = wg.tensor(Array.from({ length: n }, (_, i) => i + 1));
      const s = t.sum();
      const e = t.div(n).exp().sum();
      expect(await s.item()).toBeCloseTo((n * (n + 1)) / 2, 3);
      let ref = 0;
      for (let i = 1; i <= n; i++) ref += Math.exp(i / n);
      expect((await e.item()) / ref).toBeCloseTo(1, 4); // float32 sum, relative 1e-4
      for (const x of [t, s, e]) x.dispose();
    }
  });
});
