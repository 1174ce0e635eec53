// The activations, elementwise math, maximum/minimum, logical ops and where/maskedFill/tril/triu
// of issue 11, through the public API on every backend: PyTorch 1.13's values and gradients
// (test/fixtures/activations.json, written by gen_activation_fixtures.py; float64 answers for
// float32 inputs, compared within the tolerance stored with each case), float64 gradcheck of
// every op, the CPU erf against libm, int32 behaviour, nn modules, and refused arguments.
import { expect, it, test } from 'vitest';
import * as wg from 'webgrad-gpu';
import { erf as erf64 } from '../src/kernels/math.js';
import { backendsUnderTest, describeEachBackend } from './helpers/backends.js';
import { expectClose } from './helpers/close.js';
import { type FixtureCase, loadFixtures, type Num, num } from './helpers/fixture-cases.js';

const fixtures = loadFixtures<{ torch: string; cases: FixtureCase[]; erf64: { x: number[]; erf: number[] } }>('activations.json');

type Args = Record<string, unknown>;
type X = Record<string, wg.Tensor>;
/** The same table as OPS in gen_activation_fixtures.py, in webgrad's vocabulary. */
const OPS: Record<string, (x: X, a: Args) => wg.Tensor> = {
  gelu: (x, a) => wg.gelu(x.x, { approximate: (a.approximate as 'none' | 'tanh' | undefined) ?? 'none' }),
  silu: (x) => x.x.silu(),
  leakyRelu: (x, a) => wg.nn.functional.leakyRelu(x.x, (a.negativeSlope as number | undefined) ?? 0.01),
  elu: (x, a) => x.x.elu((a.alpha as number | undefined) ?? 1),
  softplus: (x, a) => wg.softplus(x.x, a as { beta?: number; threshold?: number }),
  log1p: (x) => x.x.log1p(),
  expm1: (x) => wg.expm1(x.x),
  sin: (x) => x.x.sin(),
  cos: (x) => wg.cos(x.x),
  rsqrt: (x) => x.x.rsqrt(),
  erf: (x) => wg.erf(x.x),
  reciprocal: (x) => x.x.reciprocal(),
  sign: (x) => x.x.sign(),
  floor: (x) => wg.floor(x.x),
  ceil: (x) => x.x.ceil(),
  round: (x) => wg.round(x.x),
  logicalNot: (x) => x.x.logicalNot(),
  logicalAnd: (x) => wg.logicalAnd(x.x, x.y),
  logicalOr: (x) => x.x.logicalOr(x.y),
  maximum: (x) => wg.maximum(x.x, x.y),
  minimum: (x) => x.x.minimum(x.y),
  where: (x) => wg.where(x.c, x.x, x.y),
  maskedFill: (x, a) => x.x.maskedFill(x.m, num(a.value as Num)),
  tril: (x, a) => x.x.tril((a.k as number | undefined) ?? 0),
  triu: (x, a) => wg.triu(x.x, (a.k as number | undefined) ?? 0),
};

const backends = await backendsUnderTest();

