// nn: Module bookkeeping (parameters, state dicts, modes), the layers, and the losses, whose
// values are checked against their formulas and whose gradients against finite differences.
import { expect, it } from 'vitest';
import * as wg from 'webgrad-gpu';
import { backendsUnderTest, describeEachBackend } from './helpers/backends.js';
import { expectClose } from './helpers/close.js';

const { nn } = wg;
const F = nn.functional;
const backends = await backendsUnderTest();
const TOL = 1e-5;

const arr = async (t: wg.Tensor): Promise<number[]> => Array.from(await t.toArray());

class TwoLayer extends nn.Module {
  readonly body = this.registerModule('body', new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU(), new nn.Linear(4, 2)));
  readonly scale = this.registerParameter('scale', wg.ones([2]));
  forward(x: wg.Tensor): wg.Tensor {
    return this.body.forward(x).mul(this.scale);
  }
}

describeEachBackend(backends, 'nn.Module', () => {
  it('names parameters as PyTorch does, in registration order', () => {
    const seq = new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU(), new nn.Linear(4, 2));
    expect(Object.keys(seq.stateDict())).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    expect([...seq.namedParameters()].map(([n]) => n)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    expect([...seq.parameters()].map((p) => p.shape)).toEqual([[4, 3], [4], [2, 4], [2]]);
    const net = new TwoLayer();
    expect(Object.keys(net.stateDict())).toEqual(['scale', 'body.0.weight', 'body.0.bias', 'body.2.weight', 'body.2.bias']);
    expect([...net.namedModules()].map(([n]) => n)).toEqual(['', 'body', 'body.0', 'body.1', 'body.2']);
    expect([...net.parameters()].every((p) => p.requiresGrad && p.isLeaf)).toBe(true);
  });

  it('lists a shared parameter once', () => {
    const lin = new nn.Linear(2, 2);
    const seq = new nn.Sequential(lin, new nn.Tanh(), lin);
    expect([...seq.namedParameters()].map(([n]) => n)).toEqual(['0.weight', '0.bias']);
  });

  it('refuses duplicate or dotted names', () => {
    class Bad extends nn.Module {
      constructor(name: string) {
        super();
        this.registerParameter('w', wg.zeros([1]));
        this.registerParameter(name, wg.zeros([1]));
      }
      forward(x: wg.Tensor): wg.Tensor {
        return x;
      }
    }
    expect(() => new Bad('w')).toThrow(/'w' is already registered/);
    expect(() => new Bad('a.b')).toThrow(/without '.'/);
  });

  it('train() and eval() reach every submodule', () => {
    const net = new TwoLayer();
    expect(net.training).toBe(true);
    net.eval();
    expect([...net.modules()].every((m) => !m.training)).toBe(true);
    net.train();
    expect([...net.modules()].every((m) => m.training)).toBe(true);
  });

  it('zeroGrad sets grads to null by default, or to zeros', async () => {
    const net = new TwoLayer();
    net.forward(wg.randn([5, 3])).sum().backward();
    expect([...net.parameters()].every((p) => p.grad !== null)).toBe(true);
    net.zeroGrad({ setToNone: false });
    for (const p of net.parameters()) expect((await arr(p.grad!)).every((v) => v === 0)).toBe(true);
    net.zeroGrad();
    expect([...net.parameters()].every((p) => p.grad === null)).toBe(true);
  });

  it('stateDict values share storage with the parameters', async () => {
    const lin = new nn.Linear(2, 3);
    const sd = lin.stateDict();
    expect(sd['weight'].requiresGrad).toBe(false);
    wg.noGrad(() => lin.weight.fill_(0.5));
    await expectClose(sd['weight'], [[0.5, 0.5], [0.5, 0.5], [0.5, 0.5]]);
  });

  it('loadStateDict round-trips and checks shapes and keys', async () => {
    wg.manualSeed(1);
    const a = new TwoLayer();
    wg.manualSeed(2);
    const b = new TwoLayer();
    const x = wg.randn([4, 3]);
    expect(await arr(a.forward(x))).not.toEqual(await arr(b.forward(x)));
    expect(b.loadStateDict(a.stateDict())).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(await arr(b.forward(x))).toEqual(await arr(a.forward(x)));
    // Loaded values are copies: the modules do not share parameters afterwards.
    wg.noGrad(() => a.scale.fill_(3));
    expect(await arr(b.scale)).toEqual([1, 1]);

    const before = await arr(b.body.at(0).stateDict()['weight']);
    const bad = { ...a.stateDict(), 'body.0.weight': wg.zeros([4, 5]) };
    expect(() => b.loadStateDict(bad)).toThrow(wg.WebgradError);
    expect(() => b.loadStateDict(bad)).toThrow(/size mismatch for 'body.0.weight': the checkpoint has shape \[4,5\], the module has \[4,3\]/);
    expect(await arr(b.body.at(0).stateDict()['weight'])).toEqual(before); // nothing written

    const partial: Record<string, wg.Tensor> = { ...a.stateDict(), extra: wg.zeros([1]) };
    delete partial['scale'];
    expect(() => b.loadStateDict(partial)).toThrow(/missing keys: 'scale'; unexpected keys: 'extra'/);
    expect(b.loadStateDict(partial, { strict: false })).toEqual({ missingKeys: ['scale'], unexpectedKeys: ['extra'] });
  });

  it('keeps parameters out of scope() and frees them on dispose()', () => {
    const lin = wg.scope(() => new nn.Linear(2, 2));
    expect(lin.weight.isDisposed).toBe(false);
    lin.dispose();
    expect(lin.weight.isDisposed && lin.bias!.isDisposed).toBe(true);
  });
});

