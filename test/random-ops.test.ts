// randint, randperm, bernoulli and multinomial on every backend: shapes and dtypes, the
// distribution over 10k samples (mean and variance within 5 standard errors: a false failure
// has probability < 1e-6 per check), the same seed giving the same values on every backend,
// and refusals that leave the generator untouched.
import { expect, it } from 'vitest';
import * as wg from 'webgrad-gpu';
import { backendsUnderTest, describeEachBackend } from './helpers/backends.js';

const N = 10000;
const meanVar = (v: ArrayLike<number>): [number, number] => {
  let m = 0;
  for (let i = 0; i < v.length; i++) m += v[i];
  m /= v.length;
  let s = 0;
  for (let i = 0; i < v.length; i++) s += (v[i] - m) ** 2;
  return [m, s / (v.length - 1)];
};
/** |got - want| <= 5 standard errors. */
const within = (got: number, want: number, se: number): void => expect(Math.abs(got - want), `${got} vs ${want} (se ${se})`).toBeLessThanOrEqual(5 * se);

const backends = await backendsUnderTest();
/** What each seeded draw gave on the first backend, for the others to match. */
const firstValues = new Map<string, number[]>();
const sameOnEveryBackend = (key: string, values: ArrayLike<number>): void => {
  const v = Array.from(values);
  const first = firstValues.get(key);
  if (first === undefined) firstValues.set(key, v);
  else expect(v).toEqual(first);
};

