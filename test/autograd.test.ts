// Autograd semantics (PyTorch's): accumulation, graph freeing, grad modes, version counters.
import { expect, it } from 'vitest';
import * as wg from 'webgrad-gpu';
import { backendsUnderTest, describeEachBackend } from './helpers/backends.js';
import { expectClose } from './helpers/close.js';

const backends = await backendsUnderTest();

describeEachBackend(backends, 'autograd', () => {
  it('sets .grad on leaves only, unless retainGrad() is asked for', async () => {
    const x = wg.tensor([1, 2], { requiresGrad: true });
    const y = x.mul(3);
    const z = y.mul(y).sum();
    y.retainGrad();
    const w = x.add(1);
    z.backward();
    await expectClose(x.grad!, [18, 36]);
    await expectClose(y.grad!, [6, 12]);
    expect(w.grad).toBeNull();
    expect(x.isLeaf).toBe(true);
    expect(y.isLeaf).toBe(false);
  });

  it('accumulates gradients across backward calls until zero_()', async () => {
    const x = wg.tensor([1, 2], { requiresGrad: true });
    x.mul(2).sum().backward();
    x.mul(2).sum().backward();
    await expectClose(x.grad!, [4, 4]);
    wg.noGrad(() => x.grad!.zero_());
    x.mul(5).sum().backward();
    await expectClose(x.grad!, [5, 5]);
  });

  it('a gradient zeroed with zero_() takes the new gradient (views see it); other grads still add', async () => {
    const x = wg.tensor([1, -2, 3, 4], { requiresGrad: true });
    x.mul(x).sum().backward();
    const g0 = x.grad!;
    const view = g0.reshape([2, 2]);
    wg.noGrad(() => g0.zero_());
    x.mul(3).sum().backward();
    expect(x.grad).toBe(g0); // the same tensor object, as with an add
    await expectClose(x.grad!, [3, 3, 3, 3]);
    await expectClose(view, [[3, 3], [3, 3]]);
    x.mul(2).sum().backward(); // no longer known to be zero: accumulates
    await expectClose(x.grad!, [5, 5, 5, 5]);
    wg.noGrad(() => x.grad!.fill_(1)); // a non-zero constant is added to
    x.mul(x).sum().backward();
    await expectClose(x.grad!, [3, -3, 7, 9]);
    view.dispose();
  });

  it('sum and mean of the seed give constant gradients; a given gradient still broadcasts', async () => {
    const x = wg.tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
    x.sum().backward();
    await expectClose(x.grad!, [[1, 1, 1], [1, 1, 1]]);
    x.grad = null;
    x.mean().backward();
    await expectClose(x.grad!, [[1 / 6, 1 / 6, 1 / 6], [1 / 6, 1 / 6, 1 / 6]]);
    x.grad = null;
    x.mean(1).sum().backward(); // constant through two reductions
    await expectClose(x.grad!, [[1 / 3, 1 / 3, 1 / 3], [1 / 3, 1 / 3, 1 / 3]]);
    x.grad = null;
    x.sum(0).backward(wg.tensor([1, 2, 3]));
    await expectClose(x.grad!, [[1, 2, 3], [1, 2, 3]]);
    x.grad = null;
    x.mean(1).backward(wg.tensor([3, 6]));
    await expectClose(x.grad!, [[1, 1, 1], [2, 2, 2]]);
    x.grad = null;
    x.sum().mul(x.sum()).backward(); // dy = 2·sum, not a host constant
    await expectClose(x.grad!, [[42, 42, 42], [42, 42, 42]]);
  });

  it('sums the gradients of a tensor used twice', async () => {
    const x = wg.tensor([3], { requiresGrad: true });
    x.mul(x).add(x).sum().backward();
    await expectClose(x.grad!, [7]);
    const y = wg.tensor([2], { requiresGrad: true });
    y.add(y).sum().backward();
    await expectClose(y.grad!, [2]);
  });

  it('accepts an explicit gradient for a non-scalar output', async () => {
    const x = wg.tensor([1, 2, 3], { requiresGrad: true });
    x.mul(2).backward(wg.tensor([1, 0, -1]));
    await expectClose(x.grad!, [2, 0, -2]);
  });

  it('refuses backward on a non-scalar without a gradient, naming the shape', () => {
    const x = wg.tensor([1, 2], { requiresGrad: true });
    expect(() => x.mul(2).backward()).toThrow(/backward: grad can be implicitly created only for scalar outputs; got shape \[2\]/);
    expect(() => wg.tensor([1]).sum().backward()).toThrow(/does not require grad/);
  });

  it('frees the graph after backward and says so on a second backward', async () => {
    const x = wg.tensor([1, 2], { requiresGrad: true });
    const loss = x.exp().sum();
    loss.backward();
    expect(() => loss.backward()).toThrow(/backward through the graph a second time/);
    const x2 = wg.tensor([1, 2], { requiresGrad: true });
    const loss2 = x2.exp().sum();
    loss2.backward(undefined, { retainGraph: true });
    loss2.backward();
    await expectClose(x2.grad!, [2 * Math.E, 2 * Math.exp(2)], 0, 1e-5);
  });

  it('records nothing under noGrad and again under enableGrad', () => {
    const x = wg.tensor([1], { requiresGrad: true });
    const y = wg.noGrad(() => x.mul(2));
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
    const z = wg.noGrad(() => wg.enableGrad(() => x.mul(2)));
    expect(z.requiresGrad).toBe(true);
    expect(wg.isGradEnabled()).toBe(true);
  });

  it('cuts the graph at detach()', async () => {
    const x = wg.tensor([2], { requiresGrad: true });
    const d = x.mul(3).detach();
    expect(d.requiresGrad).toBe(false);
    x.mul(d).sum().backward();
    await expectClose(x.grad!, [6]);
  });

  it('fails backward when a saved tensor was modified in place (version counter)', () => {
    const x = wg.tensor([1, 2], { requiresGrad: true });
    const y = x.mul(2);
    const z = y.exp();
    wg.noGrad(() => y.add_(1));
    expect(() => z.sum().backward()).toThrow(/saved by exp for backward was modified by an in-place operation/);
  });

  it('refuses in-place changes to a leaf that requires grad outside noGrad', async () => {
    const w = wg.tensor([1, 2], { requiresGrad: true });
    expect(() => w.sub_(1)).toThrow(/sub_: a leaf tensor that requires grad \(shape \[2\]\) is being used in an in-place operation/);
    wg.noGrad(() => w.sub_(1));
    await expectClose(w, [0, 1]);
  });

  it('performs the in-place ops and bumps the version', async () => {
    const x = wg.tensor([1, 2, 3]);
    const v0 = x.version;
    x.add_(1).mul_(2).sub_(wg.tensor([1, 1, 1])).div_(2);
    await expectClose(x, [1.5, 2.5, 3.5]);
    expect(x.version).toBeGreaterThan(v0);
    x.fill_(7);
    await expectClose(x, [7, 7, 7]);
    x.zero_();
    await expectClose(x, [0, 0, 0]);
    x.copy_(wg.tensor([4]));
    await expectClose(x, [4, 4, 4]);
    x.add_(wg.tensor([1, 2, 3]), 2);
    await expectClose(x, [6, 8, 10]);
    expect(() => x.add_(wg.zeros([2, 3]))).toThrow(/add_: result of shape \[2,3\]/);
  });

  it('refuses int32 tensors that require grad', () => {
    expect(() => wg.tensor(new Int32Array([1]), { requiresGrad: true })).toThrow(/only floating point tensors can require gradients/);
  });

  it('trains the seed two-layer network with no readback until item()', async () => {
    wg.manualSeed(0);
    const data = wg.randn([233, 10]);
    const label = wg.randn([233, 10]);
    const w1 = wg.randn([10, 7], { requiresGrad: true });
    const w2 = wg.randn([7, 10], { requiresGrad: true });
    const losses: number[] = [];
    for (let step = 0; step < 60; step++) {
      const loss = data.mm(w1).clamp(0).mm(w2).sub(label).pow(2).sum();
      if (step % 20 === 0) losses.push(await loss.item());
      loss.backward();
      wg.noGrad(() => {
        w1.sub_(w1.grad!.mul(1e-4));
        w2.sub_(w2.grad!.mul(1e-4));
        w1.grad!.zero_();
        w2.grad!.zero_();
      });
    }
    expect(losses[2]).toBeLessThan(losses[0]);
  });
});
