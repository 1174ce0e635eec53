/**
 * Float64 functions the CPU loops of the op tables need and JavaScript's Math lacks. They are
 * the oracle the WGSL kernels are tested against and what `wg.gradcheck` differentiates, so
 * they aim at float64 accuracy, not float32.
 */

/** 2/√π, erf's derivative at 0. */
export const TWO_OVER_SQRT_PI = 1.1283791670955126;
const ONE_OVER_SQRT_PI = 0.5641895835477563;

/**
 * The error function, to ~1e-16 (largest difference from Python's math.erf, i.e. libm, over
 * the fixture points in [-7, 7]: 2.2e-16 absolute; see test/activations.test.ts).
 *
 * - |x| < 2.5: erf(x) = 2/√π · e^(-x²) · Σ x·(2x²)^n / (1·3·…·(2n+1)). Every term is
 *   positive, so unlike the alternating Maclaurin series nothing cancels (at most 40 terms).
 * - 2.5 <= |x| < 6: 1 - erfc(x), erfc by its continued fraction
 *   e^(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated bottom-up from 50
 *   terms (40 already agree to the last bit at x = 2.5; it converges faster further out).
 * - |x| >= 6: ±1 (erfc(6) = 2.2e-17 is below half an ulp of 1).
 */
export function erf(x: number): number {
  if (x !== x || x === 0) return x; // NaN, and ±0 keeps its sign
  const a = Math.abs(x);
  let r: number;
  if (a >= 6) {
    r = 1;
  } else if (a < 2.5) {
    const a2 = 2 * a * a;
    let term = a;
    let sum = a;
    for (let n = 1; term > sum * 1e-17; n++) {
      term *= a2 / (2 * n + 1);
      sum += term;
    }
    r = TWO_OVER_SQRT_PI * Math.exp(-a * a) * sum;
  } else {
    let t = a;
    for (let k = 50; k >= 1; k--) t = a + k / 2 / t;
    r = 1 - (ONE_OVER_SQRT_PI * Math.exp(-a * a)) / t;
  }
  return x < 0 ? -r : r;
}

/** Round half to even (C's nearbyint, what torch.round does): 2.5 -> 2, -0.5 -> -0. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v); // half up: 2.5 -> 3, -2.5 -> -2, -0.4 -> -0
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** 1/√(2π), the standard normal density at 0. */
export const INV_SQRT_2PI = 0.3989422804014327;
/** √(2/π), the tanh approximation of GELU's scale. */
export const SQRT_2_OVER_PI = 0.7978845608028654;
export const SQRT1_2 = Math.SQRT1_2;
