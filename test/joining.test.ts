// Joining and slicing (cat, stack, split, chunk, unbind, narrow, select, slice, repeat, flip,
// pad) through the public API on every backend: PyTorch's numbers (test/fixtures/joining.json,
// written by gen_joining_fixtures.py), hand-worked values, every refused argument, memory, and
// float64 gradchecks on the CPU backend.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as wg from 'webgrad-gpu';
import type { Tensor } from 'webgrad-gpu';
import { backendsUnderTest, describeEachBackend } from './helpers/backends.js';
import { expectClose } from './helpers/close.js';
import { settleGarbage } from './helpers/settle.js';

const backends = await backendsUnderTest();

interface Case {
  name: string;
  op: string;
  args: Record<string, unknown>;
  inputs: { shape: number[]; data: number[] }[];
  outputs: { shape: number[]; data: number[] }[];
  weights: number[][];
  used: number[];
  grads: (number[] | null)[];
  tol: { atol: number; rtol: number };
}
const fixtures = JSON.parse(readFileSync(new URL('./fixtures/joining.json', import.meta.url), 'utf8')) as { torch: string; cases: Case[] };

// The same table as OPS in gen_joining_fixtures.py.
type A = Record<string, never>;
const OPS: Record<string, (xs: Tensor[], a: A) => Tensor | Tensor[]> = {
  cat: (xs, a) => wg.cat(xs, a.dim),
  stack: (xs, a) => wg.stack(xs, a.dim),
  split: (xs, a) => xs[0].split(a.size, a.dim),
  chunk: (xs, a) => xs[0].chunk(a.chunks, a.dim),
  unbind: (xs, a) => xs[0].unbind(a.dim),
  narrow: (xs, a) => xs[0].narrow(a.dim, a.start, a.length),
  select: (xs, a) => xs[0].select(a.dim, a.index),
  slice: (xs, a) => xs[0].slice(a.dim, a.start, a.end, a.step),
  repeat: (xs, a) => xs[0].repeat(a.sizes),
  flip: (xs, a) => xs[0].flip(a.dims),
  pad: (xs, a) => wg.nn.functional.pad(xs[0], a.pad, { value: a.value }),
};

/** Backend methods that do work; none may run before an argument error. */
const WORK = ['upload', 'full', 'copy', 'fill', 'cast', 'strided', 'stridedScatter', 'binary', 'sumTo'] as const;

async function expectRefused(bad: () => unknown, op: string, message: RegExp): Promise<void> {
  const probe = wg.zeros([1]);
  const backend = probe.backend as unknown as Record<string, unknown>;
  probe.dispose();
  await settleGarbage();
  const live = wg.memory().liveTensors;
  const calls: string[] = [];
  for (const name of WORK) {
    const orig = backend[name] as (...a: unknown[]) => unknown;
    backend[name] = (...args: unknown[]) => (calls.push(name), orig.apply(backend, args));
  }
  let error: unknown = null;
  try {
    bad();
  } catch (e) {
    error = e;
  } finally {
    for (const name of WORK) delete backend[name];
  }
  expect(error, 'expected a WebgradError').toBeInstanceOf(wg.WebgradError);
  expect((error as wg.WebgradError).op).toBe(op);
  expect((error as Error).message).toMatch(message);
  expect(calls, 'backend work before the error').toEqual([]);
  expect(wg.memory().liveTensors).toBe(live);
}

