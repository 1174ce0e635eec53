// conv1d, conv2d, convTranspose2d and their modules: PyTorch 1.13 fixtures (values and the
// gradients to input, weight and bias; test/fixtures/gen_conv_fixtures.py) and every refusal on
// both backends, float64 gradchecks on the CPU backend. Fixture tolerance: atol 1e-5, rtol 1e-4
// (float32 sums of up to 75 products of N(0,1) values against torch's float64).
import { beforeAll, describe, expect, it } from 'vitest';
import * as wg from 'webgrad-gpu';
import { expectClose } from './helpers/close.js';
import { backendsUnderTest, describeEachBackend } from './helpers/backends.js';
import { type FixtureCase, loadFixtures, num } from './helpers/fixture-cases.js';

const backends = await backendsUnderTest();
const F = wg.nn.functional;

interface Fixture extends FixtureCase<wg.nn.functional.ConvOptions & wg.nn.functional.ConvTransposeOptions> {
  op: 'conv1d' | 'conv2d' | 'convTranspose2d';
}
const fixtures = loadFixtures<{ cases: Fixture[] }>('conv.json').cases;

describeEachBackend(backends, 'convolution against PyTorch 1.13', () => {
  for (const c of fixtures) {
    it(c.name, async () => {
      const t: Record<string, wg.Tensor> = {};
      for (const inp of c.inputs) t[inp.name] = wg.tensor(Float32Array.from(inp.data.map(num))).reshape(inp.shape).requiresGrad_(true);
      const bias = t.bias ?? null;
      const out = c.op === 'conv1d' ? F.conv1d(t.x, t.weight, bias, c.args)
        : c.op === 'conv2d' ? F.conv2d(t.x, t.weight, bias, c.args)
          : F.convTranspose2d(t.x, t.weight, bias, c.args);
      await expectClose(out, c.output.data.map(num), c.tol.atol, c.tol.rtol, c.output.shape);
      out.backward(wg.tensor(Float32Array.from(c.gradOutput!.map(num))).reshape(out.shape));
      for (const [name, g] of Object.entries(c.grads!)) {
        await expectClose(t[name].grad!, g.map(num), c.tol.atol, c.tol.rtol, t[name].shape);
      }
    });
  }
});

