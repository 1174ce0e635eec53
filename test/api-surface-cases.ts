// The rows of test/api-surface.test.ts: one per public name, each asserting a value that a
// plausible bug would change (a wrong shape, dtype, element or ignored argument), on whichever
// backend the block selected. Keys: 'add' (wg.add), 'nn.functional.mseLoss', 'Tensor#square'
// (a method), 'nn.Module#zeroGrad', 'Tensor.fromStorage' (a static). Adding a case is one row.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'vitest';
import * as wg from '../src/index.js';
import { skipReason } from './helpers/backends.js';
import { expectClose } from './helpers/close.js';

export interface Ctx {
  backend: wg.BackendChoice;
}
type Run = (ctx: Ctx) => Promise<void> | void;

const { nn, optim, data } = wg;
const F = nn.functional;
type Nested = number | Nested[];

/** Checks dtype, shape (from the nesting) and values. */
async function is(t: wg.Tensor, want: Nested, dtype: wg.DType = 'float32', atol = 1e-6): Promise<void> {
  expect(t.dtype, `dtype of ${t}`).toBe(dtype);
  await expectClose(t, want, atol, 1e-5);
}
const T = (v: Nested, opts?: wg.CreateOptions): wg.Tensor => wg.tensor(v, opts);
const I = (v: Nested): wg.Tensor => wg.tensor(v, { dtype: 'int32' });
const M23 = (): wg.Tensor => T([[1, -2, 3], [-4, 5, -6]]);
/** A leaf that requires grad. */
const G = (v: Nested): wg.Tensor => wg.tensor(v, { requiresGrad: true });

/** The init() this block ran with, restored after a case that re-initialises. */
async function restore(ctx: Ctx): Promise<void> {
  await wg.init({ backend: ctx.backend, verbose: false });
}

const dataset = (): wg.data.Dataset => ({ x: Float32Array.from({ length: 10 }, (_, i) => i), y: Int32Array.from([0, 1, 2, 3, 4]), n: 5, features: 2 });

/** An IDX file: 0 0, type, rank, big-endian dims, big-endian data. */
function idxBytes(type: number, shape: number[], values: number[], size: number, set: (dv: DataView, at: number, v: number) => void): Uint8Array {
  const out = new Uint8Array(4 + 4 * shape.length + size * values.length);
  const dv = new DataView(out.buffer);
  out[2] = type;
  out[3] = shape.length;
  shape.forEach((d, i) => dv.setUint32(4 + 4 * i, d, false));
  values.forEach((v, i) => set(dv, 4 + 4 * shape.length + size * i, v));
  return out;
}

/** The safetensors header of `bytes` (u64 length, JSON). */
function stHeader(bytes: Uint8Array): Record<string, { dtype: string; shape: number[] }> {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  return JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
}

