// Dims given as PyTorch accepts them (negative counts from the end) and refused as PyTorch
// refuses them, for the calls that take one dim without the usual reduction plan.
import { expect, it } from 'vitest';
import * as wg from 'webgrad-gpu';
import { backendsUnderTest, describeEachBackend } from './helpers/backends.js';

const backends = await backendsUnderTest();

describeEachBackend(backends, 'single dims', () => {
  it('amax/amin take a negative dim and refuse one out of range', async () => {
    const x = wg.tensor([[1, 5, 2], [7, 0, 3]]);
    expect(await x.amax(-1).tolist()).toEqual([5, 7]);
    expect(await x.amin(-2).tolist()).toEqual([1, 0, 2]);
    expect(x.amax(-1, true).shape).toEqual([2, 1]);
    expect(() => x.amax(5)).toThrow(/amax: dim 5 is out of range for a tensor of rank 2/);
    expect(() => x.amin(-3)).toThrow(/amin: dim -3 is out of range/);
  });

  it('size(dim) counts negative dims from the end and refuses a 0-d tensor', () => {
    const x = wg.zeros(2, 3, 4);
    expect(x.size(-1)).toBe(4);
    expect(x.size(0)).toBe(2);
    expect(() => x.size(3)).toThrow(/size: dim 3 is out of range/);
    expect(() => wg.tensor(3).size(0)).toThrow(/size: a 0-d tensor has no dim 0/);
  });

  it('loadStateDict refuses an unknown option key and loads nothing', async () => {
    const m = new wg.nn.Linear(2, 2);
    const before = await m.weight.tolist();
    const other = new wg.nn.Linear(2, 2).stateDict();
    expect(() => m.loadStateDict(other, { strcit: false } as never)).toThrow(/loadStateDict: unknown option 'strcit'/);
    expect(await m.weight.tolist()).toEqual(before);
  });
});
