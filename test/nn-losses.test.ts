// The loss and layer modules PyTorch users instantiate, and the functional losses they call.
// Expected values are worked by hand from PyTorch's formulas (the same numbers torch 1.13
// prints for these inputs); gradients are checked against finite differences in float64.
import { describe, expect, it } from 'vitest';
import * as wg from 'webgrad-gpu';
import { backendsUnderTest, describeEachBackend } from './helpers/backends.js';
import { expectClose } from './helpers/close.js';

const { nn } = wg;
const F = nn.functional;
const backends = await backendsUnderTest();
const TOL = 1e-6;

const x = (): wg.Tensor => wg.tensor([0.5, -1, 2, 3.5], { requiresGrad: true });
const y = (): wg.Tensor => wg.tensor([0, 0, 1, 1]);
// log-probabilities [3, 3]; the last sample's target is ignoreIndex -100
const logProbs = (): wg.Tensor => wg.tensor([[-0.5, -1.2, -2], [-1, -0.3, -3], [-0.7, -0.9, -1.1]], { requiresGrad: true });
const targets = (): wg.Tensor => wg.tensor([2, 1, -100], { dtype: 'int32' });

describeEachBackend(backends, 'loss modules', () => {
  it('L1Loss: mean |d| = (0.5 + 1 + 1 + 2.5) / 4, gradient sign(d) / 4', async () => {
    const a = x();
    const loss = new nn.L1Loss().forward(a, y());
    await expectClose(loss, 1.25, TOL);
    loss.backward();
    await expectClose(a.grad!, [0.25, -0.25, 0.25, 0.25], TOL);
    await expectClose(new nn.L1Loss({ reduction: 'none' }).forward(x(), y()), [0.5, 1, 1, 2.5], TOL);
    await expectClose(F.l1Loss(x(), y(), { reduction: 'sum' }), 5, TOL);
  });

  it('HuberLoss(delta 1.5): 0.5·d² inside, 1.5·(|d| - 0.75) outside', async () => {
    const a = x();
    const loss = new nn.HuberLoss({ delta: 1.5 }).forward(a, y());
    // (0.125 + 0.5 + 0.5 + 1.5·1.75) / 4
    await expectClose(loss, 0.9375, TOL);
    loss.backward();
    await expectClose(a.grad!, [0.125, -0.25, 0.25, 0.375], TOL);
    // at |d| = delta both branches meet with slope delta
    const b = wg.tensor([1.5, -1.5], { requiresGrad: true });
    F.huberLoss(b, wg.zeros(2), { delta: 1.5, reduction: 'sum' }).backward();
    await expectClose(b.grad!, [1.5, -1.5], TOL);
  });

  it('SmoothL1Loss(beta 0.5): |d| - 0.25 for |d| >= 0.5; beta 0 is L1', async () => {
    const a = x();
    const loss = new nn.SmoothL1Loss({ beta: 0.5 }).forward(a, y());
    await expectClose(loss, 1, TOL); // (0.25 + 0.75 + 0.75 + 2.25) / 4
    loss.backward();
    await expectClose(a.grad!, [0.25, -0.25, 0.25, 0.25], TOL);
    await expectClose(F.smoothL1Loss(wg.tensor([0.2, 3]), wg.zeros(2), { reduction: 'none' }), [0.02, 2.5], TOL);
    await expectClose(F.smoothL1Loss(x(), y(), { beta: 0 }), 1.25, TOL);
  });

  it('NLLLoss with class weights and ignoreIndex: weighted mean over the counted samples', async () => {
    const w = wg.tensor([1, 2, 0.5]);
    for (const [reduction, value, scale] of [['mean', 0.64, 1 / 2.5], ['sum', 1.6, 1], ['none', [1, 0.6, 0], 1]] as const) {
      const lp = logProbs();
      const loss = new nn.NLLLoss({ weight: w, reduction }).forward(lp, targets());
      // -0.5·(-2) = 1, -2·(-0.3) = 0.6, ignored 0; the mean divides by 0.5 + 2
      await expectClose(loss, value as number | number[], TOL);
      loss.sum().backward();
      await expectClose(lp.grad!, [[0, 0, -0.5 * scale], [0, -2 * scale, 0], [0, 0, 0]], TOL);
    }
    await expectClose(F.nllLoss(wg.tensor([-0.1, -2.3]), wg.tensor(1, { dtype: 'int32' })), 2.3, TOL);
  });

  it('CrossEntropyLoss: fused, or logSoftmax + nllLoss with weight / ignoreIndex', async () => {
    const logits = wg.tensor([[1, 2, 0.5], [0.1, -1, 3]]);
    const t = wg.tensor([0, 2], { dtype: 'int32' });
    const plain = new nn.CrossEntropyLoss().forward(logits, t);
    await expectClose(plain, await F.crossEntropy(logits, t).item(), TOL);
    await expectClose(new nn.CrossEntropyLoss({ weight: wg.tensor([1, 2, 0.5]) }).forward(logits, t), 0.999837262392127, 1e-5);
    await expectClose(new nn.CrossEntropyLoss({ ignoreIndex: 2 }).forward(logits, t), 1.464368784107945, 1e-5);
    // with weights, the module's state dict holds them as PyTorch's does
    expect(Object.keys(new nn.CrossEntropyLoss({ weight: wg.ones(3) }).stateDict())).toEqual(['weight']);
    expect(Object.keys(new nn.CrossEntropyLoss().stateDict())).toEqual([]);
  });

  it('MSELoss, BCELoss, BCEWithLogitsLoss call their functional forms', async () => {
    await expectClose(new nn.MSELoss().forward(wg.tensor([1, 3]), wg.tensor([0, 1])), 2.5, TOL);
    await expectClose(new nn.MSELoss({ reduction: 'sum' }).forward(wg.tensor([1, 3]), wg.tensor([0, 1])), 5, TOL);
    const p = wg.tensor([0.25, 0.5]);
    const q = wg.tensor([0, 1]);
    await expectClose(new nn.BCELoss().forward(p, q), -(Math.log(0.75) + Math.log(0.5)) / 2, 1e-6);
    const z = wg.tensor([0, 2]);
    const bce = new nn.BCEWithLogitsLoss({ posWeight: wg.tensor([1, 3]) });
    await expectClose(bce.forward(z, q), (Math.log(2) + 3 * Math.log(1 + Math.exp(-2))) / 2, 1e-6);
    expect(Object.keys(bce.stateDict())).toEqual(['posWeight']);
  });

  it('refuses bad options and targets by name, before computing', () => {
    expect(() => F.crossEntropy(logProbs(), targets(), { ignore_index: 2 } as never)).toThrow(/crossEntropy: unknown option 'ignore_index' \(accepted: reduction, weight, ignoreIndex, labelSmoothing\)/);
    expect(() => F.mseLoss(x(), y(), { reduce: 'sum' } as never)).toThrow(/mseLoss: unknown option 'reduce'/);
    expect(() => new nn.MSELoss({ reduce: 'sum' } as never)).toThrow(/MSELoss: unknown option 'reduce' \(accepted: reduction\)/);
    expect(() => new nn.L1Loss({ reduction: 'avg' as never })).toThrow(/L1Loss: reduction must be 'mean', 'sum' or 'none', got 'avg'/);
    expect(() => F.huberLoss(x(), y(), { delta: 0 })).toThrow(/huberLoss: delta must be a positive number/);
    expect(() => F.nllLoss(logProbs(), wg.tensor([0, 3, 1], { dtype: 'int32' }))).toThrow(/nllLoss: targets must be class indices in \[0, 2\]/);
    expect(() => F.nllLoss(logProbs(), wg.tensor([0, 1, 2]))).toThrow(/nllLoss: expected int32 class indices as targets, got float32; convert with \.long\(\)/);
    expect(() => F.nllLoss(logProbs(), targets(), { weight: wg.ones(2) })).toThrow(/nllLoss: weight must have shape \[3\]/);
  });
});

