// API-surface rows for issue 13's attention: nn.functional.scaledDotProductAttention, checked
// against values worked by hand (one query, two keys: p = [1, e] / (1 + e)), its options and
// its refusals. The thorough checks are test/attention.test.ts and test/attention-gpu.test.ts.
import { expect } from 'vitest';
import * as wg from 'webgrad-gpu';
import { G, I, T, is, type Run } from './helpers.js';

const F = wg.nn.functional;
const E = Math.E;

export const ATTENTION: Record<string, Run> = {
  'nn.functional.scaledDotProductAttention': async () => {
    const q = G([[1]]);
    const k = T([[0], [1]]);
    const v = T([[10, 0], [0, 10]]);
    const out = F.scaledDotProductAttention(q, k, v);
    await is(out, [[10 / (1 + E), (10 * E) / (1 + E)]], 'float32', 1e-5);
    // d out[0][1] / dq = 10·p1·(1 - p1)·(k1 - k0) with scale 1 = 10e / (1 + e)².
    out.select(1, 1).sum().backward();
    await is(q.grad!, [[(10 * E) / (1 + E) ** 2]], 'float32', 1e-5);
    await is(F.scaledDotProductAttention(T([[1]]), k, v, { isCausal: true }), [[10, 0]]);
    await is(F.scaledDotProductAttention(T([[1]]), k, v, { scale: 0 }), [[5, 5]]);
    await is(F.scaledDotProductAttention(T([[1]]), k, v, { attnMask: I([[0, 1]]) }), [[0, 10]]);
    await is(F.scaledDotProductAttention(T([[1]]), k, v, { attnMask: T([[1, 0]]) }), [[5, 5]]);
    await is(F.scaledDotProductAttention(T([[1]]), k, v, { attnMask: I([[0, 0]]) }), [[0, 0]]);
    expect(() => F.scaledDotProductAttention(T([[1]]), k, v, { isCausal: true, attnMask: I([[1, 1]]) })).toThrow('isCausal and attnMask cannot both be given');
    expect(() => F.scaledDotProductAttention(T([[1, 2]]), k, v)).toThrow('q and k must have the same last dim E');
  },
};
