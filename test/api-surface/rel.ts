// API rows for issue 15's reliability work: device loss, RNG state, resuming a DataLoader.
import { expect } from 'vitest';
import * as wg from 'webgrad-gpu';
import { type Run, dataset } from './helpers.js';

export const REL: Record<string, Run> = {
  onDeviceLost: () => {
    const calls: wg.DeviceLostInfo[] = [];
    const off = wg.onDeviceLost((info) => calls.push(info));
    expect(typeof off).toBe('function');
    off();
    expect(calls).toEqual([]); // nothing was lost
    expect(wg.backendInfo().lost ?? null).toBeNull();
    expect(() => wg.onDeviceLost(null as unknown as () => void)).toThrow('onDeviceLost: expected a function, got null');
  },
  getRngState: async () => {
    wg.manualSeed(11);
    wg.randn([3]); // leaves a Box–Muller spare
    const s = wg.getRngState();
    expect(s.words).toHaveLength(4);
    expect(s.spare).not.toBeNull();
    const a = await wg.randn([5]).toArray();
    wg.setRngState(s);
    expect(await wg.randn([5]).toArray()).toEqual(a);
  },
  setRngState: async () => {
    const s = JSON.parse(JSON.stringify(wg.getRngState())) as wg.RngState; // survives JSON (a checkpoint)
    const a = await wg.rand([4]).toArray();
    wg.setRngState(s);
    expect(await wg.rand([4]).toArray()).toEqual(a);
    expect(() => wg.setRngState({ words: [0, 0, 0, 0], spare: null })).toThrow(/^setRngState: expected a state from getRngState\(\)/);
    expect(() => wg.setRngState({ words: [1, 2, 3], spare: null })).toThrow(/^setRngState:/);
  },
  'data.ArrayLoader#setEpoch': () => {
    const l = new wg.data.ArrayLoader(dataset(), { batchSize: 5, shuffle: true, seed: 2 });
    const third = l.order(2);
    l.setEpoch(2);
    expect(l.epoch).toBe(2);
    expect([...l.arrays()][0].x.length).toBe(10);
    expect(l.epoch).toBe(3);
    expect(Array.from(l.order(2))).toEqual(Array.from(third));
    expect(() => l.setEpoch(-1)).toThrow('DataLoader.setEpoch: epoch must be a non-negative integer, got -1');
  },
};
