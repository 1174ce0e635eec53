// The generated chain kernels of compiled steps (src/backend/webgpu/chain.ts, shaders/chain.wgsl)
// against eager WebGPU execution of the same ops: awkward sizes, broadcasting of either operand
// along different dims, scalar operands, repeated inputs, intermediates released before the
// chain runs, chains split at the storage-buffer, op-count and uniform-word limits, NaN/±Inf,
// and every unary op of the table with its gradient. Each case reads every result after the
// call and compares the compiled calls (2nd and later: the 1st traces eagerly) with eager ones
// (test/helpers/compile-check.ts), and checks the compiled call made fewer dispatches.
//
// Tolerance: eager and compiled run the same WGSL expressions of the op tables in float32, so
// most results are bit-identical; a driver may contract a chain's a·b + c into one FMA, which
// differs from the rounded product by at most half an ulp of a·b (6e-8·|a·b|). That is within
// 1e-6 relative, plus 1e-6 absolute where a sum of O(1) values cancels to near 0. NaN and
// ±Inf must match exactly: eager stores every op's result, so a chain may not let the shader
// compiler simplify across ops ((a + b) - a is NaN for a = Inf, not b).
import { afterAll, expect, it } from 'vitest';
import * as wg from 'webgrad-gpu';
import { UNARY_OPS, type UnaryOp } from '../src/kernels/unary.js';
import { backendsUnderTest, describeEachBackend } from './helpers/backends.js';
import { expectFewerDispatches, rand, sameAsEager, type Tol, worst } from './helpers/compile-check.js';

const backends = (await backendsUnderTest()).filter((b) => b === 'webgpu');
const F = wg.nn.functional;

const TOL: Tol = { rtol: 1e-6, atol: 1e-6 };

afterAll(() => console.log(`compile-gpu: worst relative difference compiled vs eager ${worst.rel.toExponential(2)} (${worst.where})`));

/** Disposes `t` unless it is one of `keep` (a step's own inputs). */
const drop = (t: wg.Tensor, ...keep: wg.Tensor[]): void => {
  if (!keep.includes(t)) t.dispose();
};