describeEachBackend(backends, 'nn layers', () => {
  it('Linear: PyTorch layout and U(-1/sqrt(in), 1/sqrt(in)) init, seeded', async () => {
    wg.manualSeed(0);
    const lin = new nn.Linear(64, 32);
    expect(lin.weight.shape).toEqual([32, 64]);
    expect(lin.bias!.shape).toEqual([32]);
    const bound = 1 / 8;
    for (const p of [lin.weight, lin.bias!]) {
      const v = await arr(p);
      expect(Math.max(...v.map(Math.abs))).toBeLessThanOrEqual(bound);
      expect(Math.max(...v)).toBeGreaterThan(bound * 0.8);
      expect(Math.min(...v)).toBeLessThan(-bound * 0.8);
    }
    const mean = (await arr(lin.weight)).reduce((a, b) => a + b) / 2048;
    expect(Math.abs(mean)).toBeLessThan(0.01); // uniform: sd of the mean is 0.072/sqrt(2048)
    wg.manualSeed(0);
    expect(await arr(new nn.Linear(64, 32).weight)).toEqual(await arr(lin.weight));
    const noBias = new nn.Linear(3, 2, { bias: false });
    expect(noBias.bias).toBeNull();
    expect(Object.keys(noBias.stateDict())).toEqual(['weight']);
    expect(lin.toString()).toBe('Linear(inFeatures=64, outFeatures=32, bias=true)');
  });

  it('Linear forward and gradients match x·Wᵀ + b', async () => {
    const lin = new nn.Linear(3, 2);
    const x = wg.randn([5, 3], { requiresGrad: true });
    const y = lin.forward(x);
    expect(y.shape).toEqual([5, 2]);
    const ref = wg.noGrad(() => x.mm(lin.weight.t()).add(lin.bias!));
    await expectClose(y, ref, TOL);
    const g = wg.randn([5, 2]);
    y.backward(g);
    await expectClose(lin.weight.grad!, g.t().mm(x.detach()), TOL);
    await expectClose(lin.bias!.grad!, g.sum(0), TOL);
    await expectClose(x.grad!, g.mm(lin.weight.detach()), TOL);
    expect(() => lin.forward(wg.randn([5, 4]))).toThrow(/expected 3 features, got 4/);
  });

  it('Sequential, activations and Flatten', async () => {
    const x = wg.tensor([[-1, 0.5], [2, -3]]);
    await expectClose(new nn.ReLU().forward(x), [[0, 0.5], [2, 0]]);
    await expectClose(new nn.Sigmoid().forward(x), [[-1, 0.5], [2, -3]].map((r) => r.map((v) => 1 / (1 + Math.exp(-v)))), TOL);
    await expectClose(new nn.Tanh().call(x), [[-1, 0.5], [2, -3]].map((r) => r.map(Math.tanh)), TOL);
    expect(new nn.Flatten().forward(wg.zeros([2, 3, 4])).shape).toEqual([2, 12]);
    expect(new nn.Flatten(0).forward(wg.zeros([2, 3, 4])).shape).toEqual([24]);

    const seq = new nn.Sequential(new nn.Flatten(), new nn.Linear(6, 4), new nn.ReLU(), new nn.Linear(4, 3));
    expect(seq.length).toBe(4);
    const input = wg.randn([2, 2, 3]);
    const manual = (seq.at(3) as InstanceType<typeof nn.Linear>).forward(seq.at(1).forward(input.reshape([2, 6])).relu());
    await expectClose(seq.forward(input), manual, TOL);
    expect(seq.toString()).toContain('(1): Linear(inFeatures=6, outFeatures=4, bias=true)');
  });
});

