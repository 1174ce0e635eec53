// Multi-tensor in-place scaling (Backend.scaleInPlace, the op foreachMul_ over it, and
// clipGradNorm_ which uses it), on both backends. Every comparison is exact, bit for bit: the
// kernels multiply each element by the factor once, as mul_ by a 0-d tensor does.
//  - the backend call against binary('mul') per target: awkward sizes (0, 1, 3, 17, 65, 257)
//    with NaN, ±Inf and ±0, and 40 targets (more than one WebGPU dispatch holds);
//  - foreachMul_ against the loop of mul_: versions bumped, a storage listed twice (scaled
//    twice), views, transposed views, a factor that is a target, refusals that change nothing;
//  - clipGradNorm_ against the same norm followed by the loop of mul_, eager and in compiled
//    steps whose gradients and factor come out of pending elementwise chains;
//  - WebGPU dispatches: ceil(targets / k), and clipGradNorm_ of 30 gradients scales with 2 on
//    a 16-storage-buffer adapter where it took 30.
import { expect, it } from 'vitest';
import * as wg from 'webgrad-gpu';
import type { Backend, Storage } from '../src/backend/backend.js';
import { scaleSlotsPerDispatch } from '../src/backend/webgpu/foreach.js';
import { WebGPUBackend } from '../src/backend/webgpu/webgpu-backend.js';
import { foreachMul_ } from '../src/ops/foreach.js';
import { getBackend } from '../src/runtime.js';
import { backendsUnderTest, describeEachBackend } from './helpers/backends.js';
import { randn } from './helpers/random.js';

const backends = await backendsUnderTest();

const SIZES = [1, 3, 17, 65, 257, 0];
/** 40 targets cycling through SIZES (two of them empty). */
const FORTY = Array.from({ length: 40 }, (_, i) => SIZES[i % SIZES.length] + (i >= 20 ? 2 : 0));

/** n values: random normals with NaN, ±Inf, ±0 and a denormal-free tiny value mixed in. */
function values(n: number, seed: number): Float32Array {
  const v = randn(n, seed, 3);
  const specials = [NaN, Infinity, -Infinity, 0, -0, 1e-30, -3e38];
  for (let i = seed % 5; i < n; i += 7) v[i] = specials[(i + seed) % specials.length];
  return v;
}

/** The float32 bits, with every NaN the same (WGSL promises nothing about a NaN's payload). */
function bits(a: ArrayLike<number>): number[] {
  const f = Float32Array.from(a);
  const u = new Uint32Array(f.buffer);
  return Array.from(u, (b, i) => (Number.isNaN(f[i]) ? 0x7fc00000 : b));
}

/** Disposes each tensor (a tensor listed twice once). */
const disposeAll = (ts: wg.Tensor[]): void => {
  for (const t of ts) if (!t.isDisposed) t.dispose();
};

const FACTORS = [0.37, -1.5, 1, 0, 3e-8, NaN, Infinity];

