// API-surface rows for issue 11's activations and elementwise math: the functions, their
// Tensor methods, maximum/minimum, the logical ops, where/maskedFill/tril/triu and the
// activation modules. A function's row checks its values (edge cases, options, refusals);
// the method's row checks the gradient, each against PyTorch 1.13.
import { expect } from 'vitest';
import * as wg from 'webgrad-gpu';
import { G, I, T, is, type Run } from './helpers.js';

const { nn } = wg;
const F = nn.functional;

// Φ the standard normal CDF, φ its density: gelu(x) = x·Φ(x), gelu'(x) = Φ(x) + x·φ(x).
const PHI1 = 0.8413447460685429; // Φ(1)
const PHI_1 = 1 - PHI1; // Φ(-1)
const phi1 = Math.exp(-0.5) / Math.sqrt(2 * Math.PI); // φ(±1)
const GELU_TANH1 = 0.8411919906082768; // ½(1 + tanh(√(2/π)·(1 + 0.044715)))
const GELU_TANH_1 = -0.15880800939172324; // the same at -1
const ERF1 = 0.8427007929497149;
const ERF_HALF = 0.5204998778130465;
const sigma = (x: number): number => 1 / (1 + Math.exp(-x));
// The GPU's transcendentals (exp, erf, tanh in shaders/unary.wgsl) agree with float64 to ~2 ulp
// of float32; 2e-6 absolute covers them at these magnitudes (< 2).
const TOL = 2e-6;

/** Gradient of sum(f(x)) at `x`. */
function gradOf(f: (x: wg.Tensor) => wg.Tensor, x: number[]): wg.Tensor {
  const t = G(x);
  f(t).sum().backward();
  return t.grad!;
}