describeEachBackend(backends, 'losses', () => {
  it('mseLoss: mean, sum and none, and its gradient', async () => {
    const x = wg.tensor([[1, 2], [3, 4]], { requiresGrad: true });
    const y = wg.tensor([[0, 2], [5, 1]]);
    await expectClose(F.mseLoss(x, y, { reduction: 'none' }), [[1, 0], [4, 9]]);
    await expectClose(F.mseLoss(x, y, { reduction: 'sum' }), 14);
    const loss = F.mseLoss(x, y);
    await expectClose(loss, 3.5);
    loss.backward();
    await expectClose(x.grad!, [[0.5, 0], [-1, 1.5]]); // 2(x - y)/n
    expect(() => F.mseLoss(x, wg.zeros([4]))).toThrow(/does not match input of shape \[2,2\]/);
    expect(() => F.mseLoss(x, y, { reduction: 'avg' as 'mean' })).toThrow(/reduction must be/);
  });

  it('crossEntropy: logsumexp(x) - x[t], reductions, stable at ±1000', async () => {
    const rows = [[1, 2, 3], [0.5, -1, 0], [1000, -1000, 0]];
    const t = [2, 0, 1];
    const want = rows.map((r, i) => {
      const m = Math.max(...r);
      return m + Math.log(r.reduce((s, v) => s + Math.exp(v - m), 0)) - r[t[i]];
    });
    const logits = wg.tensor(rows, { requiresGrad: true });
    const targets = wg.tensor(new Int32Array(t));
    await expectClose(F.crossEntropy(logits, targets, { reduction: 'none' }), want, TOL, TOL);
    await expectClose(F.crossEntropy(logits, targets, { reduction: 'sum' }), want[0] + want[1] + want[2], TOL, TOL);
    const loss = F.crossEntropy(logits, targets);
    await expectClose(loss, (want[0] + want[1] + want[2]) / 3, TOL, TOL);
    loss.backward();
    // d/dx = (softmax(x) - onehot(t)) / N
    const grad = rows.flatMap((r, i) => {
      const m = Math.max(...r);
      const z = r.reduce((s, v) => s + Math.exp(v - m), 0);
      return r.map((v, j) => (Math.exp(v - m) / z - (j === t[i] ? 1 : 0)) / 3);
    });
    await expectClose(logits.grad!, grad, TOL, undefined, [3, 3]);
    const g = await arr(logits.grad!);
    expect(g.every(Number.isFinite)).toBe(true);
    // Unbatched: logits [C], a 0-d target.
    await expectClose(F.crossEntropy(wg.tensor(rows[0]), wg.tensor(2, { dtype: 'int32' })), want[0], TOL, TOL);
    expect(() => F.crossEntropy(logits, wg.tensor([2, 0, 1]))).toThrow(/int32 class indices/);
  });

  it('binaryCrossEntropy: values, clamped logs, weight, and PyTorch gradient', async () => {
    const p = [0.1, 0.5, 0.9, 0.3];
    const y = [0, 1, 1, 0.25];
    const want = p.map((pi, i) => -(y[i] * Math.log(pi) + (1 - y[i]) * Math.log(1 - pi)));
    const probs = wg.tensor(p, { requiresGrad: true });
    const targets = wg.tensor(y);
    await expectClose(F.binaryCrossEntropy(probs, targets, { reduction: 'none' }), want, TOL, TOL);
    await expectClose(F.binaryCrossEntropy(probs, targets, { reduction: 'sum' }), want.reduce((a, b) => a + b), TOL, TOL);
    const w = [1, 2, 0, 0.5];
    await expectClose(F.binaryCrossEntropy(probs, targets, { weight: wg.tensor(w) }), want.reduce((s, v, i) => s + v * w[i], 0) / 4, TOL, TOL);
    F.binaryCrossEntropy(probs, targets).backward();
    await expectClose(probs.grad!, p.map((pi, i) => (pi - y[i]) / (pi * (1 - pi)) / 4), TOL, TOL);

    // p = 0 or 1 (float32 sigmoid saturates above ~17): loss capped at 100, finite gradient.
    const edge = wg.tensor([0, 1, 0, 1], { requiresGrad: true });
    const edgeLoss = F.binaryCrossEntropy(edge, wg.tensor([1, 0, 0, 1]), { reduction: 'none' });
    await expectClose(edgeLoss, [100, 100, 0, 0]);
    edgeLoss.sum().backward();
    expect((await arr(edge.grad!)).every(Number.isFinite)).toBe(true);
    await expectClose(edge.grad!, [-1e12, 1e12, 0, 0], 0, 1e-5);
  });

  it('binaryCrossEntropyWithLogits: stable at ±1000, exact gradient at 0, posWeight', async () => {
    const x = [-1000, -3, -0.5, 0, 0, 0.5, 3, 1000];
    const y = [1, 0, 1, 1, 0.25, 0, 1, 0];
    const softplus = (v: number) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
    const sig = (v: number) => 1 / (1 + Math.exp(-v));
    const want = x.map((v, i) => softplus(v) - v * y[i]);
    const logits = wg.tensor(x, { requiresGrad: true });
    const targets = wg.tensor(y);
    await expectClose(F.binaryCrossEntropyWithLogits(logits, targets, { reduction: 'none' }), want, TOL, TOL);
    const loss = F.binaryCrossEntropyWithLogits(logits, targets, { reduction: 'sum' });
    await expectClose(loss, want.reduce((a, b) => a + b), 1e-3, TOL);
    loss.backward();
    await expectClose(logits.grad!, x.map((v, i) => sig(v) - y[i]), TOL); // 0.5 - y at x = 0

    const pw = wg.tensor([3]);
    const lw = (i: number) => 1 + 2 * y[i];
    const wantPw = x.map((v, i) => (1 - y[i]) * v + lw(i) * softplus(-v));
    await expectClose(F.binaryCrossEntropyWithLogits(logits, targets, { reduction: 'none', posWeight: pw }), wantPw, TOL, TOL);
    // Agrees with sigmoid + binaryCrossEntropy where neither saturates.
    const mid = wg.tensor([-2, 0.3, 1.5]);
    const tg = wg.tensor([1, 0, 0.5]);
    await expectClose(F.binaryCrossEntropyWithLogits(mid, tg), F.binaryCrossEntropy(mid.sigmoid(), tg), TOL, TOL);
  });
});

