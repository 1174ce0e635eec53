// API-surface rows for the top-level functions: setup, creation, autograd, memory, the
// function forms of the ops, gradcheck, files and profiling.
import { pathToFileURL } from 'node:url';
import { expect } from 'vitest';
import * as wg from 'webgrad-gpu';
import { skipReason } from '../helpers/backends.js';
import { G, I, M23, T, is, restore, serveOnce, stHeader, tempPath, writeFileSync, type Run } from './helpers.js';

export const FUNCTIONS: Record<string, Run> = {
  // ---- setup ----
  init: async (ctx) => {
    expect((await wg.init({ backend: 'cpu', verbose: false })).name).toBe('cpu');
    expect(wg.backendInfo().name).toBe('cpu');
    const auto = await wg.init({ backend: 'auto', verbose: false });
    expect(auto.name).toBe(skipReason('webgpu') === null ? 'webgpu' : 'cpu');
    await expect(wg.init({ backend: 'gpu' as 'cpu' })).rejects.toThrow("init: backend must be 'auto', 'webgpu' or 'cpu', got 'gpu'");
    await restore(ctx);
    expect(wg.backendInfo().name).toBe(ctx.backend);
  },
  backendInfo: (ctx) => {
    const info = wg.backendInfo();
    expect(info.name).toBe(ctx.backend);
    if (ctx.backend === 'webgpu') {
      expect(typeof info.adapter?.vendor).toBe('string');
      expect(info.limits?.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 << 20);
    } else expect(info.adapter).toBeUndefined();
  },
  destroy: async (ctx) => {
    wg.destroy();
    expect(wg.backendInfo().name).toBe('cpu');
    await restore(ctx);
    await is(T([1, 2]).mul(2), [2, 4]);
  },
  setLogger: async (ctx) => {
    const seen: string[] = [];
    const collector: wg.Logger = { info: (m) => seen.push(`info: ${m}`), warn: (m) => seen.push(`warn: ${m}`) };
    const previous = wg.setLogger(collector);
    try {
      expect(previous).toBe(console); // the default
      await wg.init({ backend: ctx.backend, verbose: true });
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatch(new RegExp(`^info: webgrad: using the ${ctx.backend} backend`));
      expect(wg.setLogger(null)).toBe(collector); // returns the one it replaces
      await wg.init({ backend: ctx.backend, verbose: true }); // silenced: nothing anywhere
      expect(seen).toHaveLength(1);
    } finally {
      wg.setLogger(previous);
      await restore(ctx);
    }
  },
  manualSeed: async () => {
    wg.manualSeed(7);
    const a = await wg.randn([5]).toArray();
    wg.manualSeed(7);
    expect(await wg.randn([5]).toArray()).toEqual(a);
    wg.manualSeed(8);
    expect(await wg.randn([5]).toArray()).not.toEqual(a);
  },

  // ---- creation ----
  tensor: async () => {
    await is(T([[1, 2], [3, 4]]), [[1, 2], [3, 4]]);
    await is(wg.tensor(new Int32Array([5, -6])), [5, -6], 'int32');
    await is(T(3.5), 3.5);
    await is(wg.tensor(Uint8Array.of(255, 1) as unknown as Float32Array), [255, 1]); // other typed arrays convert to float32
  },
  zeros: () => is(wg.zeros([2, 1]), [[0], [0]]),
  ones: () => is(wg.ones(3, { dtype: 'int32' }), [1, 1, 1], 'int32'),
  full: () => is(wg.full([1, 2], -2.5), [[-2.5, -2.5]]),
  zerosLike: () => is(wg.zerosLike(I([[1, 2]])), [[0, 0]], 'int32'),
  onesLike: () => is(wg.onesLike(T([[1], [2]])), [[1], [1]]),
  fullLike: async () => {
    await is(wg.fullLike(I([[1, 2]]), 7), [[7, 7]], 'int32'); // the dtype of its argument
    await is(wg.fullLike(I([1, 2, 3]), 0.5, { dtype: 'float32' }), [0.5, 0.5, 0.5]);
    const g = wg.fullLike(T([[1], [2]]), -1, { requiresGrad: true });
    expect(g.requiresGrad && g.isLeaf).toBe(true);
    await is(g, [[-1], [-1]]);
  },
  randnLike: async () => {
    wg.manualSeed(3);
    const a = wg.randnLike(wg.zeros(2, 3));
    wg.manualSeed(3);
    const b = wg.randn(2, 3);
    expect(a.shape).toEqual([2, 3]);
    expect(Array.from(await a.toArray())).toEqual(Array.from(await b.toArray())); // the same draws as randn
    expect(() => wg.randnLike(I([1]))).toThrow('randnLike: random tensors must be floating point');
  },
  randLike: async () => {
    wg.manualSeed(4);
    const a = wg.randLike(I([[1, 2]]), { dtype: 'float32' });
    wg.manualSeed(4);
    const b = wg.rand(1, 2);
    expect(a.shape).toEqual([1, 2]);
    expect(a.dtype).toBe('float32');
    const v = Array.from(await a.toArray());
    expect(v).toEqual(Array.from(await b.toArray()));
    expect(v.every((x) => x >= 0 && x < 1)).toBe(true);
  },
  arange: async () => {
    await is(wg.arange(4), [0, 1, 2, 3], 'int32');
    await is(wg.arange(1, 2, 0.25), [1, 1.25, 1.5, 1.75]);
    await is(wg.arange(5, 0, -2), [5, 3, 1], 'int32');
  },
  eye: () => is(wg.eye(2, 3), [[1, 0, 0], [0, 1, 0]]),
  randn: async () => {
    wg.manualSeed(1);
    const x = wg.randn([2, 500]);
    expect(x.shape).toEqual([2, 500]);
    const v = Array.from(await x.toArray());
    expect(v.some((a) => a < 0) && v.some((a) => a > 1)).toBe(true); // not uniform on [0, 1)
    expect(Math.abs(v.reduce((s, a) => s + a, 0) / 1000)).toBeLessThan(0.15); // 4.7 sigma
  },
  rand: async () => {
    wg.manualSeed(1);
    const v = Array.from(await wg.rand([1000]).toArray());
    expect(v.every((a) => a >= 0 && a < 1)).toBe(true);
    expect(Math.abs(v.reduce((s, a) => s + a, 0) / 1000 - 0.5)).toBeLessThan(0.05); // 5.5 sigma
  },

  // ---- autograd and memory ----
  noGrad: () => {
    const x = G([1]);
    const y = wg.noGrad(() => {
      expect(wg.isGradEnabled()).toBe(false);
      return x.mul(2);
    });
    expect(y.requiresGrad).toBe(false);
    expect(wg.isGradEnabled()).toBe(true);
  },
  enableGrad: () => {
    const x = G([1]);
    const y = wg.noGrad(() => wg.enableGrad(() => x.mul(2)));
    expect(y.requiresGrad).toBe(true);
    expect(y.gradFn).not.toBeNull();
  },
  isGradEnabled: () => {
    expect(wg.isGradEnabled()).toBe(true);
    expect(wg.noGrad(() => wg.isGradEnabled())).toBe(false);
  },
  scope: async () => {
    let inner: wg.Tensor | null = null;
    const kept = wg.scope(() => {
      inner = T([1, 2]).add(1);
      return inner.mul(2);
    });
    expect(inner!.isDisposed).toBe(true);
    await is(kept, [4, 6]);
    const later = await wg.scope(async () => T([3]).neg());
    await is(later, [-3]);
  },
  keep: () => {
    let k: wg.Tensor | null = null;
    let d: wg.Tensor | null = null;
    wg.scope(() => {
      k = wg.keep(T([1]));
      d = T([2]);
    });
    expect(k!.isDisposed).toBe(false);
    expect(d!.isDisposed).toBe(true);
  },
  emptyCache: async (ctx) => {
    // A computation big enough to leave buffers in the WebGPU pool; the CPU backend has no pool.
    const x = wg.ones([512, 512]);
    const y = x.mm(x);
    expect(await y.sum().item()).toBe(512 * 512 * 512);
    x.dispose();
    y.dispose();
    const live = wg.memory().liveTensors;
    wg.emptyCache();
    const after = wg.memory();
    expect(after.poolBytes).toBe(0);
    expect(after.liveTensors).toBe(live);
    if (ctx.backend === 'webgpu') expect(await wg.ones([3]).sum().item()).toBe(3); // the pool refills
  },
  memory: (ctx) => {
    const before = wg.memory();
    const t = wg.zeros([4]);
    const after = wg.memory();
    expect(after.backend).toBe(ctx.backend);
    expect(after.liveTensors - before.liveTensors).toBe(1);
    const bytes = after.bytesInUse - before.bytesInUse;
    // CPU: exactly 4 floats; WebGPU: the pool's smallest size class (256 B) at most.
    if (ctx.backend === 'cpu') expect(bytes).toBe(16);
    else expect(bytes === 0 || (bytes >= 16 && bytes <= 256)).toBe(true);
    t.dispose();
    expect(wg.memory().liveTensors).toBe(before.liveTensors);
  },
  WebgradError: () => {
    const e = new wg.WebgradError('mm', 'bad shapes');
    expect(e).toBeInstanceOf(Error);
    expect(e.message).toBe('mm: bad shapes');
    expect(() => wg.zeros([2, -1])).toThrow(wg.WebgradError);
  },

  // ---- function forms ----
  add: () => is(wg.add(T([[1, 2]]), T([[10], [20]]), 2), [[21, 22], [41, 42]]),
  sub: () => is(wg.sub(T([5, 5]), T([1, 2]), 3), [2, -1]),
  mul: () => is(wg.mul(T([2, -3]), 4), [8, -12]),
  div: () => is(wg.div(I([7, -7]), 2), [3.5, -3.5]),
  compare: async () => {
    await is(wg.compare('ne', T([1, 2, 3]), 2), [1, 0, 1]);
    await is(wg.compare('lt', T([1, 2, 3]), T([2, 2, 2])), [1, 0, 0]);
  },
  neg: () => is(wg.neg(T([1, -2])), [-1, 2]),
  exp: () => is(wg.exp(T([0, 1])), [1, Math.E]),
  log: () => is(wg.log(T([1, Math.E])), [0, 1]),
  sqrt: () => is(wg.sqrt(T([4, 9])), [2, 3]),
  abs: () => is(wg.abs(T([-1.5, 2])), [1.5, 2]),
  sigmoid: () => is(wg.sigmoid(T([0, Math.log(3)])), [0.5, 0.75]),
  tanh: () => is(wg.tanh(T([0, 1])), [0, Math.tanh(1)]),
  relu: () => is(wg.relu(T([-1, 0, 2])), [0, 0, 2]),
  pow: () => is(wg.pow(T([2, -3]), 3), [8, -27]),
  clamp: async () => {
    await is(wg.clamp(T([-2, 0.5, 2]), -1, 1), [-1, 0.5, 1]);
    const x = G([-1, 0, 0.5, 1, 2]);
    wg.clamp(x, 0, 1).sum().backward();
    await is(x.grad!, [0, 1, 1, 1, 0]); // the bounds are inclusive, as in PyTorch
  },
  clone: async () => {
    const a = T([1, 2]);
    const b = wg.clone(a);
    wg.noGrad(() => a.fill_(0));
    await is(b, [1, 2]);
  },
  mm: () => is(wg.mm(T([[1, 2]]), T([[3], [4]])), [[11]]),
  matmul: () => is(wg.matmul(T([[[1, 0], [0, 2]]]), T([3, 4])), [[3, 8]]),
  reshape: () => is(wg.reshape(T([1, 2, 3, 4, 5, 6]), [3, -1]), [[1, 2], [3, 4], [5, 6]]),
  transpose: () => is(wg.transpose(wg.arange(6).reshape([1, 2, 3]), 0, 2), [[[0], [3]], [[1], [4]], [[2], [5]]], 'int32'),
  t: () => is(wg.t(T([[1, 2, 3]])), [[1], [2], [3]]),
  flatten: () => is(wg.flatten(wg.arange(8).reshape([2, 2, 2]), 1), [[0, 1, 2, 3], [4, 5, 6, 7]], 'int32'),
  unsqueeze: () => is(wg.unsqueeze(T([1, 2]), -1), [[1], [2]]),
  squeeze: async () => {
    await is(wg.squeeze(T([[[1, 2]]])), [1, 2]);
    await is(wg.squeeze(T([[1, 2]]), 1), [[1, 2]]); // size 2: unchanged
  },
  expand: () => is(wg.expand(T([[1], [2]]), [2, 3]), [[1, 1, 1], [2, 2, 2]]),
  permute: async () => {
    await is(wg.permute(wg.arange(6).reshape(2, 3), [1, 0]), [[0, 3], [1, 4], [2, 5]], 'int32');
    await is(wg.permute(T([[[1, 2]]]), [2, 1, 0]), [[[1]], [[2]]]);
    expect(() => wg.permute(T([[1]]), [0])).toThrow(/got 1 dims \[0\] for a tensor of shape \[1,1\]/);
  },
  sum: () => is(wg.sum(M23(), 1, true), [[2], [-5]]),
  mean: () => is(wg.mean(M23(), 0), [-1.5, 1.5, -1.5]),
  max: async () => {
    const { values, indices } = wg.max(M23(), 0, true);
    await is(values, [[1, 5, 3]]);
    await is(indices, [[0, 1, 0]], 'int32');
  },
  min: async () => {
    const [values, indices] = wg.min(M23(), -1);
    await is(values, [-2, -6]);
    await is(indices, [1, 2], 'int32');
  },
  amax: async () => {
    await is(wg.amax(M23()), 5);
    await is(wg.amax(M23(), 0), [1, 5, 3]);
    await is(wg.amax(M23(), [0, 1], true), [[5]]);
  },
  amin: async () => {
    await is(wg.amin(M23(), 1), [-2, -6]);
    await is(wg.amin(I([[3, -7]]), 1, true), [[-7]], 'int32');
    await is(wg.amin(M23(), [-1]), [-2, -6]);
  },
  argmax: () => is(wg.argmax(M23(), 1, true), [[2], [1]], 'int32'),
  argmin: () => is(wg.argmin(M23()), 5, 'int32'),
  softmax: () => is(wg.softmax(T([[0, Math.log(3)]]), 1), [[0.25, 0.75]]),
  logSoftmax: () => is(wg.logSoftmax(T([0, Math.log(3)]), 0), [Math.log(0.25), Math.log(0.75)]),

  // ---- gradcheck, files, profiling ----
  gradcheck: async () => {
    const r = await wg.gradcheck((x) => x.pow(3).sum(), [[0.5, -1, 2]]);
    expect(r.ok).toBe(true);
    const bad = await wg.gradcheck((x) => x.relu().sum(), [[0]], { raise: false });
    expect(bad.ok).toBe(false); // the kink at 0: relu's gradient 0 vs finite difference 0.5
  },
  save: async () => {
    const bytes = await wg.save({ w: T([[1, 2]]), i: I([3, -4]) });
    const h = stHeader(bytes);
    expect(h.w).toMatchObject({ dtype: 'F32', shape: [1, 2] });
    expect(h.i).toMatchObject({ dtype: 'I32', shape: [2] });
    const path = tempPath('x.safetensors');
    expect(await wg.save({ w: T([5]) }, path)).toEqual(await wg.save({ w: T([5]) }));
    await is((await wg.load(path)).w, [5]);
  },
  load: async () => {
    const bytes = await wg.save({ w: T([[1.5], [2]]), i: I([7]) });
    const fromBytes = await wg.load(bytes);
    await is(fromBytes.w, [[1.5], [2]]);
    await is(fromBytes.i, [7], 'int32');
    const path = tempPath('y.safetensors');
    writeFileSync(path, bytes);
    await is((await wg.load(pathToFileURL(path))).i, [7], 'int32');
    const server = await serveOnce(bytes);
    try {
      await is((await wg.load(server.url)).w, [[1.5], [2]]);
    } finally {
      await server.close();
    }
  },
  format: async (ctx) => {
    expect(await wg.format(T([0.5, -1]))).toBe(`tensor([ 0.5000, -1.0000], shape=[2], dtype=float32, backend=${ctx.backend})`);
    expect(await wg.format(wg.arange(3))).toBe(`tensor([0, 1, 2], shape=[3], dtype=int32, backend=${ctx.backend})`);
    expect(() => wg.format(null as unknown as wg.Tensor)).toThrow('format: expected a Tensor, got null');
  },
  profile: async () => {
    const p = await wg.profile(() => T([1, 2]).exp().sum());
    expect(await p.result.item()).toBeCloseTo(Math.E + Math.exp(2), 5);
    expect(p.kernels.map((k) => k.kernel).join(' ')).toMatch(/exp/);
    expect(p.totalMs).toBeGreaterThan(0);
  },
  formatProfile: () => {
    const text = wg.formatProfile({ kernels: [{ kernel: 'matmul', count: 2, ms: 3 }, { kernel: 'exp', count: 1, ms: 1 }], totalMs: 4 }, 1);
    expect(text.split('\n')).toHaveLength(2);
    expect(text).toMatch(/matmul\s+2\s+3\.000\s+75\.0%/);
  },

};