describeEachBackend(backends, 'joining and slicing', () => {
  describe(`PyTorch ${fixtures.torch} fixtures`, () => {
    for (const c of fixtures.cases) {
      it(c.name, async () => {
        await settleGarbage();
        const live = wg.memory().liveTensors;
        await wg.scope(async () => {
          const xs = c.inputs.map((i) => wg.tensor(i.data).reshape(i.shape).requiresGrad_());
          const res = OPS[c.op](xs, c.args as A);
          const outs = Array.isArray(res) ? res : [res];
          expect(outs.length).toBe(c.outputs.length);
          for (const [k, o] of outs.entries()) {
            expect([...o.shape]).toEqual(c.outputs[k].shape);
            await expectClose(o, c.outputs[k].data, c.tol.atol, c.tol.rtol, c.outputs[k].shape);
          }
          const terms = c.used.map((k) => outs[k].mul(wg.tensor(c.weights[k]).reshape(c.outputs[k].shape)).sum());
          terms.reduce((a, b) => a.add(b)).backward();
          for (const [i, x] of xs.entries()) {
            const want = c.grads[i];
            if (want === null) expect(x.grad).toBeNull();
            else await expectClose(x.grad!, want, c.tol.atol, c.tol.rtol, c.inputs[i].shape); // a gradient has its input's shape
            x.grad?.dispose(); // kept past scopes, as every .grad
          }
        });
        expect(wg.memory().liveTensors).toBe(live);
      });
    }
  });

  describe('values by hand', () => {
    const x = (): Tensor => wg.arange(12).reshape([3, 4]).to('float32');
    it('cat and stack', async () => {
      expect(await wg.cat([wg.tensor([[1, 2]]), wg.tensor([[3, 4], [5, 6]])]).tolist()).toEqual([[1, 2], [3, 4], [5, 6]]);
      expect(await wg.cat([wg.tensor([[1], [2]]), wg.tensor([[3, 4], [5, 6]])], 1).tolist()).toEqual([[1, 3, 4], [2, 5, 6]]);
      expect(await wg.stack([wg.tensor([1, 2]), wg.tensor([3, 4])], 1).tolist()).toEqual([[1, 3], [2, 4]]);
      // int32 and float32 promote to float32, as in PyTorch.
      const mixed = wg.cat([wg.tensor([1, 2], { dtype: 'int32' }), wg.tensor([0.5])]);
      expect(mixed.dtype).toBe('float32');
      expect(await mixed.tolist()).toEqual([1, 2, 0.5]);
      const ints = wg.cat([wg.tensor([7], { dtype: 'int32' }), wg.tensor([-3, 4], { dtype: 'int32' })]);
      expect(ints.dtype).toBe('int32');
      expect(await ints.tolist()).toEqual([7, -3, 4]);
    });
    it('split, chunk, unbind', async () => {
      const parts = await Promise.all(x().split([1, 3], 1).map((p) => p.tolist()));
      expect(parts).toEqual([[[0], [4], [8]], [[1, 2, 3], [5, 6, 7], [9, 10, 11]]]);
      expect(x().chunk(3, 1).map((p) => [...p.shape])).toEqual([[3, 2], [3, 2]]);
      expect(wg.zeros([0, 2]).chunk(3).map((p) => [...p.shape])).toEqual([[0, 2], [0, 2], [0, 2]]);
      expect(await Promise.all(x().unbind(1).map((p) => p.tolist()))).toEqual([[0, 4, 8], [1, 5, 9], [2, 6, 10], [3, 7, 11]]);
      expect(wg.zeros([2, 0]).unbind(1)).toEqual([]);
    });
    it('narrow, select, slice', async () => {
      expect(await x().narrow(0, -2, 2).tolist()).toEqual([[4, 5, 6, 7], [8, 9, 10, 11]]);
      expect(await x().select(1, -1).tolist()).toEqual([3, 7, 11]);
      expect(await x().slice(1, null, null, 3).tolist()).toEqual([[0, 3], [4, 7], [8, 11]]);
      expect(await x().slice(1, -3, 100).tolist()).toEqual([[1, 2, 3], [5, 6, 7], [9, 10, 11]]);
      expect([...x().slice(0, 2, 1).shape]).toEqual([0, 4]);
      expect(await x().slice(0, 1).tolist()).toEqual([[4, 5, 6, 7], [8, 9, 10, 11]]);
    });
    it('repeat, flip, pad', async () => {
      expect(await wg.tensor([1, 2]).repeat(2, 2).tolist()).toEqual([[1, 2, 1, 2], [1, 2, 1, 2]]);
      expect(await wg.tensor([1, 2]).repeat([3]).tolist()).toEqual([1, 2, 1, 2, 1, 2]);
      expect([...wg.tensor([1, 2]).repeat(0, 2).shape]).toEqual([0, 4]);
      expect(await x().flip([0, 1]).tolist()).toEqual([[11, 10, 9, 8], [7, 6, 5, 4], [3, 2, 1, 0]]);
      expect(await wg.tensor([[1, 2]]).flip(-1).tolist()).toEqual([[2, 1]]);
      const F = wg.nn.functional;
      expect(await F.pad(wg.tensor([[1, 2]]), [1, 0, 0, 1], { value: 9 }).tolist()).toEqual([[9, 1, 2], [9, 9, 9]]);
      expect(await F.pad(wg.tensor([1, 2, 3, 4]), [-1, -2]).tolist()).toEqual([2]);
      expect(await F.pad(wg.tensor([1, 2], { dtype: 'int32' }), [2, 1], { mode: 'constant', value: -1 }).tolist()).toEqual([-1, -1, 1, 2, -1]);
    });
    it('a gradient reaching only some pieces of split: the rest are zero', async () => {
      const t = wg.tensor([1, 2, 3, 4, 5], { requiresGrad: true });
      const [a, , c] = t.split(2);
      a.sum().add(c.mul(3).sum()).backward();
      expect(await t.grad!.tolist()).toEqual([1, 1, 0, 0, 3]);
    });
    it('pieces of one split used twice accumulate', async () => {
      const t = wg.tensor([[1, 2], [3, 4]], { requiresGrad: true });
      const [r0, r1] = t.unbind(0);
      r0.mul(r1).sum().add(r0.sum()).backward();
      expect(await t.grad!.tolist()).toEqual([[4, 5], [1, 2]]);
    });
    it('an input given twice to cat gets both gradients', async () => {
      const t = wg.tensor([1, 2], { requiresGrad: true });
      wg.cat([t, t.mul(2), t]).mul(wg.tensor([1, 10, 100, 1000, 1e4, 1e5])).sum().backward();
      expect(await t.grad!.tolist()).toEqual([1 + 200 + 1e4, 10 + 2000 + 1e5]);
    });
    it('backward twice through split with retainGraph, and retainGrad on a piece', async () => {
      const t = wg.tensor([1, 2, 3, 4], { requiresGrad: true });
      const [a, b] = t.chunk(2);
      b.retainGrad();
      const loss = a.sum().add(b.mul(b).sum());
      loss.backward(undefined, { retainGraph: true });
      loss.backward();
      expect(await t.grad!.tolist()).toEqual([2, 2, 12, 16]);
      expect(await b.grad!.tolist()).toEqual([12, 16]);
    });
    it('split results as the root of backward', async () => {
      const t = wg.tensor([1, 2, 3], { requiresGrad: true });
      const [, last] = t.split(2);
      last.backward();
      expect(await t.grad!.tolist()).toEqual([0, 0, 1]);
    });
  });

  describe('memory', () => {
    it('forward and backward in a scope leave no tensor behind', async () => {
      const x = wg.randn([5, 6], { requiresGrad: true });
      const y = wg.randn([5, 2], { requiresGrad: true });
      await settleGarbage();
      const live = wg.memory().liveTensors;
      await wg.scope(async () => {
        const joined = wg.nn.functional.pad(wg.cat([x, y], 1), [1, 1]);
        const [p, q] = joined.chunk(2, 0);
        const loss = wg.stack([p.slice(1, 1, null, 2).slice(0, 1).flip(0), q.narrow(0, 0, 2).select(0, 1).repeat(2, 1).slice(1, 0, 5)]).sum();
        loss.backward();
        await loss.item();
      });
      expect(wg.memory().liveTensors).toBe(live + 2); // x.grad and y.grad
      x.grad!.dispose();
      y.grad!.dispose();
      expect(wg.memory().liveTensors).toBe(live);
    });
  });

  describe('refused arguments', () => {
    const a = (): Tensor => wg.zeros([2, 3]);
    it('cat and stack', async () => {
      const [p, q, r] = [a(), wg.zeros([2, 4]), wg.zeros([2, 3, 1])];
      await expectRefused(() => wg.cat([]), 'cat', /non-empty/);
      await expectRefused(() => wg.cat(p as never), 'cat', /array of tensors/);
      await expectRefused(() => wg.cat([p, q]), 'cat', /dim 0: expected size 3 but got size 4 in dim 1 for tensor 1 \(shapes \[2,3\], \[2,4\]\)/);
      await expectRefused(() => wg.cat([p, r], 1), 'cat', /same number of dims.*tensor 1 has shape \[2,3,1\]/);
      await expectRefused(() => wg.cat([p, q], 2), 'cat', /dim 2 is out of range/);
      const s = wg.tensor(1);
      await expectRefused(() => wg.cat([s, s]), 'cat', /0-dim tensor \(at position 0\)/);
      await expectRefused(() => wg.cat([p, 3 as never]), 'cat', /expected a Tensor/);
      await expectRefused(() => wg.stack([p, q]), 'stack', /\[2,3\] at entry 0 and \[2,4\] at entry 1/);
      await expectRefused(() => wg.stack([p, p], 3), 'stack', /dim 3 is out of range/);
      await expectRefused(() => wg.stack([]), 'stack', /non-empty/);
      const gone = a();
      gone.dispose();
      await expectRefused(() => wg.cat([p, gone]), 'cat', /after dispose/);
    });
    it('split, chunk, unbind', async () => {
      const p = a();
      await expectRefused(() => p.split([1, 2]), 'split', /split sizes \[1,2\] add up to 3, but dim 0 of shape \[2,3\] has size 2/);
      await expectRefused(() => p.split([1, 1], 1), 'split', /add up to 2, but dim 1 of shape \[2,3\] has size 3/);
      await expectRefused(() => p.split(0), 'split', /only be 0 if the dim's size is 0/);
      await expectRefused(() => p.split(-1), 'split', /non-negative integer/);
      await expectRefused(() => p.split(1.5), 'split', /non-negative integer/);
      await expectRefused(() => p.split([2, -1, 2], 1), 'split', /non-negative integers/);
      await expectRefused(() => p.split(1, 2), 'split', /dim 2 is out of range/);
      await expectRefused(() => p.chunk(0), 'chunk', /positive integer/);
      await expectRefused(() => p.chunk(2, -3), 'chunk', /dim -3 is out of range/);
      await expectRefused(() => p.unbind(2), 'unbind', /dim 2 is out of range/);
      const s = wg.tensor(1);
      await expectRefused(() => s.unbind(), 'unbind', /0-dim/);
    });
    it('narrow, select, slice', async () => {
      const p = a();
      await expectRefused(() => p.narrow(1, 4, 0), 'narrow', /start 4 is out of range for dim 1 of size 3/);
      await expectRefused(() => p.narrow(1, 2, 2), 'narrow', /start \(2\) \+ length \(2\) exceeds the size 3/);
      await expectRefused(() => p.narrow(1, 0, -1), 'narrow', /non-negative/);
      await expectRefused(() => p.narrow(2, 0, 1), 'narrow', /dim 2 is out of range/);
      await expectRefused(() => p.select(0, 2), 'select', /index 2 is out of range for dim 0 of size 2/);
      await expectRefused(() => p.select(1, -4), 'select', /index -4 is out of range/);
      const s = wg.tensor(3);
      await expectRefused(() => s.select(0, 0), 'select', /0-dim/);
      await expectRefused(() => p.slice(0, 0, 2, 0), 'slice', /step must be a positive integer, got 0/);
      await expectRefused(() => p.slice(0, 0, 2, -1), 'slice', /step must be a positive integer/);
      await expectRefused(() => p.slice(0, 0.5), 'slice', /start must be an integer/);
      await expectRefused(() => p.slice(-3), 'slice', /dim -3 is out of range/);
    });
    it('repeat, flip, pad', async () => {
      const p = a();
      const F = wg.nn.functional;
      await expectRefused(() => p.repeat(2), 'repeat', /number of repeats \(1\) can not be smaller than the number of dims of the tensor of shape \[2,3\]/);
      await expectRefused(() => p.repeat(2, -1), 'repeat', /non-negative integers/);
      await expectRefused(() => p.flip([0, -2]), 'flip', /dim -2 appears more than once/);
      await expectRefused(() => p.flip(2), 'flip', /dim 2 is out of range/);
      await expectRefused(() => F.pad(p, [1]), 'pad', /even/);
      await expectRefused(() => F.pad(p, [1, 1, 1, 1, 1, 1]), 'pad', /covers 3 dims but the input of shape \[2,3\] has 2/);
      await expectRefused(() => F.pad(p, [-2, -2]), 'pad', /dim 1 of size 3 padded by -2 and -2 would have a negative size -1/);
      await expectRefused(() => F.pad(p, [1, 1], { mode: 'reflect' } as never), 'pad', /mode 'reflect' is not supported/);
      await expectRefused(() => F.pad(p, [1, 1], { fill: 1 } as never), 'pad', /unknown option 'fill'/);
      await expectRefused(() => F.pad(p, [1.5, 1]), 'pad', /integers/);
    });
  });
});

describe('gradcheck (float64, CPU)', () => {
  beforeAll(async () => {
    await wg.init({ backend: 'cpu', verbose: false });
    wg.manualSeed(11);
  });
  const r = (shape: number[]): Tensor => wg.randn(shape, { dtype: 'float64' });
  const sq = (t: Tensor): Tensor => t.mul(t);
  const w = (ts: Tensor[]): Tensor => ts.map((t, i) => sq(t).mul(i + 1).sum()).reduce((a, b) => a.add(b));

  it('cat, stack', async () => {
    await wg.gradcheck((a, b, c) => sq(wg.cat([a, b, c], 1)), [r([2, 3]), r([2, 1]), r([2, 4])]);
    await wg.gradcheck((a, b) => sq(wg.cat([a, b], -1)), [r([2, 2, 3]), r([2, 2, 2])]);
    await wg.gradcheck((a, b) => sq(wg.stack([a, b], 1)), [r([3, 2]), r([3, 2])]);
  });
  it('split, chunk, unbind (some pieces without a gradient)', async () => {
    await wg.gradcheck((x) => w(x.split(2, 1)), [r([3, 5])]);
    await wg.gradcheck((x) => w(x.split([1, 3, 1]).filter((_, i) => i !== 1)), [r([5, 2])]);
    await wg.gradcheck((x) => w(x.chunk(3, -1)), [r([2, 7])]);
    await wg.gradcheck((x) => sq(x.unbind(1)[2]), [r([2, 4, 3])]);
  });
  it('narrow, select, slice', async () => {
    await wg.gradcheck((x) => sq(x.narrow(1, -3, 2)), [r([2, 5])]);
    await wg.gradcheck((x) => sq(x.select(0, -1)), [r([3, 4])]);
    await wg.gradcheck((x) => sq(x.slice(1, 1, null, 2)), [r([3, 6])]);
    await wg.gradcheck((x) => sq(x.slice(0, -100, 2)), [r([4, 2])]);
  });
  it('repeat, flip, pad', async () => {
    await wg.gradcheck((x) => sq(x.repeat(2, 1, 3)), [r([2, 3])]);
    await wg.gradcheck((x) => sq(x.flip([0, 2])), [r([2, 3, 2])]);
    await wg.gradcheck((x) => sq(wg.nn.functional.pad(x, [1, -1, -1, 2], { value: 0.5 })), [r([3, 4])]);
  });
});
