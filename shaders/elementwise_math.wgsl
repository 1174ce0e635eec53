// The elementwise math every elementwise kernel shares: NaN/Inf tests, division, and the
// helpers the WGSL expressions of the op tables (src/kernels/unary.ts, binary.ts) call. The host
// prepends it to unary.wgsl, binary.wgsl and the generated chain kernels (chain.ts). It declares
// no bindings and reads no uniform: an op's parameter comes in as `p`, so a fused chain can
// give each op its own. Needs `T` (f32 or i32) and the override IS_FLOAT from the including
// shader. Semantics follow the CPU kernels of the op tables, including NaN and Inf, which WGSL
// itself does not promise: NaN is tested by bit pattern and the edge cases of log, sqrt, exp
// and pow are spelled out instead of left to the builtins.

// NaN and Inf as runtime values: WGSL rejects them in constant expressions.
var<private> NAN_BITS: u32 = 0x7fc00000u;
var<private> INF_BITS: u32 = 0x7f800000u;

fn is_nan(v: T) -> bool { return IS_FLOAT && (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }
fn f_is_nan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }
fn f_nan() -> f32 { return bitcast<f32>(NAN_BITS); }
fn f_inf() -> f32 { return bitcast<f32>(INF_BITS); }
fn is_odd_int(p: f32) -> bool { return floor(p) == p && abs(p) < 16777216.0 && (i32(p) & 1) != 0; }

fn exp_(v: f32) -> f32 {
  if (f_is_nan(v)) { return v; }
  if (v > 88.8) { return f_inf(); }   // past ln(FLT_MAX) = 88.72: overflow is Inf, never NaN
  if (v < -104.0) { return 0.0; }
  return exp(v);
}

fn log_(v: f32) -> f32 {
  if (f_is_nan(v) || v < 0.0) { return f_nan(); }
  if (v == 0.0) { return -f_inf(); }
  if (v == f_inf()) { return v; }
  return log(v);
}

fn sqrt_(v: f32) -> f32 {
  if (f_is_nan(v) || v < 0.0) { return f_nan(); }
  if (v == 0.0 || v == f_inf()) { return v; }   // keeps -0 as -0, like Math.sqrt
  return sqrt(v);
}

// WGSL's tanh may be 1 - 2/(e^2x + 1), which is all rounding error for small x (lavapipe gives
// 3e-8 for tanh(1e-30)). Cephes' tanhf instead: an odd polynomial below 0.625, the
// exponential form (accurate there) above, ±1 past 10.
fn tanh_(v: f32) -> f32 {
  if (f_is_nan(v)) { return v; }
  let a = abs(v);
  if (a > 10.0) { return sign(v); }
  if (a >= 0.625) {
    let r = 1.0 - 2.0 / (exp(2.0 * a) + 1.0);
    return select(r, -r, v < 0.0);
  }
  let z = v * v;
  let p = ((((-5.70498872745e-3 * z + 2.06390887954e-2) * z - 5.37397155531e-2) * z
    + 1.33314422036e-1) * z - 3.33332819422e-1) * z;
  return v + v * p;
}

// Math.pow for a finite exponent (what the CPU backend uses), and C's pow for a non-finite one.
fn pow_(v: f32, p: f32) -> f32 {
  if (p == 2.0) { return v * v; }
  let p_finite = (bitcast<u32>(p) & 0x7f800000u) != 0x7f800000u;
  if (!p_finite) {
    if (v == 1.0 || (v == -1.0 && !f_is_nan(p))) { return 1.0; }
    if (f_is_nan(p) || f_is_nan(v)) { return f_nan(); }
    let big = abs(v) > 1.0;
    return select(select(f_inf(), 0.0, big), select(0.0, f_inf(), big), p > 0.0);
  }
  if (p == 0.0) { return 1.0; }
  if (f_is_nan(v)) { return v; }
  if (p == 1.0) { return v; }
  let is_int = floor(p) == p;
  let neg = v < 0.0 || (v == 0.0 && bitcast<u32>(v) == 0x80000000u);
  let flip = neg && is_odd_int(p);   // odd integer powers keep the sign (also of -0, -Inf)
  let a = abs(v);
  var r: f32;
  if (a == 0.0) {
    r = select(f_inf(), 0.0, p > 0.0);
  } else if (a == f_inf()) {
    r = select(0.0, f_inf(), p > 0.0);
  } else if (v < 0.0 && !is_int) {
    return f_nan();
  } else if (p == 0.5) {
    r = sqrt(a);
  } else if (p == -1.0) {
    r = 1.0 / a;
  } else if (p == 3.0) {
    r = a * a * a;
  } else {
    r = pow(a, p);
  }
  return select(r, -r, flip);
}