/** Serves `bytes` once on 127.0.0.1 (an ephemeral port) and returns its URL and a closer. */
async function serveOnce(bytes: Uint8Array): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.end(Buffer.from(bytes));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/w.safetensors`, close: () => new Promise((ok) => server.close(() => ok())) };
}

class TwoLayer extends nn.Module {
  readonly a = this.registerModule('a', new nn.Linear(2, 3));
  readonly scale = this.registerParameter('scale', wg.ones([1], { requiresGrad: true }));
  forward(x: wg.Tensor): wg.Tensor {
    return this.a.forward(x).relu().mul(this.scale);
  }
}

/**
 * Rows the enumeration cannot see: instance fields, members only subclasses declare, and the
 * protected helpers a user's own Module subclass calls.
 */
export const FIELDS = new Set([
  'Tensor#shape', 'Tensor#dtype', 'Tensor#grad', 'Tensor#gradFn', 'optim.Optimizer#paramGroups', 'optim.Optimizer#step',
  'nn.Module#registerParameter', 'nn.Module#registerModule', 'nn.Module#forward',
]);

export const CASES: Record<string, Run> = {
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
  sum: () => is(wg.sum(M23(), 1, true), [[2], [-5]]),
  mean: () => is(wg.mean(M23(), 0), [-1.5, 1.5, -1.5]),
  max: () => is(wg.max(M23(), 0, true), [[1, 5, 3]]),
  min: () => is(wg.min(M23(), -1), [-2, -6]),
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
    const path = join(mkdtempSync(join(tmpdir(), 'webgrad-api-')), 'x.safetensors');
    expect(await wg.save({ w: T([5]) }, path)).toEqual(await wg.save({ w: T([5]) }));
    await is((await wg.load(path)).w, [5]);
  },
  load: async () => {
    const bytes = await wg.save({ w: T([[1.5], [2]]), i: I([7]) });
    const fromBytes = await wg.load(bytes);
    await is(fromBytes.w, [[1.5], [2]]);
    await is(fromBytes.i, [7], 'int32');
    const path = join(mkdtempSync(join(tmpdir(), 'webgrad-api-')), 'y.safetensors');
    writeFileSync(path, bytes);
    await is((await wg.load(pathToFileURL(path))).i, [7], 'int32');
    const server = await serveOnce(bytes);
    try {
      await is((await wg.load(server.url)).w, [[1.5], [2]]);
    } finally {
      await server.close();
    }
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
    await is(M23().max(1), [3, 5]);
    await is(M23().max(1, true), [[3], [5]]);
  },
  'Tensor#min': async () => {
    await is(M23().min(), -6);
    await is(M23().min(0), [-4, -2, -6]);
    await is(M23().min(1, true), [[-2], [-6]]);
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
  'Tensor#toString': () => {
    expect(T([[1, 2]]).toString()).toBe('Tensor(shape=[1,2], dtype=float32)');
    expect(G([1]).exp().toString()).toBe('Tensor(shape=[1], dtype=float32, gradFn=exp)');
  },

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
  'nn.Sequential': () => expect(new nn.Sequential(new nn.ReLU()).layers).toHaveLength(1),
  'nn.Sequential#length': () => expect(new nn.Sequential(new nn.ReLU(), new nn.Tanh()).length).toBe(2),
  'nn.Sequential#at': () => {
    expect(new nn.Sequential(new nn.ReLU(), new nn.Tanh()).at(-1)).toBeInstanceOf(nn.Tanh);
  },
  'nn.Sequential#forward': () => is(new nn.Sequential(new nn.Tanh(), new nn.ReLU()).forward(T([-1, 0.5])), [0, Math.tanh(0.5)]),
  'nn.functional.mseLoss': () => is(F.mseLoss(T([1, 2]), T([0, 4]), { reduction: 'sum' }), 5),
  'nn.functional.crossEntropy': async () => {
    const logits = G([[0, 0, Math.log(2)], [5, 5, 5]]);
    const loss = F.crossEntropy(logits, I([2, 0]), { reduction: 'none' });
    await is(loss, [Math.log(4) - Math.log(2), Math.log(3)]);
    loss.sum().backward();
    // softmax - onehot(target): the target's entry gets -1.
    await is(logits.grad!, [[0.25, 0.25, -0.5], [1 / 3 - 1, 1 / 3, 1 / 3]]);
  },
  'nn.functional.binaryCrossEntropy': () => is(F.binaryCrossEntropy(T([0.5, 0.25]), T([1, 0]), { reduction: 'none' }), [Math.LN2, -Math.log(0.75)]),
  'nn.functional.binaryCrossEntropyWithLogits': () => is(F.binaryCrossEntropyWithLogits(T([0, 1000]), T([1, 1])), Math.LN2 / 2),
  'nn.functional.linear': () => is(F.linear(T([[1, 2]]), T([[1, 0], [0, 1], [1, 1]]), T([0, 0, 10])), [[1, 2, 13]]),
  'nn.functional.relu': () => is(F.relu(T([-2, 3])), [0, 3]),
  'nn.functional.sigmoid': () => is(F.sigmoid(T([0])), [0.5]),
  'nn.functional.tanh': () => is(F.tanh(T([0])), [0]),
  'nn.functional.softmax': () => is(F.softmax(T([[1, 1, 1, 1]]), 1), [[0.25, 0.25, 0.25, 0.25]]),
  'nn.functional.logSoftmax': () => is(F.logSoftmax(T([[2, 2]]), -1), [[-Math.LN2, -Math.LN2]]),

  // ---- optim ----
  'optim.Optimizer': () => expect(new optim.SGD([G([1])], { lr: 0.1 })).toBeInstanceOf(optim.Optimizer),
  'optim.Optimizer#paramGroups': () => {
    const a = G([1]);
    const opt = new optim.SGD([{ params: [a], lr: 0.5 }], { lr: 0.1, momentum: 0.9 });
    expect(opt.paramGroups).toHaveLength(1);
    expect(opt.paramGroups[0]).toMatchObject({ lr: 0.5, momentum: 0.9, params: [a] });
  },
  'optim.Optimizer#step': async () => {
    for (const opt of [(p: wg.Tensor) => new optim.SGD([p], { lr: 0.1 }), (p: wg.Tensor) => new optim.Adam([p], { lr: 0.1 })]) {
      const p = G([1, 2]);
      p.grad = T([1, -1]);
      opt(p).step();
      await is(p, [0.9, 2.1], 'float32', 1e-5);
    }
  },
  'optim.Optimizer#zeroGrad': async () => {
    const p = G([1]);
    const opt = new optim.SGD([p], { lr: 1 });
    p.grad = T([5]);
    opt.zeroGrad({ setToNone: false });
    await is(p.grad!, [0]);
    opt.zeroGrad();
    expect(p.grad).toBeNull();
  },
  'optim.Optimizer#dispose': async () => {
    const p = G([1]);
    const opt = new optim.SGD([p], { lr: 1, momentum: 0.5 });
    p.grad = T([1]);
    opt.step(); // p = 0, buffer = 1
    opt.dispose();
    opt.step(); // a fresh buffer: p = -1 (with the old buffer it would be -1.5)
    await is(p, [-1]);
  },
  'optim.SGD': () => expect(() => new optim.SGD([G([1])], { lr: -1 })).toThrow('SGD: invalid learning rate: -1 (expected a finite number >= 0)'),
  'optim.SGD#step': async () => {
    const p = G([1]);
    const opt = new optim.SGD([p], { lr: 0.1, momentum: 0.9, weightDecay: 0.5 });
    for (let i = 0; i < 2; i++) {
      p.grad = T([1]);
      opt.step();
    }
    // g1 = 1 + 0.5 = 1.5, p = 0.85; g2 = 1 + 0.425 = 1.425, buf = 1.35 + 1.425 = 2.775, p = 0.5725
    await is(p, [0.5725], 'float32', 1e-6);
  },
  'optim.Adam': () => expect(new optim.Adam([G([1])]).paramGroups[0]).toMatchObject({ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 }),
  'optim.Adam#step': async () => {
    const p = G([1]);
    const opt = new optim.Adam([p], { lr: 0.1, betas: [0.5, 0.5] });
    p.grad = T([1]);
    opt.step();
    p.grad = T([3]);
    opt.step();
    // step 1: m̂ = v̂ = 1, p = 0.9; step 2: m = 0.25 + 1.5, v = 0.25 + 4.5, bias-corrected by 1 - 0.5²
    const mh = 1.75 / 0.75;
    const vh = 4.75 / 0.75;
    await is(p, [0.9 - (0.1 * mh) / (Math.sqrt(vh) + 1e-8)], 'float32', 1e-6);
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
    const path = join(mkdtempSync(join(tmpdir(), 'webgrad-api-')), 'x-idx1-ubyte');
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