describeEachBackend(backends, 'compiled chains equal eager', () => {
  it.each([1, 3, 17, 65, 257, 1025, 70_001])('a chain of every arithmetic op and clamp, %i elements, NaN and ±Inf mixed in', async (n) => {
    const info = await sameAsEager(
      () => [rand([n], n, { special: true }), rand([n], n + 1, { special: true })],
      ([a, b]) => a.mul(b).add(1).sub(b.mul(0.5)).div(a.abs().add(0.5)).maximum(b).minimum(3).exp().clamp(-2, 2.5).tanh(),
      TOL,
    );
    expectFewerDispatches(info);
  });

  it.each([
    [[4, 1, 5], [1, 3, 5]],
    [[3, 17], [17]],
    [[17], [3, 17]],
    [[2, 3, 4], [2, 1, 4]],
    [[2, 1, 4], [2, 3, 1]],
    [[2, 3, 4], [3, 1]],
    [[5, 1], [1, 7]],
    [[3, 17], [1]],
    [[1], [65]],
    [[], [3, 4]],
    [[2, 3, 1, 5], [1, 3, 4, 1]],
    [[2, 1, 3, 1, 2, 2, 1, 3], [1, 2, 1, 3, 1, 2, 2, 1]],      // 8 dims: the most a strided read takes
    [[2, 1, 3, 1, 2, 1, 1, 3, 2], [1, 2, 1, 3, 1, 2, 2, 1, 1]], // 9 dims: not chained, still right
    [[300, 1], [1, 257]],                                      // 77,100 elements, many workgroups
  ])('broadcasting %j with %j, both operands read again later in the chain', async (sa, sb) => {
    const info = await sameAsEager(
      () => [rand(sa, 7, { special: true }), rand(sb, 8)],
      ([a, b]) => a.add(b).mul(a).sub(b).relu().mul(b).maximum(a).div(b.abs().add(1)),
      TOL,
    );
    if (Math.max(sa.length, sb.length) <= 8) expectFewerDispatches(info);
    else expect(info.dispatches).toBe(info.eagerDispatches);
  });

  it('scalar operands: JS numbers, a one-element tensor and a 0-d tensor', async () => {
    const info = await sameAsEager(
      () => [rand([65], 1, { special: true }), wg.tensor([1.7]), wg.tensor(-0.3)],
      ([x, s, z]) => x.mul(2).add(s).div(s).sub(0.25).mul(z).maximum(z).minimum(s).pow(2).add(z.mul(s)),
      TOL,
    );
    expectFewerDispatches(info);
  });

  it('a chain reading the same input several times, and an op with one tensor as both operands', async () => {
    const info = await sameAsEager(
      () => [rand([3, 17], 2, { special: true })],
      ([x]) => {
        const sq = x.mul(x);
        return [sq.add(x).sub(x.mul(x)).div(x), sq.add(sq), x.maximum(x).minimum(x)];
      },
      TOL,
    );
    expectFewerDispatches(info);
  });

  it('clamp and its gradient in chains: one bound, infinite bounds, bounds beyond float32, min > max; NaN and ±Inf inputs', async () => {
    const bounds: [number | null, number | null][] = [[0, null], [null, 0.5], [-Infinity, 1], [-1e39, 1e39], [1, -1], [-0.25, 0.25]];
    const info = await sameAsEager(
      () => [rand([3, 43], 13, { special: true, requiresGrad: true }), rand([43], 14)],
      ([x, w]) => {
        x.grad = null;
        const ys = bounds.map(([lo, hi]) => x.mul(1.5).clamp(lo, hi).mul(w));
        ys.reduce((a, b) => a.add(b)).sum().backward();
        return [...ys, x.grad!];
      },
      TOL,
    );
    expectFewerDispatches(info);
  });

  it('one chain structure read with a strided operand, then with a scalar one, then strided again (generated-kernel cache)', async () => {
    for (const [sb, seed] of [[[17], 1], [[1], 2], [[3, 1], 3]] as const) {
      const info = await sameAsEager(() => [rand([3, 17], seed), rand(sb, seed + 10)], ([a, b]) => a.add(b).relu().mul(a), TOL);
      expectFewerDispatches(info);
    }
    // The same at one rank (a strided operand makes the chain rank 2): c scalar, then strided.
    for (const [sc, seed] of [[[1], 4], [[3, 1], 5]] as const) {
      const info = await sameAsEager(
        () => [rand([3, 17], seed), rand([17], seed + 10), rand(sc, seed + 20)],
        ([a, b, c]) => a.add(b).relu().mul(c),
        TOL,
      );
      expectFewerDispatches(info);
    }
  });

  it('Inf arithmetic is not simplified across the ops of a chain: (a + b) - a and a·b - a·b stay NaN for a = Inf', async () => {
    // Eager stores every op's result, so Inf - Inf = NaN; a generated kernel must not let the
    // shader compiler fold (a + b) - a into b or x - x into 0.
    const info = await sameAsEager(
      () => [wg.tensor([Infinity, -Infinity, 3e38, 1, NaN]), wg.tensor([1, 0, 3e38, 2, 1])],
      ([a, b]) => [a.add(b).sub(a), a.mul(b).sub(a.mul(b)), a.mul(a).add(a).sub(a.mul(a))],
      { rtol: 0, atol: 0 },
    );
    expectFewerDispatches(info);
  });

  it('ops of one size over different shapes (reshapes between strided reads) and one buffer read both as is and transposed', async () => {
    const info = await sameAsEager(
      () => [rand([4, 6], 15, { special: true }), rand([6], 16), rand([4], 17), rand([2, 1, 1], 18), rand([6, 6], 19)],
      ([x, b6, b4, b2, sq]) => {
        const a = x.add(b6).relu();                     // strided over [4, 6]
        const c = a.reshape([6, 4]).add(b4).mul(2);     // strided over [6, 4]: same size, another shape
        const d = c.reshape([2, 3, 4]).sub(b2).exp();   // and over [2, 3, 4]
        const e = d.reshape([24]).add(x.reshape([24]));
        const t = sq.add(sq.t()).mul(sq.t()).sub(sq);   // sq bound contiguously and transposed
        return [a, c, d, e, t];
      },
      TOL,
    );
    expectFewerDispatches(info);
  });

  it('intermediates released before the chain runs (scope, opScope temporaries, dispose) are not needed, views of them are', async () => {
    const info = await sameAsEager(
      () => [rand([4, 65], 3)],
      ([x]) => {
        const a = wg.scope(() => x.exp().mul(2).add(1).sqrt());
        // softplus with beta != 1 composes mul, softplus, div inside an opScope.
        const b = F.softplus(a, { beta: 2 });
        const t = b.mul(3);
        const v = t.reshape([65, 4]);   // a view: t's storage must still be stored
        t.dispose();
        const c = wg.scope(() => v.add(1).neg().transpose(0, 1).mul(1));
        return [a, b, c, v];
      },
      TOL,
    );
    expectFewerDispatches(info);
  });

  it('100 unary ops in a row split at 48 ops per chain: 3 dispatches instead of 100', async () => {
    const ops = [(t: wg.Tensor) => t.neg(), (t: wg.Tensor) => t.tanh()];
    const info = await sameAsEager(
      () => [rand([257], 4, { special: true })],
      ([x]) =>
        wg.noGrad(() => {
          let t = x;
          for (let i = 0; i < 100; i++) {
            const next = ops[i % 2](t);
            drop(t, x);
            t = next;
          }
          return t;
        }),
      TOL,
    );
    expect([info.eagerDispatches, info.dispatches]).toEqual([100, 3]);
  });

  it('10 distinct broadcast (strided) inputs: split at the storage-buffer limit', async () => {
    const shapes = [[6], [4, 1], [1, 6], [4, 6], [6], [4, 1], [1, 1], [1, 6], [4, 1], [6]];
    const info = await sameAsEager(
      () => [rand([4, 6], 5, { special: true }), ...shapes.map((s, i) => rand(s, 20 + i))],
      ([x, ...bs]) =>
        wg.noGrad(() => {
          let t = x;
          bs.forEach((b, i) => {
            const next = i % 2 === 0 ? t.add(b) : t.mul(b);
            drop(t, x);
            t = next;
          });
          return t;
        }),
      TOL,
    );
    // 11 inputs and an output cannot be bound in one dispatch (8 storage buffers per stage).
    expect(info.dispatches).toBeGreaterThan(1);
    expectFewerDispatches(info);
  });

  it('4 strided inputs and 30 clamps (2 parameters each): split at the uniform-word limit', async () => {
    const info = await sameAsEager(
      () => [rand([4, 6], 6, { special: true }), rand([6], 30), rand([4, 1], 31), rand([1, 6], 32), rand([4, 1], 33, { scale: 2 })],
      ([x, ...bs]) =>
        wg.noGrad(() => {
          let t = x;
          for (const b of bs) {
            const next = t.add(b);
            drop(t, x);
            t = next;
          }
          for (let i = 0; i < 30; i++) {
            const next = t.clamp(-3 + i * 0.05, 3 - i * 0.05);
            drop(t, x);
            t = next;
          }
          return t;
        }),
      TOL,
    );
    // 12 fixed words + 4·8 stride words + 30·2 bounds > the 64 words of a uniform slot.
    expect(info.dispatches).toBeGreaterThan(1);
    expectFewerDispatches(info);
  });

  it('60 parameterised ops (leakyRelu, elu, pow, clamp) with their own parameters', async () => {
    const ops = [
      (t: wg.Tensor, i: number) => F.leakyRelu(t, 0.01 * (i + 1)),
      (t: wg.Tensor, i: number) => F.elu(t, 0.5 + 0.02 * i),
      (t: wg.Tensor, i: number) => t.pow(i % 3 === 0 ? 1 : 3).clamp(-2 - i * 0.01, 2),
      (t: wg.Tensor, i: number) => t.clamp(-1 - i * 0.01, 1.5 + i * 0.01),
    ];
    const info = await sameAsEager(
      () => [rand([17, 3], 9, { special: true })],
      ([x]) =>
        wg.noGrad(() => {
          let t = x;
          for (let i = 0; i < 60; i++) {
            const next = ops[i % 4](t, i);
            drop(t, x);
            t = next;
          }
          return t;
        }),
      TOL,
    );
    expect(info.dispatches).toBeGreaterThan(1);
    expectFewerDispatches(info);
  });
});

