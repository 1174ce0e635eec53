// Issue 15 item 7: int32 reductions that would wrap, and labels that would be silently
// converted, are refused (docs/errors.md, "int32 sum, cumsum and prod").
import { expect, it } from 'vitest';
import * as wg from 'webgrad-gpu';
import { backendsUnderTest, describeEachBackend } from './helpers/backends.js';

const backends = await backendsUnderTest();

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

describeEachBackend(backends, 'int32 sum, cumsum and prod never wrap', (backend) => {
  it('refuses a sum, cumsum or prod whose bounds leave int32, before any work', () => {
    const x = wg.tensor([2 ** 30, 2 ** 30, 2 ** 30], { dtype: 'int32' });
    const before = wg.memory().liveTensors;
    refused(() => x.sum(), /^sum: the sum of 3 int32 values in \[1073741824, 1073741824\] \(shape \[3\]\) may reach 3221225472, outside int32: it would wrap \(PyTorch returns int64; webgrad has no int64\): cast first with \.to\('float32'\)/);
    refused(() => x.cumsum(0), /^cumsum: the cumsum of 3 int32 values .* may reach 3221225472/);
    refused(() => wg.tensor([70000, 70000], { dtype: 'int32' }).prod(), /^prod: the prod of 2 int32 values in \[70000, 70000\] .* may reach 4900000000/);
    expect(wg.memory().liveTensors).toBe(before + 1); // only the prod's input
    refused(() => wg.tensor([[-(2 ** 30)], [-(2 ** 30)], [-(2 ** 30)]], { dtype: 'int32' }).sum(0), /may reach -3221225472/);
  });

  it('runs and is exact when the bounds fit, and the result carries its bounds', async () => {
    const x = wg.tensor([2 ** 29, 2 ** 29, -5], { dtype: 'int32' });
    const s = x.sum();
    expect(await s.item()).toBe(2 ** 30 - 5);
    expect(s.hostRange).toEqual({ min: -15, max: 3 * 2 ** 29 }); // 3 values in [-5, 2^29]
    // The check is by bounds, so it is conservative: [2^30, 2^30 - 1, -5] sums to 2^31 - 6,
    // which fits, but its bounds allow 3 * 2^30, so it is refused (cast to float32 instead).
    refused(() => wg.tensor([2 ** 30, 2 ** 30 - 1, -5], { dtype: 'int32' }).sum(), /may reach 3221225472/);
    expect(Array.from(await wg.arange(5).cumsum(0).toArray())).toEqual([0, 1, 3, 6, 10]);
    expect(await wg.tensor([-3, 4, 5], { dtype: 'int32' }).prod().item()).toBe(-60);
    // A sum of sums is checked with the first sum's bounds: 65536 * 32768 = 2^31.
    const ones = wg.ones([65536, 2], { dtype: 'int32' }).mul(16384);
    const rows = backend === 'cpu' ? ones.sum(1) : wg.full([65536], 32768, { dtype: 'int32' });
    refused(() => rows.sum(), /may reach 2147483648/);
    expect(await wg.full([100], 32768, { dtype: 'int32' }).sum().item()).toBe(3276800);
  });

  it('an int32 tensor computed on the device: bounds from its values on the CPU, refused on WebGPU', async () => {
    const y = wg.tensor([1, 2, 3], { dtype: 'int32' }).mul(2); // values unknown to the host on WebGPU
    if (backend === 'cpu') {
      expect(await y.sum().item()).toBe(12);
    } else {
      refused(() => y.sum(), /^sum: the sum of an int32 tensor of shape \[3\] computed on the GPU could overflow int32 and wrap, and its values are not known on the host .*cast first with \.to\('float32'\)/);
      expect(await y.to('float32').sum().item()).toBe(12);
    }
  });
});

describeEachBackend(backends, 'DataLoader labels', () => {
  it('refuses labels that are not int32 class indices, naming the index', () => {
    const ds = (y: number[]): wg.data.Dataset => ({ x: new Float32Array(y.length), y: y as unknown as Int32Array, n: y.length, features: 1 });
    refused(() => new wg.data.DataLoader(ds([0, Number.NaN, 1]), { batchSize: 2 }), /^DataLoader: label NaN at index 1 is not an int32 class index/);
    refused(() => new wg.data.DataLoader(ds([1.5]), { batchSize: 2 }), /label 1.5 at index 0/);
    refused(() => new wg.data.DataLoader(ds([1, 3e9]), { batchSize: 2 }), /label 3000000000 at index 1 .*\[-2147483648, 2147483647\]/);
    expect(new wg.data.DataLoader(ds([0, 1, 2]), { batchSize: 2 }).length).toBe(2);
  });
});