export const OPS11_MATH: Record<string, Run> = {
  // ---- activations ----
  gelu: async () => {
    await is(wg.gelu(T([-1, 0, 1])), [-PHI_1, 0, PHI1], 'float32', TOL);
    await is(wg.gelu(T([-1, 0, 1]), { approximate: 'tanh' }), [GELU_TANH_1, 0, GELU_TANH1], 'float32', TOL);
    expect(() => wg.gelu(T([1]), { approximate: 'fast' as 'tanh' })).toThrow("gelu: approximate must be 'none' or 'tanh', got 'fast'");
    expect(() => wg.gelu(I([1]))).toThrow('gelu: expected a floating point tensor, got int32 of shape [1]');
  },
  'Tensor#gelu': async () => {
    await is(gradOf((x) => x.gelu(), [-1, 0, 1]), [PHI_1 - phi1, 0.5, PHI1 + phi1], 'float32', TOL);
    await is(T([[1]]).gelu({ approximate: 'tanh' }), [[GELU_TANH1]], 'float32', TOL);
  },
  silu: async () => {
    await is(wg.silu(T([0, Math.log(3), 30])), [0, 0.75 * Math.log(3), 30], 'float32', TOL); // σ(ln 3) = 3/4
    expect(() => wg.silu(I([1]))).toThrow('silu: expected a floating point tensor');
  },
  'Tensor#silu': () => is(gradOf((x) => x.silu(), [0, Math.log(3)]), [0.5, 0.75 * (1 + 0.25 * Math.log(3))], 'float32', TOL), // σ(x)(1 + x(1 - σ(x)))
  leakyRelu: async () => {
    await is(wg.leakyRelu(T([-2, 0, 3])), [-0.02, 0, 3]); // default slope 0.01
    await is(wg.leakyRelu(T([[-2, 0, 3]]), 0.5), [[-1, 0, 3]]);
    expect(() => wg.leakyRelu(T([1]), NaN)).toThrow('leakyRelu: negativeSlope must be a number, got NaN');
  },
  'Tensor#leakyRelu': async () => {
    await is(gradOf((x) => x.leakyRelu(0.5), [-2, 0, 3]), [0.5, 0.5, 1]); // the slope at 0 (x > 0 is false), as torch
    await is(T([-100]).leakyRelu(), [-1]);
  },
  elu: async () => {
    await is(wg.elu(T([-1, 0, 2])), [Math.exp(-1) - 1, 0, 2], 'float32', TOL);
    await is(wg.elu(T([-1, 0, 2]), 2), [2 * (Math.exp(-1) - 1), 0, 2], 'float32', TOL);
    await is(wg.elu(T([-1e-5])), [Math.expm1(-1e-5)], 'float32', 0); // by expm1: exact to float32 near 0
    expect(() => wg.elu(T([1]), '2' as unknown as number)).toThrow('elu: alpha must be a number, got string');
  },
  'Tensor#elu': () => is(gradOf((x) => x.elu(2), [-1, 0, 2]), [2 * Math.exp(-1), 2, 1], 'float32', TOL), // alpha·eˣ at x <= 0
  softplus: async () => {
    await is(wg.softplus(T([0, 1, 25])), [Math.LN2, Math.log1p(Math.E), 25], 'float32', TOL); // 25 > threshold 20: x itself
    await is(wg.softplus(T([0, 1, 15]), { beta: 2 }), [Math.LN2 / 2, Math.log1p(Math.exp(2)) / 2, 15], 'float32', TOL); // β·x = 30 > 20
    await is(wg.softplus(T([2]), { threshold: 1 }), [2]);
    expect(() => wg.softplus(T([1]), { beta: 0 })).toThrow('softplus: beta must be nonzero');
    expect(() => wg.softplus(T([1]), { alpha: 1 } as wg.SoftplusOptions)).toThrow("softplus: unknown option 'alpha' (accepted: beta, threshold)");
  },
  'Tensor#softplus': async () => {
    await is(gradOf((x) => x.softplus(), [0, 1, 25]), [0.5, sigma(1), 1], 'float32', TOL);
    await is(gradOf((x) => x.softplus({ beta: 2 }), [0, 1]), [0.5, sigma(2)], 'float32', TOL); // σ(β·x)
  },

  // ---- elementwise math ----
  log1p: async () => {
    // atol 0: log(1 + 1e-7) in float32 is log(1.00000012) = 1.19e-7, 19% off.
    await is(wg.log1p(T([1e-7])), [1e-7], 'float32', 0);
    await is(wg.log1p(T([Math.E - 1, -1, -2])), [1, -Infinity, NaN], 'float32', TOL);
  },
  'Tensor#log1p': () => is(gradOf((x) => x.log1p(), [0, 1, 3]), [1, 0.5, 0.25]),
  expm1: async () => {
    await is(wg.expm1(T([1e-7])), [1e-7], 'float32', 0); // exp(1e-7) - 1 in float32 is 1.19e-7
    await is(wg.expm1(T([Math.LN2, -Infinity, 0])), [1, -1, 0], 'float32', TOL);
  },
  'Tensor#expm1': () => is(gradOf((x) => x.expm1(), [0, Math.LN2]), [1, 2], 'float32', TOL), // eˣ
  sin: () => is(wg.sin(T([0, Math.PI / 6, Math.PI / 2, -Math.PI / 2])), [0, 0.5, 1, -1], 'float32', TOL),
  'Tensor#sin': () => is(gradOf((x) => x.sin(), [0, Math.PI / 3, Math.PI]), [1, 0.5, -1], 'float32', TOL), // cos
  cos: () => is(wg.cos(T([0, Math.PI / 3, Math.PI])), [1, 0.5, -1], 'float32', TOL),
  'Tensor#cos': () => is(gradOf((x) => x.cos(), [0, Math.PI / 2, -Math.PI / 6]), [0, -1, 0.5], 'float32', TOL), // -sin
  rsqrt: async () => {
    await is(wg.rsqrt(T([4, 0.25, 0, -1])), [0.5, 2, Infinity, NaN]);
    await is(wg.rsqrt(T([-0])), [-Infinity]); // 1/√-0, as torch
  },
  'Tensor#rsqrt': () => is(gradOf((x) => x.rsqrt(), [4, 1]), [-1 / 16, -0.5]), // -x^(-3/2)/2
  erf: () => is(wg.erf(T([0, 0.5, 1, -1, -Infinity, Infinity])), [0, ERF_HALF, ERF1, -ERF1, -1, 1], 'float32', TOL),
  'Tensor#erf': () => is(gradOf((x) => x.erf(), [0, 1]), [2 / Math.sqrt(Math.PI), (2 / Math.sqrt(Math.PI)) * Math.exp(-1)], 'float32', TOL),
  reciprocal: async () => {
    await is(wg.reciprocal(T([2, -0.5, 0])), [0.5, -2, Infinity]);
    expect(() => wg.reciprocal(I([2]))).toThrow('reciprocal: expected a floating point tensor, got int32 of shape [1]');
  },
  'Tensor#reciprocal': () => is(gradOf((x) => x.reciprocal(), [2, -0.5]), [-0.25, -4]), // -1/x²
  sign: async () => {
    await is(wg.sign(T([-3, 0, 2.5, NaN])), [-1, 0, 1, 0]); // sign(NaN) = 0, as torch 1.13
    await is(wg.sign(I([-5, 0, 7])), [-1, 0, 1], 'int32');
    // torch gives +0 for ±0 (the WGSL writes the zero as bits: lavapipe folded a select into -0).
    const zeros = await wg.sign(T([-0, 0])).toArray();
    expect(Object.is(zeros[0], 0) && Object.is(zeros[1], 0), 'sign(±0) is +0 on every backend').toBe(true);
  },
  'Tensor#sign': async () => {
    await is(gradOf((x) => x.sign().mul(x), [-2, 3]), [-1, 1]); // sign itself contributes 0
    await is(T([[0.1, -0.1]]).sign(), [[1, -1]]);
  },
  floor: async () => {
    await is(wg.floor(T([-1.5, -0.5, 0.5, 2])), [-2, -1, 0, 2]);
    await is(wg.floor(I([3, -3])), [3, -3], 'int32');
  },
  'Tensor#floor': async () => {
    await is(gradOf((x) => x.floor(), [1.7, -0.2]), [0, 0]);
    await is(T([[1.7, -0.2]]).floor(), [[1, -1]]);
  },
  ceil: async () => {
    await is(wg.ceil(T([-1.5, -0.5, 0.5, 2])), [-1, 0, 1, 2]);
    await is(wg.ceil(I([3, -3])), [3, -3], 'int32');
  },
  'Tensor#ceil': async () => {
    await is(gradOf((x) => x.ceil(), [1.2, -0.2]), [0, 0]);
    await is(T([[1.2, -1.2]]).ceil(), [[2, -1]]);
  },
  round: async () => {
    await is(wg.round(T([0.5, 1.5, 2.5, -0.5, -1.5, 2.4999, -2.6])), [0, 2, 2, 0, -2, 2, -3]); // half to even
    await is(wg.round(I([7, -7])), [7, -7], 'int32');
  },
  'Tensor#round': async () => {
    await is(gradOf((x) => x.round(), [0.5, 1.7]), [0, 0]);
    await is(T([[3.5, 4.5]]).round(), [[4, 4]]);
  },
  logicalNot: async () => {
    await is(wg.logicalNot(T([0, 2, NaN, -0])), [1, 0, 0, 1]); // NaN is nonzero
    await is(wg.logicalNot(I([0, 3])), [1, 0]); // float32 result: there is no bool dtype
  },
  'Tensor#logicalNot': async () => {
    const y = G([[0], [5]]).logicalNot();
    await is(y, [[1], [0]]);
    expect(y.requiresGrad).toBe(false); // not differentiable, like the comparisons
  },
  logicalAnd: async () => {
    await is(wg.logicalAnd(T([0, 1, NaN, 2]), T([1, 1, 1, 0])), [0, 1, 1, 0]);
    await is(wg.logicalAnd(I([0, 3]), 1), [0, 1]);
  },
  'Tensor#logicalAnd': () => is(T([[1], [0]]).logicalAnd(T([1, 0, -2])), [[1, 0, 1], [0, 0, 0]]),
  logicalOr: async () => {
    await is(wg.logicalOr(T([0, 0, NaN, 2]), T([0, 1, 0, 0])), [0, 1, 1, 1]);
    await is(wg.logicalOr(I([0, -3]), 0), [0, 1]);
  },
  'Tensor#logicalOr': () => is(T([[1], [0]]).logicalOr(T([1, 0, -2])), [[1, 1, 1], [1, 0, 1]]),
  maximum: async () => {
    await is(wg.maximum(T([1, NaN, 3]), T([2, 0, NaN])), [2, NaN, NaN]); // NaN propagates
    await is(wg.maximum(T([[-1, 2]]), 0), [[0, 2]]);
    await is(wg.maximum(I([1, 5]), I([3, 2])), [3, 5], 'int32');
  },
  'Tensor#maximum': async () => {
    const a = G([1, 2, 3]);
    const b = G([2]);
    const y = a.maximum(b);
    await is(y, [2, 2, 3]);
    y.sum().backward();
    await is(a.grad!, [0, 0.5, 1]); // a tie splits dy in half (torch 1.13)
    await is(b.grad!, [1.5]); // 1 + 0.5 + 0, summed over the broadcast
  },
  minimum: async () => {
    await is(wg.minimum(T([1, NaN, 3]), T([2, 0, NaN])), [1, NaN, NaN]);
    await is(wg.minimum(T([[-1, 2]]), 0), [[-1, 0]]);
    await is(wg.minimum(I([1, 5]), I([3, 2])), [1, 2], 'int32');
  },
  'Tensor#minimum': async () => {
    const a = G([1, 2, 3]);
    const b = G([2]);
    const y = a.minimum(b);
    await is(y, [1, 2, 2]);
    y.sum().backward();
    await is(a.grad!, [1, 0.5, 0]);
    await is(b.grad!, [1.5]);
  },

  // ---- where, maskedFill, tril, triu ----
  where: async () => {
    await is(wg.where(T([1, 0, NaN]), T([1, 2, 3]), T([-1, -2, -3])), [1, -2, 3]); // NaN counts as true
    await is(wg.where(T([[1], [0]]), T([10, 20]), -1), [[10, 20], [-1, -1]]); // broadcast, a number operand
    await is(wg.where(T([0, 1]), T([Infinity, 1]), T([0, NaN])), [0, 1]); // a select: the Inf and NaN not taken never leak in
    await is(wg.where(T([1, 0]), I([1, 2]), I([3, 4])), [1, 4], 'int32');
    await is(wg.where(T([1, 0]), I([1, 2]), 0.5), [1, 0.5]); // promoted to float32
    expect(() => wg.where(T([1]), 'a' as unknown as number, 0)).toThrow('where: a and b must be Tensors or numbers, got string');
  },
  'Tensor#where': async () => {
    const a = G([1, 2, 3]);
    const b = G([5]);
    const y = a.where(T([1, 0, 1]), b);
    await is(y, [1, 5, 3]);
    y.mul(T([1, 2, 3])).sum().backward();
    await is(a.grad!, [1, 0, 3]);
    await is(b.grad!, [2]); // summed back to b's shape
  },
  maskedFill: async () => {
    await is(wg.maskedFill(T([[1, 2], [3, 4]]), T([1, 0]), -Infinity), [[-Infinity, 2], [-Infinity, 4]]);
    await is(wg.maskedFill(T([1, 2]), T([1, 0]), T(9)), [9, 2]); // a 0-d tensor value
    await is(wg.maskedFill(I([1, 2]), T([0, 1]), 2.7), [1, 2], 'int32'); // truncated into int32, as torch
    expect(() => wg.maskedFill(T([1, 2]), T([[1], [0]]), 0)).toThrow("maskedFill: mask of shape [2,1] does not broadcast to the input's shape [2]");
    expect(() => wg.maskedFill(T([1, 2]), T([1, 0]), T([1, 2]))).toThrow('maskedFill: value must be a number or a 0-d tensor, got shape [2]');
  },
  'Tensor#maskedFill': async () => {
    const x = G([1, 2, 3]);
    x.maskedFill(T([0, 1, 0]), 0).mul(T([1, 2, 3])).sum().backward();
    await is(x.grad!, [1, 0, 3]); // nothing flows through a filled element
    await is(T([[0, 0]]).maskedFill(T([[0, 1]]), -Infinity).softmax(-1), [[1, 0]]); // an attention mask
  },
  tril: async () => {
    const x = wg.arange(9).reshape(3, 3);
    await is(wg.tril(x), [[0, 0, 0], [3, 4, 0], [6, 7, 8]], 'int32');
    await is(wg.tril(x, -1), [[0, 0, 0], [3, 0, 0], [6, 7, 0]], 'int32');
    await is(wg.tril(x, 1), [[0, 1, 0], [3, 4, 5], [6, 7, 8]], 'int32');
    await is(wg.tril(wg.ones([2, 2, 3]), 1), [[[1, 1, 0], [1, 1, 1]], [[1, 1, 0], [1, 1, 1]]]); // every matrix of a batch
    expect(() => wg.tril(T([1, 2, 3]))).toThrow('tril: expected a tensor of at least 2 dims, got shape [3]');
  },
  'Tensor#tril': async () => {
    const x = G([[1, 2, 3], [4, 5, 6]]);
    const y = x.tril();
    await is(y, [[1, 0, 0], [4, 5, 0]]);
    y.sum().backward();
    await is(x.grad!, [[1, 0, 0], [1, 1, 0]]);
    await is(T([[1, 2], [3, 4]]).tril(-5), [[0, 0], [0, 0]]);
  },
  triu: async () => {
    const x = wg.arange(9).reshape(3, 3);
    await is(wg.triu(x), [[0, 1, 2], [0, 4, 5], [0, 0, 8]], 'int32');
    await is(wg.triu(x, 1), [[0, 1, 2], [0, 0, 5], [0, 0, 0]], 'int32');
    await is(wg.triu(x, -1), [[0, 1, 2], [3, 4, 5], [0, 7, 8]], 'int32');
    expect(() => wg.triu(T([[1]]), 0.5)).toThrow('triu: diagonal must be an integer, got 0.5');
  },
  'Tensor#triu': async () => {
    const x = G([[1, 2, 3], [4, 5, 6]]);
    const y = x.triu(1);
    await is(y, [[0, 2, 3], [0, 0, 6]]);
    y.sum().backward();
    await is(x.grad!, [[0, 1, 1], [0, 0, 1]]);
    await is(T([[1, 2], [3, 4]]).triu(5), [[0, 0], [0, 0]]);
  },

  // ---- activation modules and their nn.functional forms ----
  'nn.GELU': () => {
    expect(new nn.GELU()).toBeInstanceOf(nn.Module);
    expect(new nn.GELU({ approximate: 'tanh' }).toString()).toBe("GELU(approximate='tanh')");
    expect([...new nn.GELU().parameters()]).toEqual([]);
    expect(() => new nn.GELU({ approximate: 'x' as 'tanh' })).toThrow("GELU: approximate must be 'none' or 'tanh', got 'x'");
  },
  'nn.GELU#forward': async () => {
    await is(new nn.GELU().forward(T([[1, -1]])), [[PHI1, -PHI_1]], 'float32', TOL);
    await is(new nn.GELU({ approximate: 'tanh' }).forward(T([1])), [GELU_TANH1], 'float32', TOL);
  },
  'nn.SiLU': () => {
    expect(new nn.SiLU()).toBeInstanceOf(nn.Module);
    expect(new nn.SiLU().toString()).toBe('SiLU()');
  },
  'nn.SiLU#forward': () => is(new nn.SiLU().forward(T([[0, Math.log(3)]])), [[0, 0.75 * Math.log(3)]], 'float32', TOL),
  'nn.LeakyReLU': () => {
    expect(new nn.LeakyReLU().toString()).toBe('LeakyReLU(negativeSlope=0.01)');
    expect(new nn.LeakyReLU(0.2).negativeSlope).toBe(0.2);
    expect(() => new nn.LeakyReLU(NaN)).toThrow('LeakyReLU: negativeSlope must be a number, got NaN');
  },
  'nn.LeakyReLU#forward': async () => {
    await is(new nn.LeakyReLU().forward(T([-1, 2])), [-0.01, 2]);
    await is(new nn.LeakyReLU(0.2).forward(T([-1, 2])), [-0.2, 2]);
  },
  'nn.ELU': () => {
    expect(new nn.ELU().toString()).toBe('ELU(alpha=1)');
    expect(new nn.ELU(2).alpha).toBe(2);
    expect(() => new nn.ELU(null as unknown as number)).toThrow('ELU: alpha must be a number, got null');
  },
  'nn.ELU#forward': () => is(new nn.ELU(2).forward(T([-1, 1])), [2 * (Math.exp(-1) - 1), 1], 'float32', TOL),
  'nn.Softplus': () => {
    expect(new nn.Softplus().toString()).toBe('Softplus(beta=1, threshold=20)');
    const m = new nn.Softplus({ beta: 2, threshold: 5 });
    expect([m.beta, m.threshold]).toEqual([2, 5]);
    expect(() => new nn.Softplus({ beta: 0 })).toThrow('Softplus: beta must be nonzero');
    expect(() => new nn.Softplus({ alpha: 1 } as { beta?: number })).toThrow("Softplus: unknown option 'alpha' (accepted: beta, threshold)");
  },
  'nn.Softplus#forward': () => is(new nn.Softplus({ beta: 2, threshold: 1 }).forward(T([0, 1])), [Math.LN2 / 2, 1], 'float32', TOL), // β·1 = 2 > 1: x
  'nn.functional.gelu': async () => {
    await is(F.gelu(T([-1, 1]), { approximate: 'tanh' }), [GELU_TANH_1, GELU_TANH1], 'float32', TOL);
    await is(F.gelu(T([0, 1])), [0, PHI1], 'float32', TOL);
  },
  'nn.functional.silu': () => is(F.silu(T([Math.log(3), -Math.log(3)])), [0.75 * Math.log(3), -0.25 * Math.log(3)], 'float32', TOL),
  'nn.functional.leakyRelu': () => is(F.leakyRelu(T([-4, 4]), 0.25), [-1, 4]),
  'nn.functional.elu': () => is(F.elu(T([-Infinity, 3]), 0.5), [-0.5, 3]),
  'nn.functional.softplus': () => is(F.softplus(T([-Infinity, 0, 21])), [0, Math.LN2, 21], 'float32', TOL),
};