describeEachBackend(backends, 'a full chain and the next op of its size', () => {
  // An op that finds the pending chain full (48 ops here; the storage-buffer and uniform-word
  // limits take the same path) starts a chain of its own. When it reads none of the full
  // chain's results, nothing records the full one first, so the new chain must be held by
  // the recorder itself, or it never runs and its results stay whatever their pooled buffers
  // held (clipGradNorm_'s max-norm in a compiled step came out NaN this way). Every call gets
  // inputs of its own: a result left unwritten could otherwise still hold the previous
  // call's equal value.
  it('an op reading none of the full chain\'s results starts a chain that runs', async () => {
    const make = (): { call: number; xs: wg.Tensor[]; ys: wg.Tensor[] } =>
      ({ call: 0, xs: [0, 1, 2].map((k) => rand([65], 40 + k, { special: true })), ys: [0, 1, 2].map((k) => rand([65], 50 + k)) });
    const info = await sameAsEager(
      make,
      (s) =>
        wg.noGrad(() => {
          const x = s.xs[s.call];
          const y = s.ys[s.call++];
          let t = x;
          for (let i = 0; i < 48; i++) {
            const next = i % 2 === 0 ? t.neg() : t.tanh();
            drop(t, x);
            t = next;
          }
          const u = y.mul(3);
          return [t, u, u.add(1)];
        }),
      TOL,
    );
    // 48 ops in one chain, the two on y in another.
    expect([info.eagerDispatches, info.dispatches]).toEqual([50, 2]);
  });
});

