// nn.Module as PyTorch users write it: submodules and nn.Parameters assigned to fields register
// themselves, in definition order, under the field's name; buffers through registerBuffer.
import { inspect } from 'node:util';
import { afterEach, expect, it, vi } from 'vitest';
import * as wg from 'webgrad-gpu';
import { resetWarnings } from '../src/warn.js';
import { backendsUnderTest, describeEachBackend } from './helpers/backends.js';
import { expectClose } from './helpers/close.js';

const { nn } = wg;
const backends = await backendsUnderTest();

class Encoder extends nn.Module {
  fc = new nn.Linear(4, 8);
  act = new nn.ReLU();
  forward(x: wg.Tensor): wg.Tensor {
    return this.act.forward(this.fc.forward(x));
  }
}

class Net extends nn.Module {
  encoder = new Encoder();
  head = new nn.Linear(8, 2, { bias: false });
  scale = new nn.Parameter(wg.ones(2));
  constructor() {
    super();
    this.registerBuffer('runningMean', wg.zeros(2));
    this.registerBuffer('scratch', wg.zeros(3), { persistent: false });
  }
  forward(x: wg.Tensor): wg.Tensor {
    return this.head.forward(this.encoder.forward(x)).mul(this.scale);
  }
}

/** Fields assigned in the constructor body, as a JavaScript user without class fields writes it. */
class Assigned extends nn.Module {
  b: wg.nn.Linear;
  a: wg.nn.Linear;
  constructor() {
    super();
    this.b = new nn.Linear(2, 3);
    this.a = new nn.Linear(3, 1);
  }
  forward(x: wg.Tensor): wg.Tensor {
    return this.a.forward(this.b.forward(x));
  }
}

afterEach(() => vi.restoreAllMocks());

