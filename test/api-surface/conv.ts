// API-surface rows for the convolutions: nn.functional.conv1d/conv2d/convTranspose2d and the
// nn.Conv1d/Conv2d/ConvTranspose2d modules.
import { expect } from 'vitest';
import * as wg from 'webgrad-gpu';
import { G, T, is, type Run } from './helpers.js';

const { nn } = wg;
const F = nn.functional;
const IMG = [[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]];
const DIFF = [[[[1, 0], [0, -1]]]]; // x[i, j] - x[i+1, j+1]

export const CONV: Record<string, Run> = {
  'nn.functional.conv2d': async () => {
    const x = G(IMG);
    const w = G(DIFF);
    const b = G([10]);
    const y = F.conv2d(x, w, b);
    await is(y, [[[[6, 6], [6, 6]]]]);
    y.sum().backward();
    await is(w.grad!, [[[[12, 16], [24, 28]]]]); // each tap's window sums
    await is(b.grad!, [4]);
    await is(F.conv2d(T(IMG), T(DIFF), null, { stride: 2, padding: 1 }), [[[[-1, -3], [-7, -4]]]]);
    expect(() => F.conv2d(T(IMG), T(DIFF), null, { padding: 'same', stride: 2 })).toThrow("conv2d: padding='same' is not supported for strided convolutions");
  },
  'nn.functional.conv1d': async () => {
    const x = T([[[1, 2, 3, 4]]]);
    // 'same' with an even kernel: the extra zero goes after, as PyTorch.
    await is(F.conv1d(x, T([[[1, -1]]]), null, { padding: 'same' }), [[[-1, -1, -1, 4]]]);
    await is(F.conv1d(x, T([[[1, -1]]]), T([5]), { stride: 2 }), [[[4, 4]]]);
  },
  'nn.functional.convTranspose2d': async () => {
    const x = G([[[[1, 2]]]]);
    const y = F.convTranspose2d(x, T([[[[1, 10]]]]), T([0.5]), { stride: 2 });
    await is(y, [[[[1.5, 10.5, 2.5, 20.5]]]]);
    y.mul(T([1, 0, 0, 1])).sum().backward();
    await is(x.grad!, [[[[1, 10]]]]);
  },
  'nn.Conv2d': () => {
    const c = new nn.Conv2d(4, 6, [3, 5], { stride: 2, groups: 2, bias: false });
    expect(c.weight.shape).toEqual([6, 2, 3, 5]);
    expect(Object.keys(c.stateDict())).toEqual(['weight']);
  },
  'nn.Conv2d#forward': async () => {
    const c = new nn.Conv2d(1, 1, 2);
    c.loadStateDict({ weight: T(DIFF), bias: T([10]) });
    await is(c.forward(T(IMG)), [[[[6, 6], [6, 6]]]]);
  },
  'nn.Conv1d': () => {
    const c = new nn.Conv1d(3, 4, 5, { padding: 'same' });
    expect(Object.keys(c.stateDict())).toEqual(['weight', 'bias']);
    expect(c.forward(wg.zeros([2, 3, 7])).shape).toEqual([2, 4, 7]);
  },
  'nn.Conv1d#forward': async () => {
    const c = new nn.Conv1d(1, 1, 2, { padding: 'same' });
    c.loadStateDict({ weight: T([[[1, -1]]]), bias: T([0]) });
    await is(c.forward(T([[1, 2, 3, 4]])), [[-1, -1, -1, 4]]); // unbatched [C, L]
  },
  'nn.ConvTranspose2d': () => {
    const c = new nn.ConvTranspose2d(4, 6, 3, { groups: 2, stride: 2, padding: 1, outputPadding: 1 });
    expect(c.weight.shape).toEqual([4, 3, 3, 3]);
    expect(c.forward(wg.zeros([1, 4, 5, 5])).shape).toEqual([1, 6, 10, 10]);
  },
  'nn.ConvTranspose2d#forward': async () => {
    const c = new nn.ConvTranspose2d(1, 1, [1, 2], { stride: 2 });
    c.loadStateDict({ weight: T([[[[1, 10]]]]), bias: T([0.5]) });
    await is(c.forward(T([[[[1, 2]]]])), [[[[1.5, 10.5, 2.5, 20.5]]]]);
  },
};
