// nn.utils.clipGradNorm_ against norms computed by hand, NaN/Inf gradients as torch handles
// them, argument checks, and a whole training step (forward, backward, clip, AdamW, scheduler)
// recorded on WebGPU without a single readback.
import { expect, it } from 'vitest';
import type { OptimizerUpdate } from '../src/backend/backend.js';
import { WebGPUBackend } from '../src/backend/webgpu/webgpu-backend.js';
import { slotsPerDispatch } from '../src/backend/webgpu/optim.js';
import { getBackend } from '../src/runtime.js';
import * as wg from 'webgrad-gpu';
import { backendsUnderTest, describeEachBackend } from './helpers/backends.js';
import { expectClose } from './helpers/close.js';

const { nn, optim } = wg;
const { clipGradNorm_ } = nn.utils;
const backends = await backendsUnderTest();

/** Two parameters with gradients [3, 4] and [[12]]: 2-norm 13, 1-norm 19, max 12. */
function params(): wg.Tensor[] {
  const a = wg.zeros([2], { requiresGrad: true });
  const b = wg.zeros([1, 1], { requiresGrad: true });
  a.grad = wg.tensor([3, -4]);
  b.grad = wg.tensor([[12]]);
  return [a, b, wg.zeros([5], { requiresGrad: true })]; // the last has no gradient: skipped
}

