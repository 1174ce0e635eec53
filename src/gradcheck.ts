import { CpuBackend } from './backend/cpu/cpu-backend.js';
import { noGrad } from './autograd/grad-mode.js';
import { tensor } from './creation.js';
import { WebgradError } from './errors.js';
import { Rng } from './random.js';
import { withBackend } from './runtime.js';
import type { Tensor } from './tensor.js';

export interface GradcheckOptions {
  /** Finite-difference step (central differences). */
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Throw a WebgradError with the report when the check fails (default true). */
  raise?: boolean;
  seed?: number;
}

export interface GradcheckResult {
  ok: boolean;
  /** The entry with the largest error relative to its tolerance. */
  worst: { input: number; index: number; analytic: number; numeric: number; error: number } | null;
  report: string;
}

const cpu = new CpuBackend();

/**
 * Checks autograd against central finite differences, in float64 on the CPU backend. The
 * output is projected on a fixed random vector v, so one backward gives the exact
 * vector-Jacobian product vᵀJ that every input element's finite difference is compared with.
 */
export async function gradcheck(
  fn: (...inputs: Tensor[]) => Tensor,
  inputs: readonly (Tensor | Float64Array | number[])[],
  opts: GradcheckOptions = {},
): Promise<GradcheckResult> {
  const { eps = 1e-6, atol = 1e-5, rtol = 1e-3, raise = true, seed = 0 } = opts;
  return withBackend(cpu, async () => {
    const shapes: number[][] = [];
    const values: Float64Array[] = [];
    for (const x of inputs) {
      if (Array.isArray(x) || x instanceof Float64Array) {
        shapes.push([x.length]);
        values.push(Float64Array.from(x));
      } else {
        shapes.push([...x.shape]);
        values.push(Float64Array.from(await x.toArray()));
      }
    }
    const make = (vals: Float64Array[], grad: boolean): Tensor[] =>
      vals.map((v, i) => tensor(v, { dtype: 'float64' }).reshape(shapes[i]).requiresGrad_(grad));

    const xs = make(values, true);
    const out = fn(...xs);
    if (out.dtype !== 'float64') throw new WebgradError('gradcheck', `fn must keep float64 (got ${out.dtype}); build its constants with { dtype: 'float64' }`);
    const rng = new Rng(seed);
    const v = tensor(Float64Array.from({ length: out.numel }, () => rng.normal()), { dtype: 'float64' }).reshape(out.shape);
    const projected = (o: Tensor): Tensor => o.mul(v).sum();
    projected(out).backward();

    let worst: GradcheckResult['worst'] = null;
    let worstRatio = -1;
    for (let i = 0; i < values.length; i++) {
      const g = xs[i].grad;
      const analytic = g ? await g.toArray() : new Float64Array(values[i].length);
      for (let j = 0; j < values[i].length; j++) {
        const at = async (delta: number): Promise<number> => {
          const vals = values.map((a) => a.slice());
          vals[i][j] += delta;
          return noGrad(() => projected(fn(...make(vals, false)))).item();
        };
        const numeric = ((await at(eps)) - (await at(-eps))) / (2 * eps);
        const error = Math.abs(analytic[j] - numeric);
        const ratio = error / (atol + rtol * Math.abs(numeric));
        if (ratio > worstRatio || Number.isNaN(ratio)) {
          worstRatio = Number.isNaN(ratio) ? Infinity : ratio;
          worst = { input: i, index: j, analytic: analytic[j], numeric, error };
        }
      }
    }
    const ok = worstRatio <= 1;
    const report = worst
      ? `gradcheck ${ok ? 'passed' : 'FAILED'}: worst entry is input ${worst.input}[${worst.index}]: analytic ${worst.analytic}, numeric ${worst.numeric}, |error| ${worst.error.toExponential(3)} (atol ${atol}, rtol ${rtol})`
      : 'gradcheck passed: no input elements';
    if (!ok && raise) throw new WebgradError('gradcheck', report);
    return { ok, worst, report };
  });
}
