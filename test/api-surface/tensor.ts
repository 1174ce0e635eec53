// API-surface rows for Tensor: its getters and every method.
import { inspect } from 'node:util';
import { expect, vi } from 'vitest';
import * as wg from 'webgrad-gpu';
import { G, I, M23, T, is, type Run } from './helpers.js';

/** What toString shows for [[1, 2]]: the values on the CPU (PyTorch's format), a pointer to print() on the GPU. */
const shown12 = (backend: wg.BackendChoice, grad = ''): string =>
  backend === 'cpu'
    ? `tensor([[1., 2.]], shape=[1,2], dtype=float32, backend=cpu${grad})`
    : `Tensor(shape=[1,2], dtype=float32, backend=webgpu${grad}, values on the device: await t.print() shows them)`;

export const TENSOR: Record<string, Run> = {
  // ---- Tensor ----
  Tensor: () => {
    expect(T([1])).toBeInstanceOf(wg.Tensor);
  },
  'Tensor#shape': () => expect(wg.zeros([2, 0, 3]).shape).toEqual([2, 0, 3]),
  'Tensor#dtype': () => expect(wg.arange(2).dtype).toBe('int32'),
  'Tensor#grad': async () => {
    const x = G([1, 2]);
    expect(x.grad).toBeNull();
    x.mul(x).sum().backward();
    await is(x.grad!, [2, 4]);
  },
  'Tensor#gradFn': () => {
    expect(T([1]).gradFn).toBeNull();
    expect(G([1]).exp().gradFn?.name).toBe('exp');
  },
  'Tensor#version': () => {
    const x = T([1]);
    const v = x.version;
    wg.noGrad(() => x.add_(1));
    expect(x.version).toBe(v + 1);
  },
  'Tensor#numel': () => expect(wg.zeros([2, 3, 4]).numel).toBe(24),
  'Tensor#ndim': () => expect(wg.zeros([2, 3, 4]).ndim).toBe(3),
  'Tensor#dim': () => expect(T(1).dim()).toBe(0),
  'Tensor#nelement': () => {
    expect(wg.zeros(2, 3, 4).nelement()).toBe(24);
    expect(T(7).nelement()).toBe(1);
    expect(wg.zeros(3, 0).nelement()).toBe(0);
  },
  'Tensor#size': () => {
    const x = wg.zeros(2, 3, 4);
    const s = x.size();
    expect(s).toEqual([2, 3, 4]);
    s[0] = 9; // a copy
    expect(x.shape).toEqual([2, 3, 4]);
    expect([x.size(0), x.size(1), x.size(-1)]).toEqual([2, 3, 4]);
    expect(() => x.size(3)).toThrow('size: dim 3 is out of range for a tensor of rank 3 (expected -3 <= dim < 3)');
  },
  'Tensor#isLeaf': () => {
    const x = G([1]);
    expect(x.isLeaf).toBe(true);
    expect(x.mul(2).isLeaf).toBe(false);
  },
  'Tensor#isDisposed': () => {
    const x = T([1]);
    x.dispose();
    expect(x.isDisposed).toBe(true);
  },
  'Tensor#hostRange': () => {
    expect(I([3, -2, 9]).hostRange).toEqual({ min: -2, max: 9 });
    expect(T([1, 2]).hostRange).toBeNull();
  },
  'Tensor#requiresGrad': () => {
    const x = T([1]);
    expect(x.requiresGrad).toBe(false);
    x.requiresGrad = true;
    expect(x.mul(2).requiresGrad).toBe(true);
    expect(() => (I([1]).requiresGrad = true)).toThrow(/only floating point/);
  },
  'Tensor#requiresGrad_': () => {
    const x = T([1]);
    expect(x.requiresGrad_()).toBe(x);
    expect(x.requiresGrad).toBe(true);
    expect(x.requiresGrad_(false).requiresGrad).toBe(false);
  },
  'Tensor#dispose': async () => {
    const x = T([1]);
    x.dispose();
    x.dispose(); // twice is fine
    await expect(x.toArray()).rejects.toThrow(/used after dispose/);
  },
  'Tensor#[Symbol.dispose]': () => {
    let held: wg.Tensor;
    {
      using t = T([1]);
      held = t;
      expect(held.isDisposed).toBe(false);
    }
    expect(held.isDisposed).toBe(true);
  },
  'Tensor#toArray': async () => {
    const a = await I([1, 2]).toArray();
    expect(a).toBeInstanceOf(Int32Array);
    expect(Array.from(a)).toEqual([1, 2]);
    expect(await T([0.5]).toArray()).toBeInstanceOf(Float32Array);
  },
  'Tensor#item': async () => {
    expect(await T([[2.5]]).item()).toBe(2.5);
    await expect(T([1, 2]).item()).rejects.toThrow(/only a tensor with one element/);
  },
  'Tensor#tolist': async () => {
    expect(await wg.arange(12).reshape([2, 3, 2]).tolist()).toEqual([[[0, 1], [2, 3], [4, 5]], [[6, 7], [8, 9], [10, 11]]]);
    expect(await T(4).tolist()).toBe(4);
    expect(await wg.zeros([2, 0]).tolist()).toEqual([[], []]);
  },
  'Tensor#backward': async () => {
    const x = G([1, 2]);
    x.mul(3).backward(T([1, -1]));
    await is(x.grad!, [3, -3]);
    x.pow(2).sum().backward();
    await is(x.grad!, [5, 1]); // accumulates
  },
  'Tensor#retainGrad': async () => {
    const x = G([1, 2]);
    const y = x.mul(2).retainGrad();
    y.sum().backward();
    await is(y.grad!, [1, 1]);
  },
  'Tensor#detach': async () => {
    const x = G([1]);
    const d = x.mul(2).detach();
    expect(d.requiresGrad).toBe(false);
    await is(d, [2]);
  },
  'Tensor#add_': async () => {
    const x = T([1, 2]);
    expect(x.add_(T([1, 1]), 2)).toBe(x);
    await is(x, [3, 4]);
  },
  'Tensor#sub_': async () => {
    const x = T([1, 2]);
    x.sub_(0.5);
    await is(x, [0.5, 1.5]);
  },
  'Tensor#mul_': async () => {
    const x = T([[1, 2], [3, 4]]);
    x.mul_(T([2, 0]));
    await is(x, [[2, 0], [6, 0]]);
  },
  'Tensor#div_': async () => {
    const x = T([3, 4]);
    x.div_(2);
    await is(x, [1.5, 2]);
  },
  'Tensor#fill_': async () => {
    const x = wg.zeros([2]);
    const view = x.reshape([2, 1]);
    x.fill_(7);
    await is(view, [[7], [7]]);
  },
  'Tensor#zero_': async () => {
    const x = T([1, 2]);
    x.zero_();
    await is(x, [0, 0]);
  },
  'Tensor#copy_': async () => {
    const x = wg.zeros([2, 2]);
    x.copy_(I([1, 2]));
    await is(x, [[1, 2], [1, 2]]);
  },
  'Tensor#clone': async () => {
    const x = G([1]);
    const c = x.clone();
    c.sum().backward();
    await is(x.grad!, [1]);
    expect(c.gradFn).not.toBeNull();
  },
  'Tensor#to': async () => {
    const i = T([1.7, -1.7, 2.5]).to('int32');
    await is(i, [1, -1, 2], 'int32'); // truncation toward zero, as PyTorch
    await is(I([[3]]).to('float32'), [[3]]);
  },
  'Tensor#float': async () => {
    await is(I([1, -2]).float(), [1, -2]);
    const x = G([0.5]);
    expect(x.float().dtype).toBe('float32');
    x.float().mul(3).sum().backward(); // a cast to the same dtype stays on the graph
    await is(x.grad!, [3]);
  },
  'Tensor#double': async (ctx) => {
    if (ctx.backend === 'cpu') {
      await is(T([0.1]).double(), [Math.fround(0.1)], 'float64', 0); // float32's 0.1, widened exactly
      await is(I([3]).double(), [3], 'float64');
    } else expect(() => T([1]).double()).toThrow('to: dtype float64 is not supported on the webgpu backend');
  },
  'Tensor#int': () => is(T([1.7, -1.7, 2.5, -0.5]).int(), [1, -1, 2, 0], 'int32'), // toward zero, as PyTorch
  'Tensor#long': async () => {
    await is(T([[3.9], [-3.9]]).long(), [[3], [-3]], 'int32'); // int32: there is no int64
    await is(I([5]).long(), [5], 'int32');
  },
  'Tensor#T': async () => {
    const x = wg.arange(6).reshape(1, 2, 3);
    await is(x.T, [[[0], [3]], [[1], [4]], [[2], [5]]], 'int32'); // every dim reversed: [3, 2, 1]
    await is(T([[1, 2]]).T, [[1], [2]]);
    await is(T([1, 2]).T, [1, 2]);
  },
  'Tensor#mT': async () => {
    const x = G([[[1, 2, 3]], [[4, 5, 6]]]); // [2, 1, 3] -> [2, 3, 1]
    const y = x.mT;
    await is(y, [[[1], [2], [3]], [[4], [5], [6]]]);
    y.mul(T([[[1], [2], [3]]])).sum().backward();
    await is(x.grad!, [[[1, 2, 3]], [[1, 2, 3]]]);
    expect(() => T([1]).mT).toThrow('mT: expects a tensor with at least 2 dimensions, got shape [1]');
  },
  'Tensor#contiguous': async () => {
    const x = T([[1, 2, 3], [4, 5, 6]]);
    expect(x.contiguous()).toBe(x); // already row-major: the tensor itself
    const v = x.t();
    const c = v.contiguous();
    expect(c).not.toBe(v);
    expect(c.isContiguous()).toBe(true);
    await is(c, [[1, 4], [2, 5], [3, 6]]);
  },
  'Tensor#isContiguous': () => {
    const x = T([[[1, 2, 3]], [[4, 5, 6]]]); // [2, 1, 3]
    expect(x.isContiguous()).toBe(true);
    expect(x.transpose(0, 2).isContiguous()).toBe(false);
    expect(x.transpose(0, 1).isContiguous()).toBe(true); // moves the size-1 dim only (PyTorch: True)
    expect(x.transpose(1, 2).transpose(1, 2).isContiguous()).toBe(true);
    expect(T([[1, 2, 3]]).t().isContiguous()).toBe(true); // [1, 3] -> [3, 1]: same order in memory
  },
  'Tensor#permute': async () => {
    const x = G([[[0, 1, 2], [3, 4, 5]]]); // [1, 2, 3]
    const y = x.permute(2, 0, 1); // dim i of y is dim dims[i] of x: [3, 1, 2]
    await is(y, [[[0, 3]], [[1, 4]], [[2, 5]]]);
    await is(x.permute([-1, 0, 1]), [[[0, 3]], [[1, 4]], [[2, 5]]]);
    y.mul(wg.arange(6).reshape(3, 1, 2).float()).sum().backward(); // the gradient goes back through the inverse order
    await is(x.grad!, [[[0, 2, 4], [1, 3, 5]]]);
    expect(() => x.permute(0, 0, 1)).toThrow(/repeat a dim/);
  },
  'Tensor#add': async () => {
    await is(T([1, 2]).add(T([[10], [20]])), [[11, 12], [21, 22]]);
    // A gradient summed back over a leading and a trailing broadcast dim: [2,3,4] -> [3,1].
    const b = G([[1], [2], [3]]);
    wg.ones([2, 3, 4]).add(b).sum().backward();
    await is(b.grad!, [[8], [8], [8]]);
  },
  'Tensor#sub': () => is(T([1, 2]).sub(1, 3), [-2, -1]),
  'Tensor#mul': () => is(I([2, 3]).mul(I([4, -1])), [8, -3], 'int32'),
  'Tensor#div': () => is(T([1, 3]).div(T([2, -4])), [0.5, -0.75]),
  'Tensor#eq': () => is(T([1, 2, NaN]).eq(T([1, 3, NaN])), [1, 0, 0]),
  'Tensor#ne': () => is(T([1, 2, NaN]).ne(T([1, 3, NaN])), [0, 1, 1]),
  'Tensor#lt': () => is(T([1, 2, 3]).lt(2), [1, 0, 0]),
  'Tensor#le': () => is(T([1, 2, 3]).le(2), [1, 1, 0]),
  'Tensor#gt': () => is(T([1, 2, 3]).gt(2), [0, 0, 1]),
  'Tensor#ge': () => is(T([[1, 2, 3]]).ge(T([[2], [1]])), [[0, 1, 1], [1, 1, 1]]),
  'Tensor#neg': () => is(I([3, -4]).neg(), [-3, 4], 'int32'),
  'Tensor#exp': () => is(T([[0], [-1]]).exp(), [[1], [Math.exp(-1)]]),
  'Tensor#log': () => is(T([1, 0]).log(), [0, -Infinity]),
  'Tensor#sqrt': () => is(T([0.25, -1]).sqrt(), [0.5, NaN]),
  'Tensor#abs': () => is(I([-3, 3]).abs(), [3, 3], 'int32'),
  'Tensor#sigmoid': () => is(T([-100, 0, 100]).sigmoid(), [0, 0.5, 1]),
  'Tensor#tanh': () => is(T([-100, 0.5]).tanh(), [-1, Math.tanh(0.5)]),
  'Tensor#relu': async () => {
    const x = G([-1, 0, 2]);
    await is(x.relu(), [0, 0, 2]);
    x.relu().sum().backward();
    await is(x.grad!, [0, 0, 1]); // 0 at 0, as in PyTorch
  },
  'Tensor#pow': async () => {
    const x = G([2, -1]);
    await is(x.pow(0.5), [Math.SQRT2, NaN]);
    x.pow(3).sum().backward();
    await is(x.grad!, [12, 3]);
  },
  'Tensor#square': async () => {
    const x = G([[-3], [0.5]]);
    const y = x.square();
    await is(y, [[9], [0.25]]);
    y.sum().backward();
    await is(x.grad!, [[-6], [1]]);
  },
  'Tensor#clamp': async () => {
    await is(T([-2, 0, 2]).clamp(null, 1), [-2, 0, 1]);
    await is(T([-2, 0, 2]).clamp(-1), [-1, 0, 2]);
  },
  'Tensor#mm': () => is(T([[1, 2], [3, 4]]).mm(T([[0, 1], [1, 0]])), [[2, 1], [4, 3]]),
  'Tensor#matmul': async () => {
    await is(T([1, 2]).matmul(T([3, 4])), 11);
    await is(T([[1, 2], [3, 4]]).matmul(T([1, 1])), [3, 7]);
  },
  'Tensor#t': () => is(T([[1, 2], [3, 4]]).t(), [[1, 3], [2, 4]]),
  'Tensor#transpose': () => is(T([[1, 2, 3]]).transpose(-1, 0), [[1], [2], [3]]),
  'Tensor#reshape': () => is(wg.arange(6).reshape([2, -1]), [[0, 1, 2], [3, 4, 5]], 'int32'),
  'Tensor#view': () => is(T([[1, 2], [3, 4]]).view([4]), [1, 2, 3, 4]),
  'Tensor#flatten': async () => {
    const x = wg.arange(24).reshape([2, 3, 2, 2]);
    expect(x.flatten(1, 2).shape).toEqual([2, 6, 2]);
    expect(x.flatten(0, -2).shape).toEqual([12, 2]);
    expect(x.flatten().shape).toEqual([24]);
    await is(wg.arange(8).reshape([2, 2, 2]).flatten(0, 1), [[0, 1], [2, 3], [4, 5], [6, 7]], 'int32');
  },
  'Tensor#unsqueeze': () => is(T([1, 2]).unsqueeze(0), [[1, 2]]),
  'Tensor#squeeze': () => is(T([[[1], [2]]]).squeeze(-1), [[1, 2]]),
  'Tensor#expand': () => is(T([1, 2]).expand([2, 2]), [[1, 2], [1, 2]]),
  'Tensor#sum': async () => {
    await is(M23().sum(), -3);
    await is(M23().sum(0, true), [[-3, 3, -3]]);
    await is(I([[1, 2]]).sum(1), [3], 'int32');
  },
  'Tensor#mean': async () => {
    await is(M23().mean(), -0.5);
    await is(M23().mean(-1, true), [[2 / 3], [-5 / 3]]);
  },
  'Tensor#max': async () => {
    await is(M23().max(), 5);
    await is(M23().max(1).values, [3, 5]);
    await is(M23().max(1).indices, [2, 1], 'int32');
    await is(M23().max(1, true)[0], [[3], [5]]);
  },
  'Tensor#min': async () => {
    await is(M23().min(), -6);
    await is(M23().min(0).values, [-4, -2, -6]);
    await is(M23().min(1, true).values, [[-2], [-6]]);
    await is(M23().min(1, true).indices, [[1], [2]], 'int32');
  },
  'Tensor#amax': async () => {
    const x = G([[1, 5, 5], [2, 0, -1]]);
    await is(x.amax(1), [5, 2]);
    await is(x.amax(0, true), [[2, 5, 5]]);
    await is(x.amax([0, 1]), 5);
    x.amax().backward();
    await is(x.grad!, [[0, 0.5, 0.5], [0, 0, 0]]); // ties share the gradient, as torch.amax
  },
  'Tensor#amin': async () => {
    const x = G([[1, -1, 3], [-1, 0, -1]]);
    await is(x.amin(), -1);
    await is(x.amin(1, true), [[-1], [-1]]);
    await is(x.amin([-2, -1]), -1);
    x.amin(1).sum().backward();
    await is(x.grad!, [[0, 1, 0], [0.5, 0, 0.5]]);
    await is(I([[4, 2]]).amin(1), [2], 'int32');
  },
  'Tensor#argmax': async () => {
    await is(M23().argmax(), 4, 'int32');
    await is(M23().argmax(0, true), [[0, 1, 0]], 'int32');
  },
  'Tensor#argmin': async () => {
    await is(M23().argmin(1), [1, 2], 'int32');
    await is(M23().argmin(1, true), [[1], [2]], 'int32');
    await is(M23().argmin(0, true), [[1, 0, 1]], 'int32');
  },
  'Tensor#softmax': () => is(T([[0, 0], [0, Math.log(3)]]).softmax(0), [[0.5, 0.25], [0.5, 0.75]]),
  'Tensor#logSoftmax': () => is(T([[1000, 1000]]).logSoftmax(-1), [[-Math.LN2, -Math.LN2]]),
  'Tensor#toString': (ctx) => {
    expect(T([[1, 2]]).toString()).toBe(shown12(ctx.backend));
    expect(G([[1, 2]]).toString()).toBe(shown12(ctx.backend, ', requiresGrad=true'));
    expect(String(G([[0, Math.LN2]]).exp())).toBe(shown12(ctx.backend, ', gradFn=exp'));
    const gone = T([1]);
    gone.dispose();
    expect(gone.toString()).toBe('Tensor(shape=[1], dtype=float32, disposed)');
    if (ctx.backend !== 'cpu') return;
    // PyTorch's layout: one width for every element, 4 decimals, scientific notation past a
    // 1000x spread, rows aligned under 'tensor(', the edges of dims over 1000 elements.
    expect(T([[1e-5, 1], [3, 4]]).toString()).toBe('tensor([[1.0000e-05, 1.0000e+00],\n        [3.0000e+00, 4.0000e+00]], shape=[2,2], dtype=float32, backend=cpu)');
    expect(T([1.5, -2.25]).toString()).toBe('tensor([ 1.5000, -2.2500], shape=[2], dtype=float32, backend=cpu)');
    expect(wg.arange(2000).toString()).toBe('tensor([   0,    1,    2,  ..., 1997, 1998, 1999], shape=[2000], dtype=int32, backend=cpu)');
    expect(T(3.5).toString()).toBe('tensor(3.5000, shape=[], dtype=float32, backend=cpu)');
    expect(wg.zeros(2, 0).toString()).toBe('tensor([], shape=[2,0], dtype=float32, backend=cpu)');
  },
  'Tensor#[nodejs.util.inspect.custom]': (ctx) => {
    expect(inspect(T([[1, 2]]))).toBe(shown12(ctx.backend)); // what console.log(t) prints in Node
    expect(inspect([T([1]).exp()], { breakLength: Infinity })).toBe(`[ ${T([1]).exp().toString()} ]`); // inside a structure too
  },
  'Tensor#format': async (ctx) => {
    expect(await T([[1, 2]]).format()).toBe(`tensor([[1., 2.]], shape=[1,2], dtype=float32, backend=${ctx.backend})`);
    expect(await I([[-1], [10]]).format()).toBe(`tensor([[-1],\n        [10]], shape=[2,1], dtype=int32, backend=${ctx.backend})`);
    expect(await G([0.5]).mul(2).format()).toBe(`tensor([1.], shape=[1], dtype=float32, backend=${ctx.backend}, gradFn=mul)`);
  },
  'Tensor#print': async (ctx) => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      await T([0.5, -1]).print();
      expect(log.mock.calls).toEqual([[`tensor([ 0.5000, -1.0000], shape=[2], dtype=float32, backend=${ctx.backend})`]]);
    } finally {
      log.mockRestore();
    }
  },

};
