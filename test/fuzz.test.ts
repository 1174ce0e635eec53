// Property-based tests over random op graphs (test/helpers/fuzz-graph.ts): unary ops and the
// activations (gelu, silu, leakyRelu, elu, softplus, log1p, expm1, sin, cos, erf), binary ops
// with broadcasting, maximum/minimum/where, matmul (vector, matrix, batched with broadcast
// batches), sum/mean/max/min/amax/logsumexp/var/std/norm along dims, cumsum, softmax/logSoftmax,
// reshape/transpose/permute, cat/split/chunk/narrow/slice/flip/repeat, indexSelect/gather with
// host-known indices, and clamp, in chains of up to 6 ops; the output shape the plan computed
// is checked too.
//
// 1. Forward values and the gradients of every leaf, on each backend in float32, against the
//    CPU backend in float64 (so on WebGPU this is GPU vs CPU, with the CPU run in the precision
//    that makes it the oracle for both).
// 2. gradcheck: autograd against central finite differences, CPU backend, float64.
//
// Replay: a failure prints fast-check's seed and path; FUZZ_SEED=<seed> reruns that sequence.
// FUZZ_RUNS=<n> changes the number of cases per property (CI: 300 per backend + 200 gradcheck).
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { withBackend } from '../src/runtime.js';
import * as wg from 'webgrad-gpu';
import { backendsUnderTest, describeEachBackend } from './helpers/backends.js';
import { relNormError } from './helpers/close.js';
import { type Program, describeProgram, leafValues, plan, rawCase, run } from './helpers/fuzz-graph.js';

const backends = await backendsUnderTest();

const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const runs = (n: number): number => (process.env.FUZZ_RUNS ? Number(process.env.FUZZ_RUNS) : n);
const params = (numRuns: number): fc.Parameters<unknown> => ({ numRuns: runs(numRuns), ...(seed === undefined ? {} : { seed }) });

/**
 * Allowed error of a float32 chain against float64: a relative 2-norm error of 1e-4 (float32
 * rounds at ~6e-8 per op; chains of 6 ops with reductions and matmuls over a few hundred terms
 * stay far below), or else an absolute error of 1e-4 times the case's scale: the largest
 * magnitude among its output and gradients, but at least 0.01. The floor is for results that
 * cancel, which no float32 code computes to 1e-4 relative: logSoftmax's gradient with respect
 * to a shift is exactly 0 (float64 gives 1e-17, float32 1e-8), and log(|x| + 0.5) near |x| = 0.5
 * keeps only the absolute precision (~6e-8) of its rounded argument (seen: gradients of
 * min(log(|x| + 0.5)²) of size 1e-4 off by 8e-8).
 */
const TOL = 1e-4;

interface Outcome {
  out: Float64Array;
  grads: (Float64Array | null)[];
}

/** Runs the program with the leaves as float tensors of `dtype` on the current backend. */
async function evaluate(program: Program, values: Float64Array[], dtype: 'float32' | 'float64'): Promise<Outcome> {
  return wg.scope(async () => {
    // The leaves are flat (reshape() of a leaf is not a leaf): their .grad is what we read.
    const flat = values.map((v) => wg.tensor(v, { dtype, requiresGrad: true }));
    const shaped = flat.map((f, i) => f.reshape(program.leaves[i].shape));
    const out = run(program, shaped);
    expect([...out.shape], `output shape of ${describeProgram(program)}`).toEqual(program.shape);
    // Project on a fixed vector so one backward gives a full vector-Jacobian product.
    const proj = wg.tensor(Float64Array.from({ length: out.numel }, (_, i) => Math.cos(i + 1)), { dtype }).reshape(out.shape);
    out.mul(proj).sum().backward();
    const [o, ...gs] = await Promise.all([out.toArray(), ...flat.map((f) => (f.grad ? f.grad.toArray() : Promise.resolve(null)))]);
    return { out: Float64Array.from(o), grads: gs.map((g) => (g ? Float64Array.from(g) : null)) };
  });
}

const finite = (o: Outcome): boolean =>
  [o.out, ...o.grads].every((a) => !a || a.every((v) => Number.isFinite(v) && Math.abs(v) < 1e6));

function checkClose(what: string, got: Float64Array | null, want: Float64Array | null, program: Program, scale: number): void {
  if (want === null || got === null) {
    // A leaf the output does not depend on gets no gradient, on every backend alike.
    expect(got === null, `${what}: gradient presence differs`).toBe(want === null);
    return;
  }
  expect(got.length, `${what}: length`).toBe(want.length);
  const err = relNormError(got, want);
  const maxDiff = got.reduce((m, v, i) => Math.max(m, Math.abs(v - want[i])), 0);
  const ok = err <= TOL || maxDiff <= TOL * scale;
  expect(ok, `${what}: relative norm error ${err.toExponential(2)} > ${TOL} and max error ${maxDiff.toExponential(2)} > ${TOL} * ${scale.toExponential(2)} for ${describeProgram(program)}`).toBe(true);
}

const reference = new CpuBackend();

describeEachBackend(backends, 'fuzz: random graphs vs the float64 CPU oracle', (backend) => {
  it(`agrees in forward values and gradients (float32 on ${backend})`, async () => {
    let checked = 0;
    await fc.assert(
      fc.asyncProperty(rawCase(true), async (raw) => {
        const program = plan(raw, false);
        const values = leafValues(program, raw.seed);
        const want = await withBackend(reference, () => evaluate(program, values, 'float64'));
        // exp chains may overflow float32 or lose it entirely: such cases say nothing.
        fc.pre(finite(want));
        const got = await evaluate(program, values, 'float32');
        const scale = Math.max(0.01, ...[want.out, ...want.grads].map((a) => (a ? a.reduce((m, v) => Math.max(m, Math.abs(v)), 0) : 0)));
        checkClose('forward', got.out, want.out, program, scale);
        got.grads.forEach((g, i) => checkClose(`grad of leaf ${i}`, g, want.grads[i], program, scale));
        checked++;
      }),
      params(300),
    );
    expect(checked).toBeGreaterThan(runs(300) / 2);
  });
});

it('gradcheck: autograd matches finite differences on random graphs (CPU, float64)', async () => {
  let checked = 0;
  await fc.assert(
    fc.asyncProperty(rawCase(false), async (raw) => {
      const program = plan(raw, true);
      const values = leafValues(program, raw.seed);
      const probe = await withBackend(reference, () => evaluate(program, values, 'float64'));
      fc.pre(finite(probe) && probe.out.every((v) => Math.abs(v) < 1e4));
      const shaped = (xs: wg.Tensor[]): wg.Tensor[] => xs.map((x, i) => x.reshape(program.leaves[i].shape));
      const r = await wg.gradcheck((...xs) => run(program, shaped(xs)), values, { raise: false, atol: 1e-5, rtol: 1e-4 });
      expect(r.ok, `${r.report} for ${describeProgram(program)}`).toBe(true);
      checked++;
    }),
    params(200),
  );
  expect(checked).toBeGreaterThan(runs(200) / 2);
});