fn sigmoid_(f: f32) -> f32 {
  if (f_is_nan(f)) { return f; }
  // Two branches so exp never overflows, as on the CPU.
  if (f >= 0.0) { return 1.0 / (1.0 + exp_(-f)); }
  let e = exp_(f);
  return e / (1.0 + e);
}

fn pow_t(v: T, p: f32) -> T {
  if (!IS_FLOAT) { return v * v; }   // integers: only the square exists (wrapping, as on the CPU)
  return T(pow_(f32(v), p));
}

fn abs_(v: T) -> T {
  if (IS_FLOAT) { return bitcast<T>(bitcast<u32>(v) & 0x7fffffffu); }   // also clears -0 and NaN signs
  return abs(v);
}

// ---- activations and the elementwise math of issue 11. Each spells out NaN and ±Inf (WGSL
// promises nothing about Inf·0 or NaN compares) to give PyTorch 1.13's results, and each is
// compared with the float64 CPU loops of src/kernels/unary.ts (test/activations-gpu.test.ts).

const SQRT1_2: f32 = 0.7071067811865476;
const INV_SQRT_2PI: f32 = 0.3989422804014327;
const SQRT_2_OVER_PI: f32 = 0.7978845608028654;

fn f_is_inf(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) == 0x7f800000u; }
fn f_finite(v: f32) -> bool { return (bitcast<u32>(v) & 0x7f800000u) != 0x7f800000u; }

// erf has no WGSL builtin. |x| < 1: its Maclaurin series to x^21 (the next term is 1.2e-9 at
// |x| = 1); 1 <= |x| < 4: 1 - erfc with Numerical Recipes' Chebyshev fit of erfc (relative
// error < 1.2e-7 of erfc, so < 2e-8 of erf there); beyond 4, ±1 (erfc(4) = 1.5e-8 is under
// half an ulp of 1). Largest difference from the float64 CPU erf measured on lavapipe: see
// test/activations-gpu.test.ts (tolerance 1e-6 absolute, stated there).
fn erf_(v: f32) -> f32 {
  if (f_is_nan(v)) { return v; }
  let a = abs(v);
  if (a < 1.0) {
    let z = v * v;
    return v * (1.128379167 + z * (-0.3761263890 + z * (0.1128379167 + z * (-0.02686617065
      + z * (0.005223977625 + z * (-0.0008548327023 + z * (0.0001205533298 + z * (-0.00001492565036
      + z * (0.000001646211437 + z * (-1.636584469e-7 + z * 1.480719282e-8))))))))));
  }
  var r = 1.0;
  if (a < 4.0) {
    let t = 1.0 / (1.0 + 0.5 * a);
    r = 1.0 - t * exp(-a * a - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
      + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
      + t * (-0.82215223 + t * 0.17087277)))))))));
  }
  return select(r, -r, v < 0.0);
}

// x·Φ(x). Below -10 the result is -0 in float32 (Φ(-10) = 7.6e-24 rounds 1 + erf to 0 in
// torch too), above 10 it is x; gelu(-Inf) = -Inf·0 = NaN, as in torch.
fn gelu_(v: f32) -> f32 {
  if (f_is_nan(v) || v == -f_inf()) { return f_nan(); }
  if (v > 10.0) { return v; }
  if (v < -10.0) { return -0.0; }
  return 0.5 * v * (1.0 + erf_(v * SQRT1_2));
}

// Φ(x) + x·φ(x); NaN at ±Inf (Inf·0), as in torch.
fn gelu_grad_(v: f32, g: f32) -> f32 {
  if (!f_finite(v)) { return f_nan(); }
  let cdf = 0.5 * (1.0 + erf_(v * SQRT1_2));
  let pdf = INV_SQRT_2PI * exp_(-0.5 * v * v);
  return g * (cdf + v * pdf);
}