describeEachBackend(backends, 'layer modules', () => {
  it('Identity, Softmax, LogSoftmax, Unflatten', async () => {
    const a = wg.tensor([[1, 2, 3], [0, 0, 0]]);
    expect(new nn.Identity().forward(a)).toBe(a);
    await expectClose(new nn.Softmax(1).forward(a), a.softmax(1), TOL);
    await expectClose(new nn.LogSoftmax(-1).forward(a), a.logSoftmax(-1), TOL);
    const u = new nn.Unflatten(1, [2, 2, -1]).forward(wg.zeros(3, 8));
    expect(u.shape).toEqual([3, 2, 2, 2]);
    expect(String(new nn.Unflatten(1, [1, 28, 28]))).toBe('Unflatten(dim=1, unflattenedSize=[1, 28, 28])');
    expect(String(new nn.Softmax(1))).toBe('Softmax(dim=1)');
    expect(() => new nn.Softmax(undefined as never)).toThrow(/Softmax: dim must be an integer/);
    const model = new nn.Sequential(new nn.Flatten(), new nn.Linear(4, 3), new nn.LogSoftmax(1));
    const loss = new nn.NLLLoss().forward(model.forward(wg.ones(2, 2, 2)), wg.tensor([0, 2], { dtype: 'int32' }));
    loss.backward();
    expect([...model.parameters()].every((p) => p.grad !== null)).toBe(true);
  });
});

// gradcheck runs `fn` on its own float64 CPU backend: constants are made inside `fn`.
describe('loss gradients against finite differences (float64, CPU)', () => {
  const f64 = { dtype: 'float64' } as const;
  const c = (v: number[]): wg.Tensor => wg.tensor(v, f64);
  const xs = [[0.3, -1.7, 2.2, 0.9, -0.2, 1.4]];
  it('l1Loss, huberLoss, smoothL1Loss away from their kinks', async () => {
    const target = (): wg.Tensor => c([0, 0.1, 1, 0.2, 0.3, -1]);
    await wg.gradcheck((a) => F.l1Loss(a, target()), xs);
    await wg.gradcheck((a) => F.huberLoss(a, target(), { delta: 0.8, reduction: 'sum' }), xs);
    await wg.gradcheck((a) => F.smoothL1Loss(a, target(), { beta: 0.7, reduction: 'none' }), xs);
  });
  it('nllLoss with weights and an ignored target, and crossEntropy through it', async () => {
    const t = (): wg.Tensor => wg.tensor([1, -100, 0], { dtype: 'int32' });
    await wg.gradcheck((a) => F.nllLoss(a.reshape(3, 2), t(), { weight: c([0.5, 2]) }), xs);
    await wg.gradcheck((a) => F.crossEntropy(a.reshape(3, 2), t(), { weight: c([0.5, 2]) }), xs);
    await wg.gradcheck((a) => F.crossEntropy(a.reshape(2, 3), wg.tensor([2, 0], { dtype: 'int32' }), { ignoreIndex: 0, reduction: 'sum' }), xs);
  });
});