describeEachBackend(backends, 'nn.Module registers fields', () => {
  it('finds modules, parameters and buffers in definition order with PyTorch names', () => {
    const net = new Net();
    expect([...net.namedParameters()].map(([n]) => n)).toEqual(['scale', 'encoder.fc.weight', 'encoder.fc.bias', 'head.weight']);
    expect(Object.keys(net.stateDict())).toEqual(['scale', 'runningMean', 'encoder.fc.weight', 'encoder.fc.bias', 'head.weight']);
    expect([...net.namedBuffers()].map(([n]) => n)).toEqual(['runningMean', 'scratch']);
    expect([...net.namedModules()].map(([n]) => n)).toEqual(['', 'encoder', 'encoder.fc', 'encoder.act', 'head']);
    expect([...net.namedChildren()].map(([n]) => n)).toEqual(['encoder', 'head']);
    expect([...net.modules()].length).toBe(5);
    expect([...net.parameters()].every((p) => p.requiresGrad && p.isLeaf)).toBe(true);
    expect([...net.buffers()].some((b) => b.requiresGrad)).toBe(false);
    expect([...new Assigned().namedParameters()].map(([n]) => n)).toEqual(['b.weight', 'b.bias', 'a.weight', 'a.bias']);
    net.dispose();
  });

  it('train()/eval() reach assigned submodules, and printing shows them', () => {
    const net = new Net();
    net.eval();
    expect([...net.modules()].map((m) => m.training)).toEqual([false, false, false, false, false]);
    net.train();
    expect(net.encoder.fc.training).toBe(true);
    expect(inspect(net)).toBe(net.toString());
    expect(net.toString()).toBe(
      'Net(\n  (encoder): Encoder(\n    (fc): Linear(inFeatures=4, outFeatures=8, bias=true)\n    (act): ReLU()\n  )\n  (head): Linear(inFeatures=8, outFeatures=2, bias=false)\n)',
    );
    net.dispose();
  });

  it('an optimizer over parameters() trains assigned modules; reassigning a field replaces it', async () => {
    wg.manualSeed(0);
    const net = new Net();
    const opt = new wg.optim.SGD(net.parameters(), { lr: 0.1 });
    const x = wg.randn(5, 4);
    const first = await wg.scope(async () => {
      const loss = net.forward(x).square().mean();
      loss.backward();
      opt.step();
      return loss.item();
    });
    const after = await wg.scope(() => net.forward(x).square().mean().item());
    expect(after).toBeLessThan(first);
    const old = net.head;
    net.head = new nn.Linear(8, 2);
    expect([...net.namedParameters()].map(([n]) => n)).toEqual(['scale', 'encoder.fc.weight', 'encoder.fc.bias', 'head.weight', 'head.bias']);
    old.dispose();
    net.dispose();
    x.dispose();
  });

  it('buffers survive scope(), load from a state dict, and non-persistent ones stay out of it', async () => {
    const net = wg.scope(() => new Net());
    expect([...net.buffers()].every((b) => !b.isDisposed)).toBe(true);
    const dict = net.stateDict();
    const src = new Net();
    wg.noGrad(() => (src as unknown as { runningMean: wg.Tensor }).runningMean.fill_(3));
    net.loadStateDict(src.stateDict());
    await expectClose((net as unknown as { runningMean: wg.Tensor }).runningMean, [3, 3]);
    for (const t of Object.values(dict)) t.dispose();
    net.dispose();
    src.dispose();
  });

  it('nn.Parameter shares its data, requires grad, survives scope(), and refuses int32', async () => {
    const data = wg.tensor([1, 2, 3]);
    const p = wg.scope(() => new nn.Parameter(data));
    expect(p.isDisposed).toBe(false);
    expect(p.requiresGrad).toBe(true);
    expect(p).toBeInstanceOf(wg.Tensor);
    p.sum().backward();
    await expectClose(p.grad!, [1, 1, 1]);
    expect(new nn.Parameter(wg.ones(2), false).requiresGrad).toBe(false);
    expect(() => new nn.Parameter(wg.tensor([1], { dtype: 'int32' }))).toThrow(/Parameter: only floating point tensors can require gradients/);
    expect(String(p)).toMatch(/^Parameter containing:\n/);
  });

  it('keeps register* working alongside fields, and refuses clashing names', () => {
    class Explicit extends nn.Module {
      readonly fc = this.registerModule('fc', new nn.Linear(2, 2));
      readonly w = this.registerParameter('w', wg.ones(2));
      forward(x: wg.Tensor): wg.Tensor {
        return this.fc.forward(x).mul(this.w);
      }
    }
    const m = new Explicit();
    expect([...m.namedParameters()].map(([n]) => n)).toEqual(['w', 'fc.weight', 'fc.bias']);
    class Clash extends nn.Module {
      constructor() {
        super();
        this.registerModule('forward', new nn.ReLU());
      }
      forward(x: wg.Tensor): wg.Tensor {
        return x;
      }
    }
    expect(() => new Clash()).toThrow(/registerModule: attribute 'forward' already exists on Clash/);
    class BadOpt extends nn.Module {
      constructor() {
        super();
        this.registerBuffer('b', wg.ones(1), { persistant: false } as never);
      }
      forward(x: wg.Tensor): wg.Tensor {
        return x;
      }
    }
    expect(() => new BadOpt()).toThrow(/registerBuffer: unknown option 'persistant' \(accepted: persistent\)/);
  });

  it('warns once about a plain tensor that requires grad, or an array of modules, in a field', () => {
    resetWarnings();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    class Plain extends nn.Module {
      w = wg.ones(2, { requiresGrad: true });
      layers = [new nn.Linear(2, 2)];
      forward(x: wg.Tensor): wg.Tensor {
        return x.mul(this.w);
      }
    }
    const m = new Plain();
    expect([...m.parameters()]).toEqual([]);
    [...m.parameters()];
    expect(warn).toHaveBeenCalledTimes(2);
    expect(String(warn.mock.calls[0][0])).toMatch(/Plain\.w is a Tensor that requires grad but not an nn\.Parameter/);
    expect(String(warn.mock.calls[1][0])).toMatch(/Plain\.layers is an array of Modules/);
  });
});