describeEachBackend(backends, 'convolution', () => {
  it('conv2d by hand: a 2x2 kernel over a 3x3 image, with bias', async () => {
    const x = wg.tensor([[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]]);
    const w = wg.tensor([[[[1, 0], [0, -1]]]]);
    await expectClose(F.conv2d(x, w, wg.tensor([10])), [[[[6, 6], [6, 6]]]]);
    // Padding 1, stride 2: windows at rows/cols -1 and 1.
    await expectClose(F.conv2d(x, w, null, { stride: 2, padding: 1 }), [[[[-1, -3], [-7, -4]]]]);
  });

  it('a batch of 0 gives an empty output of the right shape', () => {
    expect(F.conv2d(wg.zeros([0, 2, 5, 5]), wg.zeros([3, 2, 3, 3])).shape).toEqual([0, 3, 3, 3]);
  });

  it('refuses bad operands and options with a WebgradError naming the op, before any work', () => {
    const x = wg.zeros([2, 4, 8, 8]);
    const w = wg.zeros([6, 2, 3, 3]);
    const cases: [() => unknown, RegExp][] = [
      [() => F.conv2d(x, wg.zeros([6, 3, 3, 3])), /conv2d: the input has 4 channels but the weight expects 3/],
      [() => F.conv2d(x, w), /input has 4 channels but the weight expects 2/],
      [() => F.conv2d(x, w, null, { groups: 4 }), /groups \(4\) must divide the weight's 6 output channels/],
      [() => F.conv2d(x, w, null, { groups: 0 }), /groups must be a positive integer/],
      [() => F.conv2d(x, wg.zeros([6, 4, 9, 3])), /kernel's height \(9\) is larger than the padded input's \(8 \+ 0 padding\)/],
      [() => F.conv2d(x, wg.zeros([6, 4, 5, 3]), null, { dilation: 2 }), /dilated to 9/],
      [() => F.conv2d(x, wg.zeros([6, 4, 3, 3]), null, { stride: 0 }), /stride must be an integer >= 1/],
      [() => F.conv2d(x, wg.zeros([6, 4, 3, 3]), null, { padding: -1 }), /padding must be an integer >= 0/],
      [() => F.conv2d(x, wg.zeros([6, 4, 3, 3]), null, { padding: [1, 1, 1] }), /padding must be an integer >= 0 or a list of 2/],
      [() => F.conv2d(x, wg.zeros([6, 4, 3, 3]), null, { padding: 'full' as 'same' }), /padding must be 'same', 'valid'/],
      [() => F.conv2d(x, wg.zeros([6, 4, 3, 3]), null, { padding: 'same', stride: 2 }), /padding='same' is not supported for strided convolutions/],
      [() => F.conv2d(x, wg.zeros([6, 4, 3, 3]), null, { strid: 2 } as wg.nn.functional.ConvOptions), /unknown option 'strid'/],
      [() => F.conv2d(x, wg.zeros([6, 4, 3, 3]), wg.zeros([5])), /bias must have shape \[6\]/],
      [() => F.conv2d(wg.zeros([1, 2, 2, 4, 8]), wg.zeros([6, 4, 3, 3])), /expected a 4-D input \[N, C, H, W\] \(or 3-D unbatched\)/],
      [() => F.conv2d(x, wg.zeros([6, 4, 3])), /expected a 4-D weight/],
      [() => F.conv2d(x.to('int32'), wg.zeros([6, 4, 3, 3])), /conv2d: expected a floating point tensor/],
      [() => F.conv1d(wg.zeros([2, 3, 4]), wg.zeros([2, 3, 5])), /conv1d: the kernel's length \(5\) is larger/],
      [() => F.conv1d(wg.zeros([2, 3, 4]), wg.zeros([2, 3, 1]), null, { stride: [1, 1] }), /stride must be an integer >= 1 or a list of 1/],
      [() => F.convTranspose2d(x, wg.zeros([3, 2, 3, 3])), /convTranspose2d: the input has 4 channels but the weight \[inC, outC\/groups, kH, kW\] expects 3/],
      [() => F.convTranspose2d(x, wg.zeros([4, 2, 3, 3]), null, { groups: 3 }), /groups \(3\) must divide the input's 4 channels/],
      [() => F.convTranspose2d(x, wg.zeros([4, 2, 3, 3]), null, { outputPadding: 1 }), /outputPadding \(\[1,1\]\) must be smaller than either stride/],
      [() => F.convTranspose2d(x, wg.zeros([4, 2, 3, 3]), null, { padding: 6 }), /the output would be -2 x -2/],
      [() => F.convTranspose2d(x, wg.zeros([4, 2, 3, 3]), null, { output_padding: 1 } as wg.nn.functional.ConvTransposeOptions), /unknown option 'output_padding'/],
    ];
    for (const [call, msg] of cases) {
      expect(call).toThrow(wg.WebgradError);
      expect(call).toThrow(msg);
    }
  });

  it('unbatched inputs give unbatched outputs', () => {
    expect(F.conv2d(wg.zeros([3, 5, 5]), wg.zeros([2, 3, 3, 3])).shape).toEqual([2, 3, 3]);
    expect(F.conv1d(wg.zeros([3, 9]), wg.zeros([2, 3, 3]), null, { padding: 'same' }).shape).toEqual([2, 9]);
    expect(F.convTranspose2d(wg.zeros([3, 5, 5]), wg.zeros([3, 2, 2, 2]), null, { stride: 2 }).shape).toEqual([2, 10, 10]);
  });

  it('nn.Conv2d, Conv1d, ConvTranspose2d: shapes, state-dict names, PyTorch init bounds', async () => {
    wg.manualSeed(0);
    const c = new wg.nn.Conv2d(4, 6, 3, { padding: 1, groups: 2 });
    expect(Object.keys(c.stateDict())).toEqual(['weight', 'bias']);
    expect(c.weight.shape).toEqual([6, 2, 3, 3]);
    expect(c.forward(wg.zeros([2, 4, 5, 5])).shape).toEqual([2, 6, 5, 5]);
    const bound = 1 / Math.sqrt(2 * 9); // fanIn = inChannels/groups · kH · kW
    for (const p of [c.weight, c.bias!]) {
      const v = await p.toArray();
      expect(Math.max(...v.map(Math.abs))).toBeLessThanOrEqual(bound);
      expect(Math.max(...v.map(Math.abs))).toBeGreaterThan(bound / 2);
    }
    const c1 = new wg.nn.Conv1d(3, 2, 5, { stride: 2, bias: false });
    expect(c1.bias).toBeNull();
    expect(Object.keys(c1.stateDict())).toEqual(['weight']);
    expect(c1.forward(wg.zeros([1, 3, 11])).shape).toEqual([1, 2, 4]);
    const t = new wg.nn.ConvTranspose2d(4, 6, [2, 3], { stride: 2, groups: 2 });
    expect(t.weight.shape).toEqual([4, 3, 2, 3]);
    expect(t.bias!.shape).toEqual([6]);
    expect(Math.max(...(await t.weight.toArray()).map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(3 * 6));
    expect(t.forward(wg.zeros([1, 4, 3, 3])).shape).toEqual([1, 6, 6, 7]);
    // Same seed, same parameters (drawn from the global RNG, weight first).
    wg.manualSeed(0);
    await expectClose(new wg.nn.Conv2d(4, 6, 3, { padding: 1, groups: 2 }).weight, c.weight, 0, 0);
  });

  it('the modules refuse bad arguments', () => {
    expect(() => new wg.nn.Conv2d(3, 6, 3, { groups: 2 })).toThrow(/Conv2d: inChannels \(3\) must be divisible by groups \(2\)/);
    expect(() => new wg.nn.Conv2d(4, 6, 3, { paddingMode: 'reflect' as 'zeros' })).toThrow(/paddingMode 'reflect' is not supported/);
    expect(() => new wg.nn.Conv2d(4, 6, 3, { padding: 'same', stride: 2 })).toThrow(/padding='same' is not supported for strided/);
    expect(() => new wg.nn.Conv2d(4, 6, [3, 3, 3])).toThrow(/kernelSize must be a positive integer or a list of 2/);
    expect(() => new wg.nn.Conv1d(4, 6, 3, { padding_mode: 'zeros' } as wg.nn.ConvModuleOptions)).toThrow(/unknown option 'padding_mode'/);
    expect(() => new wg.nn.ConvTranspose2d(4, 6, 3, { groups: 4 })).toThrow(/outChannels \(6\) must be divisible by groups \(4\)/);
  });
});

describe('convolution gradcheck (float64, CPU)', () => {
  beforeAll(async () => {
    await wg.init({ backend: 'cpu', verbose: false });
    wg.manualSeed(5);
  });
  const f64 = { dtype: 'float64' } as const;
  const r = (...s: number[]): wg.Tensor => wg.randn(s, f64);

  it('conv2d: stride 2 with padding, dilation, groups, 1x1, padding same with an even kernel', async () => {
    await wg.gradcheck((x, w, b) => F.conv2d(x, w, b, { stride: 2, padding: 1 }), [r(2, 3, 5, 6), r(4, 3, 3, 3), r(4)]);
    await wg.gradcheck((x, w) => F.conv2d(x, w, null, { dilation: [2, 1], padding: [2, 0] }), [r(1, 2, 6, 5), r(3, 2, 3, 2)]);
    await wg.gradcheck((x, w, b) => F.conv2d(x, w, b, { groups: 3 }), [r(2, 3, 4, 4), r(6, 1, 2, 2), r(6)]);
    await wg.gradcheck((x, w) => F.conv2d(x, w), [r(1, 3, 3, 2), r(2, 3, 1, 1)]);
    await wg.gradcheck((x, w) => F.conv2d(x, w, null, { padding: 'same' }), [r(1, 2, 4, 5), r(2, 2, 2, 3)]);
  });

  it('conv1d and convTranspose2d (outputPadding, groups, dilation)', async () => {
    await wg.gradcheck((x, w, b) => F.conv1d(x, w, b, { stride: 2, padding: 1, dilation: 2 }), [r(2, 2, 9), r(3, 2, 3), r(3)]);
    await wg.gradcheck((x, w, b) => F.convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1 }), [r(1, 2, 3, 3), r(2, 3, 3, 3), r(3)]);
    await wg.gradcheck((x, w) => F.convTranspose2d(x, w, null, { groups: 2, dilation: 2, stride: [1, 2] }), [r(2, 4, 3, 2), r(4, 1, 2, 2)]);
  });

  it('two convolutions with a nonlinearity between', async () => {
    await wg.gradcheck((x, w1, w2) => F.conv2d(F.conv2d(x, w1, null, { padding: 1 }).tanh(), w2, null, { stride: 2 }), [r(1, 2, 5, 5), r(2, 2, 3, 3), r(3, 2, 3, 3)]);
  });
});