describeEachBackend(backends, 'Backend.scaleInPlace', (backendName) => {
  const be = (): Backend => getBackend();
  const upload = (n: number, seed: number): Storage => be().upload(values(n, seed), 'float32');
  /** binary('mul') of each target by the factor: what mul_ computes. */
  const mulEach = (ts: Storage[], f: Storage): Storage[] => ts.map((t) => be().binary('mul', t, f, [t.numel], [1], [0], 'float32'));

  for (const factor of FACTORS) {
    it(`awkward sizes and 40 targets, factor ${factor}: the bits of binary mul per target`, async () => {
      const sizes = [...SIZES, ...FORTY];
      const targets = sizes.map((n, i) => upload(n, i + 1));
      const f = be().upload(Float32Array.of(factor), 'float32');
      const want = mulEach(targets, f);
      be().scaleInPlace(targets, f);
      for (let i = 0; i < targets.length; i++) expect(bits(await be().read(targets[i])), `target ${i} (${sizes[i]})`).toEqual(bits(await be().read(want[i])));
      expect(Array.from(await be().read(f))).toEqual([Math.fround(factor)]);   // the factor is only read
      for (const s of [...targets, ...want, f]) be().release(s);
    });
  }

  it('a storage listed twice (or more) is scaled as often, as by one call per listing', async () => {
    const a = upload(65, 1);
    const b = upload(17, 2);
    const f = be().upload(Float32Array.of(0.5), 'float32');
    const [a0, b0] = [await be().read(a), await be().read(b)];
    be().scaleInPlace([a, b, a, a, b], f);
    expect(bits(await be().read(a))).toEqual(bits(a0.map((v) => Math.fround(Math.fround(Math.fround(v * 0.5) * 0.5) * 0.5))));
    expect(bits(await be().read(b))).toEqual(bits(b0.map((v) => Math.fround(Math.fround(v * 0.5) * 0.5))));
    for (const s of [a, b, f]) be().release(s);
  });

  it('refuses before any write: a factor of 2 elements, a target that is the factor, int32, a released storage', async () => {
    const a = upload(17, 1);
    const a0 = bits(await be().read(a));
    const two = upload(2, 3);
    const f = be().upload(Float32Array.of(2), 'float32');
    const i32 = be().upload(Int32Array.of(1, 2), 'int32');
    const gone = upload(3, 4);
    be().release(gone);
    expect(() => be().scaleInPlace([a], two)).toThrow(/scaleInPlace: factor must have one element, got 2/);
    expect(() => be().scaleInPlace([a, f], f)).toThrow(/scaleInPlace: target 1 is the factor's storage/);
    expect(() => be().scaleInPlace([a, i32], f)).toThrow(/scaleInPlace: target 1 \(int32\)/);
    expect(() => be().scaleInPlace([a, gone], f)).toThrow(/released|another backend|scaleInPlace/);
    expect(bits(await be().read(a))).toEqual(a0);
    for (const s of [a, two, f, i32]) be().release(s);
  });

  if (backendName === 'webgpu') {
    it('dispatches: ceil(targets / k), a repeated storage starting a new one, empty targets none', () => {
      const gpu = be() as WebGPUBackend;
      const k = scaleSlotsPerDispatch(gpu.device.limits.maxStorageBuffersPerShaderStage);
      expect(k).toBe(Math.min(gpu.device.limits.maxStorageBuffersPerShaderStage - 1, 64));
      const f = gpu.upload(Float32Array.of(2), 'float32');
      const count = (ts: Storage[]): number => {
        const before = gpu.dispatchCount();
        gpu.scaleInPlace(ts, f);
        return gpu.dispatchCount() - before;
      };
      const ts = Array.from({ length: 40 }, (_, i) => upload(1 + i, i));
      const empty = upload(0, 0);
      expect(count(ts)).toBe(Math.ceil(40 / k));
      expect(count([empty, ...ts.slice(0, k), empty])).toBe(1);
      expect(count([empty, empty])).toBe(0);
      expect(count([ts[0], ts[1], ts[0]])).toBe(2);
      for (const s of [...ts, empty, f]) gpu.release(s);
    });
  }
});

describeEachBackend(backends, 'foreachMul_', () => {
  const make = (n: number, seed: number, shape: number[] = [n]): wg.Tensor => wg.tensor(Array.from(values(n, seed))).reshape(shape);
  const read = async (t: wg.Tensor): Promise<number[]> => bits((await t.toArray()) as Float32Array);

  it('equals the loop of mul_ bit for bit and bumps each version once', async () => {
    const shapes = [[1], [3], [17], [5, 13], [65], [257], [0], [2, 0], ...FORTY.map((n) => [n])];
    const a = shapes.map((s, i) => make(s.reduce((x, y) => x * y, 1), i + 1, s));
    const b = shapes.map((s, i) => make(s.reduce((x, y) => x * y, 1), i + 1, s));
    const f = wg.tensor(0.731);
    const versions = a.map((t) => t.version);
    foreachMul_(a, f);
    for (const t of b) t.mul_(f);
    for (let i = 0; i < a.length; i++) {
      expect(await read(a[i]), `target ${i}`).toEqual(await read(b[i]));
      expect(a[i].version, `target ${i}`).toBe(versions[i] + 1);
    }
    disposeAll([...a, ...b, f]);
  });

  it('forgets a host-known value (a zero-filled gradient times NaN is NaN)', async () => {
    const z = wg.zeros([5]).zero_();
    expect(z.hostRange).toEqual({ min: 0, max: 0 });
    foreachMul_([z], wg.tensor(NaN));
    expect(z.hostRange).toBeNull();
    expect(Array.from((await z.toArray()) as Float32Array).every(Number.isNaN)).toBe(true);
    z.dispose();
  });

  it('views, a tensor listed twice and a transposed view: the loop of mul_', async () => {
    const cases = (): wg.Tensor[] => {
      const base = make(6, 1, [2, 3]);
      const other = make(12, 2, [3, 4]);
      // base, a reshaped view of it, itself again, a transposed view of other, and other.
      return [base, base.reshape([6]), base, other.transpose(0, 1), other, make(17, 3)];
    };
    const a = cases();
    const b = cases();
    const f = wg.tensor(-0.3);
    const [va, vb] = [a.map((t) => t.version), b.map((t) => t.version)];
    foreachMul_(a, f);
    for (const t of b) t.mul_(f);
    for (let i = 0; i < a.length; i++) {
      expect(await read(a[i]), `target ${i}`).toEqual(await read(b[i]));
      expect(a[i].version - va[i], `target ${i}`).toBe(b[i].version - vb[i]);
    }
    // base is written three times (twice itself, once through its view), other twice.
    expect(a[0].version - va[0]).toBe(3);
    expect(a[4].version - va[4]).toBe(2);
    disposeAll([...a, ...b, f]);
  });

  it('a factor that is one of the targets (or a view of one): the targets after it see it scaled', async () => {
    const run = (loop: boolean) => {
      const ts = [make(17, 1), make(1, 2, []), make(3, 3)];
      const f = ts[1].reshape([]);
      if (loop) for (const t of ts) t.mul_(f);
      else foreachMul_(ts, f);
      return ts;
    };
    const [a, b] = [run(false), run(true)];
    for (let i = 0; i < a.length; i++) expect(await read(a[i]), `target ${i}`).toEqual(await read(b[i]));
    disposeAll([...a, ...b]);
  });

  it('refuses before any write: int32 target, 2-element factor, requiresGrad outside noGrad, disposed', async () => {
    const a = make(17, 1);
    const a0 = await read(a);
    const f = wg.tensor(2);
    const i32 = wg.tensor([1, 2], { dtype: 'int32' });
    expect(() => foreachMul_([a, i32], f)).toThrow(/foreachMul_: result of shape \[2\] \(float32\) cannot be written into a tensor of shape \[2\] \(int32\)/);
    expect(() => foreachMul_([a], wg.tensor([1, 2]))).toThrow(/foreachMul_: factor must have one element, got shape \[2\]/);
    const p = wg.ones([3], { requiresGrad: true });
    expect(() => foreachMul_([a, p], f)).toThrow(/foreachMul_: in-place operations are not recorded for autograd/);
    wg.noGrad(() => foreachMul_([p], f));
    expect(Array.from((await p.toArray()) as Float32Array)).toEqual([2, 2, 2]);
    const gone = make(3, 4);
    gone.dispose();
    expect(() => foreachMul_([a, gone], f)).toThrow(/foreachMul_: a tensor of shape \[3\] was used after dispose\(\)/);
    expect(() => foreachMul_([a, 3 as never], f)).toThrow(/foreachMul_: target 1 is not a Tensor/);
    expect(await read(a)).toEqual(a0);
    disposeAll([a, f, i32, p]);
  });
});

describeEachBackend(backends, 'clipGradNorm_ with foreachMul_', (backendName) => {
  /** A small model whose parameter gradients come out of elementwise chains in a compiled step. */
  function model(): { params: wg.Tensor[]; loss: (x: wg.Tensor) => wg.Tensor } {
    wg.manualSeed(0);
    const lin = new wg.nn.Linear(17, 65);
    const ln = new wg.nn.LayerNorm(65);
    const scale = wg.randn([65], { requiresGrad: true });
    const shift = wg.randn([3], { requiresGrad: true });
    const params = [...lin.parameters(), ...ln.parameters(), scale, shift];
    const loss = (x: wg.Tensor): wg.Tensor =>
      ln.forward(lin.forward(x)).mul(scale).tanh().sum().add(shift.mul(shift).sum()).mul(3);
    return { params, loss };
  }

  /** clipGradNorm_ with maxNorm Infinity (a factor of 1), then the factor computed as it does and mul_ per gradient. */
  function byHand(params: wg.Tensor[], maxNorm: number, normType: number): wg.Tensor {
    const total = wg.nn.utils.clipGradNorm_(params, Infinity, { normType });
    wg.noGrad(() => {
      const coef = wg.fullLike(total.reshape([]), maxNorm).div(total.add(1e-6)).clamp(null, 1);
      for (const p of params) p.grad!.mul_(coef);
    });
    return total;
  }

  for (const normType of [2, Infinity]) {
    it(`normType ${normType}: the bits of the norm and mul_ per gradient, eager and compiled`, async () => {
      const run = async (compiled: boolean, clip: (ps: wg.Tensor[]) => wg.Tensor): Promise<number[][]> => {
        const { params, loss } = model();
        const step = (x: wg.Tensor): wg.Tensor => wg.scope(() => {
          for (const p of params) p.grad = null;
          loss(x).backward();
          return clip(params);
        });
        const fn = compiled ? wg.compile(step) : step;
        const out: number[][] = [];
        for (let i = 0; i < 3; i++) {
          const x = wg.tensor(Array.from(randn(4 * 17, 10 + i))).reshape([4, 17]);
          const norm = fn(x);
          out.push(bits([await norm.item()]), ...(await Promise.all(params.map(async (p) => bits((await p.grad!.toArray()) as Float32Array)))));
          disposeAll([x, norm]);
        }
        disposeAll(params);
        return out;
      };
      const want = await run(false, (ps) => byHand(ps, 0.5, normType));
      expect(await run(false, (ps) => wg.nn.utils.clipGradNorm_(ps, 0.5, { normType }))).toEqual(want);
      // Compiled with normType Infinity on lavapipe (16 storage buffers per stage), the max-norm's
      // 0-d ops fill one chain and the next starts a chain that reads none of its results: that
      // chain was never run, and the norm came out NaN (test/compile-gpu.test.ts, 'a full chain
      // and the next op of its size').
      expect(await run(true, (ps) => wg.nn.utils.clipGradNorm_(ps, 0.5, { normType }))).toEqual(want);
    });
  }

  it('in a compiled step, targets and factor that are pending chain results are written first', async () => {
    const a = wg.tensor(Array.from(randn(257, 1)));
    const b = wg.tensor(Array.from(randn(65, 2)));
    const fn = (loop: boolean) => (): wg.Tensor[] => {
      const ts = [a.mul(b.sum()).add(1), b.tanh().mul(2), a.exp()];
      const f = b.abs().max().add(0.5).reciprocal();
      const peek = ts[2].abs();   // a pending chain reading a target before it is scaled
      if (loop) for (const t of ts) t.mul_(f);
      else foreachMul_(ts, f);
      return [...ts, peek, f];
    };
    const read = async (ts: wg.Tensor[]): Promise<number[][]> => Promise.all(ts.map(async (t) => bits((await t.toArray()) as Float32Array)));
    const want = await wg.scope(async () => read(fn(true)()));
    expect(await wg.scope(async () => read(fn(false)()))).toEqual(want);
    const step = wg.compile(fn(false));
    await wg.scope(async () => read(step()));   // the trace (eager)
    expect(await wg.scope(async () => read(step()))).toEqual(want);
    if (backendName === 'webgpu') expect(step.info().dispatches).toBeLessThan(step.info().eagerDispatches!);
    disposeAll([a, b]);
  });

  if (backendName === 'webgpu') {
    it('30 gradients: one backend call, ceil(30 / k) dispatches where mul_ per gradient took 30', async () => {
      const gpu = getBackend() as WebGPUBackend;
      const k = scaleSlotsPerDispatch(gpu.device.limits.maxStorageBuffersPerShaderStage);
      /** The dispatches of clipGradNorm_ over 30 gradients, the calls of scaleInPlace and the clipped bits. */
      const clip = async (scale: (targets: readonly Storage[], factor: Storage) => void) => {
        const ps = Array.from({ length: 30 }, (_, i) => wg.zeros([1 + 7 * i], { requiresGrad: true }));
        for (const [i, p] of ps.entries()) p.grad = wg.tensor(Array.from(randn(p.numel, i)));
        const calls: number[] = [];
        gpu.scaleInPlace = (targets, factor) => {
          calls.push(targets.length);
          scale(targets, factor);
        };
        try {
          const before = gpu.dispatchCount();
          wg.nn.utils.clipGradNorm_(ps, 1e-3).dispose();
          const dispatches = gpu.dispatchCount() - before;
          const grads = await Promise.all(ps.map(async (p) => bits((await p.grad!.toArray()) as Float32Array)));
          return { dispatches, calls, grads };
        } finally {
          delete (gpu as Partial<WebGPUBackend>).scaleInPlace;
          disposeAll([...ps.map((p) => p.grad!), ...ps]);
        }
      };
      // What mul_ per gradient dispatched: a binary mul each (its result replaced the storage;
      // here it is copied back, and a buffer copy is no dispatch).
      const perGradient = await clip((targets, factor) => {
        for (const t of targets) {
          const product = gpu.binary('mul', t, factor, [t.numel], [1], [0], 'float32');
          gpu.copy(product, t);
          gpu.release(product);
        }
      });
      const foreach = await clip((targets, factor) => WebGPUBackend.prototype.scaleInPlace.call(gpu, targets, factor));
      expect(foreach.calls).toEqual([30]);
      expect(foreach.grads).toEqual(perGradient.grads);
      expect(foreach.dispatches).toBe(perGradient.dispatches - 30 + Math.ceil(30 / k));
    });
  }
});
