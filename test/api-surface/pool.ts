// API-surface rows for issue 12's pooling, batch norm and dropout (functions and modules).
import { expect } from 'vitest';
import * as wg from 'webgrad-gpu';
import { G, T, is, type Run } from './helpers.js';

const { nn } = wg;
const F = nn.functional;
/** [1, 1, 4, 4] holding 0..15. */
const grid = (): wg.Tensor => T([[[[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11], [12, 13, 14, 15]]]]);

export const POOL: Record<string, Run> = {
  'nn.functional.maxPool2d': async () => {
    const x = G([[[[1, 5, 2], [0, 3, 4], [6, 1, 1]]]]);
    const y = F.maxPool2d(x, 2, { stride: 1 });
    await is(y, [[[[5, 5], [6, 4]]]]);
    y.sum().backward();
    await is(x.grad!, [[[[0, 2, 0], [0, 0, 1], [1, 0, 0]]]]);
  },
  'nn.functional.maxPool1d': async () => await is(F.maxPool1d(T([[1, 3, 2, 0, 5]]), 2, { stride: 2, ceilMode: true }), [[3, 2, 5]]),
  'nn.functional.avgPool2d': async () => await is(F.avgPool2d(grid(), 2, { stride: 2, padding: 1, countIncludePad: false }), [[[[0, 1.5, 3], [6, 7.5, 9], [12, 13.5, 15]]]]),
  'nn.functional.avgPool1d': async () => await is(F.avgPool1d(T([[1, 2, 3, 4, 5]]), 2), [[1.5, 3.5]]),
  'nn.functional.adaptiveAvgPool2d': async () => await is(F.adaptiveAvgPool2d(grid(), [2, 1]), [[[[3.5], [11.5]]]]),
  'nn.functional.batchNorm': async () => {
    const rm = T([0, 0]);
    const rv = T([1, 1]);
    const y = F.batchNorm(T([[1, 2], [3, 6]]), rm, rv, T([1, 2]), T([0, 1]), { training: true, momentum: 1, eps: 0 });
    await is(y, [[-1, -1], [1, 3]], 'float32', 1e-5);
    await is(rm, [2, 4]);
    await is(rv, [2, 8], 'float32', 1e-5); // unbiased
  },
  'nn.functional.dropout': async () => {
    wg.manualSeed(0);
    const v = await F.dropout(wg.ones([64]), 0.5).toArray();
    expect(new Set(v)).toEqual(new Set([0, 2]));
    await is(F.dropout(T([1, 2]), 0.5, false), [1, 2]);
  },
  'nn.functional.dropout2d': async () => {
    wg.manualSeed(1);
    const v = await F.dropout2d(wg.ones([4, 8, 2, 2]), 0.5).toArray();
    for (let p = 0; p < 32; p++) expect(new Set(v.subarray(4 * p, 4 * p + 4)).size).toBe(1);
  },
  'nn.MaxPool2d': () => expect(new nn.MaxPool2d([2, 3]).kernelSize).toEqual([2, 3]),
  'nn.MaxPool2d#forward': async () => await is(new nn.MaxPool2d(2).forward(grid()), [[[[5, 7], [13, 15]]]]),
  'nn.MaxPool1d': () => expect(new nn.MaxPool1d(3, { stride: 1 }).opts).toEqual({ stride: 1 }),
  'nn.MaxPool1d#forward': async () => await is(new nn.MaxPool1d(3, { stride: 1 }).forward(T([[1, 3, 2, 0]])), [[3, 3]]),
  'nn.AvgPool2d': () => expect(new nn.AvgPool2d(2, { divisorOverride: 2 }).opts.divisorOverride).toBe(2),
  'nn.AvgPool2d#forward': async () => await is(new nn.AvgPool2d(2, { divisorOverride: 2 }).forward(grid()), [[[[5, 9], [21, 25]]]]),
  'nn.AvgPool1d': () => expect(new nn.AvgPool1d(2).kernelSize).toBe(2),
  'nn.AvgPool1d#forward': async () => await is(new nn.AvgPool1d(2, { padding: 1 }).forward(T([[2, 4, 6]])), [[1, 5]]),
  'nn.AdaptiveAvgPool2d': () => expect(new nn.AdaptiveAvgPool2d([1, null]).outputSize).toEqual([1, null]),
  'nn.AdaptiveAvgPool2d#forward': async () => await is(new nn.AdaptiveAvgPool2d(1).forward(grid()), [[[[7.5]]]]),
  'nn.BatchNorm1d': async () => {
    const m = new nn.BatchNorm1d(2, { momentum: null });
    expect(Object.keys(m.stateDict())).toEqual(['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);
    m.forward(T([[0, 1], [2, 3]]));
    m.forward(T([[4, 1], [6, 3]]));
    await is(m.runningMean!, [3, 2]); // momentum null: the average of the batch means 1 and 5
    expect(await m.numBatchesTracked!.item()).toBe(2);
    await is(m.eval().forward(T([[3, 2]])), [[0, 0]]);
  },
  'nn.BatchNorm2d': async () => {
    const m = new nn.BatchNorm2d(1, { eps: 0, affine: false });
    await is(m.forward(T([[[[1, 3]]], [[[5, 7]]]])), [[[[-1.3416408, -0.4472136]]], [[[0.4472136, 1.3416408]]]], 'float32', 1e-5);
    expect([...m.parameters()]).toHaveLength(0);
  },
  'nn.Dropout': async () => {
    const d = new nn.Dropout(1);
    await is(d.forward(T([1, 2])), [0, 0]);
    await is(d.eval().forward(T([1, 2])), [1, 2]);
  },
  'nn.Dropout#forward': async () => await is(new nn.Dropout(0).forward(T([3, 4])), [3, 4]),
  'nn.Dropout2d': () => expect(new nn.Dropout2d(0.2).p).toBe(0.2),
  'nn.Dropout2d#forward': async () => await is(new nn.Dropout2d(1).forward(wg.ones([1, 2, 1, 1])), [[[[0]], [[0]]]]),
};