// x/2·(1 + tanh(√(2/π)(x + 0.044715x³))); past ±10 the tanh is ±1 in float32, so the result
// is x or -0 (and x³ cannot overflow).
fn gelu_tanh_(v: f32) -> f32 {
  if (f_is_nan(v) || v == -f_inf()) { return f_nan(); }
  if (v > 10.0) { return v; }
  if (v < -10.0) { return -0.0; }
  return 0.5 * v * (1.0 + tanh_(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v)));
}

fn gelu_tanh_grad_(v: f32, g: f32) -> f32 {
  if (!f_finite(v)) { return f_nan(); }
  if (v > 10.0) { return g; }
  if (v < -10.0) { return 0.0 * g; }
  let x2 = v * v;
  let th = tanh_(SQRT_2_OVER_PI * (v + 0.044715 * x2 * v));
  return g * (0.5 * (1.0 + th) + 0.5 * v * (1.0 - th * th) * SQRT_2_OVER_PI * (1.0 + 3.0 * 0.044715 * x2));
}

// x·σ(x); silu(-Inf) = NaN as torch's x/(1 + e^-x) gives.
fn silu_(v: f32) -> f32 {
  if (f_is_nan(v) || v == -f_inf()) { return f_nan(); }
  if (v == f_inf()) { return v; }
  return v * sigmoid_(v);
}

fn silu_grad_(v: f32, g: f32) -> f32 {
  if (!f_finite(v)) { return f_nan(); }   // σ(±Inf)·(1 ± Inf·0), as in torch
  let s = sigmoid_(v);
  return g * s * (1.0 + v * (1.0 - s));
}

fn leaky_relu_(v: f32, p: f32) -> f32 {
  if (f_is_nan(v)) { return v; }
  return select(v * p, v, v > 0.0);
}

fn leaky_relu_grad_(v: f32, g: f32, p: f32) -> f32 {
  return select(g * p, g, !f_is_nan(v) && v > 0.0);   // NaN x: dy·slope (torch)
}

fn elu_(v: f32, p: f32) -> f32 {
  if (f_is_nan(v) || v > 0.0) { return v; }
  return p * expm1_(v);
}

fn elu_grad_(v: f32, g: f32, p: f32) -> f32 {
  if (f_is_nan(v)) { return v; }   // as torch's vectorized kernel (src/kernels/unary.ts)
  if (v > 0.0) { return g; }
  return g * (p * exp_(v));   // alpha·e^x first: dy·alpha may overflow where e^x is 0
}

// beta = 1 (the op layer scales around it): x above the threshold p, else log(1 + e^x).
fn softplus_(v: f32, p: f32) -> f32 {
  if (f_is_nan(v) || v > p) { return v; }
  return log1p_(exp_(v));
}

fn softplus_grad_(v: f32, g: f32, p: f32) -> f32 {
  if (f_is_nan(v)) { return v; }
  if (v > p) { return g; }
  return g * sigmoid_(v);   // z/(z + 1) with z = e^x, without overflowing z
}

// log(1 + x). Near 0, log(1 + x) in float32 loses the low bits of x (and WGSL's log is only
// promised to 2^-21 absolute near 1), so |x| < 0.5 uses log1p(x) = 2·atanh(s), s = x/(2 + x),
// |s| <= 1/3, by its odd series to s^19 (the next term is below 3e-11 relative).
fn log1p_(v: f32) -> f32 {
  if (f_is_nan(v) || v < -1.0) { return f_nan(); }
  if (v == -1.0) { return -f_inf(); }
  if (v == f_inf()) { return v; }
  if (abs(v) >= 0.5) { return log_(1.0 + v); }
  if (v == 0.0) { return v; }   // keeps -0
  let s = v / (2.0 + v);
  let z = s * s;
  return 2.0 * s * (1.0 + z * (1.0 / 3.0 + z * (1.0 / 5.0 + z * (1.0 / 7.0 + z * (1.0 / 9.0 + z * (1.0 / 11.0
    + z * (1.0 / 13.0 + z * (1.0 / 15.0 + z * (1.0 / 17.0 + z * (1.0 / 19.0))))))))));
}