describeEachBackend(backends, 'random sampling', () => {
  it('randint: int32 in [low, high), uniform mean and variance', async () => {
    wg.manualSeed(1);
    const t = wg.randint(-3, 7, [N]);
    expect(t.dtype).toBe('int32');
    expect(t.shape).toEqual([N]);
    const v = await t.toArray();
    expect(Math.min(...v)).toBe(-3);
    expect(Math.max(...v)).toBe(6);
    const [m, s2] = meanVar(v);
    // Discrete uniform on 10 values: mean 1.5, variance (10² - 1)/12 = 8.25, fourth central
    // moment 121.2, so se(mean) = sqrt(8.25/N) and se(var) = sqrt((121.2 - 8.25²)/N).
    within(m, 1.5, Math.sqrt(8.25 / N));
    within(s2, 8.25, Math.sqrt((121.2 - 8.25 ** 2) / N));
    expect(wg.randint(5, [2, 3]).shape).toEqual([2, 3]);
    sameOnEveryBackend('randint', v);
  });

  it('randperm: a permutation, each value equally likely in each place', async () => {
    wg.manualSeed(2);
    const p = await wg.randperm(17).toArray();
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 17 }, (_, i) => i));
    sameOnEveryBackend('randperm', p);
    // 2000 permutations of 5: the first place holds 0 with probability 1/5.
    let zeros = 0;
    for (let i = 0; i < 2000; i++) if ((await wg.randperm(5).toArray())[0] === 0) zeros++;
    within(zeros / 2000, 0.2, Math.sqrt(0.16 / 2000));
    expect(wg.randperm(0).shape).toEqual([0]);
  });

  it('bernoulli: mean p and variance p(1 - p); 0 and 1 exact', async () => {
    wg.manualSeed(3);
    const p = wg.full([N], 0.3);
    const v = await wg.bernoulli(p).toArray();
    const [m, s2] = meanVar(v);
    within(m, 0.3, Math.sqrt(0.21 / N));
    // Var of the sample variance of a Bernoulli: (μ4 - σ⁴)/N with μ4 = p(1-p)(1 - 3p(1-p)).
    within(s2, 0.21, Math.sqrt((0.21 * (1 - 3 * 0.21) - 0.21 ** 2) / N));
    sameOnEveryBackend('bernoulli', v);
    const edges = await wg.bernoulli(wg.tensor([0, 1, 0, 1]).reshape([2, 2])).toArray();
    expect(Array.from(edges)).toEqual([0, 1, 0, 1]);
    expect(wg.bernoulli(wg.tensor([0.5])).dtype).toBe('float32');
  });

  it('multinomial with replacement: frequencies match the weights; zero weights never drawn', async () => {
    wg.manualSeed(4);
    const w = [1, 2, 7, 0];
    const s = wg.multinomial(wg.tensor(w), N, { replacement: true });
    expect(s.dtype).toBe('int32');
    expect(s.shape).toEqual([N]);
    const v = await s.toArray();
    for (let c = 0; c < 4; c++) {
      const f = v.filter((x) => x === c).length / N;
      const p = w[c] / 10;
      within(f, p, Math.sqrt((p * (1 - p)) / N));
    }
    expect(v.includes(3)).toBe(false);
    sameOnEveryBackend('multinomial', v);
  });

  it('multinomial without replacement: distinct categories per row, none of weight 0', async () => {
    wg.manualSeed(5);
    const probs = wg.tensor([[1, 0, 2, 3, 4], [5, 5, 0, 0, 1], [1, 1, 1, 1, 1]]);
    const s = wg.multinomial(probs, 3);
    expect(s.shape).toEqual([3, 3]);
    const v = Array.from(await s.toArray());
    sameOnEveryBackend('multinomial without replacement', v);
    for (let r = 0; r < 3; r++) {
      const row = v.slice(r * 3, r * 3 + 3);
      expect(new Set(row).size).toBe(3);
    }
    expect(v.slice(0, 3).includes(1)).toBe(false);
    expect([...v.slice(3, 6)].sort()).toEqual([0, 1, 4]);
    // The first of two draws from [1, 3] is category 1 with probability 3/4.
    let ones = 0;
    const rows = wg.tensor([1, 3]).reshape([1, 2]).expand([2000, 2]);
    const d = await wg.multinomial(rows, 2).toArray();
    for (let i = 0; i < 2000; i++) if (d[2 * i] === 1) ones++;
    within(ones / 2000, 0.75, Math.sqrt(0.1875 / 2000));
    for (let i = 0; i < 2000; i++) expect(d[2 * i] + d[2 * i + 1]).toBe(1);
  });

  it('refuses bad arguments before drawing anything', async () => {
    const probs3 = wg.zeros([2, 2, 2]);
    const p = wg.tensor([0.5, 0.5]);
    wg.manualSeed(6);
    expect(() => wg.randint(5, 3, [2])).toThrow(/randint: low must be less than high/);
    expect(() => wg.randint(0, 3, [-1])).toThrow(/randint: shape must be an array of non-negative integers/);
    expect(() => wg.randperm(-1)).toThrow(/randperm: n must be a non-negative integer/);
    expect(() => wg.multinomial(probs3, 1)).toThrow(/multinomial: probs must be 1-D or 2-D, got shape \[2,2,2\]/);
    expect(() => wg.multinomial(p, 3)).toThrow(/multinomial: cannot draw 3 samples without replacement from 2 categories/);
    expect(() => wg.multinomial(p, 1, { replace: true } as never)).toThrow(/multinomial: unknown option 'replace'/);
    expect(() => wg.bernoulli(wg.zeros([2], { dtype: 'int32' }))).toThrow(/bernoulli: expected a floating point tensor/);
    const after = await wg.randint(0, 1000, [4]).toArray();
    wg.manualSeed(6);
    expect(Array.from(await wg.randint(0, 1000, [4]).toArray())).toEqual(Array.from(after));
  });
});

describeEachBackend(['cpu'], 'random sampling: host-visible checks', () => {
  it('refuses probabilities it can see are invalid', () => {
    expect(() => wg.bernoulli(wg.tensor([0.5, 1.5]))).toThrow(/bernoulli: probabilities must be in \[0, 1\], got 1.5 at index 1/);
    expect(() => wg.multinomial(wg.tensor([1, -1]), 1)).toThrow(/multinomial: weights must be finite and non-negative, got -1 at index 1/);
    expect(() => wg.multinomial(wg.tensor([[1, 0, 0]]), 2)).toThrow(/multinomial: row 0 .* has 1 nonzero weights, too few for 2 samples/);
  });
});