describeEachBackend(backends, `PyTorch ${fixtures.torch} activation fixtures`, () => {
  for (const c of fixtures.cases) {
    it(c.name, async () => {
      const x: X = {};
      for (const inp of c.inputs) {
        x[inp.name] = wg.tensor(inp.data.map(num)).reshape(inp.shape).requiresGrad_(c.grads?.[inp.name] !== undefined);
      }
      const out = OPS[c.op](x, c.args);
      expect(out.shape).toEqual(c.output.shape);
      await expectClose(out, c.output.data.map(num), c.tol.atol, c.tol.rtol, c.output.shape);
      if (!c.grads) return;
      out.backward(wg.tensor(c.gradOutput!.map(num)).reshape(c.output.shape));
      // A gradient has its input's shape, as recorded in the fixture.
      for (const [name, g] of Object.entries(c.grads)) {
        await expectClose(x[name].grad!, g.map(num), c.tol.atol, c.tol.rtol, c.inputs.find((i) => i.name === name)!.shape);
      }
    });
  }

  test('int32: sign/floor/ceil/round keep int32, logicalNot gives float32, maximum stays int32', async () => {
    const i = wg.tensor([-3, 0, 2, 7], { dtype: 'int32' });
    for (const t of [i.sign(), i.floor(), i.ceil(), i.round()]) expect(t.dtype).toBe('int32');
    expect(Array.from(await i.sign().toArray())).toEqual([-1, 0, 1, 1]);
    expect(Array.from(await i.round().toArray())).toEqual([-3, 0, 2, 7]);
    const n = i.logicalNot();
    expect(n.dtype).toBe('float32');
    expect(Array.from(await n.toArray())).toEqual([0, 1, 0, 0]);
    const m = wg.maximum(i, wg.tensor([1], { dtype: 'int32' }));
    expect(m.dtype).toBe('int32');
    expect(Array.from(await m.toArray())).toEqual([1, 1, 2, 7]);
    expect(Array.from(await wg.where(i.gt(0), i, -1).toArray())).toEqual([-1, -1, 2, 7]);
    expect(wg.tensor([[1, 2], [3, 4]], { dtype: 'int32' }).tril().dtype).toBe('int32');
  });

  test('where with two numbers, a 0-d value for maskedFill, and -Inf filled into attention scores', async () => {
    const c = wg.tensor([[1, 0], [0, 1]]);
    await expectClose(wg.where(c, 2, -3), [[2, -3], [-3, 2]]);
    const s = wg.tensor([[0.5, 1.5, 2.5], [1, 2, 3]], { requiresGrad: true });
    const masked = s.maskedFill(wg.tensor([[0, 1, 1]]), -Infinity);
    const p = masked.softmax(-1);
    await expectClose(p, [[1, 0, 0], [1, 0, 0]]);
    p.sum().backward();
    await expectClose(s.grad!, [[0, 0, 0], [0, 0, 0]]);
    const v = wg.tensor(5, { requiresGrad: true });
    const f = wg.zeros([2, 2]).maskedFill(wg.tensor([[1, 0], [0, 1]]), v);
    await expectClose(f, [[5, 0], [0, 5]]);
    f.sum().backward();
    await expectClose(v.grad!, 2); // v is 0-d, so is its gradient
  });

  test('nn modules equal their functions, with PyTorch reprs', async () => {
    const x = wg.tensor([-2, -0.5, 0, 0.5, 2]);
    const pairs: [wg.nn.Module, wg.Tensor][] = [
      [new wg.nn.GELU(), wg.gelu(x)],
      [new wg.nn.GELU({ approximate: 'tanh' }), wg.gelu(x, { approximate: 'tanh' })],
      [new wg.nn.SiLU(), wg.silu(x)],
      [new wg.nn.LeakyReLU(0.1), wg.leakyRelu(x, 0.1)],
      [new wg.nn.ELU(0.5), wg.elu(x, 0.5)],
      [new wg.nn.Softplus({ beta: 2, threshold: 1 }), wg.softplus(x, { beta: 2, threshold: 1 })],
    ];
    for (const [m, want] of pairs) await expectClose(m.forward(x), await want.toArray(), 0, 0);
    expect(String(new wg.nn.Softplus({ beta: 2 }))).toContain('beta=2, threshold=20');
    expect(String(new wg.nn.GELU({ approximate: 'tanh' }))).toContain("approximate='tanh'");
  });

  test('bad arguments throw a WebgradError naming the op, before any kernel runs', () => {
    const f = wg.tensor([1, 2, 3]);
    const i = wg.tensor([1, 2, 3], { dtype: 'int32' });
    const [z2, o2, o22, o3, o2x2] = [wg.zeros([2]), wg.ones([2]), wg.ones([2, 2]), wg.ones([3]), wg.ones([2, 2])];
    const live = wg.memory().liveTensors;
    const refused: [() => unknown, RegExp][] = [
      [() => wg.gelu(f, { approximate: 'fast' as 'tanh' }), /gelu: approximate must be 'none' or 'tanh'/],
      [() => wg.gelu(f, { approx: 'tanh' } as never), /gelu: unknown option 'approx'/],
      [() => wg.softplus(f, { beta: 0 }), /softplus: beta must be nonzero/],
      [() => wg.softplus(f, { beta: '2' as unknown as number }), /softplus: beta must be a number/],
      [() => wg.softplus(f, { threshhold: 3 } as never), /softplus: unknown option 'threshhold'/],
      [() => wg.leakyRelu(f, NaN), /leakyRelu: negativeSlope must be a number, got NaN/],
      [() => wg.elu(f, null as unknown as number), /elu: alpha must be a number, got null/],
      [() => wg.where(f, f, 'a' as unknown as number), /where: a and b must be Tensors or numbers, got string/],
      [() => wg.where(f, z2, 0), /where/],
      [() => f.maskedFill(o2, 0), /maskedFill/],
      [() => z2.maskedFill(o22, 0), /maskedFill: mask of shape \[2,2\] does not broadcast to the input's shape \[2\]/],
      [() => f.maskedFill(o3, [1] as unknown as number), /maskedFill: value must be a number or a 0-d tensor/],
      [() => f.tril(), /tril: expected a tensor of at least 2 dims, got shape \[3\]/],
      [() => o2x2.triu(0.5), /triu: diagonal must be an integer/],
      [() => wg.maximum(f, z2), /maximum/],
      [() => wg.logicalAnd(f, 'x' as unknown as number), /logicalAnd: expected a Tensor or a number, got string/],
      [() => new wg.nn.LeakyReLU('0.1' as unknown as number), /LeakyReLU: negativeSlope must be a number/],
      [() => new wg.nn.GELU({ approximate: 'exact' as 'none' }), /GELU: approximate must be/],
      [() => new wg.nn.Softplus({ beta: 1, gamma: 2 } as never), /Softplus: unknown option 'gamma'/],
    ];
    for (const op of ['gelu', 'silu', 'leakyRelu', 'elu', 'softplus', 'log1p', 'expm1', 'sin', 'cos', 'rsqrt', 'erf', 'reciprocal'] as const) {
      refused.push([() => (wg[op] as (x: wg.Tensor) => wg.Tensor)(i), new RegExp(`${op}: expected a floating point tensor, got int32`)]);
    }
    for (const [call, message] of refused) {
      expect(call).toThrow(wg.WebgradError);
      expect(call).toThrow(message);
    }
    // Refused calls leave nothing behind (the temporaries of composed ops included).
    expect(wg.memory().liveTensors).toBe(live);
  });
});

describeEachBackend(['cpu'], 'float64 gradcheck of every op of issue 11', () => {
  const r = (shape: number[], lo: number, hi: number, seed: number): wg.Tensor => {
    wg.manualSeed(seed);
    return wg.rand(shape, { dtype: 'float64' }).mul(hi - lo).add(lo);
  };
  // Inputs keep clear of each op's kinks (0 for leakyRelu/elu, the softplus threshold, integers
  // for floor/ceil/round, ties for maximum/minimum), where finite differences are not a derivative.
  const cases: [string, (...t: wg.Tensor[]) => wg.Tensor, () => wg.Tensor[]][] = [
    ['gelu', (x) => x.gelu(), () => [r([3, 5], -4, 4, 1)]],
    ['gelu tanh', (x) => x.gelu({ approximate: 'tanh' }), () => [r([3, 5], -4, 4, 2)]],
    ['silu', (x) => x.silu(), () => [r([17], -6, 6, 3)]],
    ['leakyRelu', (x) => x.leakyRelu(0.2), () => [r([17], 0.05, 3, 4).mul(wg.tensor(Array.from({ length: 17 }, (_, k) => (k % 2 ? 1 : -1)), { dtype: 'float64' }))]],
    ['elu', (x) => x.elu(1.3), () => [r([17], -3, -0.05, 5)]],
    ['elu positive side', (x) => x.elu(1.3), () => [r([5], 0.05, 3, 6)]],
    ['softplus', (x) => x.softplus(), () => [r([17], -8, 8, 7)]],
    ['softplus beta 2 threshold 3', (x) => x.softplus({ beta: 2, threshold: 3 }), () => [r([17], -4, 1.4, 8)]],
    ['log1p', (x) => x.log1p(), () => [r([17], -0.9, 5, 9)]],
    ['expm1', (x) => x.expm1(), () => [r([17], -5, 5, 10)]],
    ['sin', (x) => x.sin(), () => [r([17], -7, 7, 11)]],
    ['cos', (x) => x.cos(), () => [r([17], -7, 7, 12)]],
    ['rsqrt', (x) => x.rsqrt(), () => [r([17], 0.1, 5, 13)]],
    ['erf', (x) => x.erf(), () => [r([17], -3.5, 3.5, 14)]],
    ['reciprocal', (x) => x.reciprocal(), () => [r([17], 0.2, 4, 15)]],
    ['sign, floor, ceil, round (gradient 0)', (x) => x.sign().add(x.floor()).add(x.ceil()).add(x.round()).add(x), () => [r([5], 0.1, 0.4, 16).add(wg.tensor([-3, -1, 0, 2, 5], { dtype: 'float64' }))]],
    ['maximum (broadcast)', (a, b) => wg.maximum(a, b), () => [r([3, 4], -2, 2, 17), r([4], -2, 2, 18)]],
    ['minimum (broadcast)', (a, b) => a.minimum(b), () => [r([3, 1], -2, 2, 19), r([1, 4], -2, 2, 20)]],
    ['where (broadcast)', (a, b) => wg.where(wg.tensor([[1], [0], [1]], { dtype: 'float64' }), a, b), () => [r([1, 4], -2, 2, 21), r([3, 4], -2, 2, 22)]],
    ['maskedFill', (a) => a.maskedFill(wg.tensor([1, 0, 0, 1], { dtype: 'float64' }), 3), () => [r([2, 4], -2, 2, 23)]],
    ['tril, triu', (a) => a.tril(1).mul(2).add(a.triu(-1)), () => [r([2, 3, 4], -2, 2, 24)]],
  ];
  for (const [name, fn, inputs] of cases) {
    it(name, async () => {
      const res = await wg.gradcheck(fn, inputs());
      expect(res.ok, res.report).toBe(true);
    });
  }

  it('the CPU erf agrees with libm (Python math.erf) to 1e-15 absolute (measured 5.6e-16)', () => {
    let worst = 0;
    let at = NaN;
    fixtures.erf64.x.forEach((x, i) => {
      const err = Math.abs(erf64(x) - fixtures.erf64.erf[i]);
      if (err > worst) [worst, at] = [err, x];
    });
    console.log(`CPU erf: worst absolute difference from math.erf over ${fixtures.erf64.x.length} points: ${worst.toExponential(2)} at x = ${at}`);
    expect(worst).toBeLessThanOrEqual(1e-15);
    expect(Object.is(erf64(-0), -0)).toBe(true);
    expect(erf64(NaN)).toBeNaN();
    expect([erf64(Infinity), erf64(-Infinity)]).toEqual([1, -1]);
  });
});