// gradcheck runs `fn` on its own float64 CPU backend: constants are made inside `fn`.
describeEachBackend(['cpu'], 'loss gradients vs finite differences (float64)', () => {
  const c = (v: number[], shape: number[] = [v.length]) => wg.tensor(v, { dtype: 'float64' }).reshape(shape);
  it('mseLoss', async () => {
    await wg.gradcheck((x) => F.mseLoss(x.reshape([2, 3]), c([0.3, -1, 2, 0.5, 0, 1], [2, 3])), [[1, 2, -0.5, 0.1, 0.7, -2]]);
  });

  it('crossEntropy', async () => {
    const logits = [0.1, -2, 3, 0.5, 1, 1, 1, 1, -4, 0, 2, 2.5];
    await wg.gradcheck((x) => F.crossEntropy(x.reshape([3, 4]), wg.tensor(new Int32Array([1, 0, 3])), { reduction: 'sum' }), [logits]);
  });

  it('binaryCrossEntropy, against probabilities and targets', async () => {
    await wg.gradcheck((p, y) => F.binaryCrossEntropy(p, y, { weight: c([1, 0.5, 2, 1]) }), [[0.2, 0.5, 0.7, 0.95], [0, 1, 0.3, 0.9]]);
  });

  it('binaryCrossEntropyWithLogits, with and without posWeight', async () => {
    const inputs = [[-3, -0.4, 0.2, 1, 5, 0.7], [1, 0, 0.5, 1, 0.2, 0]];
    await wg.gradcheck((x, y) => F.binaryCrossEntropyWithLogits(x, y), inputs);
    await wg.gradcheck(
      (x, y) => F.binaryCrossEntropyWithLogits(x.reshape([2, 3]), y.reshape([2, 3]), { posWeight: c([0.5, 2, 3]), reduction: 'sum' }),
      inputs,
    );
  });

  it('through Linear\'s op', async () => {
    const x = [0.5, -1, 2, 0.3, 0.3, -0.7, 1.1, 0, -2, 1, 1, 0.25];
    await wg.gradcheck((w, b) => F.linear(c(x, [4, 3]), w.reshape([2, 3]), b).tanh().sum(), [[0.1, -0.4, 0.3, 0.2, 0.5, -0.1], [0.05, -0.2]]);
  });
});
