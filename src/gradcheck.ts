import { CpuBackend } from './backend/cpu/cpu-backend.js';
import { noGrad } from './autograd/grad-mode.js';
import { tensor } from './creation.js';
import { WebgradError } from './errors.js';
import { Rng } from './random.js';
import { withBackend } from './runtime.js';
import type { Tensor } from './tensor.js';
import { options } from './options.js';

/** Options of {@link gradcheck}; the defaults are PyTorch's. */
export interface GradcheckOptions {
  /** Finite-difference step (central differences; default 1e-6). */
  eps?: number;
  /** Absolute tolerance (default 1e-5): an entry passes when `|analytic - numeric| <= atol + rtol * |numeric|`. */
  atol?: number;
  /** Relative tolerance (default 1e-3). */
  rtol?: number;
  /** Throw a WebgradError with the report when the check fails (default true). */
  raise?: boolean;
  /** Seed of the random vector the output is projected on (default 0). */
  seed?: number;
}

/** What {@link gradcheck} returns. */
export interface GradcheckResult {
  /** Whether every entry was within tolerance. */
  ok: boolean;
  /** The entry with the largest error relative to its tolerance (null when no input has elements). */
  worst: {
    /** Which input (its position in `inputs`). */
    input: number;
    /** The element of that input, as a flat row-major index. */
    index: number;
    /** The gradient autograd computed. */
    analytic: number;
    /** The central finite difference. */
    numeric: number;
    /** `|analytic - numeric|`. */
    error: number;
  } | null;
  /** One line: passed or FAILED, the worst entry and the tolerances. */
  report: string;
}

const cpu = new CpuBackend();

/**
 * Checks autograd against central finite differences, in float64 on the CPU backend. The
 * output is projected on a fixed random vector v, so one backward gives the exact
 * vector-Jacobian product vᵀJ that every input element's finite difference is compared with.
 * Inputs are copied to float64 (tensors are read back), whatever backend is current; `fn` must
 * keep float64, so build its constants with `{ dtype: 'float64' }`.
 *
 * PyTorch equivalent: `torch.autograd.gradcheck(fn, inputs, eps, atol, rtol, raise_exception)`.
 *
 * @example
 * ```ts
 * const r = await wg.gradcheck((x, w) => x.mm(w).relu().sum(), [wg.randn([3, 4]), wg.randn([4, 2])]);
 * console.log(r.report);   // gradcheck passed: worst entry is ...
 * ```
 */
export async function gradcheck(
  fn: (...inputs: Tensor[]) => Tensor,
  inputs: readonly (Tensor | Float64Array | number[])[],
  opts: GradcheckOptions = {},
): Promise<GradcheckResult> {
  const { eps = 1e-6, atol = 1e-5, rtol = 1e-3, raise = true, seed = 0 } = options('gradcheck', opts, ['eps', 'atol', 'rtol', 'raise', 'seed']);
  // Only synchronous work runs with the CPU backend selected, so no other async task (in a
  // browser, where the selection is global) ever sees it: reads happen between the sections.
  const onCpu = <T>(f: () => T): T => withBackend(cpu, f);
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

  const rng = new Rng(seed);
  const { xs, projected } = onCpu(() => {
    const xs = make(values, true);
    const out = fn(...xs);
    if (out.dtype !== 'float64') throw new WebgradError('gradcheck', `fn must keep float64 (got ${out.dtype}); build its constants with { dtype: 'float64' }`);
    const v = tensor(Float64Array.from({ length: out.numel }, () => rng.normal()), { dtype: 'float64' }).reshape(out.shape);
    const projected = (o: Tensor): Tensor => o.mul(v).sum();
    projected(out).backward();
    return { xs, projected };
  });

  let worst: GradcheckResult['worst'] = null;
  let worstRatio = -1;
  for (let i = 0; i < values.length; i++) {
    const g = xs[i].grad;
    const analytic = g ? await g.toArray() : new Float64Array(values[i].length);
    for (let j = 0; j < values[i].length; j++) {
      const at = async (delta: number): Promise<number> => {
        const vals = values.map((a) => a.slice());
        vals[i][j] += delta;
        return onCpu(() => noGrad(() => projected(fn(...make(vals, false))))).item();
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
}