describeEachBackend(backends, 'nn.utils.clipGradNorm_', () => {
  // float32 throughout: 1e-6 relative.
  it('scales every gradient by maxNorm / (norm + 1e-6) when the norm exceeds maxNorm', async () => {
    const [a, b] = params();
    const norm = clipGradNorm_([a, b], 1);
    expect(norm.shape).toEqual([]);
    await expectClose(norm, 13, 0, 1e-6);
    const c = 1 / (13 + 1e-6);
    await expectClose(a.grad!, [3 * c, -4 * c], 0, 1e-6);
    await expectClose(b.grad!, [[12 * c]], 0, 1e-6);
  });

  it('leaves the gradients alone below maxNorm (the factor is clamped to 1)', async () => {
    const ps = params();
    await expectClose(clipGradNorm_(ps, 13.5), 13, 0, 1e-6);
    await expectClose(ps[0].grad!, [3, -4], 0, 0);
    await expectClose(ps[1].grad!, [[12]], 0, 0);
  });

  it('other norms: 1, 3 and Infinity', async () => {
    let ps = params();
    await expectClose(clipGradNorm_(ps, 0.5, { normType: 1 }), 19, 0, 1e-6);
    await expectClose(ps[0].grad!, [(3 * 0.5) / (19 + 1e-6), (-4 * 0.5) / (19 + 1e-6)], 0, 1e-6);
    ps = params();
    await expectClose(clipGradNorm_(ps, 100, { normType: 3 }), Math.cbrt(27 + 64 + 1728), 0, 1e-6);
    ps = params();
    await expectClose(clipGradNorm_(ps, 6, { normType: Infinity }), 12, 0, 0);
    await expectClose(ps[1].grad!, [[(12 * 6) / (12 + 1e-6)]], 0, 1e-6);
  });

  it('a single tensor, no gradients at all, and a float64 parameter', async () => {
    const [a] = params();
    await expectClose(clipGradNorm_(a, 1), 5, 0, 1e-6);
    await expectClose(clipGradNorm_([wg.zeros([2], { requiresGrad: true })], 1), 0, 0, 0);
    if (wg.backendInfo().name === 'cpu') {
      const d = wg.zeros([2], { dtype: 'float64', requiresGrad: true });
      d.grad = wg.tensor([3, 4], { dtype: 'float64' });
      const n = clipGradNorm_([d], 0.5);
      expect(n.dtype).toBe('float64');
      await expectClose(d.grad, [1.5 / (5 + 1e-6), 2 / (5 + 1e-6)], 0, 1e-14);
    }
  });

  it('NaN and Inf gradients give a NaN or Inf norm, as torch', async () => {
    let ps = params();
    ps[0].grad = wg.tensor([NaN, 1]);
    await expectClose(clipGradNorm_(ps, 1), NaN);
    await expectClose(ps[1].grad!, [[NaN]]);
    for (const normType of [2, Infinity]) {
      ps = params();
      ps[0].grad = wg.tensor([Infinity, 1]);
      // torch: norm inf, factor 1/(inf + 1e-6) = 0, so finite gradients become 0 and inf·0 NaN.
      await expectClose(clipGradNorm_(ps, 1, { normType }), Infinity);
      await expectClose(ps[0].grad!, [NaN, 0]);
      await expectClose(ps[1].grad!, [[0]]);
    }
    ps = params();
    ps[0].grad = wg.tensor([-Infinity, 1]);
    ps[1].grad = wg.tensor([[Infinity]]);
    await expectClose(clipGradNorm_(ps, 1, { normType: Infinity }), Infinity);
  });

  it('refuses bad arguments before touching a gradient', async () => {
    const ps = params();
    expect(() => clipGradNorm_(ps, NaN)).toThrow(/clipGradNorm_: invalid maxNorm: NaN \(expected a number >= 0\)/);
    expect(() => clipGradNorm_(ps, -1)).toThrow(/invalid maxNorm: -1/);
    expect(() => clipGradNorm_(ps, 1, { normType: 0 })).toThrow(/invalid normType: 0 \(expected a number > 0, or Infinity\)/);
    expect(() => clipGradNorm_(ps, 1, { errorIfNonfinite: true } as never)).toThrow(/clipGradNorm_: unknown option 'errorIfNonfinite'/);
    expect(() => clipGradNorm_([ps[0], 3 as never], 1)).toThrow(/parameter 1 is not a Tensor/);
    await expectClose(ps[0].grad!, [3, -4], 0, 0);
  });

  it('every optimizer steps with one backend call, several parameters to a dispatch', () => {
    if (wg.backendInfo().name !== 'webgpu') return;
    const be = getBackend() as WebGPUBackend;
    const dispatches = () => be.stats.dispatches;
    const calls: (readonly OptimizerUpdate[])[] = [];
    be.optimizerStep = (updates) => {
      calls.push(updates);
      WebGPUBackend.prototype.optimizerStep.call(be, updates);
    };
    const ps = [wg.randn([3, 5]), wg.randn([7]), wg.randn([1])].map((t) => t.requiresGrad_());
    const makers = [
      () => new optim.SGD(ps, { lr: 0.1, momentum: 0.9 }),
      () => new optim.Adam(ps),
      () => new optim.AdamW(ps, { amsgrad: true }),
      () => new optim.RMSprop(ps, { momentum: 0.9, centered: true }),
      () => new optim.Adagrad(ps),
      () => new optim.Adadelta(ps),
      () => new optim.Adamax(ps),
      () => new optim.NAdam(ps),
    ];
    try {
      for (const make of makers) {
        const opt = make();
        for (const p of ps) p.grad = wg.onesLike(p);
        opt.step(); // the first step also fills the new state buffers with zeros
        const before = dispatches();
        calls.length = 0;
        opt.step();
        expect(calls.map((u) => u.length), opt.constructor.name).toEqual([ps.length]);
        const k = slotsPerDispatch(calls[0][0].args, be.device.limits.maxStorageBuffersPerShaderStage);
        expect(dispatches() - before, opt.constructor.name).toBe(Math.ceil(ps.length / k));
        opt.dispose();
      }
    } finally {
      delete (be as Partial<WebGPUBackend>).optimizerStep;
    }
  });

  it('a training step with clipping, AdamW and a schedule records no readback', async () => {
    wg.manualSeed(0);
    const model = new nn.Sequential(new nn.Linear(4, 16), new nn.Tanh(), new nn.Linear(16, 1));
    const opt = new optim.AdamW(model.parameters(), { lr: 0.01 });
    const sched = new optim.lrScheduler.CosineAnnealingLR(opt, { tMax: 10 });
    const x = wg.randn([32, 4]);
    const y = wg.randn([32, 1]);
    const backend = getBackend();
    const readbacks = () => (backend.name === 'webgpu' ? (backend as WebGPUBackend).stats.readbacks : 0);
    const before = readbacks();
    const norms: wg.Tensor[] = [];
    for (let i = 0; i < 3; i++) {
      norms.push(
        wg.scope(() => {
          opt.zeroGrad();
          nn.functional.mseLoss(model.forward(x), y).backward();
          const n = clipGradNorm_(model.parameters(), 0.1);
          opt.step();
          sched.step();
          return n;
        }),
      );
    }
    expect(readbacks() - before).toBe(0);
    for (const n of norms) expect(await n.item()).toBeGreaterThan(0);
    opt.dispose();
  });
});
