// Memory: dispose(), scope() (sync and async), `using`, the FinalizationRegistry safety net and
// memory(), on every backend. Counts are compared with a baseline taken inside each test, so
// tensors made by other tests in the file do not matter.
import v8 from 'node:v8';
import vm from 'node:vm';
import { expect, it } from 'vitest';
import * as wg from 'webgrad-gpu';
import { sizeClass } from '../src/backend/webgpu/buffer-pool.js';
import { backendsUnderTest, describeEachBackend } from './helpers/backends.js';

const backends = await backendsUnderTest();

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const live = (): number => wg.memory().liveTensors;
const bytes = (): number => wg.memory().bytesInUse;

describeEachBackend(backends, 'memory', (backend) => {
  /** What a tensor of `n` bytes holds: exactly n on the CPU, the pool's size class on WebGPU. */
  const held = (n: number): number => (backend === 'cpu' ? n : sizeClass(n, wg.backendInfo().limits!.maxStorageBufferBindingSize));

  it('reports live tensors, bytes, pool and backend', async () => {
    const m = wg.memory();
    expect(m.backend).toBe(backend);
    const x = wg.zeros([1000]);
    const y = wg.arange(3);
    const m1 = wg.memory();
    expect(m1.liveTensors - m.liveTensors).toBe(2);
    expect(m1.bytesInUse - m.bytesInUse).toBe(held(4000) + held(12)); // 4096 + 256 on WebGPU
    expect(await x.add(1).sum().item()).toBe(1000); // a submit, after which freed buffers are reusable at once
    const m2 = wg.memory();
    x.dispose();
    y.dispose();
    const m3 = wg.memory();
    expect(m3.liveTensors).toBe(m2.liveTensors - 2);
    expect(m3.bytesInUse).toBe(m2.bytesInUse - held(4000) - held(12));
    // The CPU backend keeps no pool; WebGPU's takes the two freed buffers back.
    expect(m3.poolBytes - m2.poolBytes).toBe(backend === 'cpu' ? 0 : held(4000) + held(12));
    if (backend === 'cpu') expect(m3.poolBytes).toBe(0);
  });

  it('frees storage on dispose(); views share it until the last one goes', async () => {
    const [n0, b0] = [live(), bytes()];
    const x = wg.ones([256]);
    const b1 = bytes();
    expect(b1).toBe(b0 + held(1024)); // 1024 is a size class itself
    const v = x.reshape([16, 16]);
    expect(live()).toBe(n0 + 2);
    expect(bytes()).toBe(b1); // a view allocates nothing
    x.dispose();
    expect(x.isDisposed).toBe(true);
    expect(live()).toBe(n0 + 1);
    expect(bytes()).toBe(b1); // the view still holds the storage
    const total = v.sum();
    expect(await total.item()).toBe(256);
    total.dispose();
    v.dispose();
    v.dispose(); // twice is harmless
    expect(live()).toBe(n0);
    expect(bytes()).toBe(b0);
  });

  it('refuses to use a disposed tensor, and says so', async () => {
    const x = wg.ones([3]);
    x.dispose();
    await expect(x.toArray()).rejects.toThrow(/toArray: a tensor of shape \[3\] was used after dispose\(\)/);
    expect(() => x.mul(2)).toThrow(/mul: a tensor of shape \[3\] was used after dispose\(\)/);
    const kept = wg.scope(() => {
      const inner = wg.ones([2]);
      return { inner, doubled: inner.mul(2) };
    });
    expect(kept.inner.isDisposed).toBe(false);
    const lost: wg.Tensor[] = [];
    wg.scope(() => void lost.push(wg.ones([2])));
    expect(() => lost[0].exp()).toThrow(/exp: a tensor of shape \[2\] was used after dispose\(\)/);
  });

  it('scope() disposes intermediates and keeps returned tensors (single, array, object, Map)', async () => {
    const outside = wg.ones([4]);
    const n0 = live();
    const b0 = bytes();
    const one = wg.scope(() => outside.mul(2).add(1).exp());
    expect(live()).toBe(n0 + 1);
    const [a, b] = wg.scope(() => {
      const t = outside.mul(3);
      return [t.add(1), t.sub(1)];
    });
    const obj = wg.scope(() => ({ sum: outside.sum(), nested: { mean: outside.mean() }, n: 3 }));
    const map = wg.scope(() => new Map([['x', outside.neg()]]));
    expect(live()).toBe(n0 + 6);
    expect(outside.isDisposed).toBe(false); // made before the scope: not its business
    expect(Array.from(await a.toArray())).toEqual([4, 4, 4, 4]);
    expect(await obj.nested.mean.item()).toBe(1);
    expect(Array.from(await map.get('x')!.toArray())).toEqual([-1, -1, -1, -1]);
    for (const t of [one, a, b, obj.sum, obj.nested.mean, map.get('x')!]) t.dispose();
    expect(live()).toBe(n0);
    expect(bytes()).toBe(b0);
  });

  it('nested scopes hand returned tensors to the enclosing scope; keep() escapes them all', () => {
    const n0 = live();
    let fromInner: wg.Tensor | null = null;
    let kept: wg.Tensor | null = null;
    const outer = wg.scope(() => {
      fromInner = wg.scope(() => wg.ones([2]).mul(2));
      expect(fromInner.isDisposed).toBe(false);
      kept = wg.keep(wg.zeros([2]));
      return wg.ones([1]);
    });
    expect(fromInner!.isDisposed).toBe(true); // not returned by the outer scope
    expect(kept!.isDisposed).toBe(false);
    expect(live()).toBe(n0 + 2);
    outer.dispose();
    kept!.dispose();
    expect(live()).toBe(n0);
  });

  it('scope() disposes and rethrows when fn throws, and the scope stack recovers', () => {
    const n0 = live();
    expect(() =>
      wg.scope(() => {
        wg.ones([3]).mul(2);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(() => wg.scope(() => wg.ones([2]).mm(wg.ones([3, 3])))).toThrow(wg.WebgradError);
    expect(live()).toBe(n0);
    const after = wg.ones([1]); // must not land in a dead scope
    wg.scope(() => void wg.ones([1]));
    expect(after.isDisposed).toBe(false);
    after.dispose();
    expect(live()).toBe(n0);
  });

  it('async scope() waits for fn, keeps what it resolves to and disposes the rest', async () => {
    const n0 = live();
    const out = await wg.scope(async () => {
      const x = wg.ones([3]).mul(2);
      const s = await x.sum().item(); // a readback inside the scope
      expect(s).toBe(6);
      return x.add(s);
    });
    expect(live()).toBe(n0 + 1);
    expect(Array.from(await out.toArray())).toEqual([8, 8, 8]);
    out.dispose();
    await expect(
      wg.scope(async () => {
        wg.ones([5]).exp();
        await Promise.resolve();
        throw new Error('async boom');
      }),
    ).rejects.toThrow('async boom');
    expect(live()).toBe(n0);
  });

  it('`using` disposes at the end of the block', () => {
    const n0 = live();
    const b0 = bytes();
    {
      using x = wg.ones([64]);
      using y = x.mul(2);
      expect(live()).toBe(n0 + 2); // mul's 0-d operand is already gone
      expect(y.shape).toEqual([64]);
    }
    expect(live()).toBe(n0);
    expect(bytes()).toBe(b0);
  });

  it('scope() keeps new .grads and frees the rest of the step', async () => {
    wg.manualSeed(1);
    const x = wg.randn([4, 3]);
    const w = wg.randn([3, 2], { requiresGrad: true });
    const n0 = live();
    wg.scope(() => x.mm(w).relu().sum().backward());
    expect(w.grad).not.toBeNull();
    expect(w.grad!.isDisposed).toBe(false);
    expect(live()).toBe(n0 + 1);
    const b1 = bytes();
    const g1 = Array.from(await w.grad!.toArray());
    wg.scope(() => x.mm(w).relu().sum().backward()); // accumulates into the same .grad
    expect(live()).toBe(n0 + 1);
    expect(bytes()).toBe(b1);
    expect(Array.from(await w.grad!.toArray())).toEqual(g1.map((g) => 2 * g));
  });

  it('backward frees the temporaries the graph owned; noGrad ops free them at once', () => {
    const x = wg.tensor([1, 2], { requiresGrad: true });
    const n0 = live();
    const t1 = x.mul(3); // +1, and the 0-d operand 3 held by the graph
    const t2 = t1.add(1); // likewise
    const t3 = t2.pow(2);
    const loss = t3.sum();
    expect(live()).toBe(n0 + 6);
    loss.backward();
    expect(live()).toBe(n0 + 5); // +x.grad, -the two operands
    for (const t of [t1, t2, t3, loss]) t.dispose();
    expect(live()).toBe(n0 + 1);
    wg.noGrad(() => {
      const p = wg.ones([2]);
      const n1 = live();
      const y = p.mul(3).add(1);
      expect(live()).toBe(n1 + 2); // the two results only
      p.add_(y, -0.5); // alpha scaling makes a temporary: freed too
      p.sub_(2);
      expect(live()).toBe(n1 + 2);
      y.dispose();
      p.dispose();
    });
  });

  it('frees the views and intermediates that vector matmul, linear and max(dim) make for themselves', async () => {
    const v = wg.tensor([1, 2, 3], { requiresGrad: true });
    const m = wg.ones([2, 3], { requiresGrad: true });
    const bias = wg.tensor([0.5, -0.5], { requiresGrad: true });
    const n0 = live();
    const [mx, mi] = m.max(1);
    const results = [m.matmul(v), v.matmul(v), wg.nn.functional.linear(m, m, bias), mx];
    const loss = results.reduce((acc, r) => acc.add(r.sum()), wg.zeros([]));
    loss.backward();
    const grads = [v, m, bias].map((t) => t.grad!);
    expect(Array.from(await bias.grad!.toArray())).toEqual([2, 2]);
    // Everything the user holds: the 4 results, max's indices, the loss chain (zeros, 4 sums,
    // 4 adds), 3 grads. The graph's own view of the indices went with it after backward.
    expect(live()).toBe(n0 + 4 + 1 + 9 + 3);
    mi.dispose();
    wg.noGrad(() => {
      const n1 = live();
      const plain = [m.matmul(v), v.matmul(v), wg.nn.functional.linear(m, m, bias), ...m.max(1)];
      expect(live()).toBe(n1 + 5); // the results alone (max(dim) gives values and indices)
      for (const t of plain) t.dispose();
    });
    void grads;
  });

  it('backward passes through a disposed intermediate it does not need, and names one it needs', async () => {
    const x = wg.tensor([1, 2], { requiresGrad: true });
    const y = x.add(1); // add saves nothing
    const z = y.sum();
    y.dispose();
    z.backward();
    expect(Array.from(await x.grad!.toArray())).toEqual([1, 1]);
    const a = wg.tensor([1, 2], { requiresGrad: true });
    const loss = wg.scope(() => a.exp().sum()); // exp's output, saved, dies with the scope
    expect(() => loss.backward()).toThrow(/saved by exp for backward was disposed \(by dispose\(\) or a scope\(\) that closed before backward ran\)/);
  });

  it('reclaims tensors dropped without dispose() through the FinalizationRegistry', async () => {
    // Collect what earlier tests dropped first, so the baseline holds only reachable tensors.
    const settle = async (): Promise<void> => {
      for (let prev = -1, i = 0; i < 50 && live() !== prev; i++) {
        prev = live();
        gc();
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    await settle();
    const n0 = live();
    const b0 = bytes();
    (() => {
      for (let i = 0; i < 50; i++) wg.ones([1000]).mul(2);
    })();
    expect(live()).toBe(n0 + 100);
    for (let i = 0; i < 50 && live() > n0; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(live()).toBe(n0);
    expect(bytes()).toBe(b0);
  });
});