/** Every unary op of the table, through its public function, with a parameter where it takes one. */
const UNARY: Record<UnaryOp, (x: wg.Tensor) => wg.Tensor> = {
  neg: wg.neg, exp: wg.exp, log: wg.log, sqrt: wg.sqrt, sigmoid: wg.sigmoid, tanh: wg.tanh, relu: wg.relu, abs: wg.abs,
  pow: (x) => wg.pow(x, 2.5).add(wg.pow(x, 2)).add(wg.pow(x, -1.5)),
  gelu: (x) => wg.gelu(x), geluTanh: (x) => wg.gelu(x, { approximate: 'tanh' }), silu: wg.silu,
  leakyRelu: (x) => wg.leakyRelu(x, 0.2), elu: (x) => wg.elu(x, 1.3),
  softplus: (x) => wg.softplus(x).add(wg.softplus(x, { threshold: 2 })),
  log1p: wg.log1p, expm1: wg.expm1, sin: wg.sin, cos: wg.cos, rsqrt: wg.rsqrt, erf: wg.erf, reciprocal: wg.reciprocal,
  sign: wg.sign, floor: wg.floor, ceil: wg.ceil, round: wg.round, logicalNot: wg.logicalNot,
};

// A chain result released before the chain runs is never stored, and its buffer goes back to
// the pool at once (chain.ts, ChainBuilder.released). Both ways that could go wrong:
describeEachBackend(backends, 'buffers of released chain results', () => {
  it('a released result\'s buffer, reused for a matmul, is read as the matmul\'s result', async () => {
    // exp(x) is a temporary of the scope: released while its chain is held, its buffer is the
    // next [8, 8] one the pool hands out, the matmul's. The add reads that buffer: the matmul's
    // values, not the dead exp node's.
    await sameAsEager(
      () => [rand([8, 8], 21), rand([8, 8], 22)],
      ([x, w]) => {
        const t = wg.scope(() => x.exp().mul(2));
        const m = x.matmul(w);
        return [t.add(m), m];
      },
      TOL,
    );
  });

  it('a clone of a chain result joins the chain (autograd clones a gradient it hands to two inputs)', async () => {
    const info = await sameAsEager(
      () => [rand([65, 17], 25, { special: true }), rand([17], 26)],
      ([x, b]) => {
        const y = x.mul(b).exp();
        const c = y.clone();
        y.add_(1);
        return [y, c, c.mul(3).sum(0), x.clone()];
      },
      TOL,
    );
    expectFewerDispatches(info);
  });

  it('broadcast and permuted copies join the chain that reads them (expand, a mean\'s gradient, a view\'s copy)', async () => {
    // Eager, each copy is a strided gather dispatch of its own; compiled, the chain reads its
    // source through the strides: a LayerNorm backward's two broadcast row gradients, a
    // transposed view's values.
    const info = await sameAsEager(
      () => [rand([65, 17], 27, { special: true }), rand([17, 65], 28), rand([3, 17, 1], 29)],
      ([x, y, r]) => {
        const e = r.expand([3, 17, 65]).mul(2).add(1);
        const t = y.t().mul(x).exp().sub(x.mean(1, true).expand([65, 17]));
        const p = x.reshape([5, 13, 17]).permute(2, 0, 1).add(0.5).sqrt();
        return [e, t, p, t.sum(0)];
      },
      TOL,
    );
    // Compiled: the chains of e, t and p (each reading its gather), t's row mean and its column
    // sum's passes: 8 (10 with the gathers as dispatches of their own).
    expect([info.eagerDispatches, info.dispatches]).toEqual([14, 8]);
  });

  it('an op the pending chain cannot take (another broadcast shape of the same size) starts a chain that runs', async () => {
    // Both ops have 1,105 elements but broadcast over [65, 17] and [17, 65]: the second cannot
    // join the first's chain and reads none of its results. It once went into a chain that was
    // never recorded, and read as zeros (so did clipGradNorm_'s infinity norm, compiled).
    const info = await sameAsEager(
      () => [rand([65, 1], 30), rand([1, 17], 31), rand([17, 1], 32), rand([1, 65], 33)],
      ([a, b, c, d]) => [a.add(b).exp(), c.mul(d).sub(1)],
      TOL,
    );
    expect(info.dispatches).toBe(2);
  });

  it.each([true, false])('a result released after its chain was recorded (not yet submitted) is not reused early (memoryPlan %s)', async (memoryPlan) => {
    // The matmul reads exp(x), so the chain is recorded with it stored; exp(x) released then
    // must wait for the submit: an upload into its buffer would land before the chain's store.
    // (The pool waits for the submit; a memory plan submits before the upload.)
    const data = Array.from({ length: 64 }, (_, i) => i - 31.5);
    await sameAsEager(
      () => [rand([8, 8], 23), rand([8, 8], 24)],
      ([x, w]) => {
        const e = x.exp();
        const m = e.matmul(w);
        e.dispose();
        return [wg.tensor(data).reshape([8, 8]), m];
      },
      TOL,
      3,
      { memoryPlan },
    );
  });
});

describeEachBackend(backends, 'every unary op and its gradient in a compiled step', () => {
  it('the table has no op this test misses', () => expect(Object.keys(UNARY).sort()).toEqual([...UNARY_OPS].sort()));

  it.each([...UNARY_OPS])('%s forward and backward', async (op) => {
    const differentiable = op !== 'logicalNot';
    const info = await sameAsEager(
      () => [rand([3, 43], 11, { special: true, requiresGrad: differentiable }), rand([43], 12)],
      ([x, w]) => {
        x.grad = null;
        // Inside a chain: an op before (x·1 keeps x's values) and a broadcast product after.
        const y = UNARY[op](x.mul(1)).mul(w);
        if (!differentiable) return [y];
        y.sum().backward();
        return [y, x.grad!];
      },
      TOL,
    );
    expectFewerDispatches(info);
  });
});
