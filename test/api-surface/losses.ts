// API-surface rows for the losses: nn.functional's and the loss modules of nn (values,
// gradients and reductions checked by hand; where a row quotes torch, torch 1.13 gives that
// number for the same inputs).
import { expect } from 'vitest';
import * as wg from 'webgrad-gpu';
import { G, I, T, is, type Run } from './helpers.js';

const { nn } = wg;
const F = nn.functional;

/** A loss module's stateDict keys (its class weights are buffers, as in PyTorch). */
const keys = (m: wg.nn.Module): string[] => Object.keys(m.stateDict());

export const LOSSES: Record<string, Run> = {
  // ---- nn.functional ----
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
  'nn.functional.nllLoss': async () => {
    const lp = T([[-1, -2, -3], [-0.5, -1.5, -2.5], [-4, -5, -6]]);
    const t = I([2, 0, 1]);
    await is(F.nllLoss(lp, t, { reduction: 'none' }), [3, 0.5, 5]); // -input[n, t_n]
    await is(F.nllLoss(lp, t, { weight: T([1, 2, 3]) }), 3.25); // w[t] = [3, 1, 2]: (9 + 0.5 + 10) / (3 + 1 + 2)
    await is(F.nllLoss(lp, t, { ignoreIndex: 1 }), 1.75); // (3 + 0.5) / 2 counted
    await is(F.nllLoss(T([-1, -2, -3]), wg.tensor(1, { dtype: 'int32' })), 2); // unbatched
    expect(() => F.nllLoss(lp, I([0, 3, 1]))).toThrow('nllLoss: targets must be class indices in [0, 2] (or ignoreIndex -100) for 3 classes, but targets of shape [3] range over [0, 3]');
  },
  'nn.functional.l1Loss': async () => {
    const x = G([1, 2, -3]);
    const loss = F.l1Loss(x, T([0, 4, -3]));
    await is(loss, 1); // (1 + 2 + 0) / 3
    loss.backward();
    await is(x.grad!, [1 / 3, -1 / 3, 0]); // 0 where equal
    await is(F.l1Loss(T([1, 2]), T([0, 4]), { reduction: 'sum' }), 3);
  },
  'nn.functional.huberLoss': async () => {
    await is(F.huberLoss(T([0.5, -2]), T([0, 0]), { reduction: 'none' }), [0.125, 1.5]); // 0.5·d² inside delta 1, |d| - 0.5 outside
    const x = G([[0.5, -1, 2]]);
    const loss = F.huberLoss(x, T([[0, 1, 2]]), { delta: 1.5 });
    await is(loss, (0.125 + 1.875 + 0) / 3); // torch: 0.54166667
    loss.backward();
    await is(x.grad!, [[0.5 / 3, -1.5 / 3, 0]]); // d inside, ±delta outside
  },
  'nn.functional.smoothL1Loss': async () => {
    const x = G([[0.25, -1, 2]]);
    const loss = F.smoothL1Loss(x, T([[0, 1, 2]]), { beta: 0.5, reduction: 'sum' });
    await is(loss, 0.0625 + 1.75); // 0.5·d²/beta inside beta, |d| - 0.5·beta outside
    loss.backward();
    await is(x.grad!, [[0.5, -1, 0]]); // d/beta inside, ±1 outside
    await is(F.smoothL1Loss(T([0.25, -2]), T([0, 0]), { beta: 0, reduction: 'none' }), [0.25, 2]); // beta 0: l1Loss
  },

  // ---- loss modules (forward passes the options given at construction) ----
  'nn.MSELoss': () => {
    expect(new nn.MSELoss().reduction).toBe('mean');
    expect(new nn.MSELoss({ reduction: 'sum' }).toString()).toBe('MSELoss(reduction=sum)');
    expect(keys(new nn.MSELoss())).toEqual([]);
    expect(() => new nn.MSELoss({ reduction: 'avg' as 'sum' })).toThrow("MSELoss: reduction must be 'mean', 'sum' or 'none', got 'avg'");
  },
  'nn.MSELoss#forward': async () => {
    const x = G([1, 2]);
    const loss = new nn.MSELoss().forward(x, T([0, 4]));
    await is(loss, 2.5);
    loss.backward();
    await is(x.grad!, [1, -2]); // 2·(x - y)/n
    await is(new nn.MSELoss({ reduction: 'none' }).forward(T([1, 2]), T([0, 4])), [1, 4]);
  },
  'nn.L1Loss': () => {
    expect(new nn.L1Loss({ reduction: 'none' }).toString()).toBe('L1Loss(reduction=none)');
    expect(() => new nn.L1Loss({ delta: 1 } as never)).toThrow("L1Loss: unknown option 'delta' (accepted: reduction)");
  },
  'nn.L1Loss#forward': async () => {
    await is(new nn.L1Loss().forward(T([[1, 2, -3]]), T([[0, 4, -3]])), 1);
    await is(new nn.L1Loss({ reduction: 'sum' }).forward(T([1, 2]), T([0, 4])), 3);
  },
  'nn.HuberLoss': () => {
    expect(new nn.HuberLoss({ delta: 1.5 }).reduction).toBe('mean');
    expect(() => new nn.HuberLoss({ beta: 1 } as never)).toThrow("HuberLoss: unknown option 'beta' (accepted: reduction, delta)");
  },
  'nn.HuberLoss#forward': async () => {
    await is(new nn.HuberLoss({ delta: 1.5, reduction: 'none' }).forward(T([[0.5, -1, 2]]), T([[0, 1, 2]])), [[0.125, 1.875, 0]]); // torch's values
    await is(new nn.HuberLoss().forward(T([0.5, -2]), T([0, 0])), (0.125 + 1.5) / 2); // delta 1
  },
  'nn.SmoothL1Loss': () => {
    expect(new nn.SmoothL1Loss({ beta: 0.5, reduction: 'sum' }).toString()).toBe('SmoothL1Loss(reduction=sum)');
    expect(() => new nn.SmoothL1Loss({ delta: 1 } as never)).toThrow("SmoothL1Loss: unknown option 'delta' (accepted: reduction, beta)");
  },
  'nn.SmoothL1Loss#forward': async () => {
    await is(new nn.SmoothL1Loss({ beta: 0.5, reduction: 'none' }).forward(T([[0.5, -1, 2]]), T([[0, 1, 2]])), [[0.25, 1.75, 0]]); // torch's values
    await is(new nn.SmoothL1Loss().forward(T([0.5, -2]), T([0, 0])), (0.125 + 1.5) / 2); // beta 1: huberLoss
  },
  'nn.CrossEntropyLoss': () => {
    expect(keys(new nn.CrossEntropyLoss())).toEqual([]);
    expect(keys(new nn.CrossEntropyLoss({ weight: T([1, 3]) }))).toEqual(['weight']);
    expect([...new nn.CrossEntropyLoss({ weight: T([1, 3]) }).parameters()]).toEqual([]); // a buffer, not trained
    expect(() => new nn.CrossEntropyLoss({ ignore_index: 0 } as never)).toThrow("CrossEntropyLoss: unknown option 'ignore_index' (accepted: reduction, weight, ignoreIndex, labelSmoothing)");
  },
  'nn.CrossEntropyLoss#forward': async () => {
    const logits = T([[0, 0, Math.log(2)], [5, 5, 5]]);
    const t = I([2, 0]);
    await is(new nn.CrossEntropyLoss().forward(logits, t), (Math.LN2 + Math.log(3)) / 2);
    await is(new nn.CrossEntropyLoss({ weight: T([1, 2, 3]) }).forward(logits, t), (3 * Math.LN2 + 1 * Math.log(3)) / 4); // weighted mean
    await is(new nn.CrossEntropyLoss({ ignoreIndex: 0, reduction: 'sum' }).forward(logits, t), Math.LN2);
  },
  'nn.NLLLoss': () => {
    expect(keys(new nn.NLLLoss({ weight: T([1, 2, 3]) }))).toEqual(['weight']);
    expect(new nn.NLLLoss({ reduction: 'none' }).toString()).toBe('NLLLoss(reduction=none)');
  },
  'nn.NLLLoss#forward': async () => {
    const lp = T([[-1, -2, -3], [-0.5, -1.5, -2.5], [-4, -5, -6]]);
    const t = I([2, 0, 1]);
    await is(new nn.NLLLoss({ weight: T([1, 2, 3]) }).forward(lp, t), 3.25); // torch's value
    await is(new nn.NLLLoss({ weight: T([1, 2, 3]), reduction: 'none' }).forward(lp, t), [9, 0.5, 10]);
    const weight = T([1, 1, 1]);
    const m = new nn.NLLLoss({ weight });
    m.loadStateDict({ weight: T([0, 0, 1]) }); // the buffer is what forward reads
    await is(m.forward(lp, t), 3);
  },
  'nn.BCELoss': () => {
    expect(keys(new nn.BCELoss({ weight: T([1, 2]) }))).toEqual(['weight']);
    expect(() => new nn.BCELoss({ posWeight: T([1]) } as never)).toThrow("BCELoss: unknown option 'posWeight' (accepted: reduction, weight)");
  },
  'nn.BCELoss#forward': async () => {
    const p = T([0.5, 0.25]);
    const y = T([1, 0]);
    await is(new nn.BCELoss({ reduction: 'none' }).forward(p, y), [Math.LN2, -Math.log(0.75)]);
    await is(new nn.BCELoss({ weight: T([1, 2]) }).forward(p, y), (Math.LN2 - 2 * Math.log(0.75)) / 2); // mean over elements
    await is(new nn.BCELoss({ reduction: 'sum' }).forward(T([0, 1]), T([1, 0])), 200); // each log clamped at -100
  },
  'nn.BCEWithLogitsLoss': () => {
    expect(keys(new nn.BCEWithLogitsLoss({ posWeight: T([2]) }))).toEqual(['posWeight']);
    expect(keys(new nn.BCEWithLogitsLoss({ weight: T([1]), posWeight: T([2]) }))).toEqual(['weight', 'posWeight']);
  },
  'nn.BCEWithLogitsLoss#forward': async () => {
    const x = G([0, 0, 1000]);
    const loss = new nn.BCEWithLogitsLoss({ posWeight: T([2]), reduction: 'none' }).forward(x, T([1, 0, 1]));
    await is(loss, [2 * Math.LN2, Math.LN2, 0]); // posWeight scales the positive term; stable at 1000
    loss.sum().backward();
    await is(x.grad!, [2 * (0.5 - 1), 0.5, 0]); // pw·y·(σ - 1) + (1 - y)·σ
    await is(new nn.BCEWithLogitsLoss().forward(T([0, 0]), T([1, 0])), Math.LN2);
  },
};
