// API-surface rows for issue 13's GPT pieces: nn.Embedding, nn.LayerNorm, ModuleList,
// ModuleDict, their functional forms, and the text data of wg.data.
import { expect } from 'vitest';
import * as wg from 'webgrad-gpu';
import { I, T, is, type Run } from './helpers.js';

const { nn, data } = wg;
const F = nn.functional;

class Blk extends nn.Module {
  ln1 = new nn.LayerNorm(2);
  forward(x: wg.Tensor): wg.Tensor {
    return this.ln1.forward(x);
  }
}

const list = (): wg.nn.ModuleList => new nn.ModuleList([new Blk(), new Blk()]);
const dict = (): wg.nn.ModuleDict => new nn.ModuleDict({ a: new nn.Linear(2, 1), b: new nn.ReLU() });
const tok = (): wg.data.CharTokenizer => data.CharTokenizer.fromText('hello world');

export const GPT: Record<string, Run> = {
  'nn.Embedding': () => {
    wg.manualSeed(0);
    const e = new nn.Embedding(5, 3);
    expect(e.weight.shape).toEqual([5, 3]);
    expect(Object.keys(e.stateDict())).toEqual(['weight']);
  },
  'nn.Embedding#forward': async () => {
    const e = new nn.Embedding(3, 2);
    e.loadStateDict({ weight: T([[1, 2], [3, 4], [5, 6]]) });
    await is(e.forward(I([[2, 0], [2, 2]])), [[[5, 6], [1, 2]], [[5, 6], [5, 6]]]);
  },
  'nn.functional.embedding': async () => {
    const w = T([[1, 2], [3, 4]], { requiresGrad: true });
    F.embedding(I([1, 1, 0]), w).sum().backward();
    await is(w.grad!, [[1, 1], [2, 2]]); // repeated rows accumulate
  },
  'nn.LayerNorm': () => {
    const ln = new nn.LayerNorm([2, 3], { eps: 1e-3 });
    expect([ln.weight!.shape, ln.bias!.shape, ln.eps]).toEqual([[2, 3], [2, 3], 1e-3]);
    expect(new nn.LayerNorm(4, { elementwiseAffine: false }).weight).toBeNull();
  },
  'nn.LayerNorm#forward': async () => {
    const ln = new nn.LayerNorm(2, { eps: 0 });
    ln.loadStateDict({ weight: T([2, 1]), bias: T([0, 10]) });
    await is(ln.forward(T([[1, 3], [7, 5]])), [[-2, 11], [2, 9]]);
  },
  'nn.functional.layerNorm': async () => {
    await is(F.layerNorm(T([[0, 2, 4, 6]]), 4, null, T([1, 1, 1, 1]), { eps: 0 }), [[-0.341641, 0.552786, 1.447214, 2.341641]], 'float32', 1e-5);
  },
  'nn.ModuleList': () => expect(Object.keys(new nn.Sequential(list()).stateDict())).toEqual(['0.0.ln1.weight', '0.0.ln1.bias', '0.1.ln1.weight', '0.1.ln1.bias']),
  'nn.ModuleList#length': () => expect(list().length).toBe(2),
  'nn.ModuleList#append': () => expect(Object.keys(list().append(new nn.Linear(1, 1)).stateDict()).slice(-2)).toEqual(['2.weight', '2.bias']),
  'nn.ModuleList#at': () => expect(list().at(-1)).toBeInstanceOf(Blk),
  'nn.ModuleList#[Symbol.iterator]': () => expect([...list()].map((m) => m.constructor.name)).toEqual(['Blk', 'Blk']),
  'nn.ModuleList#forward': () => expect(() => list().forward(wg.zeros([1]))).toThrow(/no forward/),
  'nn.ModuleDict': () => expect(Object.keys(dict().stateDict())).toEqual(['a.weight', 'a.bias']),
  'nn.ModuleDict#size': () => expect(dict().size).toBe(2),
  'nn.ModuleDict#set': () => expect(Object.keys(dict().set('c', new nn.Linear(1, 1, { bias: false })).stateDict())).toEqual(['a.weight', 'a.bias', 'c.weight']),
  'nn.ModuleDict#get': () => expect(dict().get('b')).toBeInstanceOf(nn.ReLU),
  'nn.ModuleDict#has': () => expect([dict().has('a'), dict().has('z')]).toEqual([true, false]),
  'nn.ModuleDict#keys': () => expect(dict().keys()).toEqual(['a', 'b']),
  'nn.ModuleDict#[Symbol.iterator]': () => expect([...dict()].map(([k]) => k)).toEqual(['a', 'b']),
  'nn.ModuleDict#forward': () => expect(() => dict().forward(wg.zeros([1]))).toThrow(/no forward/),
  'data.loadMobyDick': async () => {
    const text = await data.loadMobyDick();
    expect([text.length, new Set(text).size]).toEqual([1_213_144, 89]);
  },
  'data.CharTokenizer': () => expect(new data.CharTokenizer(['a', 'b']).encode('ba')).toEqual(Int32Array.from([1, 0])),
  'data.CharTokenizer.fromText': () => expect(tok().chars.join('')).toBe(' dehlorw'),
  'data.CharTokenizer#vocabSize': () => expect(tok().vocabSize).toBe(8),
  'data.CharTokenizer#encode': () => expect(Array.from(tok().encode('hold'))).toEqual([3, 5, 4, 1]),
  'data.CharTokenizer#decode': () => expect(tok().decode([7, 5, 6, 4, 1])).toBe('world'),
  'data.trainValSplit': () => {
    const { train, val } = data.trainValSplit(Int32Array.from({ length: 10 }, (_, i) => i), 0.75);
    expect([Array.from(train), Array.from(val)]).toEqual([[0, 1, 2, 3, 4, 5, 6], [7, 8, 9]]);
  },
  'data.TextBatches': () => {
    const b = new data.TextBatches(Int32Array.from({ length: 20 }, (_, i) => i), { batchSize: 3, blockSize: 4, seed: 1 });
    expect([b.batchSize, b.blockSize]).toEqual([3, 4]);
  },
  'data.TextBatches#offsets': () => {
    const mk = () => new data.TextBatches(Int32Array.from({ length: 20 }, (_, i) => i), { batchSize: 3, blockSize: 4, seed: 1 });
    const o = mk().offsets();
    expect(Array.from(o)).toEqual(Array.from(mk().offsets()));
    expect(o.every((v) => v >= 0 && v < 15)).toBe(true);
  },
  'data.TextBatches#next': async () => {
    const { x, y } = new data.TextBatches(Int32Array.from({ length: 20 }, (_, i) => i), { batchSize: 2, blockSize: 3, seed: 1 }).next();
    const [xs, ys] = [await x.toArray(), await y.toArray()];
    expect(x.shape).toEqual([2, 3]);
    expect(Array.from(ys)).toEqual(Array.from(xs).map((v) => v + 1)); // ids are positions here
  },
};
