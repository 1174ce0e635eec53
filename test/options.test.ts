// Every options object refuses a key it does not know, naming the key and the accepted ones,
// before any work: a misspelt or unsupported option used to be ignored, and a loss computed
// without `ignoreIndex` looks like any other loss.
import { expect, it } from 'vitest';
import * as wg from 'webgrad-gpu';
import { backendsUnderTest, describeEachBackend } from './helpers/backends.js';

const { nn, optim, data } = wg;
const backends = await backendsUnderTest();

/** Runs `fn` and expects a WebgradError from `op` naming the unknown key `key`. */
async function refuses(fn: () => unknown, op: string, key: string): Promise<void> {
  const before = wg.memory().liveTensors;
  let error: unknown = null;
  try {
    await fn();
  } catch (e) {
    error = e;
  }
  expect(error, `${op} should refuse '${key}'`).toBeInstanceOf(wg.WebgradError);
  const e = error as wg.WebgradError;
  expect(e.op.startsWith(op), `${e.message}`).toBe(true);
  expect(e.message).toContain(`unknown option '${key}'`);
  expect(e.message).toMatch(/\(accepted: [^)]+\)/);
  expect(wg.memory().liveTensors, `${op} left tensors behind`).toBe(before);
}

describeEachBackend(backends, 'unknown option keys', () => {
  it('are refused by the losses, with nothing computed', async () => {
    const logits = wg.randn(4, 3);
    const targets = wg.tensor([0, 2, 1, 2], { dtype: 'int32' });
    const probs = wg.rand(4);
    const y = wg.rand(4);
    const logProbs = logits.logSoftmax(1);
    await refuses(() => nn.functional.crossEntropy(logits, targets, { ignoreIndx: 2 } as never), 'crossEntropy', 'ignoreIndx');
    await refuses(() => nn.functional.crossEntropy(logits, targets, { label_smoothing: 0.1 } as never), 'crossEntropy', 'label_smoothing');
    await refuses(() => nn.functional.mseLoss(probs, y, { reduce: 'sum' } as never), 'mseLoss', 'reduce');
    await refuses(() => nn.functional.binaryCrossEntropy(probs, y, { pos_weight: y } as never), 'binaryCrossEntropy', 'pos_weight');
    await refuses(() => nn.functional.nllLoss(logProbs, targets, { smoothing: 1 } as never), 'nllLoss', 'smoothing');
    await refuses(() => new nn.CrossEntropyLoss({ ignore_index: 1 } as never), 'CrossEntropyLoss', 'ignore_index');
    for (const t of [logits, targets, probs, y, logProbs]) t.dispose();
  });

  it('are refused by creation, layers, backward and zeroGrad', async () => {
    await refuses(() => wg.zeros([2], { dtpye: 'int32' } as never), 'zeros', 'dtpye');
    await refuses(() => wg.tensor([1, 2], { requires_grad: true } as never), 'tensor', 'requires_grad');
    await refuses(() => wg.randn([2], { device: 'cuda' } as never), 'randn', 'device');
    await refuses(() => new nn.Linear(2, 3, { bais: false } as never), 'Linear', 'bais');
    const w = wg.randn([2], { requiresGrad: true });
    const loss = w.sum();
    await refuses(() => loss.backward(undefined, { retain_graph: true } as never), 'backward', 'retain_graph');
    loss.backward();
    const m = new nn.Linear(2, 2);
    await refuses(() => m.zeroGrad({ set_to_none: false } as never), 'zeroGrad', 'set_to_none');
    for (const t of [loss, w, ...m.parameters()]) t.dispose();
  });

  it('are refused by optimizers, schedulers and clipGradNorm_', async () => {
    const p = wg.randn([3], { requiresGrad: true });
    await refuses(() => new optim.SGD([p], { lr: 0.1, nestrov: true } as never), 'SGD', 'nestrov');
    await refuses(() => new optim.Adam([p], { lr: 0.1, weight_decay: 0.1 } as never), 'Adam', 'weight_decay');
    await refuses(() => new optim.AdamW([p], { amsGrad: true } as never), 'AdamW', 'amsGrad');
    const opt = new optim.SGD([p], { lr: 0.1 });
    await refuses(() => new optim.lrScheduler.StepLR(opt, { stepSize: 1, gama: 0.5 } as never), 'StepLR', 'gama');
    await refuses(() => nn.utils.clipGradNorm_([p], 1, { norm_type: 2 } as never), 'clipGradNorm_', 'norm_type');
    p.dispose();
  });

  it('are refused by the data loader and gradcheck', async () => {
    const ds = { x: new Float32Array(8), y: new Int32Array(4), n: 4, features: 2 };
    await refuses(() => new data.DataLoader(ds as never, { batchSize: 2, shufle: true } as never), 'DataLoader', 'shufle');
    await refuses(() => wg.gradcheck((x) => x.sum(), [[1, 2]], { tol: 1e-3 } as never), 'gradcheck', 'tol');
  });
});

it('init refuses an unknown key and changes nothing', async () => {
  const before = wg.backendInfo().name;
  await refuses(() => wg.init({ backnd: 'cpu' } as never), 'init', 'backnd');
  expect(wg.backendInfo().name).toBe(before);
});
