// API-surface rows for issue 14: wg.compile (and, through it, CompiledStep's info()/reset() and
// the compiledPlans field of wg.memory()).
import { expect } from 'vitest';
import * as wg from 'webgrad-gpu';
import { G, is, T, type Run } from './helpers.js';

export const COMPILE: Record<string, Run> = {
  compile: async () => {
    const plans = wg.memory().compiledPlans;
    const w = G([1, -2]);
    const step = wg.compile((x: wg.Tensor) => {
      w.grad = null;
      const loss = x.mul(w).relu().add(1).sum();
      loss.backward();
      return loss;
    });
    await is(step(T([3, 4])), 5);       // traced: runs eagerly
    await is(step(T([3, 4])), 5);       // compiled
    await is(w.grad!, [3, 0]);
    await is(step(T([[1, 1]])), 3);     // a new shape traces again
    expect(step.info()).toMatchObject({ calls: 3, traces: 2, plans: 2 });
    expect(wg.memory().compiledPlans).toBe(plans + 2);
    const reads = wg.compile(async (x: wg.Tensor) => x.item());
    await expect(reads(T([1]))).rejects.toThrow(/item\(\) inside a compiled step/);
    reads.reset();
    step.reset();
    expect([step.info().plans, wg.memory().compiledPlans]).toEqual([0, plans]);
  },
};