// e^x - 1: the Taylor series for |x| < 0.5 (to x^11/11!, the next term is 4e-11 relative),
// where e^x - 1 would cancel; exp_ handles the overflow and underflow beyond.
fn expm1_(v: f32) -> f32 {
  if (f_is_nan(v)) { return v; }
  if (abs(v) >= 0.5) { return exp_(v) - 1.0; }
  if (v == 0.0) { return v; }   // keeps -0
  return v * (1.0 + v * (1.0 / 2.0 + v * (1.0 / 6.0 + v * (1.0 / 24.0 + v * (1.0 / 120.0 + v * (1.0 / 720.0
    + v * (1.0 / 5040.0 + v * (1.0 / 40320.0 + v * (1.0 / 362880.0 + v * (1.0 / 3628800.0 + v / 39916800.0))))))))));
}

// WGSL's sin/cos are promised only to 2^-11 absolute on [-π, π] and nothing beyond; lavapipe
// and real GPUs do much better in that range (measured in test/activations-gpu.test.ts), but
// argument reduction of large |x| is the driver's. ±Inf gives NaN, as in C.
fn sin_(v: f32) -> f32 {
  if (!f_finite(v)) { return f_nan(); }
  if (v == 0.0) { return v; }   // keeps -0
  return sin(v);
}

fn cos_(v: f32) -> f32 {
  if (!f_finite(v)) { return f_nan(); }
  return cos(v);
}

// 1/√x with IEEE's edges: rsqrt(±0) = ±Inf, rsqrt(Inf) = 0, negative -> NaN.
fn rsqrt_(v: f32) -> f32 {
  if (f_is_nan(v) || v < 0.0) { return f_nan(); }
  if (v == 0.0) { return bitcast<f32>(INF_BITS | (bitcast<u32>(v) & 0x80000000u)); }
  if (v == f_inf()) { return 0.0; }
  return 1.0 / sqrt(v);
}

// 1/x with IEEE's edges (WGSL leaves division by zero to the implementation).
fn reciprocal_(v: f32) -> f32 {
  if (f_is_nan(v)) { return v; }
  let sign = bitcast<u32>(v) & 0x80000000u;
  if (v == 0.0) { return bitcast<f32>(INF_BITS | sign); }
  if (f_is_inf(v)) { return bitcast<f32>(sign); }
  return 1.0 / v;
}

fn sign_t(v: T) -> T {
  if (v > T(0)) { return T(1); }
  if (v < T(0)) { return T(-1); }
  // 0, -0 and NaN give +0 (torch 1.13), written as bits: lavapipe compiled the select form,
  // select(select(T(0), T(-1), v < 0), T(1), v > 0), into one that returned -0 for -0.
  return bitcast<T>(0u);
}

// floor/ceil/round of an integer (every float32 of magnitude >= 2^23, ±Inf) is itself; NaN
// stays NaN. WGSL's round is half to even, as torch.round.
fn integral(v: T) -> bool { return !IS_FLOAT || is_nan(v) || abs(f32(v)) >= 8388608.0; }
fn floor_t(v: T) -> T { return select(T(floor(f32(v))), v, integral(v)); }
fn ceil_t(v: T) -> T { return select(T(ceil(f32(v))), v, integral(v)); }
fn round_t(v: T) -> T { return select(T(round(f32(v))), v, integral(v)); }

fn div_(x: T, y: T) -> T {
  if (!IS_FLOAT) {
    // int32 division truncates; by zero it is 0 (the CPU stores ±Inf/NaN into an Int32Array).
    if (y == T(0)) { return T(0); }
    return x / y;
  }
  if (y == T(0) && !is_nan(x)) {
    // IEEE, spelled out because WGSL leaves division by zero to the implementation.
    let sign = (bitcast<u32>(x) ^ bitcast<u32>(y)) & 0x80000000u;
    if (x == T(0)) { return bitcast<T>(NAN_BITS); }
    return bitcast<T>(INF_BITS | sign);
  }
  return x / y;
}
