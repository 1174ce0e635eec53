// API-surface rows for the nn and data namespaces.
import { inspect } from 'node:util';
import { expect } from 'vitest';
import * as wg from 'webgrad-gpu';
import { Centered, G, I, T, TwoLayer, dataset, idxBytes, is, stHeader, tempPath, writeFileSync, type Run } from './helpers.js';

/** A module's stateDict keys, in order. */
const keys = (m: wg.nn.Module): string[] => Object.keys(m.stateDict());

const { nn, data } = wg;
const F = nn.functional;

export const MODULES: Record<string, Run> = {
  // ---- nn ----
  'nn.Module': async () => {
    const m = new TwoLayer();
    expect(m).toBeInstanceOf(nn.Module);
    expect(m.forward(wg.zeros([4, 2])).shape).toEqual([4, 3]);
  },
  'nn.Module#forward': async () => {
    const m = new TwoLayer();
    m.loadStateDict({ 'a.weight': T([[1, 0], [0, 1], [-1, -1]]), 'a.bias': T([0, 0, 0]), scale: T([2]) });
    await is(m.forward(T([[1, 2]])), [[2, 4, 0]]);
  },
  'nn.Module#call': () => {
    const m = new nn.Linear(2, 5);
    expect(m.call(wg.zeros([3, 2])).shape).toEqual([3, 5]);
  },
  'nn.Module#registerParameter': () => {
    const m = new TwoLayer();
    expect(m.scale.requiresGrad).toBe(true);
    expect([...m.namedParameters()].map(([n]) => n)).toContain('scale');
  },
  'nn.Module#registerModule': () => expect([...new TwoLayer().namedChildren()].map(([n]) => n)).toEqual(['a']),
  'nn.Module#namedChildren': () => {
    const s = new nn.Sequential(new nn.Linear(1, 1), new nn.ReLU());
    expect([...s.namedChildren()].map(([n, c]) => `${n}:${c.constructor.name}`)).toEqual(['0:Linear', '1:ReLU']);
  },
  'nn.Module#children': () => expect([...new nn.Sequential(new nn.Tanh()).children()][0]).toBeInstanceOf(nn.Tanh),
  'nn.Module#namedModules': () => {
    const s = new nn.Sequential(new TwoLayer());
    expect([...s.namedModules()].map(([n]) => n)).toEqual(['', '0', '0.a']);
  },
  'nn.Module#modules': () => expect([...new nn.Sequential(new nn.ReLU(), new nn.ReLU()).modules()]).toHaveLength(3),
  'nn.Module#namedParameters': () => {
    const s = new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU(), new nn.Linear(3, 1, { bias: false }));
    expect([...s.namedParameters()].map(([n, p]) => `${n}[${p.shape}]`)).toEqual(['0.weight[3,2]', '0.bias[3]', '2.weight[1,3]']);
  },
  'nn.Module#parameters': () => expect([...new nn.Linear(4, 2).parameters()].map((p) => p.numel)).toEqual([8, 2]),
  'nn.Module#registerBuffer': async () => {
    const m = new Centered();
    // Persistent buffers only; a module's own entries before its children's, as torch's state_dict.
    expect(keys(m)).toEqual(['center', 'fc.weight', 'fc.bias']);
    expect([...m.namedParameters()].map(([n]) => n)).toEqual(['fc.weight', 'fc.bias']); // not a parameter
    expect(m.center.requiresGrad).toBe(false);
    m.loadStateDict({ center: T([1, 1]), 'fc.weight': T([[2, 3]]), 'fc.bias': T([0.5]) });
    await is(m.forward(T([[2, 3]])), [[8.5]]); // 2·(2-1) + 3·(3-1) + 0.5
    let kept: Centered | null = null;
    wg.scope(() => {
      kept = new Centered();
    });
    expect(kept!.center.isDisposed).toBe(false); // kept out of scope(), as parameters are
  },
  'nn.Module#namedBuffers': () => {
    expect([...new Centered().namedBuffers()].map(([n, b]) => `${n}[${b.shape}]`)).toEqual(['center[2]', 'calls[1]']);
    expect([...new nn.Sequential(new nn.ReLU(), new Centered()).namedBuffers()].map(([n]) => n)).toEqual(['1.center', '1.calls']);
    expect([...new nn.NLLLoss().namedBuffers()]).toEqual([]); // weight: null, an absent buffer
  },
  'nn.Module#buffers': async () => {
    const [center, calls] = [...new Centered().buffers()];
    await is(center, [1, 2]);
    await is(calls, [0]);
    const w = T([1, 3]);
    expect([...new nn.CrossEntropyLoss({ weight: w }).buffers()]).toEqual([w]);
  },
  'nn.Module#[nodejs.util.inspect.custom]': () => {
    const s = new nn.Sequential(new nn.Identity(), new nn.Softmax(1));
    expect(inspect(s)).toBe('Sequential(\n  (0): Identity()\n  (1): Softmax(dim=1)\n)'); // console.log(m) in Node
    expect(inspect(s)).toBe(s.toString());
  },
  'nn.Module#zeroGrad': async () => {
    const lin = new nn.Linear(2, 1);
    lin.forward(wg.ones([1, 2])).sum().backward();
    lin.zeroGrad({ setToNone: false });
    await is(lin.weight.grad!, [[0, 0]]);
    lin.zeroGrad();
    expect(lin.weight.grad).toBeNull();
  },
  'nn.Module#train': () => {
    const s = new nn.Sequential(new nn.ReLU());
    s.train(false);
    expect(s.at(0).training).toBe(false);
    expect(s.train().at(0).training).toBe(true);
  },
  'nn.Module#eval': () => expect(new nn.Sequential(new nn.ReLU()).eval().at(0).training).toBe(false),
  'nn.Module#stateDict': async () => {
    const lin = new nn.Linear(2, 1);
    const sd = lin.stateDict();
    expect(Object.keys(sd)).toEqual(['weight', 'bias']);
    wg.noGrad(() => lin.bias!.fill_(3));
    await is(sd.bias, [3]); // shares storage
  },
  'nn.Module#loadStateDict': async () => {
    const lin = new nn.Linear(2, 1);
    const r = lin.loadStateDict({ weight: T([[1, 2]]) }, { strict: false });
    expect(r).toEqual({ missingKeys: ['bias'], unexpectedKeys: [] });
    await is(lin.weight, [[1, 2]]);
    expect(() => lin.loadStateDict({ weight: T([1, 2]), bias: T([0]) })).toThrow(/size mismatch for 'weight'/);
    await is(lin.weight, [[1, 2]]);
  },
  'nn.Module#dispose': () => {
    const lin = new nn.Linear(2, 1);
    lin.dispose();
    expect(lin.weight.isDisposed && lin.bias!.isDisposed).toBe(true);
  },
  'nn.Module#[Symbol.dispose]': () => {
    let held: InstanceType<typeof nn.Linear>;
    {
      using lin = new nn.Linear(1, 1);
      held = lin;
    }
    expect(held.weight.isDisposed).toBe(true);
  },
  'nn.Module#toString': () => expect(new nn.Sequential(new nn.Flatten(), new nn.Linear(4, 2)).toString()).toBe(
    'Sequential(\n  (0): Flatten(startDim=1, endDim=-1)\n  (1): Linear(inFeatures=4, outFeatures=2, bias=true)\n)',
  ),
  'nn.Linear': async () => {
    const lin = new nn.Linear(3, 2);
    expect(lin.weight.shape).toEqual([2, 3]);
    // PyTorch's init: U(-1/sqrt(in), 1/sqrt(in)) for both.
    const w = Array.from(await lin.weight.toArray());
    expect(w.every((v) => Math.abs(v) <= 1 / Math.sqrt(3))).toBe(true);
  },
  'nn.Linear#forward': async () => {
    const lin = new nn.Linear(2, 2);
    lin.loadStateDict({ weight: T([[1, 2], [3, 4]]), bias: T([10, 20]) });
    await is(lin.forward(T([[1, 1]])), [[13, 27]]);
  },
  'nn.ReLU': () => expect(new nn.ReLU()).toBeInstanceOf(nn.Module),
  'nn.ReLU#forward': () => is(new nn.ReLU().forward(T([[-1, 2]])), [[0, 2]]),
  'nn.Sigmoid': () => expect(new nn.Sigmoid()).toBeInstanceOf(nn.Module),
  'nn.Sigmoid#forward': () => is(new nn.Sigmoid().forward(T([0])), [0.5]),
  'nn.Tanh': () => expect(new nn.Tanh()).toBeInstanceOf(nn.Module),
  'nn.Tanh#forward': () => is(new nn.Tanh().forward(T([0, 100])), [0, 1]),
  'nn.Flatten': () => expect(new nn.Flatten(0, 1).toString()).toBe('Flatten(startDim=0, endDim=1)'),
  'nn.Flatten#forward': () => is(new nn.Flatten(0, 1).forward(wg.arange(4).reshape([2, 1, 2])), [[0, 1], [2, 3]], 'int32'),
  'nn.Parameter': async () => {
    const data = T([1, 2]);
    const p = new nn.Parameter(data);
    expect(p).toBeInstanceOf(wg.Tensor);
    expect(p.requiresGrad && p.isLeaf).toBe(true);
    wg.noGrad(() => data.fill_(3));
    await is(p, [3, 3]); // shares data's storage
    expect(new nn.Parameter(I([1]), false).requiresGrad).toBe(false);
    expect(() => new nn.Parameter(I([1]))).toThrow('Parameter: only floating point tensors can require gradients (got int32 of shape [1]); pass requiresGrad false or cast with .float()');
    class Net extends nn.Module {
      scale = new nn.Parameter(wg.ones(2));
      fc = new nn.Linear(2, 1);
      forward(x: wg.Tensor): wg.Tensor {
        return this.fc.forward(x.mul(this.scale));
      }
    }
    expect(keys(new Net())).toEqual(['scale', 'fc.weight', 'fc.bias']); // assigned to a field: registered under its name
    let kept: wg.Tensor | null = null;
    wg.scope(() => {
      kept = new nn.Parameter(wg.zeros(1));
    });
    await is(kept!, [0]); // kept out of scope()
  },
  'nn.Parameter#toString': (ctx) => {
    const p = new nn.Parameter(T([1, 2]));
    expect(p.toString()).toBe(
      ctx.backend === 'cpu'
        ? 'Parameter containing:\ntensor([1., 2.], shape=[2], dtype=float32, backend=cpu, requiresGrad=true)'
        : 'Parameter containing:\nTensor(shape=[2], dtype=float32, backend=webgpu, requiresGrad=true, values on the device: await t.print() shows them)',
    );
  },
  'nn.Identity': () => {
    const m = new nn.Identity();
    expect([...m.parameters()]).toEqual([]);
    expect(m.toString()).toBe('Identity()');
  },
  'nn.Identity#forward': () => {
    const x = G([1, 2]);
    expect(new nn.Identity().forward(x)).toBe(x); // the input itself, as torch
  },
  'nn.Softmax': () => {
    expect(new nn.Softmax(-1).toString()).toBe('Softmax(dim=-1)');
    expect(() => new nn.Softmax(0.5)).toThrow('Softmax: dim must be an integer, got 0.5; e.g. new nn.Softmax(1) for [N, C] inputs');
  },
  'nn.Softmax#forward': async () => {
    await is(new nn.Softmax(1).forward(T([[0, Math.log(3)], [1, 1]])), [[0.25, 0.75], [0.5, 0.5]]);
    await is(new nn.Softmax(0).forward(T([[0, 0], [Math.log(3), 0]])), [[0.25, 0.5], [0.75, 0.5]]);
  },
  'nn.LogSoftmax': () => {
    expect(new nn.LogSoftmax(1).toString()).toBe('LogSoftmax(dim=1)');
    expect(() => new nn.LogSoftmax(Number.NaN)).toThrow(/LogSoftmax: dim must be an integer/);
  },
  'nn.LogSoftmax#forward': () => is(new nn.LogSoftmax(-1).forward(T([[0, Math.log(3)], [1000, 1000]])), [[Math.log(0.25), Math.log(0.75)], [-Math.LN2, -Math.LN2]]),
  'nn.Unflatten': () => {
    expect(new nn.Unflatten(1, [2, -1]).toString()).toBe('Unflatten(dim=1, unflattenedSize=[2, -1])');
    expect(() => new nn.Unflatten(1, [2, -2])).toThrow(/Unflatten: unflattenedSize must be an array of sizes like \[1, 28, 28\]/);
  },
  'nn.Unflatten#forward': async () => {
    const x = wg.arange(12).reshape(2, 6);
    await is(new nn.Unflatten(1, [2, 3]).forward(x), [[[0, 1, 2], [3, 4, 5]], [[6, 7, 8], [9, 10, 11]]], 'int32');
    expect(new nn.Unflatten(-1, [3, -1]).forward(x).shape).toEqual([2, 3, 2]);
    expect(new nn.Unflatten(0, [1, 2, 1]).forward(x).shape).toEqual([1, 2, 1, 6]);
  },
  'nn.Sequential': () => expect(new nn.Sequential(new nn.ReLU()).layers).toHaveLength(1),
  'nn.Sequential#length': () => expect(new nn.Sequential(new nn.ReLU(), new nn.Tanh()).length).toBe(2),
  'nn.Sequential#at': () => {
    expect(new nn.Sequential(new nn.ReLU(), new nn.Tanh()).at(-1)).toBeInstanceOf(nn.Tanh);
  },
  'nn.Sequential#forward': () => is(new nn.Sequential(new nn.Tanh(), new nn.ReLU()).forward(T([-1, 0.5])), [0, Math.tanh(0.5)]),
  'nn.functional.linear': () => is(F.linear(T([[1, 2]]), T([[1, 0], [0, 1], [1, 1]]), T([0, 0, 10])), [[1, 2, 13]]),
  'nn.functional.relu': () => is(F.relu(T([-2, 3])), [0, 3]),
  'nn.functional.sigmoid': () => is(F.sigmoid(T([0])), [0.5]),
  'nn.functional.tanh': () => is(F.tanh(T([0])), [0]),
  'nn.functional.softmax': () => is(F.softmax(T([[1, 1, 1, 1]]), 1), [[0.25, 0.25, 0.25, 0.25]]),
  'nn.functional.logSoftmax': () => is(F.logSoftmax(T([[2, 2]]), -1), [[-Math.LN2, -Math.LN2]]),

  'nn.utils.clipGradNorm_': async () => {
    const [a, b, c] = [G([0]), G([0, 0]), G([0])];
    const set = (): void => {
      a.grad = T([3]);
      b.grad = T([0, -4]);
    };
    set(); // c has no gradient: skipped
    const norm = nn.utils.clipGradNorm_([a, b, c], 1);
    await is(norm, 5); // a 0-d tensor: ‖(3, 0, -4)‖
    await is(a.grad!, [3 / (5 + 1e-6)]); // scaled by maxNorm / (norm + 1e-6)
    await is(b.grad!, [0, -4 / (5 + 1e-6)]);
    set();
    await is(nn.utils.clipGradNorm_([a, b], 2, { normType: Infinity }), 4);
    await is(b.grad!, [0, (-4 * 2) / (4 + 1e-6)]);
    set();
    await is(nn.utils.clipGradNorm_([a, b], 100, { normType: 1 }), 7);
    await is(a.grad!, [3]); // under maxNorm: unchanged
    expect(() => nn.utils.clipGradNorm_([a], 1, { normType: 0 })).toThrow('clipGradNorm_: invalid normType: 0 (expected a number > 0, or Infinity)');
  },

  // ---- data ----
  'data.parseIdx': () => {
    const a = data.parseIdx(idxBytes(0x0b, [2, 2], [1, -2, 300, 4], 2, (dv, at, v) => dv.setInt16(at, v, false)));
    expect(a.dtype).toBe('short');
    expect(a.shape).toEqual([2, 2]);
    expect(Array.from(a.data)).toEqual([1, -2, 300, 4]);
  },
  'data.readIdx': async () => {
    const bytes = idxBytes(0x08, [3], [7, 8, 255], 1, (dv, at, v) => dv.setUint8(at, v));
    const path = tempPath('x-idx1-ubyte');
    writeFileSync(path, bytes);
    const a = await data.readIdx(path);
    expect(a.dtype).toBe('ubyte');
    expect(Array.from(a.data)).toEqual([7, 8, 255]);
    expect(Array.from((await data.readIdx(bytes)).data)).toEqual([7, 8, 255]);
  },
  'data.loadMnist': async () => {
    const m = await data.loadMnist({ train: false, limit: 3 });
    expect(m.count).toBe(3);
    expect(m.images).toHaveLength(3 * 784);
    expect(Array.from(m.labels)).toEqual([7, 2, 1]); // the first three test digits
    expect(Math.max(...m.images)).toBeLessThanOrEqual(1);
  },
  'data.encodeSafetensors': () => {
    const bytes = data.encodeSafetensors({ a: { dtype: 'float64', shape: [1], data: Float64Array.of(2) } }, { k: 'v' });
    expect(stHeader(bytes)).toMatchObject({ a: { dtype: 'F64', shape: [1] }, __metadata__: { k: 'v' } });
    expect(bytes.length).toBe(8 + Number(new DataView(bytes.buffer).getBigUint64(0, true)) + 8);
  },
  'data.decodeSafetensors': () => {
    const d = data.decodeSafetensors(data.encodeSafetensors({ i: { dtype: 'int32', shape: [2, 1], data: Int32Array.of(-1, 5) } }));
    expect(d.i.shape).toEqual([2, 1]);
    expect(Array.from(d.i.data)).toEqual([-1, 5]);
  },
  'data.parseSafetensors': () => {
    const p = data.parseSafetensors(data.encodeSafetensors({ x: { dtype: 'float32', shape: [], data: Float32Array.of(1.5) } }, { a: 'b' }));
    expect(p.metadata).toEqual({ a: 'b' });
    expect(Array.from(p.tensors.x.data)).toEqual([1.5]);
  },
  'data.readSafetensors': async () => {
    const r = await data.readSafetensors(await wg.save({ w: T([[4]]) }));
    expect(r.tensors.w.dtype).toBe('float32');
    expect(r.tensors.w.shape).toEqual([1, 1]);
  },
  'data.makeBatch': () => {
    const b = data.makeBatch(dataset(), [4, 0, 2], 1, 3, { mean: 1, std: 2 });
    expect(b.batchSize).toBe(2);
    expect(Array.from(b.x)).toEqual([-0.5, 0, 1.5, 2]);
    expect(Array.from(b.y)).toEqual([0, 2]);
  },
  'data.shuffledIndices': () => {
    const a = data.shuffledIndices(10, 3);
    expect([...a].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Array.from(data.shuffledIndices(10, 3))).toEqual(Array.from(a));
    expect(Array.from(data.shuffledIndices(10, 4))).not.toEqual(Array.from(a));
  },
  'data.ArrayLoader': () => expect(() => new data.ArrayLoader(dataset(), { batchSize: 0 })).toThrow(/batchSize must be a positive integer/),
  'data.ArrayLoader#length': () => {
    expect(new data.ArrayLoader(dataset(), { batchSize: 2 }).length).toBe(3);
    expect(new data.ArrayLoader(dataset(), { batchSize: 2, dropLast: true }).length).toBe(2);
  },
  'data.ArrayLoader#epoch': () => {
    const l = new data.ArrayLoader(dataset(), { batchSize: 5 });
    expect(l.epoch).toBe(0);
    [...l.arrays()];
    expect(l.epoch).toBe(1);
  },
  'data.ArrayLoader#order': () => {
    const l = new data.ArrayLoader(dataset(), { batchSize: 2, shuffle: true, seed: 5 });
    expect(Array.from(l.order(1))).toEqual(Array.from(data.shuffledIndices(5, 6)));
  },
  'data.ArrayLoader#arrays': () => {
    const sizes = [...new data.ArrayLoader(dataset(), { batchSize: 2 }).arrays()].map((b) => Array.from(b.y));
    expect(sizes).toEqual([[0, 1], [2, 3], [4]]);
  },
  'data.DataLoader': () => expect(new data.DataLoader(dataset(), { batchSize: 4 })).toBeInstanceOf(data.ArrayLoader),
  'data.DataLoader#[Symbol.asyncIterator]': async () => {
    const seen: number[][] = [];
    for await (const { x, y } of new data.DataLoader(dataset(), { batchSize: 3 })) {
      expect(x.shape).toEqual([y.shape[0], 2]);
      expect(y.dtype).toBe('int32');
      seen.push(Array.from(await y.toArray()));
      if (seen.length === 1) await is(x, [[0, 1], [2, 3], [4, 5]]);
    }
    expect(seen).toEqual([[0, 1, 2], [3, 4]]);
  },
};
